//! The errors of stack capture, each mapped to one exit code by `cmd/`.

use std::path::PathBuf;
use thiserror::Error;

/// Why a capture could not be made at all. Per-thread trouble (a thread that exited, one in
/// `D` state) is not an error: it is a note on that thread.
#[derive(Debug, Error)]
pub enum StacksError {
    #[error("no such process: {pid}")]
    NoSuchProcess { pid: i32 },
    /// The kernel refused ptrace or memory reads; `reason` says which rule.
    #[error("cannot trace PID {pid}: {reason}")]
    PermissionDenied { pid: i32, reason: String },
    #[error("PID {pid} is a kernel thread: it has no user-space stack")]
    KernelThread { pid: i32 },
    #[error("PID {pid} is a zombie: it has exited and has no stacks")]
    Zombie { pid: i32 },
    #[error("PID {pid} is a thread of process {tgid}: pass the process ID")]
    ThreadOfProcess { pid: i32, tgid: i32 },
    #[error("PID {pid} is healthtop itself")]
    SelfTarget { pid: i32 },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("ptrace {op} of thread {tid} failed: {errno}")]
    Ptrace {
        op: &'static str,
        tid: i32,
        errno: nix::errno::Errno,
    },
    /// The tracer thread could not be started or died.
    #[error("tracer thread: {0}")]
    Tracer(String),
}
