//! The goroutine count of a watched Go target, tick after tick: the pprof endpoint is found
//! once, then each reading takes the `goroutine` row of the index page (`/debug/pprof/`,
//! `runtime.NumGoroutine()`: no stack rendered, the world not stopped) with a short timeout and
//! records it into the target's [`History`] as [`Metric::Goroutines`] (a gap, with its reason,
//! when the endpoint does not answer). Only an endpoint without the index page is counted with
//! `?debug=1`, which renders every stack. Used by `report --watch` and the live view.
//!
//! Cost: a reading's wall time bounds the target's work for it (the handler runs on one
//! goroutine), so readings are spaced at least [`COST_SHARE`]⁻¹ times the fastest of the last
//! [`RECENT`] readings apart: at most 0.5 % of a core, whatever the target's size. When that
//! spacing is longer than the caller's tick, ticks are skipped and [`GoroutineProbe::pace`]
//! says so (the view and the report show it instead of a missing count).
//!
//! Noise: each reading's own connection is counted (its serving goroutine and, while the
//! handler runs, net/http's background reader), so a reading may include up to two goroutines
//! that exist only because healthtop asked.
//!
//! May import: `history`, `sample`, siblings in `runtimes`.

use super::{goroutine_count_debug1, pprof, IndexCount, PprofEndpoint, PROBE_BOUND};
use crate::history::{History, Metric};
use crate::runtimes::target::Target;
use crate::runtimes::DumpError;
use crate::sample::{Runtime, Sample, Unavailable};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The `unavailable` field name used when the count cannot be read.
pub const FIELD: &str = "goroutines";
/// The share of one core readings may cost the target (0.5 %), judged by their wall time.
pub const COST_SHARE: f64 = 0.005;
/// Readings are never spaced further apart than this by backing off.
pub const MAX_SPACING: Duration = Duration::from_secs(60);
/// The cost of a reading is the fastest of this many recent ones: one reading slowed by the
/// scheduler does not back off, a steadily slow endpoint does.
pub const RECENT: usize = 3;

/// The newest goroutine count, as the JSON report carries it (`goroutines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoroutineCount {
    /// `total` of the newest reading; `null` when it failed (`unavailable` says why).
    pub count: Option<u64>,
    /// The endpoint read (`http://127.0.0.1:6060/debug/pprof/`); `null` when none was found.
    pub endpoint: Option<String>,
    /// When the newest reading was made, ms since the epoch.
    pub at_ms: Option<u64>,
    /// What the count is read from: `index` (the index page) or `debug=1` (the goroutine
    /// profile, for an endpoint without the index page); `null` when no endpoint was found.
    #[serde(default)]
    pub source: Option<String>,
    /// Backing off: readings were spaced this far apart (ms) because a reading took
    /// `took_ms`; `null` when every tick was read.
    #[serde(default)]
    pub every_ms: Option<u64>,
    /// The cost estimate behind `every_ms`: the fastest of the last readings (ms).
    #[serde(default)]
    pub took_ms: Option<u64>,
}

/// Readings are spaced wider than the tick because they are slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// The spacing between readings.
    pub every: Duration,
    /// The fastest of the last readings, which sets the spacing.
    pub took: Duration,
}

impl std::fmt::Display for Pace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "read every {}s: a reading takes {} ms",
            self.every.as_secs_f64().round(),
            self.took.as_millis()
        )
    }
}

/// How the count is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Index,
    Debug1,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Index => "index",
            Source::Debug1 => "debug=1",
        }
    }
}

/// Reads one Go target's goroutine count. Build it once per target, then call [`tick`] (or
/// [`poll`]) on the sampling schedule.
///
/// [`tick`]: GoroutineProbe::tick
/// [`poll`]: GoroutineProbe::poll
#[derive(Debug, Clone)]
pub struct GoroutineProbe {
    endpoint: Result<PprofEndpoint, String>,
    source: Source,
    timeout: Duration,
    last: Option<(u64, Result<u64, String>)>,
    /// Wall times of the last [`RECENT`] readings (a timeout counts as the timeout).
    recent: VecDeque<Duration>,
    last_read: Option<Instant>,
    last_poll: Option<Instant>,
    /// Time between the last two calls of `poll`: the caller's tick.
    tick: Option<Duration>,
}

impl GoroutineProbe {
    /// For the target of `sample`: `None` (nothing at all) unless it is a Go program or `url`
    /// names an endpoint; otherwise the endpoint is `url` or discovered among the target's
    /// loopback listeners (once: this may take a couple of seconds per port that does not
    /// answer). Each later reading waits at most `timeout`.
    pub fn for_sample(
        sample: &Sample,
        url: Option<&str>,
        timeout: Duration,
    ) -> Option<GoroutineProbe> {
        if sample.identity.runtime != Runtime::Go && url.is_none() {
            return None;
        }
        let pid = u32::try_from(sample.identity.pid).ok()?;
        // An explicit URL starts with the index page and falls back on its first reading.
        let found = match url {
            Some(url) => PprofEndpoint::from_url(url).map(|e| (e, Source::Index)),
            None => Target::open(pid)
                .and_then(|t| pprof::discover(&t, PROBE_BOUND))
                .map(|(e, count)| match count {
                    IndexCount::Count(_) => (e, Source::Index),
                    IndexCount::NoRow => (e, Source::Debug1),
                }),
        };
        let (endpoint, source) = match found {
            Ok((e, source)) => (Ok(e), source),
            Err(e) => (Err(e.to_string()), Source::Index),
        };
        Some(GoroutineProbe {
            endpoint,
            source,
            timeout,
            last: None,
            recent: VecDeque::with_capacity(RECENT),
            last_read: None,
            last_poll: None,
            tick: None,
        })
    }

    /// The endpoint, or why none was found.
    pub fn endpoint(&self) -> Result<&PprofEndpoint, &str> {
        self.endpoint.as_ref().map_err(String::as_str)
    }

    /// Reads the count now (at most the timeout) without recording it.
    pub fn read(&mut self) -> Result<u64, String> {
        let started = Instant::now();
        let result = match &self.endpoint {
            Ok(endpoint) => count(endpoint, &mut self.source, self.timeout),
            Err(reason) => Err(reason.clone()),
        };
        if self.endpoint.is_ok() {
            if self.recent.len() == RECENT {
                self.recent.pop_front();
            }
            self.recent.push_back(started.elapsed());
        }
        self.last_read = Some(started);
        self.last = Some((now_ms(), result.clone()));
        result
    }

    /// The spacing the cost budget asks for: the fastest recent reading / [`COST_SHARE`].
    fn spacing(&self) -> Duration {
        self.recent
            .iter()
            .min()
            .map_or(Duration::ZERO, |took| took.div_f64(COST_SHARE))
            .min(MAX_SPACING)
    }

    /// Called once per tick: reads the count when the cost budget allows (`None`: skipped,
    /// backing off — see [`pace`](Self::pace)).
    pub fn poll(&mut self) -> Option<Result<u64, String>> {
        let now = Instant::now();
        if let Some(previous) = self.last_poll.replace(now) {
            self.tick = Some(now - previous);
        }
        let due = self
            .last_read
            .is_none_or(|at| now.duration_since(at) >= self.spacing());
        due.then(|| self.read())
    }

    /// Polls and records a reading in `history` (a gap with the reason on failure); `None`
    /// when the tick was skipped to stay within the cost budget.
    pub fn tick(&mut self, history: &mut History) -> Option<Result<u64, String>> {
        let result = self.poll()?;
        let at_ms = self.last.as_ref().map_or_else(now_ms, |(at, _)| *at);
        history.record(
            Metric::Goroutines,
            at_ms,
            result.clone().map(|count| count as f64),
        );
        Some(result)
    }

    /// `Some` while readings are spaced wider than the tick because they are slow.
    pub fn pace(&self) -> Option<Pace> {
        let every = self.spacing();
        let took = self.recent.iter().min().copied()?;
        (every > self.tick?).then_some(Pace { every, took })
    }

    /// The newest reading for the report.
    pub fn summary(&self) -> GoroutineCount {
        let pace = self.pace();
        GoroutineCount {
            count: self
                .last
                .as_ref()
                .and_then(|(_, r)| r.as_ref().ok().copied()),
            endpoint: self.endpoint.as_ref().ok().map(ToString::to_string),
            at_ms: self.last.as_ref().map(|(at, _)| *at),
            source: self
                .endpoint
                .is_ok()
                .then(|| self.source.as_str().to_string()),
            every_ms: pace.map(|p| p.every.as_millis() as u64),
            took_ms: pace.map(|p| p.took.as_millis() as u64),
        }
    }

    /// The `unavailable` entry when the newest reading failed (or none was made).
    pub fn unavailable(&self) -> Option<Unavailable> {
        let reason = match (&self.last, &self.endpoint) {
            (Some((_, Ok(_))), _) => return None,
            (Some((_, Err(reason))), _) | (None, Err(reason)) => reason.clone(),
            (None, Ok(_)) => "the goroutine count was not read yet".to_string(),
        };
        Some(Unavailable {
            field: FIELD.to_string(),
            reason,
        })
    }
}

/// One reading from `endpoint`; an index page without a goroutine row (an explicit `--pprof`
/// URL whose server lacks it) switches `source` to debug=1 for good.
fn count(endpoint: &PprofEndpoint, source: &mut Source, timeout: Duration) -> Result<u64, String> {
    if *source == Source::Index {
        match endpoint.index_count(timeout) {
            Ok(IndexCount::Count(n)) => return Ok(n),
            Ok(IndexCount::NoRow) => *source = Source::Debug1,
            Err(e) => return Err(e.to_string()),
        }
    }
    goroutine_count_debug1(endpoint, timeout).map_err(|e: DumpError| e.to_string())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
