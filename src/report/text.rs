//! The human report: sections of aligned `label  value` lines. Colour only when asked for
//! (the caller decides: a TTY and no `NO_COLOR`); meaning never depends on colour.
//!
//! Every heading, value and table cell passes through `safe_text::line` as it is written: the
//! target names its threads, argv and files, and those must never reach the terminal raw.

use crate::format;
use crate::safe_text::line;
use crate::sample::{Limit, Sample};
use std::fmt::Write;

/// Column where values start.
const LABEL_WIDTH: usize = 22;

struct Out {
    text: String,
    color: bool,
}

impl Out {
    fn heading(&mut self, title: &str) {
        let title = line(title);
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        if self.color {
            let _ = writeln!(self.text, "\x1b[1;36m{title}\x1b[0m");
        } else {
            let _ = writeln!(self.text, "{title}");
        }
    }

    fn row(&mut self, label: &str, value: impl AsRef<str>) {
        let _ = writeln!(self.text, "  {}{}", label_cell(label), line(value.as_ref()));
    }

    /// A row that flags a danger: marked with `!` so it reads without colour too.
    fn alert(&mut self, label: &str, value: impl AsRef<str>) {
        let value = line(value.as_ref());
        if self.color {
            let _ = writeln!(self.text, "! {}\x1b[1;33m{value}\x1b[0m", label_cell(label));
        } else {
            let _ = writeln!(self.text, "! {}{value}", label_cell(label));
        }
    }
}

/// The label padded to the value column, and always at least one space before the value: a
/// label as long as the column (`  anon_inode:eventpoll`) must not glue onto its count.
fn label_cell(label: &str) -> String {
    let width = label.chars().count();
    format!(
        "{label}{}",
        " ".repeat(LABEL_WIDTH.saturating_sub(width).max(1))
    )
}

/// `n/a` plus the recorded reason when a field is missing; never a made-up zero.
fn missing(sample: &Sample, field: &str) -> String {
    format::not_available(sample.unavailable_reason(field))
}

fn opt<T: ToString>(sample: &Sample, field: &str, value: Option<T>) -> String {
    value.map_or_else(|| missing(sample, field), |v| v.to_string())
}

fn bytes(sample: &Sample, field: &str, value: Option<u64>) -> String {
    value.map_or_else(|| missing(sample, field), format::bytes)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(" ")
    }
}

/// The `Goroutines` section of a watched Go target: the newest count from its pprof endpoint;
/// empty for other targets.
pub fn goroutines(reading: Option<&crate::runtimes::go::GoroutineCount>, color: bool) -> String {
    let Some(reading) = reading else {
        return String::new();
    };
    let mut out = Out {
        text: String::new(),
        color,
    };
    out.heading("Goroutines");
    out.row(
        "count",
        reading.count.map_or_else(
            || "n/a (the reason is under Unavailable: goroutines)".to_string(),
            |n| n.to_string(),
        ),
    );
    out.row(
        "pprof endpoint",
        reading.endpoint.as_deref().unwrap_or("none found"),
    );
    if let Some(source) = &reading.source {
        let how = if source == "index" {
            "the index page (runtime.NumGoroutine(), no stack rendered)"
        } else {
            "goroutine?debug=1 (no index page: every stack is rendered)"
        };
        out.row("read from", how);
    }
    if let (Some(every), Some(took)) = (reading.every_ms, reading.took_ms) {
        out.row(
            "backed off",
            format!(
                "read every {:.0}s, not every tick: a reading takes {took} ms (budget 0.5% of a core)",
                every as f64 / 1000.0
            ),
        );
    }
    format!("\n{}", out.text)
}

/// Renders the whole report.
pub fn render(sample: &Sample, color: bool) -> String {
    let mut out = Out {
        text: String::new(),
        color,
    };
    process(&mut out, sample);
    threads(&mut out, sample);
    fds(&mut out, sample);
    memory(&mut out, sample);
    security(&mut out, sample);
    limits(&mut out, sample);
    if !sample.unavailable.is_empty() {
        out.heading("Unavailable");
        for gap in &sample.unavailable {
            let _ = writeln!(out.text, "  {}: {}", line(&gap.field), line(&gap.reason));
        }
    }
    out.text
}

fn process(out: &mut Out, s: &Sample) {
    let id = &s.identity;
    out.heading(&format!("Process {} ({})", id.pid, id.comm));
    out.row(
        "command",
        if id.cmdline.is_empty() {
            missing(s, "cmdline")
        } else {
            id.cmdline.join(" ")
        },
    );
    out.row("executable", opt(s, "exe", id.exe.clone()));
    out.row("runtime", s.runtime_label());
    out.row("state", &id.state);
    out.row("parent", id.ppid.to_string());
    let user = id.user.clone().unwrap_or_else(|| "?".to_string());
    out.row(
        "user",
        format!("{user} (uid {}, euid {})", id.uid.real, id.uid.effective),
    );
    out.row("start time", format!("{} ticks after boot", id.start_time));
    if let Some(started) = id.started_at_unix {
        let age = (s.taken_at_ms as f64 / 1000.0 - started).max(0.0);
        out.row("uptime", format::duration_secs(age));
    }
    if id.tracer_pid != 0 {
        out.alert("traced by", format!("PID {}", id.tracer_pid));
    }
}

fn threads(out: &mut Out, s: &Sample) {
    let t = &s.threads;
    out.heading(&format!("Threads: {}", t.count));
    out.row(
        "cgroup pids",
        match (t.cgroup_pids_current, t.cgroup_pids_max) {
            (Some(current), max) => format!("{current} / {}", format::limit(max, "unlimited")),
            (None, _) => missing(s, "threads.cgroup_pids_current"),
        },
    );
    out.row(
        "threads-max (host)",
        opt(s, "system.threads_max", s.system.threads_max),
    );
    if let Some(limit) = s.limits.get("nproc") {
        out.row("RLIMIT_NPROC", format::limit(limit.soft, "unlimited"));
    }
    if let Some(zombies) = t.zombie_children.filter(|&z| z > 0) {
        out.alert("zombie children", zombies.to_string());
    }
    if t.items.is_empty() {
        return;
    }
    let _ = writeln!(
        out.text,
        "  {:>8} {:<16} {:<2} {:>8} {:<18} WCHAN",
        "TID", "NAME", "S", "CPU(t)", "SYSCALL"
    );
    let wchan_unknown = if s.unavailable_reason("threads.items[].wchan").is_some() {
        "n/a"
    } else {
        "-"
    };
    for thread in t.items.iter() {
        let _ = writeln!(
            out.text,
            "  {:>8} {:<16} {:<2} {:>8} {:<18} {}",
            thread.tid,
            line(&thread.name),
            line(&thread.state),
            thread.cpu_ticks,
            line(thread.syscall.as_deref().unwrap_or("n/a")),
            line(thread.wchan.as_deref().unwrap_or(wchan_unknown)),
        );
    }
}

fn fds(out: &mut Out, s: &Sample) {
    let f = &s.fds;
    out.heading("File descriptors");
    let open = opt(s, "fds.open", f.open);
    let limit = match (f.soft_limit, f.hard_limit) {
        (soft, hard) if s.limits.contains_key("nofile") => {
            format!(
                "soft {} / hard {}",
                format::limit(soft, "unlimited"),
                format::limit(hard, "unlimited")
            )
        }
        _ => missing(s, "fds.soft_limit"),
    };
    match f.open.and_then(|o| format::percent(o, f.soft_limit)) {
        Some(pct) if pct >= 80.0 => out.alert("open", format!("{open} ({pct:.0}% of soft limit)")),
        Some(pct) => out.row("open", format!("{open} ({pct:.1}% of soft limit)")),
        None => out.row("open", open),
    }
    out.row("RLIMIT_NOFILE", limit);
    out.row("highest fd", opt(s, "fds.highest_fd", f.highest_fd));
    if f.by_kind.is_empty() && f.open != Some(0) {
        out.row("by kind", missing(s, "fds.by_kind"));
    }
    for (kind, count) in &f.by_kind {
        out.row(&format!("  {}", line(kind)), count.to_string());
    }
    for deleted in &f.deleted_files {
        out.alert(
            "deleted, held open",
            format!("fd {} → {}", deleted.fd, deleted.target),
        );
    }
    if let Some(tcp) = &f.tcp {
        let states: Vec<String> = tcp
            .by_state
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.row(
            "tcp sockets",
            if states.is_empty() {
                "none".to_string()
            } else {
                states.join(", ")
            },
        );
        if tcp.close_wait > 0 {
            out.alert(
                "CLOSE_WAIT",
                format!("{} (peer closed, the target has not)", tcp.close_wait),
            );
        }
    }
    out.row(
        "host file handles",
        match (s.system.file_nr, s.system.file_max) {
            (Some(nr), Some(max)) => format!("{nr} / {max}"),
            _ => missing(s, "system.file_nr"),
        },
    );
}

fn memory(out: &mut Out, s: &Sample) {
    let m = &s.memory;
    out.heading("Memory");
    out.row("RSS", bytes(s, "memory.rss_bytes", m.rss_bytes));
    out.row(
        "  anon / file / shmem",
        format!(
            "{} / {} / {}",
            bytes(s, "memory.rss_anon_bytes", m.rss_anon_bytes),
            bytes(s, "memory.rss_file_bytes", m.rss_file_bytes),
            bytes(s, "memory.rss_shmem_bytes", m.rss_shmem_bytes)
        ),
    );
    out.row("PSS", bytes(s, "memory.pss_bytes", m.pss_bytes));
    out.row("swap", bytes(s, "memory.swap_bytes", m.swap_bytes));
    out.row(
        "virtual size",
        bytes(s, "memory.vm_size_bytes", m.vm_size_bytes),
    );
    out.row("peak RSS", bytes(s, "memory.vm_hwm_bytes", m.vm_hwm_bytes));
    if let Some(limit) = s.limits.get("as") {
        out.row(
            "RLIMIT_AS",
            limit
                .soft
                .map_or_else(|| "unlimited".to_string(), format::bytes),
        );
    }
    match &m.cgroup {
        Some(cg) => {
            out.row(&format!("cgroup ({})", cg.version), cg.path.clone());
            out.row(
                "  usage / limit",
                format!(
                    "{} / {}",
                    cg.current_bytes
                        .map_or_else(|| "n/a".to_string(), format::bytes),
                    cg.max_bytes
                        .map_or_else(|| "unlimited".to_string(), format::bytes)
                ),
            );
            let kills = cg.events.get("oom_kill").copied().unwrap_or(0);
            if kills > 0 {
                out.alert("  oom kills", kills.to_string());
            }
        }
        None => out.row("cgroup", missing(s, "memory.cgroup")),
    }
    if let Some(p) = &m.pressure {
        out.row(
            &format!("pressure ({})", p.scope),
            format!(
                "some avg10 {:.2}%, avg60 {:.2}%",
                p.some_avg10, p.some_avg60
            ),
        );
    }
    if let Some(host) = &m.host {
        out.row(
            "host available",
            format!(
                "{} of {}",
                format::bytes(host.available_bytes),
                format::bytes(host.total_bytes)
            ),
        );
    }
    out.row(
        "OOM score / adj",
        format!(
            "{} / {}",
            opt(s, "memory.oom_score", m.oom_score),
            opt(s, "memory.oom_score_adj", m.oom_score_adj)
        ),
    );
    out.row(
        "mappings",
        match (m.map_count, m.max_map_count) {
            (Some(count), Some(max)) => format!("{count} / {max} (vm.max_map_count)"),
            (Some(count), None) => format!("{count} / {}", missing(s, "memory.max_map_count")),
            (None, _) => missing(s, "memory.map_count"),
        },
    );
    if let Err(reason) = s.maps_count(0) {
        out.row("deleted / past EOF", format::not_available(Some(reason)));
    }
    for mapping in &m.deleted_mappings {
        out.alert(
            "deleted file mapped",
            format!("{} ({})", mapping.path, format::bytes(mapping.len())),
        );
    }
    for past in &m.mappings_past_eof {
        out.alert(
            "SIGBUS risk",
            format!(
                "{}: shared mapping reaches {} page(s) past the file's end (file is {})",
                past.mapping.path,
                past.pages_past_eof,
                format::bytes(past.file_size)
            ),
        );
    }
}

fn security(out: &mut Out, s: &Sample) {
    out.heading("Signals and security");
    let sig = &s.signals;
    out.row("blocked (main)", list(&sig.blocked));
    out.row("ignored", list(&sig.ignored));
    out.row("caught", list(&sig.caught));
    if sig.pending.is_empty() {
        out.row("pending", "none");
    } else {
        out.alert("pending", list(&sig.pending));
    }
    let seccomp = match (&s.seccomp.mode, s.seccomp.filters) {
        (Some(mode), Some(filters)) if mode == "filter" => format!("filter ({filters} filters)"),
        (Some(mode), _) => mode.clone(),
        (None, _) => missing(s, "seccomp.mode"),
    };
    out.row("seccomp", seccomp);
    out.row(
        "no_new_privs",
        opt(s, "seccomp.no_new_privs", s.seccomp.no_new_privs),
    );
    out.row(
        "capabilities",
        match &s.capabilities {
            Some(caps) if caps.len() >= crate::decode::capabilities::KNOWN => {
                format!("all {} (full set)", caps.len())
            }
            Some(caps) => list(caps),
            None => missing(s, "capabilities"),
        },
    );
    out.row("dumpable", opt(s, "dumpable", s.identity.dumpable));
    let core = &s.core;
    out.row(
        "RLIMIT_CORE",
        match core.rlimit_bytes {
            Some(0) => "0 (no core dumps)".to_string(),
            Some(bytes) => format::bytes(bytes),
            None if s.limits.contains_key("core") => "unlimited".to_string(),
            None => missing(s, "core.rlimit_bytes"),
        },
    );
    out.row("core_pattern", opt(s, "core.pattern", core.pattern.clone()));
}

fn limits(out: &mut Out, s: &Sample) {
    out.heading("Limits");
    let value = |v: Option<u64>| format::limit(v, "unlimited");
    let _ = writeln!(
        out.text,
        "  {:<11}{:>21} {:>21}  {:<10}DESCRIPTION",
        "RESOURCE", "SOFT", "HARD", "UNITS"
    );
    let rows: Vec<(&String, &Limit)> = s.limits.iter().collect();
    for (key, limit) in rows {
        let _ = writeln!(
            out.text,
            "  {:<11}{:>21} {:>21}  {:<10}{}",
            line(&key.to_ascii_uppercase()),
            value(limit.soft),
            value(limit.hard),
            line(&limit.unit),
            line(&limit.name)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_as_wide_as_the_column_is_still_apart_from_its_value() {
        let mut out = Out {
            text: String::new(),
            color: false,
        };
        out.row("  anon_inode:eventpoll", "1");
        out.row("open", "3");
        out.alert("  anon_inode:eventpoll", "2");
        assert_eq!(
            out.text,
            "    anon_inode:eventpoll 1\n  open                  3\n!   anon_inode:eventpoll 2\n"
        );
    }
}
