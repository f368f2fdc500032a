//! Snapshot bundles: one `.tar.gz` holding everything healthtop knows about a process, to hand
//! to someone else and open later (`healthtop report --from`, `healthtop view`).
//!
//! Layout and versioning are documented in `docs/bundle-format.md`. Secrets are masked before
//! anything is written ([`secrets`]); files are written atomically with mode 0600 through
//! [`crate::safe_file`] ([`write`]);
//! reading checks the schema and every checksum ([`read`]).
//!
//! May import: `report`, `sample`, `config`, `safe_file`, `collect::raw` and `collect::HostRoot`
//! (only [`snapshot`] reads `/proc`: the raw copies, when the caller says the target is alive).

pub mod extras;
pub mod json_guard;
pub mod read;
pub mod secrets;
pub mod snapshot;
pub mod write;

use crate::report::Report;
use crate::sample::Sample;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use thiserror::Error;

/// Schema of `manifest.json`.
pub const SCHEMA: &str = "healthtop.bundle/1";

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
    pub history: Vec<Sample>,
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
    #[error("{path} uses bundle schema {found:?}; this healthtop reads {SCHEMA:?}")]
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
