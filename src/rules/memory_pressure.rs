//! `memory-pressure`: PSI memory stall averages.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;

pub struct MemoryPressure;

static DOC: RuleDoc = RuleDoc {
    id: "memory-pressure",
    title: "Memory pressure (PSI)",
    meaning: "Tasks are stalling on memory: reclaim, swap-in, thrashing. It precedes OOM kills, \
              and systemd-oomd kills the whole unit when 'full' pressure stays above 60% for 30 s.",
    threshold: "warn when 'some' avg10 reaches warn_some_avg10 percent; crit when 'full' avg10 \
                reaches crit_full_avg10 percent (both must persist for trend.persistence \
                evaluations).",
    action:
        "Find what fills memory (memory-growth, the cgroup's memory.stat); add memory or lower \
             the working set; check swap.",
    kind: Kind::Level,
};

impl Rule for MemoryPressure {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.memory_pressure;
        vec![
            Threshold::new("memory_pressure.warn_some_avg10", c.warn_some_avg10),
            Threshold::new("memory_pressure.crit_full_avg10", c.crit_full_avg10),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let p = ctx.history.latest()?.memory.pressure.as_ref()?;
        let c = &ctx.config.memory_pressure;
        let full = p.full_avg10.unwrap_or(0.0);
        let severity = if full >= c.crit_full_avg10 {
            Severity::Crit
        } else if p.some_avg10 >= c.warn_some_avg10 {
            Severity::Warn
        } else {
            return None;
        };
        Some(
            Finding::new(
                &DOC,
                severity,
                format!(
                    "memory pressure ({}): tasks stalled on memory {:.0}% of the last 10 s ({:.0}% with every task stalled)",
                    p.scope, p.some_avg10, full
                ),
            )
            .with_evidence(vec![
                format!("some avg10 {:.2} avg60 {:.2} avg300 {:.2}", p.some_avg10, p.some_avg60, p.some_avg300),
                format!(
                    "full avg10 {} avg60 {}",
                    p.full_avg10.map_or("-".into(), |v| format!("{v:.2}")),
                    p.full_avg60.map_or("-".into(), |v| format!("{v:.2}"))
                ),
            ]),
        )
    }
}
