//! Go goroutine dumps through `net/http/pprof` ([`pprof`]), parsed ([`goroutines`]); and the
//! cheap goroutine count for a leak rule ([`goroutine_count`]), read tick after tick into a
//! target's history by [`GoroutineProbe`].
//!
//! SIGQUIT is never the way here: Go's default handler prints the goroutines and exits with
//! status 2 (see `signal::refusal`).
//!
//! May import: siblings in `runtimes`, the parent's types; `probe` also `history` and `sample`.

pub mod goroutines;
pub mod pprof;
pub mod probe;

pub use goroutines::{
    debug1_total, parse_goroutines, GoFrame, Goroutine, GoroutineGroup, Goroutines,
};
pub use pprof::PprofEndpoint;
pub use probe::{GoroutineCount, GoroutineProbe};

use super::target::Target;
use super::{Detail, Dump, DumpError, DumpRequest, GoDebug, Runtime};
use std::time::Duration;

/// What `debug=2` costs, said every time it is used.
pub const DEBUG2_COST: &str = "debug=2 stops the world while it formats every goroutine's \
    stack (runtime.Stack): the whole program pauses for the duration, and output is cut at 64 MiB";

/// Bound on discovery probes from [`endpoint`].
const PROBE_BOUND: Duration = Duration::from_secs(2);

/// The pprof endpoint of `pid`: `url` if given, else discovered among its loopback listeners.
pub fn endpoint(pid: u32, url: Option<&str>) -> Result<PprofEndpoint, DumpError> {
    match url {
        Some(url) => PprofEndpoint::from_url(url),
        None => Ok(pprof::discover(&Target::open(pid)?, PROBE_BOUND)?.0),
    }
}

/// The goroutine count from the `goroutine profile: total N` header of `?debug=1` (a brief
/// stop-the-world to count, stacks captured concurrently). For a leak rule: find the endpoint
/// once with [`endpoint`], then call this every tick.
pub fn goroutine_count(endpoint: &PprofEndpoint, timeout: Duration) -> Result<u64, DumpError> {
    let text = endpoint.goroutines(1, timeout)?;
    debug1_total(&text).ok_or_else(|| DumpError::Protocol {
        what: format!("pprof at {endpoint}"),
        detail: "no `goroutine profile: total N` header".into(),
    })
}

/// `--method pprof`.
pub fn dump(target: &Target, runtime: Runtime, request: &DumpRequest) -> Result<Dump, DumpError> {
    if runtime != Runtime::Go && request.pprof_url.is_none() && !request.force {
        return Err(DumpError::Unavailable {
            reason: format!(
                "process {} is not a Go program ({} detected); give --pprof URL to use an \
                 endpoint anyway",
                target.pid,
                runtime.as_str()
            ),
        });
    }
    let (endpoint, probe) = match &request.pprof_url {
        Some(url) => (PprofEndpoint::from_url(url)?, None),
        None => {
            let (endpoint, probe) = pprof::discover(target, request.timeout)?;
            (endpoint, Some(probe))
        }
    };
    let mut notes = vec![format!("goroutines from {endpoint}")];
    if request.go_debug == GoDebug::Two {
        notes.push(DEBUG2_COST.to_string());
    }
    let text = match (request.go_debug, probe) {
        (GoDebug::One, Some(probe)) => probe,
        (level, _) => endpoint.goroutines(level.level(), request.timeout)?,
    };
    let parsed = parse_goroutines(&text);
    let total = match request.go_debug {
        GoDebug::One => debug1_total(&text).unwrap_or_else(|| parsed.total()),
        GoDebug::Two => parsed.goroutines.len() as u64,
    };
    if request.go_debug == GoDebug::One {
        notes.push(
            "debug=1 aggregates stacks: no goroutine ids, states or wait times (--debug 2 has \
             them, at a cost)"
                .to_string(),
        );
    }
    Ok(Dump {
        pid: target.pid,
        runtime,
        method: super::DumpMethod::Pprof,
        total: Some(total),
        text,
        detail: Detail::Go(parsed),
        notes,
    })
}
