//! `fd-headroom`: open descriptors against the soft RLIMIT_NOFILE, now.

use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Threshold};
use crate::config::Config;

pub struct FdHeadroom;

static DOC: RuleDoc = RuleDoc {
    id: "fd-headroom",
    title: "File descriptors close to the limit",
    meaning: "The process holds most of the descriptors its soft RLIMIT_NOFILE allows. The next \
              open, accept, socket or pipe call past the limit fails with EMFILE: servers stop \
              accepting connections or spin on accept, log writes fail.",
    threshold: "open fds reach warn_percent / crit_percent of the soft limit (clears \
                clear_margin_percent lower); crit if the highest fd number is at or past the \
                limit (the limit was lowered under it).",
    action: "Find what is held (`ls -l /proc/PID/fd`, the fd census in the report); close leaks, \
             or raise the limit (LimitNOFILE= in the unit, `prlimit --nofile`).",
    kind: Kind::Level,
};

impl Rule for FdHeadroom {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.fd_headroom;
        vec![
            Threshold::new("fd_headroom.warn_percent", c.warn_percent),
            Threshold::new("fd_headroom.crit_percent", c.crit_percent),
            Threshold::new("fd_headroom.clear_margin_percent", c.clear_margin_percent),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let open = sample.fds.open?;
        let soft = sample.fds.soft_limit?;
        let c = &ctx.config.fd_headroom;
        let pct = limits::percent(open as f64, soft as f64);
        let mut evidence = vec![format!("open fds {open}, soft RLIMIT_NOFILE {soft}")];
        if let Some(highest) = sample.fds.highest_fd {
            evidence.push(format!("highest fd number {highest}"));
            if highest >= soft {
                return Some(
                    Finding::new(
                        &DOC,
                        super::Severity::Crit,
                        format!(
                            "fd {highest} is open but the soft fd limit is {soft}: the limit was lowered below what is in use, every new descriptor fails with EMFILE"
                        ),
                    )
                    .with_evidence(evidence),
                );
            }
        }
        let severity = limits::level(
            pct,
            c.warn_percent,
            c.crit_percent,
            c.clear_margin_percent,
            ctx.active(),
        )?;
        for (kind, count) in &sample.fds.by_kind {
            evidence.push(format!("{kind}: {count}"));
        }
        Some(
            Finding::new(
                &DOC,
                severity,
                format!(
                    "{open} of {soft} file descriptors in use ({pct:.0}%): {} left before EMFILE",
                    soft.saturating_sub(open)
                ),
            )
            .with_evidence(evidence),
        )
    }
}
