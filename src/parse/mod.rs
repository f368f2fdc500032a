//! Pure parsers for the kernel's text files: `/proc/PID/{stat,status,limits,maps}`,
//! `net/tcp`, cgroup files. They take text and return data, never read files, never panic on
//! any input (they are fuzzed), so the same code reads a live `/proc`, a fixture tree and the
//! raw copies inside a bundle.
//!
//! May import: `sample` (for the shapes it fills), `decode`.

pub mod cgroup;
pub mod limits;
pub mod maps;
pub mod stat;
pub mod status;
pub mod tcp;

use thiserror::Error;

/// A file did not have the shape the kernel documents.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what}: {detail}")]
pub struct ParseError {
    /// Which file or field (`stat`, `limits row 3`).
    pub what: &'static str,
    pub detail: String,
}

impl ParseError {
    pub fn new(what: &'static str, detail: impl Into<String>) -> Self {
        ParseError {
            what,
            detail: detail.into(),
        }
    }
}
