//! `memory-growth`: memory rising toward the cgroup limit, RLIMIT_AS or the host's free memory.

use super::forecast::{self, Verdict};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::format;
use crate::headroom::ResourceKind;
use crate::history::Metric;

pub struct MemoryGrowth;

static DOC: RuleDoc = RuleDoc {
    id: "memory-growth",
    title: "Memory growing toward a limit",
    meaning: "Memory keeps rising toward the first limit it will hit: the cgroup memory.max (the \
              OOM killer kills inside the cgroup, exit 137), RLIMIT_AS via the virtual size \
              (malloc/mmap fail with ENOMEM: 'cannot allocate memory', Go 'out of memory'), or, \
              without a cgroup limit, the host's available memory (global OOM killer). For Go and JVM targets the floor \
              after each GC is fitted, not the sawtooth.",
    threshold: "usage at warn_percent / crit_percent of the cgroup limit or RLIMIT_AS (clears \
                clear_margin_percent lower), or a significant rise from min_level_bytes toward \
                one of them, graded as every forecast (provisional, confirmed; see above); \
                info once the recent window stops growing.",
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
    verdict: Option<Verdict>,
}

impl Candidate {
    fn severity(&self) -> Option<Severity> {
        let trend = match self.verdict {
            Some(Verdict::Rising(f)) => Some(f.severity),
            Some(Verdict::Stopped(_)) => Some(Severity::Info),
            None => None,
        };
        self.level.max(trend)
    }

    fn eta(&self) -> f64 {
        match self.verdict {
            Some(Verdict::Rising(f)) => f.eta_secs,
            _ => f64::INFINITY,
        }
    }
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
        let c = &ctx.config.memory_growth;
        let mut candidates = Vec::new();
        for kind in [ResourceKind::Memory, ResourceKind::AddressSpace] {
            let Some(resource) = ctx.resource(kind) else {
                continue;
            };
            let (Some(used), Some(limit)) = (resource.usage, resource.binding.as_ref()) else {
                continue;
            };
            let (what, outcome, judged_by_level) = match (kind, resource.metric) {
                (ResourceKind::AddressSpace, _) => (
                    "RLIMIT_AS (address space)",
                    "allocations fail with ENOMEM",
                    true,
                ),
                (_, Metric::CgroupMemoryBytes) => (
                    "the cgroup memory limit",
                    "the OOM killer strikes in the cgroup",
                    true,
                ),
                _ => (
                    "the host's available memory",
                    "the host runs out of memory",
                    false,
                ),
            };
            let level = judged_by_level
                .then(|| {
                    limits::level(
                        limits::percent(used, limit.value),
                        c.warn_percent,
                        c.crit_percent,
                        c.clear_margin_percent,
                        ctx.active(),
                    )
                })
                .flatten();
            candidates.push(Candidate {
                what,
                outcome,
                metric: resource.metric,
                used: used as u64,
                limit: limit.value as u64,
                level,
                verdict: forecast::verdict(ctx, &resource.outlook, limit.value),
            });
        }
        let worst = candidates
            .iter()
            .filter(|c| c.severity().is_some())
            .max_by(|a, b| {
                a.severity()
                    .cmp(&b.severity())
                    .then_with(|| b.eta().total_cmp(&a.eta()))
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
        let level_message = || {
            format!(
                "memory {} is {:.0}% of {} ({})",
                format::bytes(worst.used),
                limits::percent(worst.used as f64, worst.limit as f64),
                worst.what,
                format::bytes(worst.limit)
            )
        };
        let (message, eta) = match worst.verdict {
            Some(Verdict::Rising(f)) => {
                evidence.push(forecast::evidence(worst.metric, &f));
                (
                    format!(
                        "memory {} of {} ({}), {}: {} {}",
                        format::bytes(worst.used),
                        format::bytes(worst.limit),
                        worst.what,
                        forecast::byte_rate(f.trend.slope_per_sec),
                        worst.outcome,
                        forecast::when(&f)
                    ),
                    Some(f.eta_secs),
                )
            }
            Some(Verdict::Stopped(stop)) => {
                evidence.push(forecast::stopped_evidence(worst.metric, &stop));
                if worst.level.is_some() {
                    (level_message(), None)
                } else {
                    (
                        format!(
                            "memory {} of {} ({}): {}",
                            format::bytes(worst.used),
                            format::bytes(worst.limit),
                            worst.what,
                            forecast::stopped(ctx, &stop, true)
                        ),
                        None,
                    )
                }
            }
            None => (level_message(), None),
        };
        Some(
            Finding::new(&DOC, worst.severity()?, message)
                .with_eta(eta)
                .with_evidence(evidence),
        )
    }
}
