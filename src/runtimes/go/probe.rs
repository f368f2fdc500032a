//! The goroutine count of a watched Go target, tick after tick: the pprof endpoint is found
//! once, then each tick reads the `goroutine profile: total N` header with a short timeout and
//! records it into the target's [`History`] as [`Metric::Goroutines`] (a gap, with its reason,
//! when the endpoint does not answer). Used by `report --watch`; a live view calls
//! [`GoroutineProbe::tick`] after each `History::push`.
//!
//! Noise: each reading's own HTTP handler is counted, and Go keeps a finished connection's
//! goroutine ~500 ms (`closeWriteAndWait`), so a reading may include up to two goroutines that
//! exist only because healthtop asked.
//!
//! May import: `history`, `sample`, siblings in `runtimes`.

use super::{endpoint, goroutine_count, PprofEndpoint};
use crate::history::{History, Metric};
use crate::sample::{Runtime, Sample, Unavailable};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The `unavailable` field name used when the count cannot be read.
pub const FIELD: &str = "goroutines";

/// The newest goroutine count, as the JSON report carries it (`goroutines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoroutineCount {
    /// `total` of the newest reading; `null` when it failed (`unavailable` says why).
    pub count: Option<u64>,
    /// The endpoint read (`http://127.0.0.1:6060/debug/pprof/`); `null` when none was found.
    pub endpoint: Option<String>,
    /// When the newest reading was made, ms since the epoch.
    pub at_ms: Option<u64>,
}

/// Reads one Go target's goroutine count. Build it once per target, then call [`tick`] on the
/// sampling schedule.
///
/// [`tick`]: GoroutineProbe::tick
#[derive(Debug, Clone)]
pub struct GoroutineProbe {
    endpoint: Result<PprofEndpoint, String>,
    timeout: Duration,
    last: Option<(u64, Result<u64, String>)>,
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
        Some(GoroutineProbe {
            endpoint: endpoint(pid, url).map_err(|e| e.to_string()),
            timeout,
            last: None,
        })
    }

    /// The endpoint, or why none was found.
    pub fn endpoint(&self) -> Result<&PprofEndpoint, &str> {
        self.endpoint.as_ref().map_err(String::as_str)
    }

    /// Reads the count now (at most the timeout) without recording it.
    pub fn read(&mut self) -> Result<u64, String> {
        let result = match &self.endpoint {
            Ok(endpoint) => goroutine_count(endpoint, self.timeout).map_err(|e| e.to_string()),
            Err(reason) => Err(reason.clone()),
        };
        self.last = Some((now_ms(), result.clone()));
        result
    }

    /// Reads the count and records it in `history` (a gap with the reason on failure).
    pub fn tick(&mut self, history: &mut History) -> Result<u64, String> {
        let result = self.read();
        let at_ms = self.last.as_ref().map_or_else(now_ms, |(at, _)| *at);
        history.record(
            Metric::Goroutines,
            at_ms,
            result.clone().map(|count| count as f64),
        );
        result
    }

    /// The newest reading for the report.
    pub fn summary(&self) -> GoroutineCount {
        GoroutineCount {
            count: self
                .last
                .as_ref()
                .and_then(|(_, r)| r.as_ref().ok().copied()),
            endpoint: self.endpoint.as_ref().ok().map(ToString::to_string),
            at_ms: self.last.as_ref().map(|(at, _)| *at),
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

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
