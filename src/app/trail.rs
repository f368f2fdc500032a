//! Bounded history kept by the model for drawing: a slim point per sample (no per-thread or
//! per-fd lists, so a long watch stays small) for sparklines and the per-kind fd trend, and
//! per-thread CPU time. Trends and ETAs come from `history` (the rules' estimator).

use crate::sample::Sample;
use std::collections::{BTreeMap, VecDeque};

/// Points kept: 10 minutes at the default 1 s interval.
pub const TRAIL_CAPACITY: usize = 600;
/// CPU readings kept per thread, at most.
pub const THREAD_CPU_CAPACITY: usize = 120;
/// CPU readings kept over all threads (8 bytes each: 2 MiB). At 10,000 threads each keeps
/// 26 readings instead of 120 (the drill-down's history is shorter), so memory stays bounded.
pub const THREAD_CPU_READINGS: usize = 1 << 18;

/// The gauge figures of one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailPoint {
    pub at_ms: u64,
    pub fds: Option<u64>,
    pub threads: u64,
    pub rss_bytes: Option<u64>,
    pub vm_size_bytes: Option<u64>,
    pub maps: Option<u64>,
    /// Descriptor counts per kind (census tier; carried over between censuses).
    pub fd_kinds: BTreeMap<String, u64>,
}

impl TrailPoint {
    pub fn of(sample: &Sample) -> TrailPoint {
        TrailPoint {
            at_ms: sample.taken_at_ms,
            fds: sample.fds.open,
            threads: sample.threads.count,
            rss_bytes: sample.memory.rss_bytes,
            vm_size_bytes: sample.memory.vm_size_bytes,
            maps: sample.memory.map_count,
            fd_kinds: sample.fds.by_kind.clone(),
        }
    }
}

/// Ring of [`TrailPoint`]s, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Trail {
    points: VecDeque<TrailPoint>,
}

impl Trail {
    pub fn push(&mut self, point: TrailPoint) {
        if self.points.len() == TRAIL_CAPACITY {
            self.points.pop_front();
        }
        self.points.push_back(point);
    }

    pub fn points(&self) -> impl DoubleEndedIterator<Item = &TrailPoint> + ExactSizeIterator {
        self.points.iter()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// `(at_ms, value)` of one figure, oldest first, skipping readings that were missing.
    pub fn series(&self, pick: impl Fn(&TrailPoint) -> Option<u64>) -> Vec<(u64, u64)> {
        self.points
            .iter()
            .filter_map(|p| pick(p).map(|v| (p.at_ms, v)))
            .collect()
    }
}

/// CPU time of each thread at each census, for CPU% and the drill-down's history.
#[derive(Debug, Clone, Default)]
pub struct ThreadCpu {
    /// When each census kept was taken, ms, oldest first.
    census_ms: VecDeque<u64>,
    /// tid → CPU ticks at the newest censuses that saw it, oldest first: a thread is in every
    /// census from its first to the newest (a thread missing from one is gone), so its
    /// readings line up with the end of `census_ms`.
    series: BTreeMap<i32, VecDeque<u64>>,
    last_census_ms: Option<u64>,
    clock_ticks_per_sec: u64,
}

impl ThreadCpu {
    /// Records a census if it is new; forgets threads that are gone.
    pub fn observe(&mut self, sample: &Sample) {
        let Some(at_ms) = sample.threads.census_taken_at_ms else {
            return;
        };
        if self.last_census_ms == Some(at_ms) {
            return;
        }
        self.last_census_ms = Some(at_ms);
        self.clock_ticks_per_sec = sample.system.clock_ticks_per_sec;
        let items = &sample.threads.items;
        let per_thread = (THREAD_CPU_READINGS / items.len().max(1)).clamp(2, THREAD_CPU_CAPACITY);
        let live: std::collections::BTreeSet<i32> = items.iter().map(|t| t.tid).collect();
        self.series.retain(|tid, _| live.contains(tid));
        for thread in items.iter() {
            let series = self
                .series
                .entry(thread.tid)
                .or_insert_with(|| VecDeque::with_capacity(per_thread));
            while series.len() >= per_thread {
                series.pop_front();
            }
            series.push_back(thread.cpu_ticks);
        }
        if self.census_ms.len() == THREAD_CPU_CAPACITY {
            self.census_ms.pop_front();
        }
        self.census_ms.push_back(at_ms);
    }

    /// `(census ms, cpu ticks)` of a thread, oldest first.
    fn readings(&self, tid: i32) -> Vec<(u64, u64)> {
        let Some(ticks) = self.series.get(&tid) else {
            return Vec::new();
        };
        let skip = self.census_ms.len().saturating_sub(ticks.len());
        self.census_ms
            .iter()
            .skip(skip)
            .copied()
            .zip(ticks.iter().copied())
            .collect()
    }

    fn percent_between(&self, a: (u64, u64), b: (u64, u64)) -> Option<f64> {
        let hz = self.clock_ticks_per_sec.max(1) as f64;
        (b.0 > a.0).then(|| {
            let cpu_secs = b.1.saturating_sub(a.1) as f64 / hz;
            cpu_secs * 100_000.0 / (b.0 - a.0) as f64
        })
    }

    /// CPU% between each pair of consecutive censuses, oldest first (100 = one core).
    pub fn history(&self, tid: i32) -> Vec<f64> {
        self.readings(tid)
            .windows(2)
            .filter_map(|w| self.percent_between(w[0], w[1]))
            .collect()
    }

    /// CPU% over the last census interval; `None` until two censuses saw the thread.
    /// Reads only the newest pair, so sorting thousands of threads by CPU% stays cheap.
    pub fn percent(&self, tid: i32) -> Option<f64> {
        let ticks = self.series.get(&tid)?;
        let newest = |back: usize| {
            let at = self.census_ms.len().checked_sub(back)?;
            Some((
                *self.census_ms.get(at)?,
                *ticks.get(ticks.len().checked_sub(back)?)?,
            ))
        };
        self.percent_between(newest(2)?, newest(1)?)
    }
}
