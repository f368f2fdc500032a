//! `map-count`: memory mappings against vm.max_map_count, level and trend.

use super::forecast::{self, Verdict};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Severity, Threshold};
use crate::config::Config;
use crate::headroom::ResourceKind;
use crate::history::Metric;

pub struct MapCount;

static DOC: RuleDoc = RuleDoc {
    id: "map-count",
    title: "Memory mappings close to vm.max_map_count",
    meaning: "Past vm.max_map_count, mmap, mprotect and thread creation fail with ENOMEM: malloc \
              fails, the JVM reports 'Map failed' or cannot create threads, Elasticsearch and \
              Kafka crash.",
    threshold: "mappings reach warn_percent / crit_percent of vm.max_map_count (clears \
                clear_margin_percent lower), or rise significantly from min_level toward it \
                (graded as every forecast; info once the recent window stops growing).",
    action: "Raise vm.max_map_count (Elasticsearch asks for 262144), or find what maps so much: \
             many small mmaps, a thread leak (stacks), mprotect-heavy allocators.",
    kind: Kind::Forecast,
};

impl Rule for MapCount {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.map_count;
        vec![
            Threshold::new("map_count.warn_percent", c.warn_percent),
            Threshold::new("map_count.crit_percent", c.crit_percent),
            Threshold::new("map_count.clear_margin_percent", c.clear_margin_percent),
            Threshold::new("map_count.min_level", c.min_level),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let count = sample.memory.map_count?;
        let max = sample.memory.max_map_count?;
        let c = &ctx.config.map_count;
        let pct = limits::percent(count as f64, max as f64);
        let level = limits::level(
            pct,
            c.warn_percent,
            c.crit_percent,
            c.clear_margin_percent,
            ctx.active(),
        );
        let resource = ctx.resource(ResourceKind::Maps)?;
        let verdict = forecast::verdict(ctx, &resource.outlook, max as f64);
        let mut evidence = vec![format!("{count} mappings, vm.max_map_count {max}")];
        let at_limit = format!(
            "{count} of {max} memory mappings ({pct:.0}%): mmap and thread creation fail with ENOMEM at the limit"
        );
        let finding = match (level, verdict) {
            (None, None) => return None,
            (Some(l), None) => Finding::new(&DOC, l, at_limit),
            (l, Some(Verdict::Rising(f))) => {
                evidence.push(forecast::evidence(Metric::MapCount, &f));
                Finding::new(
                    &DOC,
                    l.map_or(f.severity, |l| l.max(f.severity)),
                    format!(
                        "{count} of {max} memory mappings ({pct:.0}%), {}: mmap fails with ENOMEM {}",
                        forecast::rate(f.trend.slope_per_sec),
                        forecast::when(&f)
                    ),
                )
                .with_eta(Some(f.eta_secs))
            }
            (l, Some(Verdict::Stopped(stop))) => {
                evidence.push(forecast::stopped_evidence(Metric::MapCount, &stop));
                match l {
                    Some(l) => Finding::new(&DOC, l, at_limit),
                    None => Finding::new(
                        &DOC,
                        Severity::Info,
                        format!(
                            "{count} of {max} memory mappings ({pct:.0}%): {}",
                            forecast::stopped(ctx, &stop, false)
                        ),
                    ),
                }
            }
        };
        Some(finding.with_evidence(evidence))
    }
}
