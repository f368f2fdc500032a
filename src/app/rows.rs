//! Table rows derived from the model: filtered and sorted as the user asked. `update` uses
//! them to know what a selection points at, the views to draw them, so both always agree.

use super::{AppState, View};
use crate::decode::signals::{signal_name, signal_number, SIGRTMAX};
use crate::sample::{Mapping, Sample};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// One thread in the Threads table.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRow {
    pub tid: i32,
    pub name: String,
    pub state: String,
    pub cpu_percent: Option<f64>,
    pub syscall: Option<String>,
    pub wchan: Option<String>,
    pub voluntary: Option<u64>,
    pub nonvoluntary: Option<u64>,
}

/// Threads sharing a name prefix (`worker-1` … `worker-200` → `worker-`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadGroup {
    pub prefix: String,
    pub count: usize,
    /// Count per state letter.
    pub states: BTreeMap<String, usize>,
    pub cpu_percent: f64,
}

/// One descriptor in the FDs table; sockets carry their TCP endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdRow {
    pub fd: u64,
    pub kind: String,
    pub target: String,
    /// `local → remote STATE` for TCP sockets.
    pub tcp: Option<String>,
}

/// One mapping in the Memory table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRow {
    pub mapping: Mapping,
    pub size: u64,
    /// Pages beyond the end of the backing file (touching them is SIGBUS).
    pub pages_past_eof: Option<u64>,
}

/// One signal with its disposition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalRow {
    pub number: u32,
    pub name: String,
    pub blocked: bool,
    pub ignored: bool,
    pub caught: bool,
    pub pending: bool,
    /// Threads that block it, when the census is known and they differ from the main thread.
    pub blocked_in_threads: Option<(usize, usize)>,
    /// Threads with it pending only for themselves.
    pub pending_in_threads: usize,
}

fn matches(filter: &str, fields: &[&str]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let needle = filter.to_lowercase();
    fields.iter().any(|f| f.to_lowercase().contains(&needle))
}

/// Name with trailing digits and separators removed: the thread's pool.
pub fn name_prefix(name: &str) -> String {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.is_empty() {
        name.to_string()
    } else {
        trimmed.to_string()
    }
}

/// Threads of the current sample, filtered and sorted for the Threads view.
pub fn threads(state: &AppState) -> Vec<ThreadRow> {
    let Some(sample) = &state.current else {
        return Vec::new();
    };
    let table = &state.ui.tables[View::Threads.index()];
    let mut rows: Vec<ThreadRow> = sample
        .threads
        .items
        .iter()
        .filter(|t| matches(&table.filter, &[&t.name, &t.tid.to_string(), &t.state]))
        .map(|t| ThreadRow {
            tid: t.tid,
            name: t.name.clone(),
            state: t.state.clone(),
            cpu_percent: state.thread_cpu.percent(t.tid),
            syscall: t.syscall.clone(),
            wchan: t.wchan.clone(),
            voluntary: t.voluntary_ctxt_switches,
            nonvoluntary: t.nonvoluntary_ctxt_switches,
        })
        .collect();
    match table.sort {
        0 => rows.sort_by(|a, b| {
            let (x, y) = (a.cpu_percent.unwrap_or(-1.0), b.cpu_percent.unwrap_or(-1.0));
            y.total_cmp(&x).then(a.tid.cmp(&b.tid))
        }),
        1 => rows.sort_by_key(|r| r.tid),
        2 => rows.sort_by(|a, b| a.name.cmp(&b.name).then(a.tid.cmp(&b.tid))),
        3 => rows.sort_by(|a, b| a.state.cmp(&b.state).then(a.tid.cmp(&b.tid))),
        _ => rows.sort_by_key(|r| {
            (
                Reverse(r.voluntary.unwrap_or(0) + r.nonvoluntary.unwrap_or(0)),
                r.tid,
            )
        }),
    }
    rows
}

/// Thread rows folded by name prefix, largest group first.
pub fn thread_groups(state: &AppState) -> Vec<ThreadGroup> {
    let mut groups: BTreeMap<String, ThreadGroup> = BTreeMap::new();
    for row in threads(state) {
        let prefix = name_prefix(&row.name);
        let group = groups.entry(prefix.clone()).or_insert(ThreadGroup {
            prefix,
            count: 0,
            states: BTreeMap::new(),
            cpu_percent: 0.0,
        });
        group.count += 1;
        *group.states.entry(row.state.clone()).or_default() += 1;
        group.cpu_percent += row.cpu_percent.unwrap_or(0.0);
    }
    let mut list: Vec<ThreadGroup> = groups.into_values().collect();
    list.sort_by(|a, b| b.count.cmp(&a.count).then(a.prefix.cmp(&b.prefix)));
    list
}

/// Descriptors of the current sample, filtered and sorted for the FDs view.
pub fn fds(state: &AppState) -> Vec<FdRow> {
    let Some(sample) = &state.current else {
        return Vec::new();
    };
    let table = &state.ui.tables[View::Fds.index()];
    let tcp: BTreeMap<u64, String> = sample
        .fds
        .tcp
        .iter()
        .flat_map(|t| &t.sockets)
        .map(|s| (s.fd, format!("{} → {} {}", s.local, s.remote, s.state)))
        .collect();
    let mut rows: Vec<FdRow> = sample
        .fds
        .items
        .iter()
        .map(|f| FdRow {
            fd: f.fd,
            kind: f.kind.clone(),
            target: f.target.clone(),
            tcp: tcp.get(&f.fd).cloned(),
        })
        .filter(|r| {
            let tcp = r.tcp.as_deref().unwrap_or("");
            matches(&table.filter, &[&r.kind, &r.target, tcp, &r.fd.to_string()])
        })
        .collect();
    match table.sort {
        0 => rows.sort_by_key(|r| r.fd),
        1 => rows.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.fd.cmp(&b.fd))),
        _ => rows.sort_by(|a, b| a.target.cmp(&b.target).then(a.fd.cmp(&b.fd))),
    }
    rows
}

/// Mappings of the current sample, filtered and sorted for the Memory view.
pub fn maps(state: &AppState) -> Vec<MapRow> {
    let Some(sample) = &state.current else {
        return Vec::new();
    };
    let table = &state.ui.tables[View::Memory.index()];
    let mut rows: Vec<MapRow> = sample
        .memory
        .maps
        .iter()
        // The table lists what the map count counts: one definition on every screen.
        .filter(|m| m.counts_as_vma())
        .filter(|m| {
            let flags = map_flags(m, past_eof(sample, m));
            matches(&table.filter, &[&m.path, &m.perms, &flags])
        })
        .map(|m| MapRow {
            size: m.end.saturating_sub(m.start),
            pages_past_eof: past_eof(sample, m),
            mapping: m.clone(),
        })
        .collect();
    match table.sort {
        0 => rows.sort_by_key(|r| (Reverse(r.size), r.mapping.start)),
        1 => rows.sort_by_key(|r| r.mapping.start),
        _ => rows.sort_by(|a, b| {
            a.mapping
                .path
                .cmp(&b.mapping.path)
                .then(a.mapping.start.cmp(&b.mapping.start))
        }),
    }
    rows
}

fn past_eof(sample: &Sample, mapping: &Mapping) -> Option<u64> {
    sample
        .memory
        .mappings_past_eof
        .iter()
        .find(|p| p.mapping.start == mapping.start && p.mapping.end == mapping.end)
        .map(|p| p.pages_past_eof)
}

/// Text flags of a mapping (`DELETED`, `PAST-EOF`), so they survive NO_COLOR and filters.
pub fn map_flags(mapping: &Mapping, pages_past_eof: Option<u64>) -> String {
    let mut flags = Vec::new();
    if mapping.deleted {
        flags.push("DELETED".to_string());
    }
    if let Some(pages) = pages_past_eof {
        flags.push(format!("PAST-EOF {pages}p"));
    }
    flags.join(" ")
}

/// Every standard signal, plus real-time ones that appear in any set.
pub fn signals(state: &AppState) -> Vec<SignalRow> {
    let Some(sample) = &state.current else {
        return Vec::new();
    };
    let numbers =
        |names: &[String]| -> Vec<u32> { names.iter().filter_map(|n| signal_number(n)).collect() };
    let sig = &sample.signals;
    let (blocked, ignored, caught, pending) = (
        numbers(&sig.blocked),
        numbers(&sig.ignored),
        numbers(&sig.caught),
        numbers(&sig.pending),
    );
    let threads = &sample.threads.items;
    let thread_blocked: Vec<Vec<u32>> = threads
        .iter()
        .map(|t| numbers(&t.blocked_signals))
        .collect();
    let thread_pending: Vec<Vec<u32>> = threads
        .iter()
        .map(|t| numbers(&t.pending_signals))
        .collect();
    let table = &state.ui.tables[View::Signals.index()];
    let mut rows: Vec<SignalRow> = (1..=SIGRTMAX)
        .filter(|n| {
            *n < 32
                || [&blocked, &ignored, &caught, &pending]
                    .iter()
                    .chain(thread_blocked.iter().collect::<Vec<_>>().iter())
                    .any(|set| set.contains(n))
        })
        .map(|n| {
            let in_threads = thread_blocked.iter().filter(|s| s.contains(&n)).count();
            let main_blocks = blocked.contains(&n);
            let differs =
                !threads.is_empty() && in_threads != if main_blocks { threads.len() } else { 0 };
            SignalRow {
                number: n,
                name: signal_name(n),
                blocked: main_blocks,
                ignored: ignored.contains(&n),
                caught: caught.contains(&n),
                pending: pending.contains(&n),
                blocked_in_threads: differs.then_some((in_threads, threads.len())),
                pending_in_threads: thread_pending.iter().filter(|s| s.contains(&n)).count(),
            }
        })
        .filter(|r| matches(&table.filter, &[&r.name]))
        .collect();
    // Signals with any disposition, pending state or thread difference come first.
    rows.sort_by_key(|r| {
        let interesting = r.blocked
            || r.ignored
            || r.caught
            || r.pending
            || r.blocked_in_threads.is_some()
            || r.pending_in_threads > 0;
        (!interesting, r.number)
    });
    rows
}

/// Findings filtered for the Findings view (already sorted by severity).
pub fn findings(state: &AppState) -> Vec<&crate::rules::Finding> {
    let table = &state.ui.tables[View::Findings.index()];
    state
        .findings
        .iter()
        .filter(|f| matches(&table.filter, &[&f.rule, &f.message]))
        .collect()
}

/// Number of selectable rows in the current view.
pub fn row_count(state: &AppState) -> usize {
    match state.ui.view {
        View::Overview => 0,
        View::Threads if state.ui.thread_detail.is_some() => 0,
        View::Threads if state.ui.group_threads => thread_groups(state).len(),
        View::Threads => threads(state).len(),
        View::Fds => fds(state).len(),
        View::Memory => maps(state).len(),
        View::Signals => signals(state).len(),
        View::Findings => findings(state).len(),
        View::Stacks => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_fold_numbered_pools() {
        assert_eq!(name_prefix("worker-17"), "worker-");
        assert_eq!(name_prefix("pool3"), "pool");
        assert_eq!(name_prefix("main"), "main");
        assert_eq!(name_prefix("42"), "42");
    }
}
