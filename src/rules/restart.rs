//! `restart`: the watched PID now names a different process (restart or PID reuse).

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};

pub struct Restart;

static DOC: RuleDoc = RuleDoc {
    id: "restart",
    title: "The process restarted",
    meaning:
        "The PID's start time changed: the process that was watched is gone and a new one has \
              its PID (a supervisor restarted it, or the PID was reused). All trends started \
              over. A restart is often the crash this tool exists to foresee.",
    threshold: "the (pid, start time) identity changed since watching began.",
    action: "Find out why the previous process ended: `journalctl -u UNIT`, `coredumpctl`, \
             `dmesg` (OOM kills, segfaults).",
    kind: Kind::Fact,
};

impl Rule for Restart {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let reset = ctx.history.last_reset()?;
        Some(
            Finding::new(
                &DOC,
                Severity::Warn,
                format!(
                    "PID {} is a new process (start time {} → {}): the one watched before ended; trends restart",
                    reset.to.pid, reset.from.start_time, reset.to.start_time
                ),
            )
            .with_evidence(vec![format!(
                "{} restart(s) seen; newest at {} ms since the epoch",
                ctx.history.resets(),
                reset.at_ms
            )]),
        )
    }
}
