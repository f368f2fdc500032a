//! [`HostRoot`]: where `/proc`, `/sys` and `/etc` are. Live it is `/`; in tests it is a fixture
//! tree captured from a real host, so every collector runs on both.

use super::CollectError;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The root of the filesystem the collector reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
}

impl HostRoot {
    /// The running host.
    pub fn live() -> Self {
        HostRoot {
            root: PathBuf::from("/"),
        }
    }

    /// A captured tree with `proc/`, `sys/` and `etc/` below `root`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        HostRoot { root: root.into() }
    }

    /// `relative` below the root (`proc/42/status`).
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    pub fn proc_path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join("proc").join(relative)
    }

    /// Reads a text file, mapping the error with its path.
    pub fn read(&self, path: &Path) -> Result<String, CollectError> {
        read_text(path)
    }

    /// Reads `proc/<relative>`.
    pub fn read_proc(&self, relative: impl AsRef<Path>) -> Result<String, CollectError> {
        read_text(&self.proc_path(relative))
    }

    /// Reads a `/proc/sys` value as a number.
    pub fn sysctl_number(&self, name: &str) -> Result<u64, CollectError> {
        let path = self.proc_path(Path::new("sys").join(name));
        let text = read_text(&path)?;
        text.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| CollectError::Parse {
                path,
                detail: format!("not a number: {text:?}"),
            })
    }
}

/// Reads a whole file as text. The kernel's own text is ASCII, but names the target sets (comm,
/// argv, paths) may be any bytes: they are kept losslessly (see `safe_text::from_bytes`).
pub(crate) fn read_text(path: &Path) -> Result<String, CollectError> {
    let bytes = fs::read(path).map_err(|source| CollectError::io(path, source))?;
    Ok(crate::safe_text::from_bytes(&bytes))
}

/// Whether an I/O error means "this process or thread is gone".
pub(crate) fn is_gone(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::NotFound) || error.raw_os_error() == Some(libc::ESRCH)
}
