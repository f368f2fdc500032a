//! `sigpipe`: SIGPIPE at its default action in a process that has sockets.

use super::{Context, Finding, Kind, Rule, RuleDoc, Severity};

pub struct Sigpipe;

static DOC: RuleDoc = RuleDoc {
    id: "sigpipe",
    title: "SIGPIPE kills on a closed connection",
    meaning: "SIGPIPE is neither ignored nor caught, and the process has sockets or pipes. The \
              first write to a connection the peer has reset kills the whole process (exit \
              status 141) instead of returning EPIPE.",
    threshold: "SIGPIPE not in SigIgn nor SigCgt, not blocked on every thread, and at least one \
                socket open (fd census or TCP table).",
    action: "Ignore SIGPIPE at start (signal(SIGPIPE, SIG_IGN)) or send with MSG_NOSIGNAL and \
             handle EPIPE.",
    kind: Kind::Static,
};

impl Rule for Sigpipe {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let has = |list: &[String]| list.iter().any(|s| s == "SIGPIPE");
        if has(&sample.signals.ignored) || has(&sample.signals.caught) {
            return None;
        }
        let threads = &sample.threads.items;
        if !threads.is_empty() && threads.iter().all(|t| has(&t.blocked_signals)) {
            return None;
        }
        let sockets = sample.fds.by_kind.get("socket").copied().unwrap_or(0).max(
            sample
                .fds
                .tcp
                .as_ref()
                .map_or(0, |t| t.sockets.len() as u64),
        );
        if sockets == 0 {
            return None;
        }
        Some(
            Finding::new(
                &DOC,
                Severity::Warn,
                format!("SIGPIPE is at its default action with {sockets} socket(s) open: a write to a reset connection kills the process"),
            )
            .with_evidence(vec![
                "SIGPIPE neither in SigIgn nor in SigCgt".to_string(),
                format!("{sockets} socket(s)"),
            ]),
        )
    }
}
