//! `oom-events`: the cgroup's OOM-kill and limit-hit counters going up.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::history::Metric;

pub struct OomEvents;

static DOC: RuleDoc = RuleDoc {
    id: "oom-events",
    title: "OOM kills and memory-limit hits in the cgroup",
    meaning: "The kernel counts in memory.events how often the cgroup hit memory.max (`max`) and \
              how many tasks its OOM killer killed (`oom_kill`). A kill while watching is a fact: \
              a process in this cgroup (maybe this one's child or sibling) just died of it; limit \
              hits mean reclaim is already failing.",
    threshold: "crit when oom_kill went up in the window (the watch window, or the last \
                trend.long_window_secs); warn when max went up; info when earlier kills are on \
                record.",
    action: "Check `dmesg` for 'Memory cgroup out of memory' and which task died; raise \
             memory.max or find the growth (memory-growth).",
    kind: Kind::Fact,
};

impl Rule for OomEvents {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let cgroup = sample.memory.cgroup.as_ref()?;
        let since = ctx.fact_since_ms(ctx.config.trend.long_window_secs);
        let delta = |metric| {
            let series = ctx.history.series(metric);
            let first = series.since(since).find_map(|p| p.value)?;
            let last = series.last_value()?.1;
            Some((last - first).max(0.0) as u64)
        };
        let kills = delta(Metric::CgroupOomKills).unwrap_or(0);
        let hits = delta(Metric::CgroupMemoryMaxEvents).unwrap_or(0);
        let total_kills = cgroup.events.get("oom_kill").copied().unwrap_or(0);
        let evidence = cgroup
            .events
            .iter()
            .map(|(k, v)| format!("memory.events {k} {v} ({})", cgroup.path))
            .collect();
        let (severity, message) = if kills > 0 {
            (
                Severity::Crit,
                format!(
                    "the OOM killer killed {kills} task(s) in this process's cgroup while watching"
                ),
            )
        } else if hits > 0 {
            (
                Severity::Warn,
                format!("the cgroup hit its memory limit {hits} time(s) while watching: reclaim is struggling, an OOM kill may follow"),
            )
        } else if total_kills > 0 {
            (
                Severity::Info,
                format!("{total_kills} OOM kill(s) on record in this process's cgroup (before watching started)"),
            )
        } else {
            return None;
        };
        Some(Finding::new(&DOC, severity, message).with_evidence(evidence))
    }
}
