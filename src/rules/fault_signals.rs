//! `fault-signals`: SIGSEGV, SIGBUS, SIGILL or SIGFPE blocked on a thread or ignored.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};

pub struct FaultSignals;

const FAULTS: [&str; 4] = ["SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE"];

static DOC: RuleDoc = RuleDoc {
    id: "fault-signals",
    title: "Fault signals blocked or ignored",
    meaning: "For a synchronous fault the kernel unblocks and resets a blocked or ignored \
              SIGSEGV/SIGBUS/SIGILL/SIGFPE to the default action, so the handler never runs: the \
              JVM's implicit null checks and Go's nil-pointer panics become instant process death, \
              and crash reporters never see the crash.",
    threshold: "any of SIGSEGV, SIGBUS, SIGILL, SIGFPE ignored by the process or blocked by any \
                thread of the newest thread census.",
    action: "Find the code that blocks all signals in a thread (often a library's worker thread \
             started with a full sigmask) and leave the fault signals unblocked.",
    kind: Kind::Static,
};

impl Rule for FaultSignals {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let mut evidence = Vec::new();
        for signal in FAULTS {
            if sample.signals.ignored.iter().any(|s| s == signal) {
                evidence.push(format!("{signal} ignored (SigIgn)"));
            }
        }
        let threads = &sample.threads.items;
        if threads.is_empty() {
            for signal in FAULTS {
                if sample.signals.blocked.iter().any(|s| s == signal) {
                    evidence.push(format!("{signal} blocked by the main thread"));
                }
            }
        }
        for t in threads.iter() {
            let blocked: Vec<&str> = FAULTS
                .into_iter()
                .filter(|f| t.blocked_signals.iter().any(|s| s == f))
                .collect();
            if !blocked.is_empty() {
                evidence.push(format!(
                    "thread {} ({}) blocks {}",
                    t.tid,
                    t.name,
                    blocked.join(", ")
                ));
            }
        }
        let first = evidence.first()?.clone();
        Some(
            Finding::new(
                &DOC,
                Severity::Warn,
                format!("{first}: a fault there kills the process at once, its handler never runs"),
            )
            .with_evidence(evidence),
        )
    }
}
