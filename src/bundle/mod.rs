//! Snapshot bundles: one `.tar.gz` holding everything healthtop knows about a process, to hand
//! to someone else and open later (`healthtop report --from`, `healthtop view`).
//!
//! Layout and versioning are documented in `docs/bundle-format.md`. Secrets are masked before
//! anything is written ([`secrets`]); files are written atomically with mode 0600 through
//! [`crate::safe_file`] ([`write`]);
//! reading checks the schema and every checksum ([`read`]).
//!
//! May import: `report`, `sample`, `config`, `history`, `rules`, `safe_file`, `collect::raw` and
//! `collect::HostRoot`
//! (only [`snapshot`] reads `/proc`: the raw copies, when the caller says the target is alive).

pub mod extras;
pub mod json_guard;
pub mod read;
pub mod rederive;
pub mod secrets;
pub mod snapshot;
pub mod write;

use crate::report::Report;
use crate::sample::Sample;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use thiserror::Error;

/// Schema of `manifest.json` written now.
pub const SCHEMA: &str = "healthtop.bundle/2";

/// Schemas this healthtop opens: `/1` bundles lack the exit, the goroutine counts and
/// `stacks.json`, which then read as absent.
pub const READABLE: [&str; 2] = [SCHEMA, "healthtop.bundle/1"];

/// What a bundle says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub schema: String,
    pub healthtop_version: String,
    pub host: Option<String>,
    pub kernel: Option<String>,
    pub created_at_ms: u64,
    pub target: TargetIdentity,
    /// How long the target was watched, and how many samples were taken.
    pub duration_ms: u64,
    pub samples: usize,
    /// Whether the target's environment was included (masked).
    pub includes_environment: bool,
    pub contents: Vec<ContentEntry>,
    /// Files that could not be included, and why.
    pub missing: Vec<MissingEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetIdentity {
    pub pid: i32,
    pub start_time: u64,
    pub comm: String,
    pub runtime: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingEntry {
    pub path: String,
    pub reason: String,
}

/// `report.json` in a bundle: the report schema plus the samples taken while watching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleReport {
    #[serde(flatten)]
    pub report: Report,
    /// Every sample, oldest first (the last one is the report itself). Memory maps are kept
    /// only in the report, not repeated per sample.
    pub history: Vec<Recorded>,
    /// How the target ended, when it ended while it was watched (`/2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit: Option<TargetExit>,
}

/// One sample of a bundle's history and what was read beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    #[serde(flatten)]
    pub sample: Sample,
    /// Go targets: the goroutine count read from the pprof endpoint with this sample (`/2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goroutines: Option<GoroutineReading>,
}

impl Recorded {
    /// A sample with nothing read beside it.
    pub fn plain(sample: Sample) -> Recorded {
        Recorded {
            sample,
            goroutines: None,
        }
    }
}

/// One reading of a Go target's goroutine count: the count, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoroutineReading {
    pub at_ms: u64,
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
    /// The endpoint read, when one was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl GoroutineReading {
    pub fn new(
        at_ms: u64,
        count: Result<u64, String>,
        endpoint: Option<String>,
    ) -> GoroutineReading {
        let (count, unread) = match count {
            Ok(count) => (Some(count), None),
            Err(reason) => (None, Some(reason)),
        };
        GoroutineReading {
            at_ms,
            count,
            unread,
            endpoint,
        }
    }

    /// The count, or why not.
    pub fn result(&self) -> Result<u64, String> {
        self.count.ok_or_else(|| {
            self.unread
                .clone()
                .unwrap_or_else(|| "not read".to_string())
        })
    }
}

/// The end of the target, as the watch saw it: `how` is `killed by SIGKILL`, `exited with
/// status 3`, or why it could not be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetExit {
    pub at_ms: u64,
    pub how: String,
}

/// Findings over a bundle's history, judged as the live view judges them: the rules run after
/// each sample (goroutine readings recorded beside it) over the window from the first one,
/// and once more after the exit, if the target ended.
pub fn judge(
    history: &[Recorded],
    exit: Option<&TargetExit>,
    interval: std::time::Duration,
    config: crate::config::Config,
) -> crate::report::watch::Judged {
    use crate::history::{History, Metric};
    use crate::rules::{RuleEngine, Window};
    let Some(first) = history.first() else {
        return crate::report::watch::Judged {
            findings: Vec::new(),
            headroom: crate::headroom::Headroom::default(),
        };
    };
    let mut engine = RuleEngine::with_window(
        config,
        Window::Explicit {
            since_ms: first.sample.taken_at_ms,
        },
    );
    let mut judged = History::new(std::time::Duration::from_secs(3600), interval);
    let mut findings = Vec::new();
    for recorded in history {
        judged.push(&recorded.sample);
        if let Some(reading) = &recorded.goroutines {
            judged.record(
                Metric::Goroutines,
                reading.at_ms,
                reading.result().map(|c| c as f64),
            );
        }
        findings = engine.evaluate(&judged);
    }
    if let Some(exit) = exit {
        judged.mark_gone(exit.at_ms, exit.how.clone());
        findings = engine.evaluate(&judged);
    }
    crate::report::watch::Judged {
        findings,
        headroom: engine.headroom().clone(),
    }
}

#[derive(Debug, Error)]
pub enum BundleError {
    /// The destination was refused (a link, not a regular file, exists) or could not be made.
    #[error(transparent)]
    File(#[from] crate::safe_file::SafeFileError),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a healthtop bundle: {detail}")]
    Foreign { path: PathBuf, detail: String },
    #[error("{path} is corrupt or truncated: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path} uses bundle schema {found:?}; this healthtop reads {SCHEMA:?} and \"healthtop.bundle/1\"")]
    UnsupportedSchema { path: PathBuf, found: String },
    #[error("nothing to bundle: no sample of the target was taken")]
    NoSamples,
}

/// Hex SHA-256 of `data`, as the manifest lists it.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
