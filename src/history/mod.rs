//! Bounded time series of one target, kept explicit about gaps and restarts, and the trend
//! estimator the rules forecast with.
//!
//! [`History::push`] takes every [`Sample`] the collector produces; [`History::record`] takes
//! readings made outside the /proc collector (a Go target's goroutine count from its pprof
//! endpoint), which only exist for the targets that have them. It keeps one [`Series`]
//! per [`Metric`], the latest sample (with the last census of threads, fds and maps carried
//! forward, since those are read less often), and a few per-entity clocks the rules need
//! (how long each thread has been in D state, how long each signal has been pending).
//!
//! Identity is `(pid, start_time)`: when it changes the target restarted or the PID was
//! reused, so every series is cleared and the change is recorded ([`History::last_reset`]).
//!
//! Memory bound: each series holds at most `horizon / interval` points (capped at
//! [`MAX_POINTS_PER_SERIES`]) of 24 bytes, so the series of the default history (1 h at 1 s,
//! 18 metrics) take at most 18 × 3600 × 24 B ≈ 1.6 MB, plus one retained [`Sample`] and one
//! clock per thread in D state and per pending signal.
//!
//! May import: `sample`.

mod metric;
mod series;
pub mod trend;

pub use metric::Metric;
pub use series::{Point, Series};
pub use trend::{Trend, TrendGate};

use crate::sample::{Runtime, Sample};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Upper bound on points per series, whatever horizon and interval are asked for.
pub const MAX_POINTS_PER_SERIES: usize = 86_400;

/// A silence longer than this many intervals is recorded as a gap in every series.
const GAP_AFTER_INTERVALS: u64 = 3;

/// The identity of a target: a change means a different process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetId {
    pub pid: i32,
    /// Start time in clock ticks after boot.
    pub start_time: u64,
}

impl TargetId {
    pub fn of(sample: &Sample) -> Self {
        TargetId {
            pid: sample.identity.pid,
            start_time: sample.identity.start_time,
        }
    }
}

/// A restart seen by the history: all series were cleared at `at_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reset {
    pub at_ms: u64,
    pub from: TargetId,
    pub to: TargetId,
}

/// The target stopped existing while it was watched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gone {
    /// When the collector found it gone, ms since the epoch.
    pub at_ms: u64,
    /// What the collector saw (`process 42 exited while being read`, a zombie, a reused PID).
    pub reason: String,
}

/// A reading of an external metric that failed: the gap it left and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread {
    pub at_ms: u64,
    /// What went wrong (`pprof at 127.0.0.1:6060: no complete answer within 500ms`).
    pub reason: String,
}

/// What [`History::push`] did with a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Added to the series.
    Appended,
    /// The identity changed: the series were cleared, then the sample was added.
    Reset,
    /// Older than the newest sample already held: ignored.
    OutOfOrder,
}

/// The recent past of one target. See the module documentation for the memory bound.
#[derive(Debug, Clone)]
pub struct History {
    horizon_ms: u64,
    interval_ms: u64,
    series: BTreeMap<Metric, Series>,
    last_stamp: BTreeMap<Metric, u64>,
    latest: Option<Sample>,
    identity: Option<TargetId>,
    first_at_ms: Option<u64>,
    samples: usize,
    resets: usize,
    last_reset: Option<Reset>,
    d_state_since: BTreeMap<i32, u64>,
    pending_since: BTreeMap<String, u64>,
    gone: Option<Gone>,
    unread: BTreeMap<Metric, Unread>,
}

impl Default for History {
    /// One hour at one sample per second.
    fn default() -> Self {
        History::new(Duration::from_secs(3600), Duration::from_secs(1))
    }
}

impl History {
    /// A history keeping `horizon` of samples taken every `interval`.
    pub fn new(horizon: Duration, interval: Duration) -> Self {
        let interval_ms = (interval.as_millis() as u64).max(1);
        let horizon_ms = (horizon.as_millis() as u64).max(interval_ms);
        let capacity = ((horizon_ms / interval_ms) as usize + 1).min(MAX_POINTS_PER_SERIES);
        History {
            horizon_ms,
            interval_ms,
            series: Metric::ALL
                .iter()
                .map(|&m| (m, Series::with_capacity(capacity)))
                .collect(),
            last_stamp: BTreeMap::new(),
            latest: None,
            identity: None,
            first_at_ms: None,
            samples: 0,
            resets: 0,
            last_reset: None,
            d_state_since: BTreeMap::new(),
            pending_since: BTreeMap::new(),
            gone: None,
            unread: BTreeMap::new(),
        }
    }

    /// Adds one sample. Resets everything first if the target's identity changed.
    pub fn push(&mut self, sample: &Sample) -> Pushed {
        let id = TargetId::of(sample);
        let mut outcome = Pushed::Appended;
        if let Some(previous) = self.identity.filter(|&previous| previous != id) {
            self.clear();
            self.resets += 1;
            self.last_reset = Some(Reset {
                at_ms: sample.taken_at_ms,
                from: previous,
                to: id,
            });
            outcome = Pushed::Reset;
        }
        if let Some(latest) = &self.latest {
            if sample.taken_at_ms < latest.taken_at_ms {
                return Pushed::OutOfOrder;
            }
            let silence = sample.taken_at_ms - latest.taken_at_ms;
            if silence > GAP_AFTER_INTERVALS * self.interval_ms {
                let gap = Point {
                    at_ms: latest.taken_at_ms + self.interval_ms,
                    value: None,
                };
                for series in self.series.values_mut() {
                    series.push(gap, self.horizon_ms);
                }
            }
        }
        let merged = carry_census_forward(sample, self.latest.as_ref());
        for (&metric, series) in &mut self.series {
            let Some(stamp) = metric.stamp(&merged) else {
                continue;
            };
            if self.last_stamp.get(&metric) == Some(&stamp) {
                continue;
            }
            self.last_stamp.insert(metric, stamp);
            let value = metric.read(&merged);
            series.push(
                Point {
                    at_ms: stamp,
                    value,
                },
                self.horizon_ms,
            );
        }
        self.track_clocks(&merged);
        self.gone = None;
        self.identity = Some(id);
        self.first_at_ms.get_or_insert(merged.taken_at_ms);
        self.samples += 1;
        self.latest = Some(merged);
        outcome
    }

    /// Adds a reading of an external metric ([`Metric::is_external`]) taken at `at_ms`:
    /// `Ok(value)` a point, `Err(reason)` a gap whose reason is kept ([`History::unread`]).
    /// Returns whether it was added: not for a metric read from samples, nor for a reading
    /// older than the newest point of its series.
    pub fn record(&mut self, metric: Metric, at_ms: u64, value: Result<f64, String>) -> bool {
        if !metric.is_external() {
            return false;
        }
        let Some(series) = self.series.get_mut(&metric) else {
            return false;
        };
        if series.last().is_some_and(|last| at_ms < last.at_ms) {
            return false;
        }
        let value = match value {
            Ok(value) => Some(value),
            Err(reason) => {
                self.unread.insert(metric, Unread { at_ms, reason });
                None
            }
        };
        series.push(Point { at_ms, value }, self.horizon_ms);
        true
    }

    /// The newest failed reading of an external metric and its reason (kept after later
    /// readings succeed, until the target restarts).
    pub fn unread(&self, metric: Metric) -> Option<&Unread> {
        self.unread.get(&metric)
    }

    /// The series of one metric (always present, possibly empty).
    pub fn series(&self, metric: Metric) -> &Series {
        // Every metric gets a series in `new`, and `clear` empties rather than removes.
        self.series
            .get(&metric)
            .expect("History::new creates a series for every Metric")
    }

    /// The newest sample, with the newest thread, fd and maps census carried forward into it.
    pub fn latest(&self) -> Option<&Sample> {
        self.latest.as_ref()
    }

    /// Time of the newest sample, ms since the epoch.
    pub fn last_at_ms(&self) -> Option<u64> {
        self.latest.as_ref().map(|s| s.taken_at_ms)
    }

    /// Time of the first sample since the last reset.
    pub fn first_at_ms(&self) -> Option<u64> {
        self.first_at_ms
    }

    /// Samples pushed since the last reset (also those the ring has since dropped).
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Seconds between the first and the newest sample since the last reset.
    pub fn span_secs(&self) -> f64 {
        match (self.first_at_ms, self.last_at_ms()) {
            (Some(first), Some(last)) => (last.saturating_sub(first)) as f64 / 1000.0,
            _ => 0.0,
        }
    }

    /// How many restarts were seen, and the newest.
    pub fn resets(&self) -> usize {
        self.resets
    }

    pub fn last_reset(&self) -> Option<Reset> {
        self.last_reset
    }

    pub fn identity(&self) -> Option<TargetId> {
        self.identity
    }

    pub fn runtime(&self) -> Option<Runtime> {
        self.latest.as_ref().map(|s| s.identity.runtime)
    }

    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }

    pub fn horizon(&self) -> Duration {
        Duration::from_millis(self.horizon_ms)
    }

    /// Records that the target is gone (exited, killed, a zombie, its PID reused); the series
    /// are kept so the last minutes before the end can still be read. A later push clears it.
    pub fn mark_gone(&mut self, at_ms: u64, reason: impl Into<String>) {
        self.gone = Some(Gone {
            at_ms,
            reason: reason.into(),
        });
    }

    /// Whether and when the target was found gone.
    pub fn gone(&self) -> Option<&Gone> {
        self.gone.as_ref()
    }

    /// Thread id → when it was first seen in D state, for threads in D at the newest census.
    pub fn d_state_since(&self) -> &BTreeMap<i32, u64> {
        &self.d_state_since
    }

    /// Signal name → since when it has been pending without interruption (process-wide or
    /// on any thread of the newest census).
    pub fn pending_since(&self) -> &BTreeMap<String, u64> {
        &self.pending_since
    }

    /// The trend of `metric` over points taken at or after `since_ms`, anchored at the newest
    /// sample. For Go and JVM targets heap-like metrics are fitted to their lower envelope
    /// (the post-GC floor), in buckets of a fifth of the window (between one interval and
    /// 30 s): wide enough that each bucket holds a collection, so a missed trough is rare.
    pub fn trend(&self, metric: Metric, since_ms: u64, gate: TrendGate) -> Option<Trend> {
        let now_ms = self.last_at_ms()?;
        let points = self.series(metric).values_since(since_ms, now_ms);
        let gc = matches!(self.runtime(), Some(Runtime::Go | Runtime::Jvm));
        if gc && metric.is_gc_memory() {
            let span = points.last()?.0 - points.first()?.0;
            let bucket = (span / 5.0).clamp(self.interval_ms as f64 / 1000.0, 30.0);
            return trend::estimate(&trend::lower_envelope(&points, bucket), gate);
        }
        trend::estimate(&points, gate)
    }

    /// Bytes the series may take at most (the bound stated in the module documentation).
    pub fn series_bound_bytes(&self) -> usize {
        self.series
            .values()
            .map(|s| s.capacity() * std::mem::size_of::<Point>())
            .sum()
    }

    fn clear(&mut self) {
        for series in self.series.values_mut() {
            series.clear();
        }
        self.last_stamp.clear();
        self.latest = None;
        self.first_at_ms = None;
        self.samples = 0;
        self.d_state_since.clear();
        self.pending_since.clear();
        self.gone = None;
        self.unread.clear();
    }

    fn track_clocks(&mut self, sample: &Sample) {
        let census_at = sample
            .threads
            .census_taken_at_ms
            .unwrap_or(sample.taken_at_ms);
        let in_d: BTreeSet<i32> = sample
            .threads
            .items
            .iter()
            .filter(|t| t.state == "D")
            .map(|t| t.tid)
            .collect();
        self.d_state_since.retain(|tid, _| in_d.contains(tid));
        for tid in in_d {
            self.d_state_since.entry(tid).or_insert(census_at);
        }
        let pending: BTreeSet<&String> = sample
            .signals
            .pending
            .iter()
            .chain(sample.threads.items.iter().flat_map(|t| &t.pending_signals))
            .collect();
        self.pending_since.retain(|name, _| pending.contains(name));
        for name in pending {
            self.pending_since
                .entry(name.clone())
                .or_insert(sample.taken_at_ms);
        }
    }
}

/// `sample`, with the thread, fd and maps census of `previous` copied in where this sample
/// did not take a new one (census tiers are read every few ticks, not every tick).
fn carry_census_forward(sample: &Sample, previous: Option<&Sample>) -> Sample {
    let mut merged = sample.clone();
    let Some(previous) = previous else {
        return merged;
    };
    let threads = &mut merged.threads;
    if threads.items.is_empty()
        && (threads.census_taken_at_ms.is_none()
            || threads.census_taken_at_ms == previous.threads.census_taken_at_ms)
    {
        threads.items = previous.threads.items.clone();
        threads.census_taken_at_ms = previous.threads.census_taken_at_ms;
    }
    let fds = &mut merged.fds;
    if fds.census_taken_at_ms.is_none() && previous.fds.census_taken_at_ms.is_some() {
        fds.by_kind = previous.fds.by_kind.clone();
        fds.items = previous.fds.items.clone();
        fds.deleted_files = previous.fds.deleted_files.clone();
        fds.tcp = previous.fds.tcp.clone();
        fds.census_taken_at_ms = previous.fds.census_taken_at_ms;
    }
    let memory = &mut merged.memory;
    if memory.maps_taken_at_ms.is_none() && previous.memory.maps_taken_at_ms.is_some() {
        memory.maps = previous.memory.maps.clone();
        memory.deleted_mappings = previous.memory.deleted_mappings.clone();
        memory.mappings_past_eof = previous.memory.mappings_past_eof.clone();
        memory.maps_taken_at_ms = previous.memory.maps_taken_at_ms;
    }
    merged
}
