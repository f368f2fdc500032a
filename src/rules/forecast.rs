//! How every trend rule turns an [`Outlook`] of the headroom model into a finding's severity
//! and words, so all forecasts behave alike:
//! - a **confirmed** rise is crit when the limit is nearer than `trend.eta_crit_secs`, warn when
//!   nearer than `trend.eta_warn_secs`;
//! - a **provisional** rise is warn when the limit is nearer than `trend.eta_crit_secs`, else
//!   not shown: early, but never crit;
//! - a rise that **stopped** after a finding was shown becomes info, "grew by X in Y, flat
//!   since Z", with no ETA;
//! - the ETA is "now" only when the newest reading is at the limit.
//!
//! May import: `headroom`, `history`, `config`, `format`, `sample`, the rules' own types.

use super::{Context, Severity};
use crate::headroom::{self, Confidence, Judge, Outlook, Previous, Stop};
use crate::history::{Metric, Trend};

/// A rise toward a limit, near enough to report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub trend: Trend,
    /// Seconds until `limit` at the fitted rate.
    pub eta_secs: f64,
    pub severity: Severity,
    pub confidence: Confidence,
    /// The window the trend was fitted on, seconds.
    pub window_secs: f64,
    pub limit: f64,
}

/// What a trend rule says about an outlook.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    Rising(Forecast),
    /// Growth stopped after this rule's finding was shown: info, no ETA.
    Stopped(Stop),
}

/// The verdict on `outlook` toward `limit`: `None` when there is nothing to report (steady,
/// too far, too early, or stopped without a finding shown before).
pub fn verdict(ctx: &Context<'_>, outlook: &Outlook, limit: f64) -> Option<Verdict> {
    match outlook {
        Outlook::Rising(rise) => {
            let eta = rise.eta_secs?;
            let severity = severity(ctx, eta, rise.confidence)?;
            Some(Verdict::Rising(Forecast {
                trend: rise.trend,
                eta_secs: eta,
                severity,
                confidence: rise.confidence,
                window_secs: rise.trend.span_secs,
                limit,
            }))
        }
        Outlook::Stopped(stop) if ctx.active().is_some() => Some(Verdict::Stopped(*stop)),
        _ => None,
    }
}

/// A rise of a series the headroom model does not hold (CLOSE_WAIT sockets, goroutines)
/// toward `limit`, judged the same way; `None` unless it is rising and near enough.
pub fn forecast(ctx: &Context<'_>, metric: Metric, limit: f64, min_level: f64) -> Option<Forecast> {
    match verdict(ctx, &outlook(ctx, metric, limit, min_level), limit)? {
        Verdict::Rising(f) => Some(f),
        Verdict::Stopped(_) => None,
    }
}

/// The outlook of a series the headroom model does not hold, with this rule's hysteresis.
pub fn outlook(ctx: &Context<'_>, metric: Metric, limit: f64, min_level: f64) -> Outlook {
    let judge = Judge {
        history: ctx.history,
        config: &ctx.config.trend,
        window: ctx.window,
    };
    let previous = Previous {
        active: ctx.active().is_some(),
        confirmed: ctx.active() == Some(Severity::Crit),
    };
    judge.outlook(metric, Some(limit), min_level, previous)
}

fn severity(ctx: &Context<'_>, eta: f64, confidence: Confidence) -> Option<Severity> {
    let crit = ctx.config.trend.eta_crit_secs as f64;
    let warn = ctx.config.trend.eta_warn_secs as f64;
    match confidence {
        Confidence::Confirmed if eta <= crit => Some(Severity::Crit),
        Confidence::Confirmed if eta <= warn => Some(Severity::Warn),
        Confidence::Provisional if eta <= crit => Some(Severity::Warn),
        _ => None,
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

/// `in ~1m 5s`, `in ~1m 5s (provisional)`, or `now`.
pub fn when(f: &Forecast) -> String {
    let at = if f.eta_secs <= 0.0 {
        "now".to_string()
    } else {
        format!("in {}", eta(f.eta_secs))
    };
    match f.confidence {
        Confidence::Provisional => format!("{at} (provisional)"),
        Confidence::Confirmed => at,
    }
}

/// The evidence line that shows how a trend was fitted.
pub fn evidence(metric: Metric, f: &Forecast) -> String {
    format!(
        "{}: slope {:.4}/s over {:.0}s ({} points, Kendall tau {:.2}, z {:.1}, {}), fitted level now {:.0}, limit {:.0}",
        metric.name(),
        f.trend.slope_per_sec,
        f.window_secs,
        f.trend.samples,
        f.trend.tau,
        f.trend.z,
        f.confidence.as_str(),
        f.trend.level_now,
        f.limit
    )
}

/// The info finding's words for a stopped rise, in the metric's unit.
pub fn stopped(ctx: &Context<'_>, stop: &Stop, bytes: bool) -> String {
    headroom::describe_stop(stop, ctx.now_ms(), bytes)
}

/// The evidence line of a stopped rise.
pub fn stopped_evidence(metric: Metric, stop: &Stop) -> String {
    format!(
        "{}: rose {:.4}/s over {:.0}s (Kendall tau {:.2}), no growth in the recent window: ETA withdrawn",
        metric.name(),
        stop.trend.slope_per_sec,
        stop.trend.span_secs,
        stop.trend.tau
    )
}
