//! Raw copies of the target's /proc files, for a bundle: what the kernel said, byte for byte,
//! so whoever opens the bundle can check healthtop's reading against the source.

use super::{CollectError, HostRoot};
use std::fs;

/// Files copied from `/proc/PID/` when readable.
pub const PROCESS_FILES: [&str; 14] = [
    "status",
    "stat",
    "statm",
    "limits",
    "maps",
    "smaps_rollup",
    "cgroup",
    "io",
    "oom_score",
    "oom_score_adj",
    "coredump_filter",
    "cmdline",
    "net/tcp",
    "net/tcp6",
];
/// Files copied from every `/proc/PID/task/TID/`.
pub const TASK_FILES: [&str; 4] = ["stat", "status", "wchan", "syscall"];

/// One copied file: its path inside the bundle's `proc/` and its bytes, or why it is missing.
#[derive(Debug)]
pub struct RawFile {
    pub path: String,
    pub contents: Result<Vec<u8>, String>,
}

/// Copies the target's files. `environ` only when asked: it often holds secrets.
pub fn copy_process_files(root: &HostRoot, pid: i32, include_environ: bool) -> Vec<RawFile> {
    let mut files = Vec::new();
    let mut copy = |relative: String, bundle_path: String| {
        let path = root.proc_path(&relative);
        let contents = fs::read(&path).map_err(|e| CollectError::io(&path, e).reason());
        files.push(RawFile {
            path: bundle_path,
            contents,
        });
    };
    for name in PROCESS_FILES {
        copy(format!("{pid}/{name}"), name.to_string());
    }
    if include_environ {
        copy(format!("{pid}/environ"), "environ".to_string());
    }
    let tids: Vec<String> = fs::read_dir(root.proc_path(format!("{pid}/task")))
        .map(|entries| {
            entries
                .filter_map(|e| Some(e.ok()?.file_name().to_str()?.to_string()))
                .collect()
        })
        .unwrap_or_default();
    for tid in tids {
        for name in TASK_FILES {
            copy(
                format!("{pid}/task/{tid}/{name}"),
                format!("task/{tid}/{name}"),
            );
        }
    }
    files.push(RawFile {
        path: "fd.txt".to_string(),
        contents: fd_listing(root, pid),
    });
    files
}

/// The bundle paths [`copy_process_files`] would produce for these threads: a bundle of a
/// target that is gone lists each as missing, with the reason.
pub fn expected_paths(tids: &[i32], include_environ: bool) -> Vec<String> {
    let mut paths: Vec<String> = PROCESS_FILES.iter().map(|n| n.to_string()).collect();
    if include_environ {
        paths.push("environ".to_string());
    }
    for tid in tids {
        paths.extend(TASK_FILES.iter().map(|n| format!("task/{tid}/{n}")));
    }
    paths.push("fd.txt".to_string());
    paths
}

/// `fd -> target` lines, as `ls -l /proc/PID/fd` would show them; a target is escaped
/// (`safe_text::line`), so a name holding a newline or an ESC cannot forge a line or reach the
/// terminal of whoever reads the file.
fn fd_listing(root: &HostRoot, pid: i32) -> Result<Vec<u8>, String> {
    let dir = root.proc_path(format!("{pid}/fd"));
    let entries = fs::read_dir(&dir).map_err(|e| CollectError::io(&dir, e).reason())?;
    let mut lines: Vec<(u64, String)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = fs::read_link(entry.path()).ok()?;
            let target = crate::safe_text::from_os(target.as_os_str());
            Some((fd, crate::safe_text::line(&target).into_owned()))
        })
        .collect();
    lines.sort();
    Ok(lines
        .iter()
        .map(|(fd, target)| format!("{fd} -> {target}\n"))
        .collect::<String>()
        .into_bytes())
}

/// The host's name, for a bundle's manifest.
pub fn hostname(root: &HostRoot) -> Option<String> {
    root.read_proc("sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
}

/// The target's environment as `KEY=value` pairs; `Err` with the reason when unreadable.
pub fn environment(root: &HostRoot, pid: i32) -> Result<Vec<String>, CollectError> {
    let text = root.read_proc(format!("{pid}/environ"))?;
    Ok(text
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// `Ok` if `pid` is still the process that started at `start_time`, else why not.
pub fn same_process(root: &HostRoot, pid: i32, start_time: u64) -> Result<(), String> {
    let text = root
        .read_proc(format!("{pid}/stat"))
        .map_err(|_| format!("the target (pid {pid}) has exited"))?;
    match crate::parse::stat::parse_stat(&text) {
        Ok(stat) if stat.start_time == start_time => Ok(()),
        Ok(_) => Err(format!(
            "pid {pid} now belongs to another process (the target exited)"
        )),
        Err(e) => Err(format!("cannot read /proc/{pid}/stat: {e}")),
    }
}

/// Whether `pid` has no `/proc` entry any more.
pub fn gone(root: &HostRoot, pid: i32) -> bool {
    root.read_proc(format!("{pid}/stat")).is_err()
}
