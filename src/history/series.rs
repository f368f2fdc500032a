//! A bounded time series with explicit gaps.
//!
//! May import: nothing else in the crate.

use std::collections::VecDeque;

/// One reading. `value: None` is an explicit gap: the metric could not be read at that time,
/// or samples stopped arriving for a while (the point then marks where the silence began).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub value: Option<f64>,
}

/// A ring of at most `capacity` points, oldest first, also trimmed to a time horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    points: VecDeque<Point>,
    capacity: usize,
}

impl Series {
    /// An empty series holding at most `capacity` points (at least 2).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Series {
            points: VecDeque::with_capacity(capacity.min(4096)),
            capacity,
        }
    }

    /// Appends a point; drops the oldest when full and anything older than `horizon_ms`
    /// before the new point. Points must come in time order: an older one is ignored.
    pub fn push(&mut self, point: Point, horizon_ms: u64) {
        if self
            .points
            .back()
            .is_some_and(|last| point.at_ms < last.at_ms)
        {
            return;
        }
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(point);
        let oldest_kept = point.at_ms.saturating_sub(horizon_ms);
        while self.points.front().is_some_and(|p| p.at_ms < oldest_kept) {
            self.points.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Every point, oldest first, gaps included (a sparkline draws gaps as blanks).
    pub fn points(&self) -> impl DoubleEndedIterator<Item = &Point> + ExactSizeIterator {
        self.points.iter()
    }

    /// Points taken at or after `since_ms`, oldest first, gaps included.
    pub fn since(&self, since_ms: u64) -> impl DoubleEndedIterator<Item = &Point> {
        self.points.iter().filter(move |p| p.at_ms >= since_ms)
    }

    /// `(seconds relative to now_ms, value)` for every non-gap point at or after `since_ms`:
    /// the input of the trend estimator.
    pub fn values_since(&self, since_ms: u64, now_ms: u64) -> Vec<(f64, f64)> {
        self.since(since_ms)
            .filter_map(|p| {
                p.value
                    .map(|v| ((p.at_ms as f64 - now_ms as f64) / 1000.0, v))
            })
            .collect()
    }

    /// The newest point, gap or not.
    pub fn last(&self) -> Option<Point> {
        self.points.back().copied()
    }

    /// The newest value that is not a gap, with its time.
    pub fn last_value(&self) -> Option<(u64, f64)> {
        self.points
            .iter()
            .rev()
            .find_map(|p| p.value.map(|v| (p.at_ms, v)))
    }

    /// Smallest and largest value in the series (for sparkline scaling); `None` if all gaps.
    pub fn range(&self) -> Option<(f64, f64)> {
        self.points
            .iter()
            .filter_map(|p| p.value)
            .fold(None, |acc, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
    }

    pub(super) fn clear(&mut self) {
        self.points.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at_ms: u64, value: f64) -> Point {
        Point {
            at_ms,
            value: Some(value),
        }
    }

    #[test]
    fn keeps_at_most_capacity_points_dropping_the_oldest() {
        let mut series = Series::with_capacity(3);
        for i in 0..5 {
            series.push(point(i * 1000, i as f64), u64::MAX);
        }
        let kept: Vec<f64> = series.points().filter_map(|p| p.value).collect();
        assert_eq!(kept, vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn drops_points_older_than_the_horizon() {
        let mut series = Series::with_capacity(100);
        for i in 0..10 {
            series.push(point(i * 1000, i as f64), 3000);
        }
        assert_eq!(series.points().next().map(|p| p.at_ms), Some(6000));
    }

    #[test]
    fn gaps_stay_in_points_but_not_in_values() {
        let mut series = Series::with_capacity(10);
        series.push(point(0, 1.0), u64::MAX);
        series.push(
            Point {
                at_ms: 1000,
                value: None,
            },
            u64::MAX,
        );
        series.push(point(2000, 3.0), u64::MAX);
        assert_eq!(series.len(), 3);
        assert_eq!(series.values_since(0, 2000), vec![(-2.0, 1.0), (0.0, 3.0)]);
        assert_eq!(series.last_value(), Some((2000, 3.0)));
        assert_eq!(series.range(), Some((1.0, 3.0)));
    }

    #[test]
    fn ignores_points_that_go_back_in_time() {
        let mut series = Series::with_capacity(10);
        series.push(point(5000, 1.0), u64::MAX);
        series.push(point(4000, 2.0), u64::MAX);
        assert_eq!(series.len(), 1);
    }
}
