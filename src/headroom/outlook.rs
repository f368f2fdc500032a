//! The judgement of one series against one limit: is it rising, how sure are we, when does it
//! reach the limit, and has it stopped?
//!
//! Two windows are fitted (Theil–Sen with the Kendall gate, [`crate::history::trend`]):
//! - the **long** window: live, the better of the short and the long rolling windows; in a
//!   `report --watch`, the whole window the user chose. Its slope gives the rate and the ETA.
//! - the **recent** window: the last `trend.recent_window_secs` seconds, longer for a slow rise
//!   (long enough for the long window's rate to add three times the series' noise, or one unit).
//!   When its slope is under a quarter of the long one, growth has stopped: the ETA is withdrawn
//!   and the outlook says how much it grew and since when it is flat.
//!
//! A rise is **provisional** from `trend.watch_min_samples` samples passing the gate, and
//! **confirmed** once its z score reaches `trend.confirm_z`, or 6 points or more all rise
//! (live: also after the warm-up and not on a young process).
//!
//! May import: `history`, `config`, `sample`.

use crate::config::TrendConfig;
use crate::history::{History, Metric, Trend, TrendGate};
use crate::sample::Runtime;
use serde::{Deserialize, Serialize};

/// Which stretch of history the long window covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Live watching: short and long rolling windows.
    Rolling,
    /// `report --watch`: the user chose the window; use all of it from `since_ms`.
    Explicit { since_ms: u64 },
}

/// How much evidence a rise has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Passes the significance gate on few samples: shown early, never crit.
    Provisional,
    /// Passes `trend.confirm_z` (and, live, the warm-up).
    Confirmed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Provisional => "provisional",
            Confidence::Confirmed => "confirmed",
        }
    }
}

/// A significant rise that has not stopped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rise {
    /// The long window's fit: its slope is the rate.
    pub trend: Trend,
    /// Seconds until the limit at that rate (0 only when the newest reading is at the limit);
    /// `None` without a limit.
    pub eta_secs: Option<f64>,
    pub confidence: Confidence,
    /// The recent window's slope, when it held enough points to judge.
    pub recent_slope_per_sec: Option<f64>,
    /// Length of the recent window, seconds.
    pub recent_window_secs: f64,
}

/// A rise over the long window that the recent window no longer shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// The long window's fit (what was rising).
    pub trend: Trend,
    /// From the start of the long window to now.
    pub grew_by: f64,
    /// Seconds from the start of the long window to `flat_since_ms`.
    pub grew_over_secs: f64,
    /// Since when the readings stay within the noise of the newest one.
    pub flat_since_ms: u64,
}

/// What a series is doing relative to its limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outlook {
    /// Fewer than `trend.watch_min_samples` readings in the window.
    WarmingUp,
    /// No significant rise (flat, noisy, falling, below the level floor, or just fell fast).
    Steady,
    Rising(Rise),
    Stopped(Stop),
}

impl Outlook {
    /// Whether a rise was seen (rising or stopped): the gate is then held at `trend.clear_tau`.
    pub fn is_active(&self) -> bool {
        matches!(self, Outlook::Rising(_) | Outlook::Stopped(_))
    }

    pub fn rise(&self) -> Option<&Rise> {
        match self {
            Outlook::Rising(rise) => Some(rise),
            _ => None,
        }
    }
}

/// What the previous judgement of the same series was (hysteresis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Previous {
    /// A rise was shown or judged: clear only below `trend.clear_tau`.
    pub active: bool,
    /// It was confirmed: it stays confirmed while it lasts.
    pub confirmed: bool,
}

impl Previous {
    pub fn of(outlook: Option<&Outlook>) -> Self {
        Previous {
            active: outlook.is_some_and(Outlook::is_active),
            confirmed: matches!(
                outlook,
                Some(Outlook::Rising(Rise {
                    confidence: Confidence::Confirmed,
                    ..
                }))
            ),
        }
    }
}

/// A judgement of `metric` in `history` against `limit` (in the metric's unit).
pub struct Judge<'a> {
    pub history: &'a History,
    pub config: &'a TrendConfig,
    pub window: Window,
}

impl Judge<'_> {
    /// The outlook of `metric` toward `limit`; rises from below `min_level` are not judged.
    pub fn outlook(
        &self,
        metric: Metric,
        limit: Option<f64>,
        min_level: f64,
        previous: Previous,
    ) -> Outlook {
        let cfg = self.config;
        let Some(now) = self.history.last_at_ms() else {
            return Outlook::WarmingUp;
        };
        let series = self.history.series(metric);
        let Some((_, last)) = series.last_value() else {
            return Outlook::WarmingUp;
        };
        let windows: Vec<u64> = match self.window {
            Window::Explicit { since_ms } => vec![since_ms],
            Window::Rolling => vec![
                now.saturating_sub(cfg.short_window_secs * 1000),
                now.saturating_sub(cfg.long_window_secs * 1000),
            ],
        };
        let widest = windows.iter().copied().min().unwrap_or(now);
        let readings = series.since(widest).filter(|p| p.value.is_some()).count();
        if readings < cfg.watch_min_samples {
            return Outlook::WarmingUp;
        }
        if !previous.active && self.falling_fast(metric) {
            return Outlook::Steady;
        }
        let gate = if previous.active {
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
        let eta = |trend: &Trend| limit.map(|limit| eta_to(trend, last, limit));
        let mut fits: Vec<(u64, Trend)> = windows
            .iter()
            .filter_map(|&since| Some((since, self.history.trend(metric, since, gate)?)))
            .filter(|(_, t)| t.significant && t.slope_per_sec > 0.0)
            .filter(|(_, t)| t.level_now.max(last) >= min_level)
            .collect();
        // The nearest failure wins; without a limit, the short window (the current regime).
        fits.sort_by(|a, b| {
            let (ea, eb) = (eta(&a.1), eta(&b.1));
            ea.unwrap_or(f64::INFINITY)
                .total_cmp(&eb.unwrap_or(f64::INFINITY))
        });
        let Some(&(since, trend)) = fits.first() else {
            return Outlook::Steady;
        };
        let points = series.values_since(since, now);
        let threshold = noise_threshold(&points, &trend, metric);
        let recent_secs = (3.0 * threshold / trend.slope_per_sec).clamp(
            cfg.recent_window_secs as f64,
            (cfg.recent_window_secs as f64).max(trend.span_secs / 2.0),
        );
        let recent_since = now.saturating_sub((recent_secs * 1000.0) as u64);
        let recent_points = series.values_since(recent_since, now);
        let recent = (recent_points.len() >= 5)
            .then(|| {
                self.history
                    .trend(metric, recent_since, TrendGate::default())
            })
            .flatten();
        if let Some(recent) = recent.filter(|r| r.slope_per_sec <= 0.25 * trend.slope_per_sec) {
            // "Flat" is judged with the recent window's own noise, not the long fit's (whose
            // residuals include the bend where growth stopped).
            let flat = noise_threshold(&recent_points, &recent, metric);
            let flat_since_ms = series
                .points()
                .rev()
                .filter_map(|p| p.value.map(|v| (p.at_ms, v)))
                .take_while(|&(_, v)| (v - last).abs() <= flat)
                .last()
                .map_or(now, |(at, _)| at);
            let (_, start) = series
                .since(since)
                .find_map(|p| p.value.map(|v| (p.at_ms, v)))
                .unwrap_or((now, last));
            // The growth began where the readings last stood at the window's first level (a
            // flat stretch before the rise is not part of "grew in").
            let start_ms = series
                .since(since)
                .filter_map(|p| p.value.map(|v| (p.at_ms, v)))
                .take_while(|&(at, _)| at < flat_since_ms)
                .filter(|&(_, v)| (v - start).abs() <= flat)
                .last()
                .map_or(flat_since_ms, |(at, _)| at);
            return Outlook::Stopped(Stop {
                trend,
                grew_by: last - start,
                grew_over_secs: flat_since_ms.saturating_sub(start_ms) as f64 / 1000.0,
                flat_since_ms,
            });
        }
        let confirmed = previous.confirmed
            || (strong(&trend, cfg.confirm_z)
                && match self.window {
                    Window::Explicit { .. } => true,
                    Window::Rolling => self.warmed_up(),
                });
        Outlook::Rising(Rise {
            trend,
            eta_secs: eta(&trend),
            confidence: if confirmed {
                Confidence::Confirmed
            } else {
                Confidence::Provisional
            },
            recent_slope_per_sec: recent.map(|r| r.slope_per_sec),
            recent_window_secs: recent_secs,
        })
    }

    /// Live: enough samples over enough time, on a process old enough to be past its start-up.
    fn warmed_up(&self) -> bool {
        let cfg = self.config;
        let Some(latest) = self.history.latest() else {
            return false;
        };
        let now_secs = self.history.last_at_ms().unwrap_or(0) as f64 / 1000.0;
        let old_enough = latest
            .identity
            .started_at_unix
            .is_none_or(|started| now_secs - started >= cfg.young_process_secs as f64);
        self.history.samples() >= cfg.warmup_samples
            && self.history.span_secs() >= cfg.warmup_secs as f64
            && old_enough
    }

    /// Whether the newest value dropped more than 15 % below the one before (a GC, a pool
    /// shrinking, a restart): no new rise is judged on that sample (oomd's fast-fall rule).
    /// Not for a Go or JVM heap, whose every collection is such a drop: its floor is fitted.
    fn falling_fast(&self, metric: Metric) -> bool {
        let gc = matches!(self.history.runtime(), Some(Runtime::Go | Runtime::Jvm));
        if gc && metric.is_gc_memory() {
            return false;
        }
        let mut values = self
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
}

/// Whether a fit is strong evidence: its z score reaches `confirm_z`, or (few points, where
/// the normal approximation of z understates them, such as the 6 floor points of a GC'd heap)
/// every one of at least 6 points is higher than all before it: a random order does that once
/// in 720.
fn strong(trend: &Trend, confirm_z: f64) -> bool {
    trend.z >= confirm_z || (trend.tau >= 1.0 && trend.samples >= 6)
}

/// Seconds until `limit`: 0 only when the newest reading is there. The fitted level is the
/// robust start; where it already passed the limit but the reading has not, the reading is.
fn eta_to(trend: &Trend, last: f64, limit: f64) -> f64 {
    if last >= limit {
        return 0.0;
    }
    let base = if trend.level_now >= limit {
        last
    } else {
        trend.level_now
    };
    (limit - base) / trend.slope_per_sec
}

/// What counts as "no change" for this series: three robust standard deviations of the
/// residuals around the fit, and at least one unit (a descriptor, a thread, a page).
fn noise_threshold(points: &[(f64, f64)], trend: &Trend, metric: Metric) -> f64 {
    let mut residuals: Vec<f64> = points
        .iter()
        .map(|&(t, v)| v - (trend.level_now + trend.slope_per_sec * t))
        .collect();
    let sigma = if residuals.is_empty() {
        0.0
    } else {
        let center = median(&mut residuals);
        let mut deviations: Vec<f64> = residuals.iter().map(|r| (r - center).abs()).collect();
        1.4826 * median(&mut deviations)
    };
    (3.0 * sigma).max(metric.resolution())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend(level_now: f64, slope_per_sec: f64) -> Trend {
        Trend {
            slope_per_sec,
            significant: true,
            level_now,
            tau: 1.0,
            z: 5.0,
            samples: 30,
            span_secs: 29.0,
        }
    }

    #[test]
    fn the_eta_is_zero_only_when_the_reading_is_at_the_limit() {
        assert_eq!(eta_to(&trend(90.0, 1.0), 90.0, 100.0), 10.0);
        // The fitted line passed the limit, the reading did not: count from the reading.
        assert_eq!(eta_to(&trend(104.0, 2.0), 96.0, 100.0), 2.0);
        assert_eq!(eta_to(&trend(104.0, 2.0), 100.0, 100.0), 0.0);
    }

    #[test]
    fn few_points_that_all_rise_are_strong_evidence() {
        let mut floor = trend(0.0, 1.0);
        floor.samples = 6;
        floor.z = 2.6;
        assert!(strong(&floor, 3.0));
        floor.tau = 0.87;
        assert!(!strong(&floor, 3.0));
    }

    #[test]
    fn the_noise_threshold_is_at_least_one_unit() {
        let points: Vec<(f64, f64)> = (0..10)
            .map(|i| (f64::from(i) - 9.0, f64::from(i)))
            .collect();
        let fit = trend(9.0, 1.0);
        assert_eq!(noise_threshold(&points, &fit, Metric::FdsOpen), 1.0);
        assert_eq!(noise_threshold(&points, &fit, Metric::RssBytes), 4096.0);
    }
}
