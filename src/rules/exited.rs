//! `exited`: the watched process ended while it was being watched.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::format;

pub struct Exited;

static DOC: RuleDoc = RuleDoc {
    id: "exited",
    title: "The process exited while watched",
    meaning: "The process disappeared (exited, was killed, became a zombie, or its PID now names \
              another process) during the watch. Unless it was stopped on purpose this is the \
              crash itself; the other findings show the state just before it.",
    threshold: "the collector found the process gone after at least one sample.",
    action: "Find out how it ended: its exit status from the supervisor (`systemctl status`, \
             `kubectl describe pod`), `coredumpctl`, `dmesg` for OOM kills and segfaults.",
    kind: Kind::Fact,
};

impl Rule for Exited {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let gone = ctx.history.gone()?;
        let first = ctx.history.first_at_ms()?;
        let watched = std::time::Duration::from_millis(gone.at_ms.saturating_sub(first));
        let mut evidence = vec![gone.reason.clone()];
        if let Some(last) = ctx.history.latest() {
            evidence.push(format!(
                "last sample {} before: state {}, {} threads, fds {}/{}, RSS {}",
                format::duration(std::time::Duration::from_millis(
                    gone.at_ms.saturating_sub(last.taken_at_ms)
                )),
                last.identity.state,
                last.threads.count,
                last.fds.open.map_or_else(
                    || format::not_available(last.unavailable_reason("fds.open")),
                    |o| o.to_string()
                ),
                format::limit(last.fds.soft_limit, "unlimited"),
                last.memory.rss_bytes.map_or_else(
                    || format::not_available(last.unavailable_reason("memory.rss_bytes")),
                    format::bytes
                )
            ));
        }
        Some(
            Finding::new(
                &DOC,
                Severity::Crit,
                format!(
                    "the process is gone: it ended {} into the watch, after {} sample(s)",
                    format::duration(watched),
                    ctx.history.samples()
                ),
            )
            .with_evidence(evidence),
        )
    }
}
