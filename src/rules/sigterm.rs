//! `sigterm`: SIGTERM ignored or blocked everywhere, so a graceful stop cannot happen.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};

pub struct Sigterm;

static DOC: RuleDoc = RuleDoc {
    id: "sigterm",
    title: "SIGTERM ignored or blocked (no graceful stop)",
    meaning: "systemd, Kubernetes and docker stop a process with SIGTERM, then SIGKILL after a \
              grace period. If SIGTERM is ignored, or blocked on every thread, the process never \
              learns it should stop: it is killed mid-write, losing data or leaving state corrupt.",
    threshold: "SIGTERM in SigIgn, or in SigBlk of every thread of the newest census (of the main \
                thread when there is no census).",
    action: "Handle SIGTERM (drain, flush, exit), or unblock it in at least one thread that waits \
             for it (sigwait/signalfd).",
    kind: Kind::Static,
};

impl Rule for Sigterm {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let has = |list: &[String]| list.iter().any(|s| s == "SIGTERM");
        let (message, evidence) = if has(&sample.signals.ignored) {
            (
                "SIGTERM is ignored: `systemctl stop`/`docker stop` cannot stop it gracefully, it will be SIGKILLed".to_string(),
                vec!["SIGTERM in SigIgn".to_string()],
            )
        } else {
            let threads = &sample.threads.items;
            let all_block = if threads.is_empty() {
                has(&sample.signals.blocked)
            } else {
                threads.iter().all(|t| has(&t.blocked_signals))
            };
            if !all_block {
                return None;
            }
            (
                "SIGTERM is blocked on every thread: a stop request stays pending until SIGKILL"
                    .to_string(),
                vec![format!(
                    "SIGTERM in SigBlk of all {} thread(s) read",
                    threads.len().max(1)
                )],
            )
        };
        Some(Finding::new(&DOC, Severity::Warn, message).with_evidence(evidence))
    }
}
