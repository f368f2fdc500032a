//! What capture needs from `/proc`: the thread list, each thread's state, name and CPU time,
//! the tracer of a process, and the reasons the kernel may refuse ptrace.
//!
//! Every read goes through `collect::ProcessDir`, so discovery runs on fixture trees too.
//!
//! May import: `collect` (`ProcessDir`, its error), `parse` (stat/status parsers),
//! `stacks::error`.

use super::error::StacksError;
use crate::collect::{CollectError, ProcessDir};
use crate::parse::stat::Stat;
use crate::parse::status::Status;

impl StacksError {
    /// The one mapping from a process read's error: gone, not watchable, refused (with the rule
    /// that refused it), or other.
    pub fn from_collect(dir: &ProcessDir, error: CollectError) -> StacksError {
        let pid = dir.pid();
        match dir.gone_as_missing(error) {
            CollectError::NoSuchProcess { .. }
            | CollectError::Gone { .. }
            | CollectError::PidReused { .. } => StacksError::NoSuchProcess { pid },
            CollectError::KernelThread { .. } => StacksError::KernelThread { pid },
            CollectError::Zombie { .. } => StacksError::Zombie { pid },
            CollectError::NotAProcess { tgid, .. } => StacksError::ThreadOfProcess { pid, tgid },
            CollectError::PermissionDenied { .. } => StacksError::PermissionDenied {
                pid,
                reason: explain_eperm(dir),
            },
            CollectError::Io { path, source } => StacksError::Io { path, source },
            CollectError::Parse { path, detail } => StacksError::Parse { path, detail },
        }
    }
}

/// Refuses what cannot have user stacks: a missing PID, a kernel thread, a zombie, a thread of
/// another process (the one check, [`ProcessDir::watchable`]), and healthtop itself.
pub fn check_target(dir: &ProcessDir) -> Result<Stat, StacksError> {
    let stat = dir
        .watchable()
        .map_err(|e| StacksError::from_collect(dir, e))?;
    if dir.pid() == std::process::id() as i32 && dir.root() == &crate::collect::HostRoot::live() {
        return Err(StacksError::SelfTarget { pid: dir.pid() });
    }
    Ok(stat)
}

/// The thread ids under `/proc/PID/task`, ascending.
pub fn thread_ids(dir: &ProcessDir) -> Result<Vec<i32>, StacksError> {
    dir.thread_ids()
        .map_err(|e| StacksError::from_collect(dir, e))
}

/// `/proc/PID/task/TID/stat`, or `None` when the thread is gone.
pub fn thread_stat(dir: &ProcessDir, tid: i32) -> Option<Stat> {
    dir.thread_stat(tid)
}

/// Nanoseconds the thread has run on a CPU (`/proc/PID/task/TID/schedstat`, first field):
/// finer than `utime + stime`, which moves in clock ticks.
pub fn thread_run_ns(dir: &ProcessDir, tid: i32) -> Option<u64> {
    let text = dir.thread_file(tid, "schedstat")?;
    text.split_whitespace().next()?.parse().ok()
}

/// The kernel function a sleeping thread waits in (`/proc/PID/task/TID/wchan`).
pub fn thread_wchan(dir: &ProcessDir, tid: i32) -> Option<String> {
    let text = dir.thread_file(tid, "wchan")?;
    let text = text.trim();
    (!text.is_empty() && text != "0").then(|| text.to_string())
}

/// `TracerPid` of the process: another debugger or profiler holding it.
pub fn tracer_pid(dir: &ProcessDir) -> Result<i32, StacksError> {
    let status = dir
        .status()
        .map_err(|e| StacksError::from_collect(dir, e))?;
    Ok(status
        .signed("TracerPid")
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(0))
}

/// `TracerPid` of one thread (`/proc/PID/task/TID/status`), or `None` when it is gone.
pub fn thread_tracer_pid(dir: &ProcessDir, tid: i32) -> Option<i32> {
    let text = dir.thread_file(tid, "status")?;
    Status::parse(&text)
        .signed("TracerPid")
        .and_then(|v| i32::try_from(v).ok())
}

/// Explains an `EPERM` from `PTRACE_SEIZE`: the rule that most likely refused it.
pub fn explain_eperm(dir: &ProcessDir) -> String {
    let tracer = dir.status().ok().and_then(|s| s.signed("TracerPid"));
    if let Some(tracer) = tracer.and_then(|t| i32::try_from(t).ok()) {
        if tracer != 0 {
            let tracer_dir = ProcessDir::new(dir.root().clone(), tracer);
            let name = tracer_dir.stat().map(|s| s.comm).unwrap_or_default();
            return format!("it is already traced by PID {tracer} ({name}); detach that debugger or profiler first");
        }
    }
    let scope = dir
        .root()
        .sysctl_number("kernel/yama/ptrace_scope")
        .ok()
        .and_then(|n| u8::try_from(n).ok());
    let euid = nix::unistd::geteuid().as_raw();
    let owner = dir.status().ok().and_then(|s| s.ids("Uid"));
    match (scope, owner) {
        (Some(3), _) => "kernel.yama.ptrace_scope=3 forbids ptrace on this machine".to_string(),
        (_, Some(ids)) if euid != 0 && ids[0] != euid => format!(
            "it belongs to uid {} and you are uid {euid}; run as that user, as root, or with CAP_SYS_PTRACE",
            ids[0]
        ),
        (Some(2), _) => "kernel.yama.ptrace_scope=2 allows ptrace only with CAP_SYS_PTRACE".to_string(),
        (Some(1), _) => "kernel.yama.ptrace_scope=1 allows tracing only your own descendants; run as root, grant CAP_SYS_PTRACE, or set kernel.yama.ptrace_scope=0".to_string(),
        _ => "permission denied (not dumpable, a security module, or missing CAP_SYS_PTRACE)".to_string(),
    }
}
