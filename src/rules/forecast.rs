//! The forecast every trend rule shares: warm-up, window choice, significance gate with
//! hysteresis, level gate, and ETA-to-severity, so all forecasts behave alike.
//!
//! May import: `history`, `config`, `format`, `sample`, the rules' own types.

use super::{Context, Severity, Window};
use crate::history::{Metric, Trend, TrendGate};
use crate::sample::Runtime;

/// A significant rise toward a limit, near enough to report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub trend: Trend,
    /// Seconds until `limit` at the fitted rate.
    pub eta_secs: f64,
    pub severity: Severity,
    /// The window the trend was fitted on, seconds.
    pub window_secs: f64,
    pub limit: f64,
}

/// Whether there is enough history to forecast `metric`: the warm-up when watching live, the
/// minimum sample count in an explicit window.
pub fn warmed_up(ctx: &Context<'_>, metric: Metric) -> bool {
    let trend = &ctx.config.trend;
    match ctx.window {
        Window::Explicit { since_ms } => {
            ctx.history
                .series(metric)
                .since(since_ms)
                .filter(|p| p.value.is_some())
                .count()
                >= trend.watch_min_samples
        }
        Window::Rolling => {
            let Some(latest) = ctx.history.latest() else {
                return false;
            };
            let age_ok = latest.identity.started_at_unix.is_none_or(|started| {
                ctx.now_ms() as f64 / 1000.0 - started >= trend.young_process_secs as f64
            });
            ctx.history.samples() >= trend.warmup_samples
                && ctx.history.span_secs() >= trend.warmup_secs as f64
                && age_ok
        }
    }
}

/// A forecast of `metric` reaching `limit`, or `None` when there is no significant rise, the
/// limit is beyond `trend.eta_warn_secs`, the level is below `min_level`, or it is too early.
pub fn forecast(ctx: &Context<'_>, metric: Metric, limit: f64, min_level: f64) -> Option<Forecast> {
    if !warmed_up(ctx, metric) || !limit.is_finite() {
        return None;
    }
    let cfg = &ctx.config.trend;
    let gate = if ctx.active().is_some() {
        TrendGate {
            min_tau: cfg.clear_tau,
            min_z: cfg.min_z / 2.0,
        }
    } else {
        TrendGate {
            min_tau: cfg.min_tau,
            min_z: cfg.min_z,
        }
    };
    if ctx.active().is_none() && falling_fast(ctx, metric) {
        return None;
    }
    let now = ctx.now_ms();
    let fit = |since_ms: u64| -> Option<(Trend, f64)> {
        let trend = ctx.history.trend(metric, since_ms, gate)?;
        let last = ctx
            .history
            .series(metric)
            .last_value()
            .map_or(0.0, |(_, v)| v);
        if trend.level_now.max(last) < min_level {
            return None;
        }
        // A flat series already at its limit is a level finding, not a forecast.
        if !trend.significant {
            return None;
        }
        Some((trend, trend.eta_to(limit)?))
    };
    let make = |trend: Trend, eta: f64, severity| Forecast {
        trend,
        eta_secs: eta,
        severity,
        window_secs: trend.span_secs,
        limit,
    };
    let crit = cfg.eta_crit_secs as f64;
    let warn = cfg.eta_warn_secs as f64;
    match ctx.window {
        Window::Explicit { since_ms } => {
            let (trend, eta) = fit(since_ms)?;
            severity_for(eta, crit, warn).map(|s| make(trend, eta, s))
        }
        Window::Rolling => {
            let short = fit(now.saturating_sub(cfg.short_window_secs * 1000));
            if let Some((trend, eta)) = short.filter(|&(_, eta)| eta <= crit) {
                return Some(make(trend, eta, Severity::Crit));
            }
            let long = fit(now.saturating_sub(cfg.long_window_secs * 1000));
            [long, short]
                .into_iter()
                .flatten()
                .find(|&(_, eta)| eta <= warn)
                .map(|(trend, eta)| make(trend, eta, Severity::Warn))
        }
    }
}

/// Whether the newest value dropped more than 15 % below the one before (a GC, a pool
/// shrinking, a restart): no new forecast is raised on that sample (oomd's fast-fall rule).
/// Not for a Go or JVM heap, whose every collection is such a drop: its floor is fitted instead.
fn falling_fast(ctx: &Context<'_>, metric: Metric) -> bool {
    let gc = matches!(ctx.history.runtime(), Some(Runtime::Go | Runtime::Jvm));
    if gc && metric.is_gc_memory() {
        return false;
    }
    let mut values = ctx
        .history
        .series(metric)
        .points()
        .rev()
        .filter_map(|p| p.value);
    match (values.next(), values.next()) {
        (Some(last), Some(previous)) => previous > 0.0 && last < 0.85 * previous,
        _ => false,
    }
}

fn severity_for(eta: f64, crit: f64, warn: f64) -> Option<Severity> {
    if eta <= crit {
        Some(Severity::Crit)
    } else if eta <= warn {
        Some(Severity::Warn)
    } else {
        None
    }
}

/// `+3.2/min`, `+12/s`, `+1.5/h`: the rate in the unit that gives a readable number.
pub fn rate(slope_per_sec: f64) -> String {
    let (value, unit) = if slope_per_sec.abs() >= 1.0 {
        (slope_per_sec, "s")
    } else if slope_per_sec.abs() * 60.0 >= 1.0 {
        (slope_per_sec * 60.0, "min")
    } else {
        (slope_per_sec * 3600.0, "h")
    };
    let digits = if value.abs() >= 10.0 { 0 } else { 1 };
    format!("{value:+.digits$}/{unit}")
}

/// Same as [`rate`] for bytes (`+1.5 MiB/s`).
pub fn byte_rate(slope_per_sec: f64) -> String {
    let (value, unit) = if slope_per_sec.abs() >= 1024.0 {
        (slope_per_sec, "s")
    } else {
        (slope_per_sec * 60.0, "min")
    };
    let sign = if value < 0.0 { "-" } else { "+" };
    format!("{sign}{}/{unit}", crate::format::bytes(value.abs() as u64))
}

/// `~1h 6m` (or `now` when the limit is already reached).
pub fn eta(secs: f64) -> String {
    if secs <= 0.0 {
        return "now".to_string();
    }
    format!("~{}", crate::format::duration_secs(secs.max(1.0)))
}

/// The evidence line that shows how a trend was fitted.
pub fn evidence(metric: Metric, f: &Forecast) -> String {
    format!(
        "{}: slope {:.4}/s over {:.0}s ({} points, Kendall tau {:.2}, z {:.1}), fitted level now {:.0}, limit {:.0}",
        metric.name(),
        f.trend.slope_per_sec,
        f.window_secs,
        f.trend.samples,
        f.trend.tau,
        f.trend.z,
        f.trend.level_now,
        f.limit
    )
}
