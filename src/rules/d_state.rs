//! `d-state`: threads in uninterruptible sleep for long.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;

pub struct DState;

static DOC: RuleDoc = RuleDoc {
    id: "d-state",
    title: "Threads stuck in uninterruptible sleep (D)",
    meaning: "A thread has been in D state (waiting in the kernel, not even SIGKILL interrupts it) \
              for a long time: a dead NFS server, a failing disk, a frozen FUSE daemon. The kernel's \
              hung-task detector reports such tasks after 120 s.",
    threshold: "a thread continuously in D at every thread census for warn_secs (crit at \
                crit_secs).",
    action: "Look at the thread's wchan (and /proc/PID/task/TID/stack as root) to see what it \
             waits for: storage, network filesystem, a vfork child.",
    kind: Kind::Fact,
};

impl Rule for DState {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![
            Threshold::new("d_state.warn_secs", config.d_state.warn_secs),
            Threshold::new("d_state.crit_secs", config.d_state.crit_secs),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let census_at = sample.threads.census_taken_at_ms?;
        let c = &ctx.config.d_state;
        let mut stuck: Vec<(i32, u64)> = ctx
            .history
            .d_state_since()
            .iter()
            .map(|(&tid, &since)| (tid, census_at.saturating_sub(since) / 1000))
            .filter(|&(_, secs)| secs >= c.warn_secs)
            .collect();
        stuck.sort_by_key(|&(_, secs)| std::cmp::Reverse(secs));
        let &(tid, longest) = stuck.first()?;
        let severity = if longest >= c.crit_secs {
            Severity::Crit
        } else {
            Severity::Warn
        };
        let describe = |tid: i32| {
            sample
                .threads
                .items
                .iter()
                .find(|t| t.tid == tid)
                .map_or(String::new(), |t| {
                    format!(
                        " ({}, in {})",
                        t.name,
                        t.wchan.as_deref().unwrap_or("an unknown kernel function")
                    )
                })
        };
        Some(
            Finding::new(
                &DOC,
                severity,
                format!(
                    "thread {tid}{} has been in uninterruptible sleep for {longest}s{}",
                    describe(tid),
                    if stuck.len() > 1 {
                        format!(" ({} threads in D)", stuck.len())
                    } else {
                        String::new()
                    }
                ),
            )
            .with_evidence(
                stuck
                    .iter()
                    .map(|&(tid, secs)| format!("thread {tid}{} in D for {secs}s", describe(tid)))
                    .collect(),
            ),
        )
    }
}
