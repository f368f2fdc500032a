//! `map-count`: memory mappings against vm.max_map_count, level and trend.

use super::forecast::{self, forecast};
use super::{limits, Context, Finding, Kind, Rule, RuleDoc, Threshold};
use crate::config::Config;
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
                (ETA as for every forecast).",
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
        let growth = forecast(ctx, Metric::MapCount, max as f64, c.min_level);
        let mut evidence = vec![format!("{count} mappings, vm.max_map_count {max}")];
        let (severity, eta) = match (level, growth) {
            (None, None) => return None,
            (Some(l), None) => (l, None),
            (l, Some(f)) => {
                evidence.push(forecast::evidence(Metric::MapCount, &f));
                (
                    l.map_or(f.severity, |l| l.max(f.severity)),
                    Some(f.eta_secs),
                )
            }
        };
        let message = match (eta, growth) {
            (Some(eta), Some(f)) => format!(
                "{count} of {max} memory mappings ({pct:.0}%), {}: mmap fails with ENOMEM in {}",
                forecast::rate(f.trend.slope_per_sec),
                forecast::eta(eta)
            ),
            _ => format!(
                "{count} of {max} memory mappings ({pct:.0}%): mmap and thread creation fail with ENOMEM at the limit"
            ),
        };
        Some(
            Finding::new(&DOC, severity, message)
                .with_eta(eta)
                .with_evidence(evidence),
        )
    }
}
