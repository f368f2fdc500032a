//! Table rows derived from the model: filtered and sorted as the user asked. `update`
//! derives each table's order ([`refresh`]) when its data, sort or filter changes; the views
//! build only the rows they show from it (`thread_at`, `fd_at`, …), so a cursor move at
//! 10,000 threads costs what a move at 100 does, and both sides always agree.

use super::table::{natural_cmp, Derivation, Filter, RowKey, TableUi};
use super::{AppState, View};
use crate::decode::signals::{signal_name, signal_number, SIGRTMAX};
use crate::sample::{Mapping, Sample, ThreadInfo};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

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
    /// When syscall, wchan and the switch counts were read, if before the census.
    pub detail_at_ms: Option<u64>,
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

/// Name with trailing digits and separators removed: the thread's pool.
pub fn name_prefix(name: &str) -> String {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.is_empty() {
        name.to_string()
    } else {
        trimmed.to_string()
    }
}

fn thread_row(state: &AppState, t: &ThreadInfo) -> ThreadRow {
    ThreadRow {
        tid: t.tid,
        name: t.name.clone(),
        state: t.state.clone(),
        cpu_percent: state.thread_cpu.percent(t.tid),
        syscall: t.syscall.clone(),
        wchan: t.wchan.clone(),
        voluntary: t.voluntary_ctxt_switches,
        nonvoluntary: t.nonvoluntary_ctxt_switches,
        detail_at_ms: t.detail_at_ms,
    }
}

/// The thread at `position` of the Threads table (ungrouped), built on demand so a frame
/// builds only the rows it shows.
pub fn thread_at(state: &AppState, position: usize) -> Option<ThreadRow> {
    let sample = state.current.as_ref()?;
    let index = *state.ui.tables[View::Threads.index()].order.get(position)?;
    sample
        .threads
        .items
        .get(index)
        .map(|t| thread_row(state, t))
}

/// The threads whose `status`, `wchan` and `syscall` the next census should read beside the
/// ones the collector picks itself (changed, in D, due): the Threads rows that can be on
/// screen (a terminal height either side of the cursor) and the thread opened; `None` for
/// every thread, when the view shows something of each (the Signals view's masks, the
/// Threads table sorted by switches).
pub fn detail_wanted(state: &AppState) -> Option<BTreeSet<i32>> {
    let table = &state.ui.tables[View::Threads.index()];
    let by_switches = View::Threads.sorts().get(table.sort) == Some(&"switches");
    let threads_shown = state.ui.view == View::Threads && !state.ui.group_threads;
    if state.ui.view == View::Signals || (threads_shown && by_switches) {
        return None;
    }
    let mut wanted: BTreeSet<i32> = state.ui.thread_detail.into_iter().collect();
    if threads_shown {
        let reach = usize::from(state.ui.height);
        let first = table.selected.saturating_sub(reach);
        let shown = table.order.iter().skip(first).take(2 * reach + 1);
        let items = state.current.as_ref().map(|s| &s.threads.items);
        wanted.extend(shown.filter_map(|&i| Some(items?.get(i)?.tid)));
    }
    Some(wanted)
}

/// Every row of the Threads table, in order (tests and small tables; views use [`thread_at`]).
pub fn threads(state: &AppState) -> Vec<ThreadRow> {
    if state.ui.group_threads {
        return Vec::new();
    }
    let len = state.ui.tables[View::Threads.index()].order.len();
    (0..len).filter_map(|i| thread_at(state, i)).collect()
}

fn thread_order(
    state: &AppState,
    sample: &Sample,
    table: &TableUi,
    from: Vec<usize>,
) -> Vec<usize> {
    let items = &sample.threads.items;
    let filter = table.matcher();
    let mut order: Vec<usize> = from
        .into_iter()
        .filter(|&i| {
            items
                .get(i)
                .is_some_and(|t| filter.accepts(u64::try_from(t.tid).ok(), &[&t.name]))
        })
        .collect();
    let tid = |i: usize| items[i].tid;
    match table.sort {
        0 => {
            let cpu: Vec<f64> = items
                .iter()
                .map(|t| state.thread_cpu.percent(t.tid).unwrap_or(-1.0))
                .collect();
            order.sort_by(|&a, &b| cpu[b].total_cmp(&cpu[a]).then(tid(a).cmp(&tid(b))));
        }
        1 => order.sort_by_key(|&i| tid(i)),
        2 => order.sort_by(|&a, &b| {
            natural_cmp(&items[a].name, &items[b].name).then(tid(a).cmp(&tid(b)))
        }),
        3 => order.sort_by(|&a, &b| {
            items[a]
                .state
                .cmp(&items[b].state)
                .then(tid(a).cmp(&tid(b)))
        }),
        _ => order.sort_by_key(|&i| {
            let t = &items[i];
            let switches =
                t.voluntary_ctxt_switches.unwrap_or(0) + t.nonvoluntary_ctxt_switches.unwrap_or(0);
            (Reverse(switches), t.tid)
        }),
    }
    order
}

/// Thread rows folded by name prefix, largest group first (the grouped Threads table).
pub fn thread_groups(state: &AppState) -> Vec<ThreadGroup> {
    if !state.ui.group_threads {
        return Vec::new();
    }
    state.thread_groups.clone()
}

fn fold_groups(state: &AppState, sample: &Sample, filter: &Filter) -> Vec<ThreadGroup> {
    let mut groups: BTreeMap<String, ThreadGroup> = BTreeMap::new();
    for t in sample.threads.items.iter() {
        if !filter.accepts(u64::try_from(t.tid).ok(), &[&t.name]) {
            continue;
        }
        let prefix = name_prefix(&t.name);
        let group = groups.entry(prefix.clone()).or_insert(ThreadGroup {
            prefix,
            count: 0,
            states: BTreeMap::new(),
            cpu_percent: 0.0,
        });
        group.count += 1;
        *group.states.entry(t.state.clone()).or_default() += 1;
        group.cpu_percent += state.thread_cpu.percent(t.tid).unwrap_or(0.0);
    }
    let mut list: Vec<ThreadGroup> = groups.into_values().collect();
    list.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(natural_cmp(&a.prefix, &b.prefix))
    });
    list
}

/// `local → remote STATE` of the socket behind `fd`, when it is a TCP socket.
fn tcp_of(sample: &Sample, fd: u64) -> Option<String> {
    sample
        .fds
        .tcp
        .iter()
        .flat_map(|t| &t.sockets)
        .find(|s| s.fd == fd)
        .map(|s| format!("{} → {} {}", s.local, s.remote, s.state))
}

/// The descriptor at `position` of the FDs table.
pub fn fd_at(state: &AppState, position: usize) -> Option<FdRow> {
    let sample = state.current.as_ref()?;
    let index = *state.ui.tables[View::Fds.index()].order.get(position)?;
    let f = sample.fds.items.get(index)?;
    Some(FdRow {
        fd: f.fd,
        kind: f.kind.clone(),
        target: f.target.clone(),
        tcp: tcp_of(sample, f.fd),
    })
}

/// Every row of the FDs table, in order.
pub fn fds(state: &AppState) -> Vec<FdRow> {
    let len = state.ui.tables[View::Fds.index()].order.len();
    (0..len).filter_map(|i| fd_at(state, i)).collect()
}

fn fd_order(sample: &Sample, table: &TableUi, from: Vec<usize>) -> Vec<usize> {
    let items = &sample.fds.items;
    let tcp: BTreeMap<u64, String> = sample
        .fds
        .tcp
        .iter()
        .flat_map(|t| &t.sockets)
        .map(|s| (s.fd, format!("{} → {} {}", s.local, s.remote, s.state)))
        .collect();
    let filter = table.matcher();
    let mut order: Vec<usize> = from
        .into_iter()
        .filter(|&i| {
            items.get(i).is_some_and(|f| {
                let endpoints = tcp.get(&f.fd).map_or("", String::as_str);
                filter.accepts(Some(f.fd), &[&f.kind, &f.target, endpoints])
            })
        })
        .collect();
    match table.sort {
        0 => order.sort_by_key(|&i| items[i].fd),
        1 => order.sort_by(|&a, &b| {
            items[a]
                .kind
                .cmp(&items[b].kind)
                .then(items[a].fd.cmp(&items[b].fd))
        }),
        _ => order.sort_by(|&a, &b| {
            natural_cmp(&items[a].target, &items[b].target).then(items[a].fd.cmp(&items[b].fd))
        }),
    }
    order
}

/// The mapping at `position` of the Memory table.
pub fn map_at(state: &AppState, position: usize) -> Option<MapRow> {
    let sample = state.current.as_ref()?;
    let index = *state.ui.tables[View::Memory.index()].order.get(position)?;
    let m = sample.memory.maps.get(index)?;
    Some(MapRow {
        size: m.end.saturating_sub(m.start),
        pages_past_eof: past_eof(sample, m),
        mapping: m.clone(),
    })
}

/// Every row of the Memory table, in order.
pub fn maps(state: &AppState) -> Vec<MapRow> {
    let len = state.ui.tables[View::Memory.index()].order.len();
    (0..len).filter_map(|i| map_at(state, i)).collect()
}

fn map_order(sample: &Sample, table: &TableUi, from: Vec<usize>) -> Vec<usize> {
    let maps = &sample.memory.maps;
    let filter = table.matcher();
    let mut order: Vec<usize> = from
        .into_iter()
        .filter(|&i| {
            // The table lists what the map count counts: one definition on every screen.
            maps.get(i).filter(|m| m.counts_as_vma()).is_some_and(|m| {
                let flags = map_flags(m, past_eof(sample, m));
                filter.accepts(None, &[&m.path, &m.perms, &flags])
            })
        })
        .collect();
    let size = |i: usize| maps[i].end.saturating_sub(maps[i].start);
    match table.sort {
        0 => order.sort_by_key(|&i| (Reverse(size(i)), maps[i].start)),
        1 => order.sort_by_key(|&i| maps[i].start),
        _ => order.sort_by(|&a, &b| {
            natural_cmp(&maps[a].path, &maps[b].path).then(maps[a].start.cmp(&maps[b].start))
        }),
    }
    order
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

/// Every standard signal, plus real-time ones that appear in any set, interesting ones
/// first (the Signals table's source; at most 64 rows).
fn signal_list(state: &AppState) -> Vec<SignalRow> {
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

/// The Signals table's rows, filtered, in order.
pub fn signals(state: &AppState) -> Vec<SignalRow> {
    let list = signal_list(state);
    state.ui.tables[View::Signals.index()]
        .order
        .iter()
        .filter_map(|&i| list.get(i).cloned())
        .collect()
}

/// Findings filtered for the Findings view (already sorted by severity).
pub fn findings(state: &AppState) -> Vec<&crate::rules::Finding> {
    state.ui.tables[View::Findings.index()]
        .order
        .iter()
        .filter_map(|&i| state.findings.get(i))
        .collect()
}

/// Number of selectable rows in the current view.
pub fn row_count(state: &AppState) -> usize {
    match state.ui.view {
        View::Overview | View::Stacks => 0,
        View::Threads if state.ui.thread_detail.is_some() => 0,
        view => state.ui.tables[view.index()].order.len(),
    }
}

/// The key of the row at `position` of `view`'s table.
pub fn key_at(state: &AppState, view: View, position: usize) -> Option<RowKey> {
    let index = *state.ui.tables[view.index()].order.get(position)?;
    let sample = state.current.as_ref();
    match view {
        View::Threads if state.ui.group_threads => state
            .thread_groups
            .get(index)
            .map(|g| RowKey::Text(g.prefix.clone())),
        View::Threads => sample?
            .threads
            .items
            .get(index)
            .and_then(|t| u64::try_from(t.tid).ok())
            .map(RowKey::Number),
        View::Fds => sample?.fds.items.get(index).map(|f| RowKey::Number(f.fd)),
        View::Memory => sample?
            .memory
            .maps
            .get(index)
            .map(|m| RowKey::Number(m.start)),
        View::Signals => signal_list(state)
            .get(index)
            .map(|r| RowKey::Number(u64::from(r.number))),
        View::Findings => state
            .findings
            .get(index)
            .map(|f| RowKey::Text(f.rule.clone())),
        View::Family => state
            .family
            .members
            .get(index)
            .and_then(|m| u64::try_from(m.pid).ok())
            .map(RowKey::Number),
        View::Overview | View::Stacks => None,
    }
}

/// Re-derives `view`'s row order from the current data, sort and filter (narrowing the
/// previous order when only the filter grew), then puts the cursor back on its key.
pub fn refresh(state: &mut AppState, view: View) {
    let slot = view.index();
    let table = &state.ui.tables[slot].clone();
    let derivation = Derivation {
        generation: state.current.as_ref().map_or(0, |s| s.taken_at_ms),
        sort: table.sort,
        filter: table.filter.clone(),
        grouped: view == View::Threads && state.ui.group_threads,
    };
    let unchanged = table.derived_from.as_ref() == Some(&derivation);
    if unchanged && matches!(view, View::Threads | View::Fds | View::Memory) {
        return;
    }
    let narrows = table.derived_from.as_ref().is_some_and(|was| {
        was.generation == derivation.generation
            && was.sort == derivation.sort
            && was.grouped == derivation.grouped
            && Filter::parse(&was.filter).narrows_to(&table.matcher())
    });
    let order = match (view, state.current.as_ref()) {
        (View::Threads, Some(sample)) if derivation.grouped => {
            state.thread_groups = fold_groups(state, sample, &table.matcher());
            (0..state.thread_groups.len()).collect()
        }
        (View::Threads, Some(sample)) => {
            let from = source(narrows, table, sample.threads.items.len());
            thread_order(state, sample, table, from)
        }
        (View::Fds, Some(sample)) => fd_order(
            sample,
            table,
            source(narrows, table, sample.fds.items.len()),
        ),
        (View::Memory, Some(sample)) => map_order(
            sample,
            table,
            source(narrows, table, sample.memory.maps.len()),
        ),
        (View::Signals, Some(_)) => {
            let filter = table.matcher();
            signal_list(state)
                .iter()
                .enumerate()
                .filter(|(_, r)| filter.accepts(Some(u64::from(r.number)), &[&r.name]))
                .map(|(i, _)| i)
                .collect()
        }
        (View::Family, _) => super::family::order(state, table),
        (View::Findings, _) => {
            let filter = table.matcher();
            state
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| filter.accepts(None, &[&f.rule, &f.message]))
                .map(|(i, _)| i)
                .collect()
        }
        _ => Vec::new(),
    };
    let filter_changed = table
        .derived_from
        .as_ref()
        .is_some_and(|was| was.filter != derivation.filter);
    let table = &mut state.ui.tables[slot];
    table.order = order;
    table.derived_from = Some(derivation);
    let keys: Vec<Option<RowKey>> = if view == View::Signals {
        // One derivation of the signal list, not one per row.
        let list = signal_list(state);
        let order = &state.ui.tables[slot].order;
        order
            .iter()
            .map(|&i| list.get(i).map(|r| RowKey::Number(u64::from(r.number))))
            .collect()
    } else {
        (0..state.ui.tables[slot].order.len())
            .map(|i| key_at(state, view, i))
            .collect()
    };
    let table = &mut state.ui.tables[slot];
    let found = table.follow(|i| keys.get(i).cloned().flatten());
    // A filter that hides the cursor's row starts from the top of what it shows.
    if !found && filter_changed {
        table.select(0, |i| keys.get(i).cloned().flatten());
    }
}

/// The rows to filter: the previous result when the filter only narrowed, else all.
fn source(narrows: bool, table: &TableUi, len: usize) -> Vec<usize> {
    if narrows {
        table.order.clone()
    } else {
        (0..len).collect()
    }
}

/// At most how many lines the current view's detail pane has (its fields, evidence and
/// stack frames, each wrapped at most a few times), so scrolling stops near its end.
pub fn detail_line_bound(state: &AppState) -> usize {
    const WRAPS: usize = 3;
    match (state.ui.view, state.ui.thread_detail) {
        (View::Threads, Some(tid)) => {
            let frames = state
                .stacks
                .last
                .get(&tid)
                .map_or(1, |(s, _)| s.frames.len() + 1);
            9 * WRAPS + frames
        }
        (View::Family, _) => {
            let shared = state.family.family.as_ref().map_or(0, |f| f.shared.len());
            (shared + 6) * WRAPS
        }
        (View::Findings, _) => {
            let position = state.ui.tables[View::Findings.index()].selected;
            findings(state)
                .get(position)
                .map_or(0, |f| (f.evidence.len() + 4) * WRAPS)
        }
        _ => 0,
    }
}

/// Moves the cursor of the current view's table to `position` (clamped), onto that row's key.
pub fn select(state: &mut AppState, position: usize) {
    let view = state.ui.view;
    let clamped = position.min(row_count(state).saturating_sub(1));
    let key = key_at(state, view, clamped);
    state.ui.tables[view.index()].select(clamped, |_| key.clone());
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
