//! JVM thread dumps through the HotSpot attach protocol ([`attach`]), parsed ([`threaddump`])
//! and joined with the kernel's thread table by tid (`nid` = Linux tid).
//!
//! May import: `parse::status`, siblings in `runtimes`, the parent's types.

pub mod attach;
pub mod threaddump;

pub use threaddump::{parse_thread_dump, JavaFrame, JvmLock, JvmThread, JvmThreads, LockKind};

use super::target::Target;
use super::{Detail, Dump, DumpError, DumpMethod, DumpRequest, Runtime};
use crate::parse::status::Status;
use std::collections::BTreeMap;

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

/// Asks the JVM to write its perf map (`/tmp/perf-<nspid>.map`: where each compiled method
/// sits) now, over attach: `jcmd PID Compiler.perfmap`, JDK 17 and later. Starting the attach
/// listener may need a SIGQUIT (see [`attach`]): callers ask the user first.
pub fn write_perf_map(target: &Target, timeout: std::time::Duration) -> Result<(), DumpError> {
    attach::execute(target, "jcmd", ["Compiler.perfmap", "", ""], timeout).map(|_| ())
}

/// Joins the dump with `/proc/PID/task`: `tid` becomes the host tid of the task whose
/// namespace tid (last `NSpid` field) is the thread's `nid` — the same number outside
/// containers — and `task_comm` its kernel name. Threads with no such task get `None`.
pub fn join_tasks(target: &Target, threads: &mut JvmThreads) {
    let mut by_nid: BTreeMap<u32, (u32, String)> = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(target.path("task")) {
        for entry in entries.flatten() {
            let Some(tid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let nid = Status::parse(&status)
                .get("NSpid")
                .and_then(|v| v.split_whitespace().last())
                .and_then(|v| v.parse().ok())
                .unwrap_or(tid);
            let comm = std::fs::read(entry.path().join("comm"))
                .map(|bytes| crate::safe_text::from_bytes(&bytes))
                .unwrap_or_default();
            by_nid.insert(nid, (tid, comm.trim_end_matches('\n').to_string()));
        }
    }
    for thread in &mut threads.threads {
        let task = thread.nid.and_then(|nid| by_nid.get(&nid));
        thread.tid = task.map(|(tid, _)| *tid);
        thread.task_comm = task.map(|(_, comm)| comm.clone());
    }
}
