//! [`ProcessDir`]: one process's directory (`proc/PID`) on a [`HostRoot`], the one way healthtop
//! reads a process. Collect, stacks, runtimes and the shell all read through it, so every path
//! runs on a captured fixture tree as well as live, with one error type ([`CollectError`]), one
//! "gone" mapping ([`CollectError::is_gone`]) and one "can it be watched" check
//! ([`ProcessDir::watchable`]).

use super::{CollectError, HostRoot};
use crate::parse::stat::{parse_stat, Stat};
use crate::parse::status::Status;
use std::path::{Path, PathBuf};

/// `proc/PID` below a [`HostRoot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessDir {
    root: HostRoot,
    pid: i32,
}

impl ProcessDir {
    pub fn new(root: HostRoot, pid: i32) -> Self {
        ProcessDir { root, pid }
    }

    /// `/proc/PID` of the running host.
    pub fn live(pid: i32) -> Self {
        ProcessDir::new(HostRoot::live(), pid)
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn root(&self) -> &HostRoot {
        &self.root
    }

    /// `proc/PID/<relative>`.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root
            .proc_path(self.pid.to_string())
            .join(relative.as_ref())
    }

    /// Whether the process directory exists now.
    pub fn exists(&self) -> bool {
        self.path("").exists()
    }

    /// Reads `proc/PID/<relative>` as text (bytes that are not UTF-8 kept and escaped).
    pub fn read(&self, relative: impl AsRef<Path>) -> Result<String, CollectError> {
        super::root::read_text(&self.path(relative))
    }

    /// Where `proc/PID/<relative>` links to (`exe`, `fd/3`, `ns/net`).
    pub fn read_link(&self, relative: impl AsRef<Path>) -> Result<PathBuf, CollectError> {
        let path = self.path(relative);
        std::fs::read_link(&path).map_err(|source| CollectError::io(&path, source))
    }

    /// `proc/PID/stat`, parsed; a missing or vanished process is [`CollectError::NoSuchProcess`].
    pub fn stat(&self) -> Result<Stat, CollectError> {
        let path = self.path("stat");
        let text = super::root::read_record(&path).map_err(|e| self.gone_as_missing(e))?;
        parse_stat(&text).map_err(|e| CollectError::Parse {
            path,
            detail: e.to_string(),
        })
    }

    /// `proc/PID/status`, parsed.
    pub fn status(&self) -> Result<Status, CollectError> {
        let text = self.read("status").map_err(|e| self.gone_as_missing(e))?;
        Ok(Status::parse(&text))
    }

    /// Refuses what healthtop cannot watch: a missing PID, a kernel thread, a zombie, a thread
    /// of another process, or a process whose `status` may not be read. Returns its `stat`.
    pub fn watchable(&self) -> Result<Stat, CollectError> {
        let pid = self.pid;
        let stat = self.stat()?;
        if stat.is_kernel_thread() {
            return Err(CollectError::KernelThread {
                pid,
                comm: stat.comm,
            });
        }
        if stat.state == 'Z' || stat.state == 'X' {
            return Err(CollectError::Zombie {
                pid,
                comm: stat.comm,
                ppid: stat.ppid,
            });
        }
        let tgid = self.status()?.signed("Tgid");
        if let Some(tgid) = tgid.filter(|&t| t != i64::from(pid)) {
            return Err(CollectError::NotAProcess {
                pid,
                tgid: i32::try_from(tgid).unwrap_or(i32::MAX),
            });
        }
        Ok(stat)
    }

    /// The thread ids under `proc/PID/task`, ascending.
    pub fn thread_ids(&self) -> Result<Vec<i32>, CollectError> {
        let path = self.path("task");
        let entries = std::fs::read_dir(&path)
            .map_err(|source| self.gone_as_missing(CollectError::io(&path, source)))?;
        let mut tids: Vec<i32> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .collect();
        tids.sort_unstable();
        Ok(tids)
    }

    /// `proc/PID/task/TID/<file>`, or `None` when it cannot be read (the thread is gone).
    pub fn thread_file(&self, tid: i32, file: &str) -> Option<String> {
        self.read(Path::new("task").join(tid.to_string()).join(file))
            .ok()
    }

    /// `proc/PID/task/TID/stat`, or `None` when the thread is gone.
    pub fn thread_stat(&self, tid: i32) -> Option<Stat> {
        parse_stat(&self.thread_file(tid, "stat")?).ok()
    }

    /// The one "gone" mapping: an error that means the process is no longer there (ESRCH, or a
    /// missing file of a process whose directory is gone) becomes
    /// [`CollectError::NoSuchProcess`]; every other error is kept (a file missing from a live
    /// process is the kernel's, not the process's, absence).
    pub fn gone_as_missing(&self, error: CollectError) -> CollectError {
        let esrch = matches!(&error, CollectError::Io { source, .. }
            if source.raw_os_error() == Some(libc::ESRCH));
        if error.is_gone() && (esrch || !self.exists()) {
            CollectError::NoSuchProcess { pid: self.pid }
        } else {
            error
        }
    }
}
