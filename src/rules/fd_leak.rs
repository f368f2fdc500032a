//! `fd-leak`: a significant rise of open descriptors, forecast to the soft RLIMIT_NOFILE.

use super::forecast::{self, Verdict};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::headroom::ResourceKind;
use crate::history::Metric;

pub struct FdLeak;

static DOC: RuleDoc = RuleDoc {
    id: "fd-leak",
    title: "File descriptor leak",
    meaning: "Open descriptors keep rising. At this rate the soft RLIMIT_NOFILE is reached at \
              the ETA, and from then on open/accept/socket fail with EMFILE.",
    threshold: "a significant rise (Theil–Sen slope, Kendall tau >= trend.min_tau and z >= \
                trend.min_z) with at least min_level open fds, graded as every forecast \
                (provisional, confirmed; see above); info once the recent window stops growing.",
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
        let resource = ctx.resource(ResourceKind::Fds)?;
        let limit = resource.binding.as_ref()?;
        let soft = sample.fds.soft_limit?;
        let open = sample.fds.open?;
        let above = limits::fds_above_limit(sample).len() as u64;
        let kinds = sample
            .fds
            .by_kind
            .iter()
            .map(|(kind, count)| format!("{kind}: {count}"));
        let finding = match forecast::verdict(ctx, &resource.outlook, limit.value)? {
            Verdict::Rising(f) => Finding::new(
                &DOC,
                f.severity,
                format!(
                    "fds {}/{soft}, {}: EMFILE {}",
                    open.saturating_sub(above),
                    forecast::rate(f.trend.slope_per_sec),
                    forecast::when(&f)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(
                std::iter::once(forecast::evidence(Metric::FdsOpen, &f))
                    .chain(kinds)
                    .collect(),
            ),
            Verdict::Stopped(stop) => Finding::new(
                &DOC,
                Severity::Info,
                format!(
                    "fds {}/{soft}: {}",
                    open.saturating_sub(above),
                    forecast::stopped(ctx, &stop, false)
                ),
            )
            .with_evidence(
                std::iter::once(forecast::stopped_evidence(Metric::FdsOpen, &stop))
                    .chain(kinds)
                    .collect(),
            ),
        };
        Some(finding)
    }
}
