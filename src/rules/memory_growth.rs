//! `memory-growth`: memory rising toward the cgroup limit, RLIMIT_AS or the host's free memory.

use super::forecast::{self, forecast, Forecast};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::format;
use crate::history::Metric;

pub struct MemoryGrowth;

static DOC: RuleDoc = RuleDoc {
    id: "memory-growth",
    title: "Memory growing toward a limit",
    meaning: "Memory keeps rising toward the first limit it will hit: the cgroup memory.max (the \
              OOM killer kills inside the cgroup, exit 137), RLIMIT_AS via the virtual size \
              (malloc/mmap fail with ENOMEM: 'cannot allocate memory', Go 'out of memory'), or \
              the host's available memory (global OOM killer). For Go and JVM targets the floor \
              after each GC is fitted, not the sawtooth.",
    threshold: "usage at warn_percent / crit_percent of the cgroup limit or RLIMIT_AS (clears \
                clear_margin_percent lower), or a significant rise from min_level_bytes toward \
                any of the three limits with an ETA under trend.eta_warn_secs (crit under \
                trend.eta_crit_secs).",
    action: "Compare heap and RSS (runtime dump), take two heap profiles a few minutes apart, \
             check caches without a bound; meanwhile raise the limit or plan a restart before \
             the ETA.",
    kind: Kind::Forecast,
};

struct Candidate {
    what: &'static str,
    /// What happens at the limit, for the message.
    outcome: &'static str,
    metric: Metric,
    used: u64,
    limit: u64,
    level: Option<Severity>,
    forecast: Option<Forecast>,
}

impl Rule for MemoryGrowth {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.memory_growth;
        vec![
            Threshold::new("memory_growth.min_level_bytes", c.min_level_bytes),
            Threshold::new("memory_growth.warn_percent", c.warn_percent),
            Threshold::new("memory_growth.crit_percent", c.crit_percent),
            Threshold::new("memory_growth.clear_margin_percent", c.clear_margin_percent),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let c = &ctx.config.memory_growth;
        let min = c.min_level_bytes as f64;
        let level = |used: u64, limit: u64| {
            limits::level(
                limits::percent(used as f64, limit as f64),
                c.warn_percent,
                c.crit_percent,
                c.clear_margin_percent,
                ctx.active(),
            )
        };
        let mut candidates = Vec::new();
        if let Some(cg) = &sample.memory.cgroup {
            if let (Some(used), Some(limit)) = (cg.current_bytes, cg.max_bytes) {
                candidates.push(Candidate {
                    what: "the cgroup memory limit",
                    outcome: "the OOM killer strikes in the cgroup",
                    metric: Metric::CgroupMemoryBytes,
                    used,
                    limit,
                    level: level(used, limit),
                    forecast: forecast(ctx, Metric::CgroupMemoryBytes, limit as f64, min),
                });
            }
        }
        if let (Some(used), Some(limit)) = (
            sample.memory.vm_size_bytes,
            limits::rlimit_soft(sample, "as"),
        ) {
            candidates.push(Candidate {
                what: "RLIMIT_AS (address space)",
                outcome: "allocations fail with ENOMEM",
                metric: Metric::VmSizeBytes,
                used,
                limit,
                level: level(used, limit),
                forecast: forecast(ctx, Metric::VmSizeBytes, limit as f64, min),
            });
        }
        if let (Some(rss), Some(host)) = (sample.memory.rss_bytes, sample.memory.host) {
            let limit = rss + host.available_bytes;
            candidates.push(Candidate {
                what: "the host's available memory",
                outcome: "the host runs out of memory",
                metric: Metric::RssBytes,
                used: rss,
                limit,
                level: None,
                forecast: forecast(ctx, Metric::RssBytes, limit as f64, min),
            });
        }
        let severity = |c: &Candidate| c.level.max(c.forecast.map(|f| f.severity));
        let worst = candidates
            .iter()
            .filter(|c| severity(c).is_some())
            .max_by(|a, b| {
                severity(a).cmp(&severity(b)).then_with(|| {
                    let eta = |c: &Candidate| c.forecast.map_or(f64::INFINITY, |f| f.eta_secs);
                    eta(b).total_cmp(&eta(a))
                })
            })?;
        let mut evidence: Vec<String> = candidates
            .iter()
            .map(|c| {
                format!(
                    "{}: {} of {} ({:.0}%)",
                    c.what,
                    format::bytes(c.used),
                    format::bytes(c.limit),
                    limits::percent(c.used as f64, c.limit as f64)
                )
            })
            .collect();
        let message = match worst.forecast {
            Some(f) => {
                evidence.push(forecast::evidence(worst.metric, &f));
                format!(
                    "memory {} of {} ({}), {}: {} in {}",
                    format::bytes(worst.used),
                    format::bytes(worst.limit),
                    worst.what,
                    forecast::byte_rate(f.trend.slope_per_sec),
                    worst.outcome,
                    forecast::eta(f.eta_secs)
                )
            }
            None => format!(
                "memory {} is {:.0}% of {} ({})",
                format::bytes(worst.used),
                limits::percent(worst.used as f64, worst.limit as f64),
                worst.what,
                format::bytes(worst.limit)
            ),
        };
        Some(
            Finding::new(&DOC, severity(worst)?, message)
                .with_eta(worst.forecast.map(|f| f.eta_secs))
                .with_evidence(evidence),
        )
    }
}
