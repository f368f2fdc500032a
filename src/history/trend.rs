//! Robust trend estimation: Theil–Sen slope with a Kendall significance gate, the lower
//! envelope for garbage-collected heaps, and the time left until a limit.
//!
//! Why Theil–Sen and not least squares (Prometheus `predict_linear`) or Holt smoothing: the
//! median of pairwise slopes ignores up to ~29 % wild points (a GC spike, a connection burst),
//! is exact on step-wise leaks (+1 fd per failed request), and the same pairs give Kendall's
//! tau, so "is there a trend at all" costs nothing extra. `tests/rules_trend_estimators.rs`
//! compares the three on noisy, spiky and step-wise series.
//!
//! May import: nothing else in the crate.

use serde::{Deserialize, Serialize};

/// Above this many points the series is reduced to this many bucket medians first, so one
/// estimate costs at most ~80 000 slope pairs whatever the horizon.
pub const MAX_POINTS: usize = 400;

/// When a slope counts as a trend rather than noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrendGate {
    /// Minimum Kendall tau (share of rising pairs minus falling pairs).
    pub min_tau: f64,
    /// Minimum Mann–Kendall z score (1.96 ≈ 5 % two-sided chance of a flat series passing).
    pub min_z: f64,
}

impl Default for TrendGate {
    fn default() -> Self {
        TrendGate {
            min_tau: 0.3,
            min_z: 1.96,
        }
    }
}

/// A fitted line through a window of a series, anchored at "now".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// Median pairwise slope, units per second.
    pub slope_per_sec: f64,
    /// Whether tau and z pass the gate: only then is there a forecast.
    pub significant: bool,
    /// The fitted value now (robust: not the last reading, which may be a spike).
    pub level_now: f64,
    /// Kendall tau in −1..=1.
    pub tau: f64,
    /// Mann–Kendall z score.
    pub z: f64,
    /// Points used (after reduction to at most [`MAX_POINTS`]).
    pub samples: usize,
    /// Time between the first and the last point, seconds.
    pub span_secs: f64,
}

impl Trend {
    /// Seconds until the fitted line reaches `limit`: `Some(0.0)` if it is already there,
    /// `None` when there is no significant rise toward it.
    pub fn eta_to(&self, limit: f64) -> Option<f64> {
        if self.level_now >= limit {
            return Some(0.0);
        }
        if !self.significant || self.slope_per_sec <= 0.0 {
            return None;
        }
        Some((limit - self.level_now) / self.slope_per_sec)
    }
}

/// Fits `points` (`(seconds relative to now, value)`, time ascending; now is t = 0).
/// `None` with fewer than three points or no time span.
pub fn estimate(points: &[(f64, f64)], gate: TrendGate) -> Option<Trend> {
    let reduced;
    let points = if points.len() > MAX_POINTS {
        reduced = reduce(points, MAX_POINTS);
        &reduced[..]
    } else {
        points
    };
    let n = points.len();
    let (first, last) = (points.first()?, points.last()?);
    let span_secs = last.0 - first.0;
    if n < 3 || span_secs <= 0.0 {
        return None;
    }
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    let (mut rising, mut falling) = (0_i64, 0_i64);
    for (i, &(ti, vi)) in points.iter().enumerate() {
        for &(tj, vj) in &points[i + 1..] {
            let dt = tj - ti;
            if dt <= 0.0 {
                continue;
            }
            let dv = vj - vi;
            slopes.push(dv / dt);
            if dv > 0.0 {
                rising += 1;
            } else if dv < 0.0 {
                falling += 1;
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let slope = median(&mut slopes);
    let mut intercepts: Vec<f64> = points.iter().map(|&(t, v)| v - slope * t).collect();
    let level_now = median(&mut intercepts);
    let pairs = slopes.len() as f64;
    let s = (rising - falling) as f64;
    let tau = s / pairs;
    let nf = n as f64;
    let variance = nf * (nf - 1.0) * (2.0 * nf + 5.0) / 18.0;
    let corrected = if s > 0.0 {
        s - 1.0
    } else if s < 0.0 {
        s + 1.0
    } else {
        0.0
    };
    let z = corrected / variance.sqrt();
    Some(Trend {
        slope_per_sec: slope,
        significant: tau.abs() >= gate.min_tau && z.abs() >= gate.min_z,
        level_now,
        tau,
        z,
        samples: n,
        span_secs,
    })
}

/// The floor of a sawtooth: the lowest point of each `bucket_secs` slice of time. This is the
/// post-GC level of a Go or JVM heap, whose growth is the leak signal.
pub fn lower_envelope(points: &[(f64, f64)], bucket_secs: f64) -> Vec<(f64, f64)> {
    let Some(&(t0, _)) = points.first() else {
        return Vec::new();
    };
    let bucket_secs = bucket_secs.max(f64::MIN_POSITIVE);
    let mut floor: Vec<(f64, f64)> = Vec::new();
    let mut current_bucket = None;
    for &(t, v) in points {
        let bucket = ((t - t0) / bucket_secs).floor() as i64;
        match floor.last_mut() {
            Some(lowest) if current_bucket == Some(bucket) => {
                if v < lowest.1 {
                    *lowest = (t, v);
                }
            }
            _ => {
                floor.push((t, v));
                current_bucket = Some(bucket);
            }
        }
    }
    floor
}

/// `target` buckets of consecutive points, each replaced by (mean time, median value).
fn reduce(points: &[(f64, f64)], target: usize) -> Vec<(f64, f64)> {
    let per_bucket = points.len().div_ceil(target);
    points
        .chunks(per_bucket)
        .map(|chunk| {
            let t = chunk.iter().map(|p| p.0).sum::<f64>() / chunk.len() as f64;
            let mut values: Vec<f64> = chunk.iter().map(|p| p.1).collect();
            (t, median(&mut values))
        })
        .collect()
}

/// Median of a non-empty slice (reorders it).
fn median(values: &mut [f64]) -> f64 {
    let mid = values.len() / 2;
    let (_, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if values.len() % 2 == 1 {
        return upper;
    }
    let lower = values[..mid]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    (lower + upper) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize, slope: f64) -> Vec<(f64, f64)> {
        (0..n)
            .map(|i| {
                let t = i as f64 - (n - 1) as f64;
                (t, 100.0 + slope * t)
            })
            .collect()
    }

    #[test]
    fn exact_line_gives_its_slope_level_and_eta() {
        let trend = estimate(&line(30, 2.0), TrendGate::default()).expect("enough points");
        assert!((trend.slope_per_sec - 2.0).abs() < 1e-9);
        assert!((trend.level_now - 100.0).abs() < 1e-9);
        assert!(trend.significant);
        assert_eq!(trend.tau, 1.0);
        let eta = trend.eta_to(200.0).expect("rising");
        assert!((eta - 50.0).abs() < 1e-9);
    }

    #[test]
    fn flat_series_has_no_eta() {
        let trend = estimate(&line(30, 0.0), TrendGate::default()).expect("enough points");
        assert!(!trend.significant);
        assert_eq!(trend.eta_to(200.0), None);
        assert_eq!(trend.eta_to(50.0), Some(0.0));
    }

    #[test]
    fn a_few_spikes_do_not_move_the_slope() {
        let mut points = line(60, 0.5);
        for i in [5, 17, 40] {
            points[i].1 += 10_000.0;
        }
        let trend = estimate(&points, TrendGate::default()).expect("enough points");
        assert!((trend.slope_per_sec - 0.5).abs() < 0.05, "{trend:?}");
    }

    #[test]
    fn too_few_points_give_nothing() {
        assert_eq!(estimate(&line(2, 1.0), TrendGate::default()), None);
        assert_eq!(estimate(&[], TrendGate::default()), None);
    }

    #[test]
    fn long_series_are_reduced_and_keep_their_slope() {
        let trend = estimate(&line(3600, 0.25), TrendGate::default()).expect("enough points");
        assert_eq!(trend.samples, MAX_POINTS);
        assert!((trend.slope_per_sec - 0.25).abs() < 1e-6);
    }

    #[test]
    fn lower_envelope_takes_the_minimum_of_each_bucket() {
        let points = vec![(0.0, 5.0), (1.0, 3.0), (2.0, 9.0), (3.0, 4.0), (4.5, 8.0)];
        assert_eq!(
            lower_envelope(&points, 2.0),
            vec![(1.0, 3.0), (3.0, 4.0), (4.5, 8.0)]
        );
    }

    #[test]
    fn median_of_even_count_averages_the_middle_pair() {
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }
}
