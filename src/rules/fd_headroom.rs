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
    threshold: "open fds numbered below the soft limit reach warn_percent / crit_percent of \
                it (clears clear_margin_percent lower). Descriptors above a limit lowered after \
                they were opened are shown but not counted: new ones are always numbered below.",
    action: "Find what is held (`ls -l /proc/PID/fd`, the fd census in the report); close leaks, \
             or raise the limit (LimitNOFILE= in the unit, `prlimit --nofile`).",
    kind: Kind::Level,
};

impl Rule for FdHeadroom {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        limits::headroom_thresholds(
            &config.fd_headroom,
            [
                "fd_headroom.warn_percent",
                "fd_headroom.crit_percent",
                "fd_headroom.clear_margin_percent",
            ],
        )
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let open = sample.fds.open?;
        let soft = sample.fds.soft_limit?;
        let c = &ctx.config.fd_headroom;
        // New descriptors take the lowest free number below the soft limit, so only those
        // count; an fd opened before the limit was lowered can sit above it.
        let above = limits::fds_above_limit(sample);
        let used = open.saturating_sub(above.len() as u64);
        let pct = limits::percent(used as f64, soft as f64);
        let severity = limits::headroom_level(pct, c, ctx.active())?;
        let mut evidence = vec![format!("open fds {open}, soft RLIMIT_NOFILE {soft}")];
        if !above.is_empty() {
            evidence.push(format!(
                "{} fd(s) numbered at or above the limit (opened before it was lowered): {:?}",
                above.len(),
                above
            ));
        }
        for (kind, count) in &sample.fds.by_kind {
            evidence.push(format!("{kind}: {count}"));
        }
        Some(
            Finding::new(
                &DOC,
                severity,
                format!(
                    "{used} of {soft} file descriptors in use ({pct:.0}%): {} left before EMFILE",
                    soft.saturating_sub(used)
                ),
            )
            .with_evidence(evidence),
        )
    }
}
