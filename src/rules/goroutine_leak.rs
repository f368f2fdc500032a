//! `goroutine-leak`: a Go target's goroutine count (read from its pprof endpoint, fed into the
//! history beside the samples) rising steadily, forecast to the nearer of a configured ceiling
//! and the count at which the goroutines' stacks fill the tightest memory limit.

use super::forecast::{self, forecast};
use super::limits::{self, NamedLimit};
use super::{Context, Finding, Kind, Rule, RuleDoc, Threshold, Window};
use crate::config::Config;
use crate::format;
use crate::history::{Metric, TrendGate};
use crate::sample::Sample;

pub struct GoroutineLeak;

static DOC: RuleDoc = RuleDoc {
    id: "goroutine-leak",
    title: "Goroutine leak",
    meaning: "The goroutine count of a Go program (read every tick from its net/http/pprof \
              endpoint) keeps rising: goroutines blocked forever on a channel, a lock or a \
              connection nobody closes. Each holds at least a 2 KiB stack plus whatever it \
              references, so memory follows; the GC scans every stack, so it slows too. The \
              ETA aims at the nearer ceiling: goroutine_leak.max_goroutines (Go itself has no \
              limit), or the count at which the stacks alone fill the tightest memory limit \
              (cgroup memory.max, RLIMIT_AS, the host's available memory) at stack_bytes each, \
              or at the measured bytes per goroutine when memory rises with the count.",
    threshold: "a significant rise (Theil–Sen, Kendall gate) from at least min_level \
                goroutines, of at least min_rise goroutines over the window and at least \
                min_rate_per_min; crit when the ceiling is nearer than trend.eta_crit_secs, \
                warn when nearer than trend.eta_warn_secs. Quiet for non-Go targets and when \
                no pprof endpoint answers (the report says why in `unavailable`).",
    action: "Take a goroutine dump (`healthtop dump -p PID`, grouped by stack): the leaking \
             goroutines share one stack, and its top frames name the channel, lock or call \
             they wait on. Look for a missing cancel/close or a send nobody receives.",
    kind: Kind::Forecast,
};

impl Rule for GoroutineLeak {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn thresholds(&self, config: &Config) -> Vec<Threshold> {
        let c = &config.goroutine_leak;
        vec![
            Threshold::new("goroutine_leak.min_level", c.min_level),
            Threshold::new("goroutine_leak.min_rise", c.min_rise),
            Threshold::new("goroutine_leak.min_rate_per_min", c.min_rate_per_min),
            Threshold::new("goroutine_leak.max_goroutines", c.max_goroutines),
            Threshold::new("goroutine_leak.stack_bytes", c.stack_bytes),
        ]
    }

    fn evaluate(&self, ctx: &Context<'_>) -> Option<Finding> {
        let sample = ctx.history.latest()?;
        let (_, count) = ctx.history.series(Metric::Goroutines).last_value()?;
        let c = &ctx.config.goroutine_leak;
        let (bytes_each, measured) = bytes_per_goroutine(ctx, c.stack_bytes as f64);
        let name = format!(
            "{} goroutines (goroutine_leak.max_goroutines)",
            thousands(c.max_goroutines)
        );
        let configured = NamedLimit {
            name: name.clone(),
            value: c.max_goroutines,
            detail: name,
        };
        let memory = memory_ceiling(sample, count, bytes_each, measured);
        let mut ceilings = vec![configured];
        ceilings.extend(memory);
        let evidence_ceilings: Vec<String> = ceilings
            .iter()
            .map(|l| format!("ceiling: {}", l.name))
            .collect();
        let ceiling = limits::tightest(&ceilings)?;
        let f = forecast(ctx, Metric::Goroutines, ceiling.value, c.min_level)?;
        let rate = f.trend.slope_per_sec;
        if rate * f.window_secs < c.min_rise || rate * 60.0 < c.min_rate_per_min {
            return None;
        }
        let mut evidence = vec![forecast::evidence(Metric::Goroutines, &f)];
        evidence.extend(evidence_ceilings);
        if let Some(unread) = ctx.history.unread(Metric::Goroutines) {
            evidence.push(format!(
                "a reading failed (a gap in the series): {}",
                unread.reason
            ));
        }
        Some(
            Finding::new(
                &DOC,
                f.severity,
                format!(
                    "goroutines {} → rising {}: {} reached {}",
                    thousands(count),
                    forecast::rate(rate).trim_start_matches('+'),
                    ceiling.name,
                    forecast::when(&f)
                ),
            )
            .with_eta(Some(f.eta_secs))
            .with_evidence(evidence),
        )
    }
}

/// Bytes one more goroutine costs: `stack_bytes`, or more when memory (RSS; the post-GC floor
/// for Go) rises significantly with the count over the same window. The flag says "measured".
fn bytes_per_goroutine(ctx: &Context<'_>, stack_bytes: f64) -> (f64, bool) {
    let since = match ctx.window {
        Window::Explicit { since_ms } => since_ms,
        Window::Rolling => ctx
            .now_ms()
            .saturating_sub(ctx.config.trend.short_window_secs * 1000),
    };
    let gate = TrendGate {
        min_tau: ctx.config.trend.min_tau,
        min_z: ctx.config.trend.min_z,
    };
    let rising = |metric| {
        ctx.history
            .trend(metric, since, gate)
            .filter(|t| t.significant && t.slope_per_sec > 0.0)
    };
    match (rising(Metric::Goroutines), rising(Metric::RssBytes)) {
        (Some(count), Some(rss)) if rss.slope_per_sec / count.slope_per_sec > stack_bytes => {
            (rss.slope_per_sec / count.slope_per_sec, true)
        }
        _ => (stack_bytes, false),
    }
}

/// The count at which `bytes_each` per new goroutine fills the memory limit with the least
/// room left; `None` when no memory limit with room is known.
fn memory_ceiling(
    sample: &Sample,
    count: f64,
    bytes_each: f64,
    measured: bool,
) -> Option<NamedLimit> {
    let memory = &sample.memory;
    let mut room: Vec<(&str, u64)> = Vec::new();
    if let Some((Some(used), Some(max))) = memory
        .cgroup
        .as_ref()
        .map(|cg| (cg.current_bytes, cg.max_bytes))
    {
        room.push(("the cgroup memory limit", max.saturating_sub(used)));
    }
    if let (Some(used), Some(max)) = (memory.vm_size_bytes, limits::rlimit_soft(sample, "as")) {
        room.push(("RLIMIT_AS", max.saturating_sub(used)));
    }
    if let Some(host) = memory.host {
        room.push(("the host's available memory", host.available_bytes));
    }
    let (what, free) = room
        .into_iter()
        .filter(|&(_, free)| free > 0)
        .min_by_key(|&(_, free)| free)?;
    let each = if measured {
        format!(
            "{} per goroutine measured",
            format::bytes(bytes_each as u64)
        )
    } else {
        format!(
            "{} per goroutine (goroutine_leak.stack_bytes)",
            format::bytes(bytes_each as u64)
        )
    };
    let value = count + free as f64 / bytes_each;
    let name = format!(
        "~{} goroutines, whose stacks fill {what} ({} free, {each})",
        thousands(value),
        format::bytes(free)
    );
    Some(NamedLimit {
        name: name.clone(),
        value,
        detail: name,
    })
}

/// `1840` → `1,840`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7.0), "7");
        assert_eq!(thousands(1840.0), "1,840");
        assert_eq!(thousands(100_000.0), "100,000");
        assert_eq!(thousands(1_234_567.4), "1,234,567");
    }
}
