//! `pending-signals`: a signal pending for long without being taken.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;

pub struct PendingSignals;

static DOC: RuleDoc = RuleDoc {
    id: "pending-signals",
    title: "Signals stuck pending",
    meaning: "A signal has been pending (sent, not yet delivered) for a long time: every thread \
              blocks it, or the process is stopped or stuck in the kernel. A SIGTERM stuck this way \
              is a shutdown that never happens; stuck real-time signals mean lost timers or \
              notifications.",
    threshold: "the same signal pending (ShdPnd, or SigPnd of any thread) without interruption \
                for warn_secs.",
    action: "See which threads block it (the thread census); a thread must unblock it or wait \
             for it (sigwaitinfo, signalfd).",
    kind: Kind::Fact,
};

impl Rule for PendingSignals {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![Threshold::new(
            "pending_signals.warn_secs",
            config.pending_signals.warn_secs,
        )]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let now = ctx.now_ms();
        let limit_ms = ctx.config.pending_signals.warn_secs * 1000;
        let stuck: Vec<(&String, u64)> = ctx
            .history
            .pending_since()
            .iter()
            .map(|(name, &since)| (name, now.saturating_sub(since)))
            .filter(|&(_, age)| age >= limit_ms)
            .collect();
        let (name, age) = *stuck.iter().max_by_key(|(_, age)| *age)?;
        Some(
            Finding::new(
                &DOC,
                Severity::Warn,
                format!(
                    "{name} has been pending for {:.0}s and is not being taken",
                    age as f64 / 1000.0
                ),
            )
            .with_evidence(
                stuck
                    .iter()
                    .map(|(n, a)| format!("{n} pending for {:.0}s", *a as f64 / 1000.0))
                    .collect(),
            ),
        )
    }
}
