//! Runtime-aware dump requests: ask a Go, JVM or Python process (or any program that dumps on a
//! signal) for its own view of its threads, the safe way for each runtime.
//!
//! - JVM: the HotSpot attach protocol (`threaddump`), never stdout scraping ([`jvm`]).
//! - Go: the `net/http/pprof` goroutine endpoint, never SIGQUIT unless forced ([`go`]).
//! - Python: faulthandler through a signal the process is seen to catch, after confirmation
//!   ([`python`]).
//! - Anything: a signal the process catches, with its output read back from a file-backed
//!   stdout/stderr ([`signal`]).
//!
//! The entry point is [`dump`]; the result, [`Dump`], is plain serialisable data for the CLI,
//! the report and the TUI.
//!
//! May import: `parse`, `decode`, `sample` (for [`Runtime`]), `collect::runtime_evidence` (same
//! floor; `collect` never imports `runtimes`). Reads `/proc/PID` of the target directly: these
//! reads belong to a user action, not to the sampling loop in `collect`.

pub mod go;
pub mod jvm;
pub mod python;
pub mod signal;
pub mod target;

use crate::parse::ParseError;
pub use crate::sample::Runtime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

/// How to ask for the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Pick from the detected runtime: JVM → attach, Go → pprof, Python → faulthandler;
    /// with an explicit signal, or for other programs, the signal method.
    Auto,
    /// HotSpot dynamic attach, command `threaddump`.
    Jvm,
    /// Go `net/http/pprof` goroutine profile.
    Pprof,
    /// Python `faulthandler` via a signal it registered.
    Python,
    /// Send a signal the program catches and capture what it writes.
    Signal,
}

/// Which goroutine format to fetch from pprof.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GoDebug {
    /// `?debug=1`: stacks aggregated with counts; concurrent capture (cheap).
    One,
    /// `?debug=2`: every goroutine with state and wait time; stops the world while it formats.
    Two,
}

impl GoDebug {
    pub fn level(self) -> u8 {
        match self {
            GoDebug::One => 1,
            GoDebug::Two => 2,
        }
    }
}

/// What the caller wants. `Default` is the safe, cheap choice for every runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpRequest {
    pub method: Method,
    /// Signal for [`Method::Signal`] (required) and [`Method::Python`] (default SIGUSR1).
    pub signal: Option<u32>,
    /// `http://host:port[/prefix]` of a pprof endpoint, instead of discovering it.
    pub pprof_url: Option<String>,
    pub go_debug: GoDebug,
    /// Send a signal even though it would kill the target, or cannot be captured.
    pub force: bool,
    /// The user confirmed sending a signal whose handler cannot be seen from outside.
    pub confirmed: bool,
    /// Bound on every wait: attach socket, HTTP exchange, output settling.
    pub timeout: Duration,
}

impl Default for DumpRequest {
    fn default() -> Self {
        DumpRequest {
            method: Method::Auto,
            signal: None,
            pprof_url: None,
            go_debug: GoDebug::One,
            force: false,
            confirmed: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// How a dump was actually obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DumpMethod {
    JvmAttach,
    Pprof,
    Faulthandler,
    Signal,
}

/// One dump. Serialised as `{"runtime", "method", "total", "threads"|"goroutines"…, "text",
/// "notes"}`; `text` is the dump exactly as the runtime wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    pub pid: u32,
    pub runtime: Runtime,
    pub method: DumpMethod,
    /// Threads (JVM) or goroutines (Go) in the dump; `None` for free text.
    pub total: Option<u64>,
    #[serde(flatten)]
    pub detail: Detail,
    pub text: String,
    /// Things the user should know: the cost of what was asked, what was skipped.
    pub notes: Vec<String>,
}

/// The parsed part of a dump, by runtime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Detail {
    Jvm(jvm::JvmThreads),
    Go(go::Goroutines),
    /// Free text from a signal handler (faulthandler or the program's own).
    Captured(signal::Captured),
}

impl Dump {
    /// Folded stacks (`root;…;leaf count`, merged, sorted) for a flame graph; empty for free
    /// text. Frame names are escaped (`safe_text::folded_frame`): one stack per line, always.
    pub fn folded(&self) -> Vec<String> {
        let stacks: Vec<(Vec<String>, u64)> = match &self.detail {
            Detail::Jvm(threads) => threads.folded_stacks(),
            Detail::Go(goroutines) => goroutines.folded_stacks(),
            Detail::Captured(_) => Vec::new(),
        };
        fold(stacks)
    }
}

/// Merges (leaf-first frames, count) pairs into sorted `root;…;leaf count` lines.
fn fold(stacks: Vec<(Vec<String>, u64)>) -> Vec<String> {
    let mut merged: BTreeMap<String, u64> = BTreeMap::new();
    for (frames, count) in stacks {
        if frames.is_empty() {
            continue;
        }
        let line = frames
            .iter()
            .rev()
            .map(|f| crate::safe_text::folded_frame(f))
            .collect::<Vec<_>>()
            .join(";");
        *merged.entry(line).or_default() += count;
    }
    merged
        .into_iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect()
}

/// Why a dump could not be taken.
#[derive(Debug, Error)]
pub enum DumpError {
    #[error("process {pid} does not exist (or exited)")]
    NoSuchProcess { pid: u32 },
    #[error("permission denied: {path}: {source} (run as the target's user or root)")]
    PermissionDenied {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The kernel refused a read the dump depends on; `reason` says which and what access
    /// would be needed.
    #[error("{reason}")]
    AccessDenied { reason: String },
    /// The PID is a zombie or a thread of another process: nothing to ask for a dump.
    #[error("{reason}")]
    NotWatchable { reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Sending what was asked could hurt the target; the reason says what and how to override.
    #[error("refused: {reason}")]
    Refused { reason: String },
    /// The request is safe only if the user agrees; `question` says exactly what will be sent.
    #[error("needs confirmation: {question}")]
    NeedsConfirmation { question: String },
    /// This method does not apply to the target; `reason` says what would.
    #[error("{reason}")]
    Unavailable { reason: String },
    /// The runtime answered, but not with a dump.
    #[error("{what}: {detail}")]
    Protocol { what: String, detail: String },
    #[error("the target wrote nothing within {waited:?} after the signal")]
    NoOutput { waited: Duration },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl DumpError {
    /// Classifies an I/O error on a path under `/proc/PID`: gone, forbidden, or other.
    pub fn from_proc_io(pid: u32, path: PathBuf, source: std::io::Error) -> DumpError {
        let dir = crate::collect::ProcessDir::live(i32::try_from(pid).unwrap_or(0));
        DumpError::from_collect(&dir, crate::collect::CollectError::io(&path, source))
    }
}

/// Takes one dump of `pid` as `request` says. Blocking; bounded by `request.timeout` per wait.
pub fn dump(pid: u32, request: &DumpRequest) -> Result<Dump, DumpError> {
    let target = target::Target::open(pid)?;
    let host_pid = i32::try_from(pid).map_err(|_| DumpError::NoSuchProcess { pid })?;
    let runtime =
        match crate::collect::runtime_evidence(&crate::collect::HostRoot::live(), host_pid) {
            Ok(runtime) => runtime,
            // A given endpoint needs no access to the process; --force takes the risk knowingly.
            Err(_) if request.pprof_url.is_some() || request.force => Runtime::Unknown,
            Err(crate::collect::CollectError::Io { path, source }) => {
                return Err(DumpError::from_proc_io(pid, path, source))
            }
            Err(error) => {
                return Err(DumpError::AccessDenied {
                    reason: format!(
                        "cannot tell which runtime process {pid} runs: {}",
                        error.reason()
                    ),
                })
            }
        };
    let method = match request.method {
        Method::Auto if request.signal.is_some() => Method::Signal,
        Method::Auto if request.pprof_url.is_some() => Method::Pprof,
        Method::Auto => match runtime {
            Runtime::Jvm => Method::Jvm,
            Runtime::Go => Method::Pprof,
            Runtime::Python => Method::Python,
            Runtime::Native | Runtime::Unknown => {
                return Err(DumpError::Unavailable {
                    reason: format!(
                        "process {pid} is not a Go, JVM or Python program; name a signal it \
                         dumps on with --signal SIG (healthtop checks that it is caught)"
                    ),
                })
            }
        },
        explicit => explicit,
    };
    match method {
        Method::Jvm => jvm::dump(&target, runtime, request),
        Method::Pprof => go::dump(&target, runtime, request),
        Method::Python => python::dump(&target, runtime, request),
        Method::Signal | Method::Auto => {
            let signal = request.signal.ok_or_else(|| DumpError::Unavailable {
                reason: "--method signal needs --signal SIG".to_string(),
            })?;
            signal::dump(&target, runtime, signal, request)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_merges_and_puts_root_first() {
        let lines = fold(vec![
            (vec!["leaf".into(), "mid".into(), "root".into()], 2),
            (vec!["leaf".into(), "mid".into(), "root".into()], 3),
            (vec!["x;y".into(), "root".into()], 1),
            (vec![], 7),
        ]);
        assert_eq!(lines, vec!["root;mid;leaf 5", "root;x\\x3by 1"]);
    }
}
