//! Go goroutine dumps through `net/http/pprof` ([`pprof`], over the bounded client in
//! [`http`]), parsed ([`goroutines`]); and the cheap goroutine count for a leak rule
//! ([`goroutine_count`], from the index page), read tick after tick into a target's history by
//! [`GoroutineProbe`], which backs off when readings are slow.
//!
//! SIGQUIT is never the way here: Go's default handler prints the goroutines and exits with
//! status 2 (see `signal::refusal`).
//!
//! May import: siblings in `runtimes`, the parent's types; `probe` also `history` and `sample`.

pub mod goroutines;
pub mod http;
pub mod pprof;
pub mod probe;

pub use goroutines::{
    debug1_total, index_goroutine_count, parse_goroutines, GoFrame, Goroutine, GoroutineGroup,
    Goroutines,
};
pub use pprof::{dump_cap, IndexCount, PprofEndpoint, DEBUG1_CAP, DEBUG2_CAP};
pub use probe::{GoroutineCount, GoroutineProbe, Pace};

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

/// The goroutine count from the index page's `goroutine` row: `runtime.NumGoroutine()`, which
/// the target computes without rendering a stack or stopping the world. For a leak rule: find
/// the endpoint once with [`endpoint`], then call this every tick.
pub fn goroutine_count(endpoint: &PprofEndpoint, timeout: Duration) -> Result<u64, DumpError> {
    match endpoint.index_count(timeout)? {
        IndexCount::Count(n) => Ok(n),
        IndexCount::NoRow => Err(DumpError::Protocol {
            what: format!("pprof at {endpoint}"),
            detail: "the index page has no goroutine row".into(),
        }),
    }
}

/// The goroutine count from the `goroutine profile: total N` header of `?debug=1`: for an
/// endpoint without the index page. Costly: the target stops the world to count, then renders
/// every goroutine's stack.
pub fn goroutine_count_debug1(
    endpoint: &PprofEndpoint,
    timeout: Duration,
) -> Result<u64, DumpError> {
    let profile = endpoint.goroutines(1, timeout)?;
    debug1_total(&profile.text).ok_or_else(|| DumpError::Protocol {
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
    let endpoint = match &request.pprof_url {
        Some(url) => PprofEndpoint::from_url(url)?,
        None => pprof::discover(target, request.timeout)?.0,
    };
    let mut notes = vec![format!("goroutines from {endpoint}")];
    if request.go_debug == GoDebug::Two {
        notes.push(DEBUG2_COST.to_string());
    }
    let profile = endpoint.goroutines(request.go_debug.level(), request.timeout)?;
    if profile.truncated {
        notes.push(format!(
            "healthtop kept the first {} MiB of the reply and stopped reading: the dump is cut",
            dump_cap(request.go_debug.level()) >> 20
        ));
    }
    let text = profile.text;
    let parsed = parse_goroutines(&text);
    if parsed.cut {
        notes.push(format!(
            "only the first {} entries of the dump were parsed (grouped, counted); the text \
             holds more",
            goroutines::MAX_PARSED
        ));
    }
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
