//! `sigterm`: SIGTERM ignored or blocked everywhere, so a graceful stop cannot happen, judged
//! in the light of who stops the process: a worker of a supervising master that runs the same
//! program (postgres auxiliaries, nginx workers) is stopped by that master with its own signal;
//! a systemd service is stopped with SIGTERM, then SIGKILL.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};
use crate::sample::Sample;

pub struct Sigterm;

static DOC: RuleDoc = RuleDoc {
    id: "sigterm",
    title: "SIGTERM ignored or blocked (no graceful stop)",
    meaning: "systemd, Kubernetes and docker stop a process with SIGTERM, then SIGKILL after a \
              grace period. If SIGTERM is ignored, or blocked on every thread, the process never \
              learns it should stop: it is killed mid-write, losing data or leaving state corrupt. \
              A worker whose parent runs the same program (a postgres checkpointer under its \
              postmaster, an nginx worker under its master) often ignores SIGTERM by design: \
              the parent stops it with its own signal, so that is said, not warned.",
    threshold: "SIGTERM in SigIgn, or in SigBlk of every thread of the newest census (of the main \
                thread when there is no census): warn, saying what `systemctl stop` will do \
                (by KillMode) in a systemd service; info when the parent runs the same \
                executable.",
    action: "Handle SIGTERM (drain, flush, exit), or unblock it in at least one thread that waits \
             for it (sigwait/signalfd). For a supervised worker, stop its parent instead.",
    kind: Kind::Static,
};

impl Rule for Sigterm {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let has = |list: &[String]| list.iter().any(|s| s == "SIGTERM");
        let (posture, mut evidence) = if has(&sample.signals.ignored) {
            ("ignored", vec!["SIGTERM in SigIgn".to_string()])
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
                "blocked on every thread",
                vec![format!(
                    "SIGTERM in SigBlk of all {} thread(s) read",
                    threads.len().max(1)
                )],
            )
        };
        let parent = sample.identity.parent.as_ref();
        if let Some(parent) = parent {
            evidence.push(format!(
                "parent: {} (pid {}), {}",
                parent.comm,
                parent.pid,
                parent.exe.as_deref().unwrap_or("executable unknown")
            ));
        }
        if let Some(parent) = parent.filter(|_| supervised(sample)) {
            return Some(
                Finding::new(
                    &DOC,
                    Severity::Info,
                    format!(
                        "SIGTERM is {posture}: a worker of its supervising parent {} (pid {}), \
                         which stops it with its own signal when it shuts down; a SIGTERM sent \
                         to this process alone does nothing: stop the parent",
                        parent.comm, parent.pid
                    ),
                )
                .with_evidence(evidence),
            );
        }
        // A known parent other than systemd: a process of the unit, not its main one.
        let helper = parent.is_some_and(|p| p.comm != "systemd");
        let message = match service_unit(sample) {
            Some(unit) if !helper => {
                evidence.push(format!("in systemd unit {unit}"));
                format!(
                    "SIGTERM is {posture}: `systemctl stop {unit}` sends SIGTERM, nothing \
                     happens, and after TimeoutStopSec (90 s by default) systemd SIGKILLs it"
                )
            }
            Some(unit) => {
                evidence.push(format!(
                    "a process of systemd unit {unit}, not its main one"
                ));
                format!(
                    "SIGTERM is {posture}: `systemctl stop {unit}` SIGTERMs it with \
                     KillMode=control-group (the default) to no effect, then SIGKILLs it after \
                     TimeoutStopSec; with KillMode=mixed it is SIGKILLed once the main process \
                     is gone"
                )
            }
            None if posture == "ignored" => "SIGTERM is ignored: `systemctl stop`/`docker stop` \
                 cannot stop it gracefully, it will be SIGKILLed"
                .to_string(),
            None => {
                "SIGTERM is blocked on every thread: a stop request stays pending until SIGKILL"
                    .to_string()
            }
        };
        Some(Finding::new(&DOC, Severity::Warn, message).with_evidence(evidence))
    }
}

/// Whether the parent runs the same program (a pre-forking master and its worker): compared by
/// executable, or by comm when either executable is unreadable. Never for PID 1 (an init, or a
/// container's entry point, is not a master of the same program).
fn supervised(sample: &Sample) -> bool {
    let Some(parent) = &sample.identity.parent else {
        return false;
    };
    if parent.pid <= 1 {
        return false;
    }
    match (&parent.exe, &sample.identity.exe) {
        (Some(parent_exe), Some(own)) => parent_exe == own,
        _ => parent.comm == sample.identity.comm,
    }
}

/// The systemd service whose cgroup holds the process (`…/name.service`).
fn service_unit(sample: &Sample) -> Option<&str> {
    let path = &sample.memory.cgroup.as_ref()?.path;
    path.rsplit('/').find(|part| part.ends_with(".service"))
}
