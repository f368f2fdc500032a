//! What capture needs from `/proc`: the thread list, each thread's state, name and CPU time,
//! the tracer of a process, and the reasons the kernel may refuse ptrace.
//!
//! May import: `parse` (stat/status parsers), `safe_text`, `stacks::error`.

use super::error::StacksError;
use crate::parse::stat::{parse_stat, Stat};
use crate::parse::status::Status;
use crate::safe_text::from_bytes;
use std::io::ErrorKind;
use std::path::PathBuf;

/// Reads a `/proc` file as text. A thread's name may be any bytes: they are kept losslessly
/// (`safe_text::from_bytes`), so no thread is lost to a name that is not UTF-8.
fn read(pid: i32, path: PathBuf) -> Result<String, StacksError> {
    std::fs::read(&path)
        .map(|bytes| from_bytes(&bytes))
        .map_err(|source| io_error(pid, path, source))
}

/// Reads a `/proc` file as text, `None` when it cannot be read (the thread is gone).
fn read_optional(path: String) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| from_bytes(&bytes))
}

/// Maps an error reading a `/proc/PID` file: gone, refused (with the reason), or other.
pub fn io_error(pid: i32, path: PathBuf, source: std::io::Error) -> StacksError {
    match source.kind() {
        ErrorKind::NotFound => StacksError::NoSuchProcess { pid },
        // ESRCH: the task died between open and read.
        _ if source.raw_os_error() == Some(libc::ESRCH) => StacksError::NoSuchProcess { pid },
        ErrorKind::PermissionDenied => StacksError::PermissionDenied {
            pid,
            reason: explain_eperm(pid),
        },
        _ => StacksError::Io { path, source },
    }
}

/// `/proc/PID/stat`, parsed.
pub fn process_stat(pid: i32) -> Result<Stat, StacksError> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    let text = read(pid, path.clone())?;
    parse_stat(&text).map_err(|e| StacksError::Parse {
        path,
        detail: e.to_string(),
    })
}

/// Refuses what cannot have user stacks: a missing PID, a kernel thread, a zombie, ourselves.
pub fn check_target(pid: i32) -> Result<Stat, StacksError> {
    let stat = process_stat(pid)?;
    if stat.is_kernel_thread() {
        return Err(StacksError::KernelThread { pid });
    }
    if stat.state == 'Z' || stat.state == 'X' {
        return Err(StacksError::Zombie { pid });
    }
    if pid == std::process::id() as i32 {
        return Err(StacksError::SelfTarget { pid });
    }
    let status = read(pid, PathBuf::from(format!("/proc/{pid}/status")))?;
    if let Some(tgid) = Status::parse(&status)
        .signed("Tgid")
        .and_then(|t| i32::try_from(t).ok())
    {
        if tgid != pid {
            return Err(StacksError::ThreadOfProcess { pid, tgid });
        }
    }
    Ok(stat)
}

/// The thread ids under `/proc/PID/task`, ascending.
pub fn thread_ids(pid: i32) -> Result<Vec<i32>, StacksError> {
    let path = PathBuf::from(format!("/proc/{pid}/task"));
    let entries = std::fs::read_dir(&path).map_err(|source| match source.kind() {
        ErrorKind::NotFound => StacksError::NoSuchProcess { pid },
        _ => StacksError::Io {
            path: path.clone(),
            source,
        },
    })?;
    let mut tids: Vec<i32> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    Ok(tids)
}

/// `/proc/PID/task/TID/stat`, or `None` when the thread is gone.
pub fn thread_stat(pid: i32, tid: i32) -> Option<Stat> {
    let text = read_optional(format!("/proc/{pid}/task/{tid}/stat"))?;
    parse_stat(&text).ok()
}

/// Nanoseconds the thread has run on a CPU (`/proc/PID/task/TID/schedstat`, first field):
/// finer than `utime + stime`, which moves in clock ticks.
pub fn thread_run_ns(pid: i32, tid: i32) -> Option<u64> {
    let text = read_optional(format!("/proc/{pid}/task/{tid}/schedstat"))?;
    text.split_whitespace().next()?.parse().ok()
}

/// The kernel function a sleeping thread waits in (`/proc/PID/task/TID/wchan`).
pub fn thread_wchan(pid: i32, tid: i32) -> Option<String> {
    let text = read_optional(format!("/proc/{pid}/task/{tid}/wchan"))?;
    let text = text.trim();
    (!text.is_empty() && text != "0").then(|| text.to_string())
}

/// `TracerPid` of the process: another debugger or profiler holding it.
pub fn tracer_pid(pid: i32) -> Result<i32, StacksError> {
    let text = read(pid, PathBuf::from(format!("/proc/{pid}/status")))?;
    Ok(Status::parse(&text)
        .signed("TracerPid")
        .and_then(|v| i32::try_from(v).ok())
        .unwrap_or(0))
}

/// `TracerPid` of one thread (`/proc/PID/task/TID/status`), or `None` when it is gone.
pub fn thread_tracer_pid(pid: i32, tid: i32) -> Option<i32> {
    let text = read_optional(format!("/proc/{pid}/task/{tid}/status"))?;
    Status::parse(&text)
        .signed("TracerPid")
        .and_then(|v| i32::try_from(v).ok())
}

/// Explains an `EPERM` from `PTRACE_SEIZE`: the rule that most likely refused it.
pub fn explain_eperm(pid: i32) -> String {
    if let Ok(tracer) = tracer_pid(pid) {
        if tracer != 0 {
            let name = process_stat(tracer).map(|s| s.comm).unwrap_or_default();
            return format!("it is already traced by PID {tracer} ({name}); detach that debugger or profiler first");
        }
    }
    let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        .ok()
        .and_then(|t| t.trim().parse::<u8>().ok());
    let euid = nix::unistd::geteuid().as_raw();
    let owner =
        read_optional(format!("/proc/{pid}/status")).and_then(|t| Status::parse(&t).ids("Uid"));
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
