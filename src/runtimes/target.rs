//! The target process as the dump code sees it: its `/proc/PID` files, signal dispositions,
//! namespace pid, root and cwd. Every read maps "gone" and "forbidden" to their own errors.
//!
//! Every read goes through `collect::ProcessDir`, so detection and discovery run on fixture
//! trees too.
//!
//! May import: `collect` (`ProcessDir`, its error), `parse::status`, `decode::signals`, the
//! parent's error type.

use super::DumpError;
use crate::collect::{CollectError, ProcessDir};
use crate::decode::signals::mask_has;
use crate::parse::status::Status;
use std::path::PathBuf;

/// Whether `/proc/PID` exists now.
pub fn exists(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(|pid| ProcessDir::live(pid).exists())
}

impl DumpError {
    /// The one mapping from a process read's error: gone, not watchable, forbidden, or other.
    pub fn from_collect(dir: &ProcessDir, error: CollectError) -> DumpError {
        let pid = u32::try_from(dir.pid()).unwrap_or(0);
        match dir.gone_as_missing(error) {
            CollectError::NoSuchProcess { .. }
            | CollectError::Gone { .. }
            | CollectError::PidReused { .. } => DumpError::NoSuchProcess { pid },
            e @ (CollectError::KernelThread { .. }
            | CollectError::Zombie { .. }
            | CollectError::NotAProcess { .. }) => DumpError::NotWatchable {
                reason: e.to_string(),
            },
            CollectError::PermissionDenied { path, .. } => DumpError::PermissionDenied {
                path,
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            },
            CollectError::Io { path, source } => DumpError::Io { path, source },
            CollectError::Parse { path, detail } => DumpError::Protocol {
                what: path.display().to_string(),
                detail,
            },
        }
    }
}

/// How the process treats one signal, from `/proc/PID/status` (main thread for `SigBlk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disposition {
    /// A handler is installed (`SigCgt`).
    pub caught: bool,
    /// Explicitly ignored (`SigIgn`).
    pub ignored: bool,
    /// Blocked by the main thread (`SigBlk`); another thread may still take it.
    pub blocked: bool,
}

impl Disposition {
    pub fn from_status(status: &Status, signal: u32) -> Disposition {
        let has = |key: &str| {
            status
                .hex_mask(key)
                .is_some_and(|mask| mask_has(mask, signal))
        };
        Disposition {
            caught: has("SigCgt"),
            ignored: has("SigIgn"),
            blocked: has("SigBlk"),
        }
    }
}

/// A process addressed through its `/proc/PID` directory.
#[derive(Debug, Clone)]
pub struct Target {
    pub pid: u32,
    dir: ProcessDir,
}

impl Target {
    /// Checks the live process exists and can be watched (not a kernel thread, a zombie or a
    /// thread of another process) and that its status is readable.
    pub fn open(pid: u32) -> Result<Target, DumpError> {
        let host_pid = i32::try_from(pid)
            .ok()
            .filter(|&p| p > 0)
            .ok_or(DumpError::NoSuchProcess { pid })?;
        Target::open_at(ProcessDir::live(host_pid))
    }

    /// The same checks on a process directory of any root (a fixture tree in tests).
    pub fn open_at(dir: ProcessDir) -> Result<Target, DumpError> {
        let pid = u32::try_from(dir.pid()).map_err(|_| DumpError::NoSuchProcess { pid: 0 })?;
        dir.watchable()
            .map_err(|e| DumpError::from_collect(&dir, e))?;
        Ok(Target { pid, dir })
    }

    /// Where the process's files are read.
    pub fn dir(&self) -> &ProcessDir {
        &self.dir
    }

    /// `/proc/PID/<relative>`.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path(relative)
    }

    /// Reads `/proc/PID/<relative>`; bytes that are not UTF-8 (a thread name in `status`) are
    /// kept losslessly, never an error.
    pub fn read_to_string(&self, relative: &str) -> Result<String, DumpError> {
        self.dir
            .read(relative)
            .map_err(|e| DumpError::from_collect(&self.dir, e))
    }

    pub fn status(&self) -> Result<Status, DumpError> {
        Ok(Status::parse(&self.read_to_string("status")?))
    }

    pub fn disposition(&self, signal: u32) -> Result<Disposition, DumpError> {
        Ok(Disposition::from_status(&self.status()?, signal))
    }

    /// The pid inside the target's own pid namespace: last field of `NSpid:` (same as the host
    /// pid when not in a container, or on kernels before 4.1 that lack the field).
    pub fn namespace_pid(&self) -> Result<u32, DumpError> {
        let status = self.status()?;
        Ok(status
            .get("NSpid")
            .and_then(|v| v.split_whitespace().last())
            .and_then(|v| v.parse().ok())
            .unwrap_or(self.pid))
    }

    /// Where an open descriptor points (`/var/log/app.log`, `pipe:[123]`, `socket:[456]`).
    pub fn fd_link(&self, fd: u32) -> Result<PathBuf, DumpError> {
        self.dir
            .read_link(format!("fd/{fd}"))
            .map_err(|e| DumpError::from_collect(&self.dir, e))
    }

    /// Whether the target lives in another network namespace than healthtop.
    pub fn other_netns(&self) -> Result<bool, DumpError> {
        use std::os::unix::fs::MetadataExt;
        let theirs = self.path("ns/net");
        let their_ino = std::fs::metadata(&theirs)
            .map_err(|e| DumpError::from_collect(&self.dir, CollectError::io(&theirs, e)))?
            .ino();
        let ours = self.dir.root().proc_path("self/ns/net");
        let our_ino = std::fs::metadata(&ours)
            .map_err(|source| DumpError::Io { path: ours, source })?
            .ino();
        Ok(their_ino != our_ino)
    }

    /// Sends `signal` (standard signals only) to the whole process.
    pub fn send_signal(&self, signal: u32) -> Result<(), DumpError> {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let number = i32::try_from(signal).map_err(|_| DumpError::Unavailable {
            reason: format!("signal {signal} out of range"),
        })?;
        let sig = Signal::try_from(number).map_err(|_| DumpError::Unavailable {
            reason: format!(
                "signal {signal} is not a standard signal (1-31); healthtop sends only those"
            ),
        })?;
        let pid =
            i32::try_from(self.pid).map_err(|_| DumpError::NoSuchProcess { pid: self.pid })?;
        kill(Pid::from_raw(pid), sig).map_err(|errno| match errno {
            nix::errno::Errno::ESRCH => DumpError::NoSuchProcess { pid: self.pid },
            other => DumpError::PermissionDenied {
                path: self.dir.path(""),
                source: std::io::Error::from(other),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_reads_the_three_masks() {
        // SIGQUIT (3) caught, SIGUSR1 (10) ignored, SIGTERM (15) blocked.
        let status = Status::parse(
            "SigBlk:\t0000000000004000\nSigIgn:\t0000000000000200\nSigCgt:\t0000000000000004\n",
        );
        let quit = Disposition::from_status(&status, 3);
        assert!(quit.caught && !quit.ignored && !quit.blocked);
        let usr1 = Disposition::from_status(&status, 10);
        assert!(!usr1.caught && usr1.ignored);
        assert!(Disposition::from_status(&status, 15).blocked);
    }

    #[test]
    fn own_process_is_a_target() {
        let target = Target::open(std::process::id()).expect("self");
        assert_eq!(
            target.namespace_pid().expect("nspid"),
            std::process::id(),
            "not in a pid namespace in tests"
        );
        assert!(!target.other_netns().expect("netns"));
        assert!(matches!(
            Target::open(0),
            Err(DumpError::NoSuchProcess { pid: 0 })
        ));
    }
}
