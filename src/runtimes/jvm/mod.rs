//! JVM thread dumps through the HotSpot attach protocol ([`attach`]), parsed ([`threaddump`])
//! and joined with the kernel's thread table by tid (`nid` = Linux tid).
//!
//! May import: siblings in `runtimes`, the parent's types.

pub mod attach;
pub mod threaddump;

pub use threaddump::{parse_thread_dump, JavaFrame, JvmLock, JvmThread, JvmThreads, LockKind};

use super::target::Target;
use super::{Detail, Dump, DumpError, DumpMethod, DumpRequest, Runtime};

/// `threaddump` over attach (what `jstack PID` sends), parsed and joined with
/// `/proc/PID/task`.
pub fn dump(target: &Target, runtime: Runtime, request: &DumpRequest) -> Result<Dump, DumpError> {
    if runtime != Runtime::Jvm && !request.force {
        return Err(DumpError::Unavailable {
            reason: format!(
                "process {} has no libjvm.so mapped ({} detected); --force tries the attach \
                 protocol anyway",
                target.pid,
                runtime.as_str()
            ),
        });
    }
    let text = attach::execute(target, "threaddump", ["", "", ""], request.timeout)?;
    let mut threads = parse_thread_dump(&text);
    join_tasks(target, &mut threads);
    let notes = vec![
        "threaddump runs at a safepoint: every Java thread pauses briefly while it prints"
            .to_string(),
    ];
    Ok(Dump {
        pid: target.pid,
        runtime,
        method: DumpMethod::JvmAttach,
        total: Some(threads.threads.len() as u64),
        text,
        detail: Detail::Jvm(threads),
        notes,
    })
}

/// Fills `task_comm` for every thread whose tid is a task of the target now.
pub fn join_tasks(target: &Target, threads: &mut JvmThreads) {
    for thread in &mut threads.threads {
        thread.task_comm = thread.tid.and_then(|tid| {
            std::fs::read_to_string(target.path(&format!("task/{tid}/comm")))
                .ok()
                .map(|comm| comm.trim_end_matches('\n').to_string())
        });
    }
}
