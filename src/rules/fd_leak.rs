//! `fd-leak`: a significant rise of open descriptors, forecast to the soft RLIMIT_NOFILE.

use super::forecast::{self, forecast};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Threshold};
use crate::config::Config;
use crate::history::Metric;

pub struct FdLeak;

static DOC: RuleDoc = RuleDoc {
    id: "fd-leak",
    title: "File descriptor leak",
    meaning: "Open descriptors keep rising. At this rate the soft RLIMIT_NOFILE is reached at \
              the ETA, and from then on open/accept/socket fail with EMFILE.",
    threshold: "a significant rise (Theil–Sen slope, Kendall tau >= trend.min_tau and z >= \
                trend.min_z) with at least min_level open fds; crit when the limit is nearer \
                than trend.eta_crit_secs, warn when nearer than trend.eta_warn_secs.",
    action: "See which kind grows in the fd census (sockets, pipes, files, epoll); look for a \
             missing close() on an error path, connections never closed (see close-wait), \
             children whose pipes are never closed.",
    kind: Kind::Forecast,
};

impl Rule for FdLeak {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![Threshold::new(
            "fd_leak.min_level",
            config.fd_leak.min_level,
        )]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let soft = sample.fds.soft_limit?;
        let open = sample.fds.open?;
        // EMFILE comes when every number below the limit is taken; fds above it (opened
        // before the limit was lowered) are counted in `open` too.
        let above = limits::fds_above_limit(sample).len() as u64;
        let limit = soft + above;
        let f = forecast(
            ctx,
            Metric::FdsOpen,
            limit as f64,
            ctx.config.fd_leak.min_level,
        )?;
        let mut evidence = vec![forecast::evidence(Metric::FdsOpen, &f)];
        for (kind, count) in &sample.fds.by_kind {
            evidence.push(format!("{kind}: {count}"));
        }
        Some(
            Finding::new(
                &DOC,
                f.severity,
                format!(
                    "fds {}/{soft}, {}: EMFILE in {}",
                    open.saturating_sub(above),
                    forecast::rate(f.trend.slope_per_sec),
                    forecast::eta(f.eta_secs)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(evidence),
        )
    }
}
