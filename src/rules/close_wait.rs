//! `close-wait`: sockets the peer closed but this process never did.

use super::forecast::{self, forecast};
use super::{Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::history::Metric;

pub struct CloseWait;

static DOC: RuleDoc = RuleDoc {
    id: "close-wait",
    title: "Connections left in CLOSE_WAIT",
    meaning: "The peer closed these TCP connections and this process has not called close(): \
              a connection leak. Each one holds a descriptor, so a rising count ends in EMFILE.",
    threshold: "at least warn_count sockets in CLOSE_WAIT, or a significant rise from min_level \
                sockets; the ETA is when the rise would use up the fds left under the soft \
                RLIMIT_NOFILE.",
    action: "Find the code path that stops reading a connection without closing it (error \
             paths, abandoned responses, pools that never evict dead connections).",
    kind: Kind::Forecast,
};

impl Rule for CloseWait {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        vec![
            Threshold::new("close_wait.warn_count", config.close_wait.warn_count),
            Threshold::new("close_wait.min_level", config.close_wait.min_level),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let count = sample.fds.tcp.as_ref()?.close_wait;
        let c = &ctx.config.close_wait;
        let fds_left = match (sample.fds.open, sample.fds.soft_limit) {
            (Some(open), Some(soft)) => Some(soft.saturating_sub(open)),
            _ => None,
        };
        let limit = fds_left.map_or(f64::INFINITY, |left| count.saturating_add(left) as f64);
        let growth = forecast(ctx, Metric::CloseWait, limit, c.min_level);
        let mut evidence = vec![format!("{count} TCP sockets in CLOSE_WAIT")];
        if let Some(tcp) = &sample.fds.tcp {
            let mut remotes: Vec<&str> = tcp
                .sockets
                .iter()
                .filter(|s| s.state == "CLOSE_WAIT")
                .map(|s| s.remote.as_str())
                .collect();
            remotes.sort_unstable();
            remotes.dedup();
            remotes.truncate(5);
            if !remotes.is_empty() {
                evidence.push(format!("peers: {}", remotes.join(", ")));
            }
        }
        match growth {
            Some(f) => {
                evidence.push(forecast::evidence(Metric::CloseWait, &f));
                Some(
                    Finding::new(
                        &DOC,
                        f.severity,
                        format!(
                            "{count} connections in CLOSE_WAIT, {}: the fds run out {}",
                            forecast::rate(f.trend.slope_per_sec),
                            forecast::when(&f)
                        ),
                    )
                    .with_eta(Some(f.eta_secs))
                    .with_evidence(evidence),
                )
            }
            None if count >= c.warn_count => Some(
                Finding::new(
                    &DOC,
                    Severity::Warn,
                    format!("{count} connections in CLOSE_WAIT: the peer closed them, this process never did"),
                )
                .with_evidence(evidence),
            ),
            None => None,
        }
    }
}
