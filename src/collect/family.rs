//! The watched process's family: its parent and its children, each read as the host scan
//! reads a process (`collect::scan`: the cheap tier), and who else draws on the limits it shares — RLIMIT_NPROC (every
//! task of its real user, host-wide), its cgroup's pids.max and memory.max.
//!
//! Children come from `/proc/PID/task/*/children` (one small file per thread of the watched
//! process; a child is listed under the thread that forked it), so finding them costs
//! O(threads of the target) rather than O(processes on the host). Where that file does not
//! exist (a kernel built without `CONFIG_PROC_CHILDREN`) every process's `stat` is read for its
//! parent PID instead, and the family says which was used.

use super::scan::{scan_pids, Scanned};
use super::{cgroup, CollectError, Gaps, HostRoot};
use crate::parse::stat::parse_stat;
use crate::parse::status::Status;
use crate::sample::{
    Family, Relative, Sample, SharedLimit, SharedUnit, SharedUser, SharedUsers, Unavailable,
    SHARED_TOP,
};
use std::collections::BTreeMap;
use std::path::Path;

/// Children read at most; more are counted, not read (a fork bomb must not grow healthtop).
pub const MAX_CHILDREN: usize = 256;

/// How the children are found, in the family's words.
const FROM_CHILDREN_FILES: &str = "/proc/PID/task/*/children";
const FROM_PPID_SCAN: &str =
    "a scan of every process's parent PID (this kernel has no /proc/PID/task/*/children)";

/// Reads the family of the process `watched` is a reading of.
pub fn read(root: &HostRoot, watched: &Sample) -> Family {
    let pid = watched.identity.pid;
    let (mut pids, children_source) = match children_from_files(root, pid) {
        Some(pids) => (pids, FROM_CHILDREN_FILES.to_string()),
        None => (children_from_scan(root, pid), FROM_PPID_SCAN.to_string()),
    };
    pids.sort_unstable();
    pids.dedup();
    let children_not_read = pids.len().saturating_sub(MAX_CHILDREN);
    pids.truncate(MAX_CHILDREN);
    let shared = shared_limits(root, watched);
    let user_tasks = shared
        .iter()
        .find(|s| s.name == "RLIMIT_NPROC")
        .and_then(|s| s.users.as_ref().ok())
        .map(|users| (watched.identity.uid.real, users.total));
    let ppid = watched.identity.ppid;
    let parent_pid = (ppid > 0).then_some(ppid);
    let mut relatives = relatives(root, parent_pid.iter().chain(&pids), user_tasks);
    let parent = parent_pid.map(|ppid| {
        relatives.remove(&ppid).unwrap_or_else(|| Relative {
            pid: ppid,
            comm: String::new(),
            reading: Err(format!("no process with PID {ppid} (it exited)")),
        })
    });
    Family {
        pid,
        taken_at_ms: watched.taken_at_ms,
        parent,
        children: pids.iter().filter_map(|c| relatives.remove(c)).collect(),
        children_source,
        children_not_read,
        shared,
    }
}

/// Each relative read as the host scan reads a process (the cheap tier; never the maps, which
/// take its mmap lock), by PID. Its RLIMIT_NPROC usage is the watched user's count when it
/// has the same real uid (the tasks of one user are one budget); otherwise it is not counted,
/// and says so. A kernel thread or a PID already gone is left out.
fn relatives<'a>(
    root: &HostRoot,
    pids: impl Iterator<Item = &'a i32>,
    user_tasks: Option<(u32, u64)>,
) -> BTreeMap<i32, Relative> {
    let pids: Vec<i32> = pids.copied().collect();
    scan_pids(root, &pids)
        .into_iter()
        .map(|scanned| {
            let relative = match scanned {
                Scanned::Read(mut sample) => {
                    match user_tasks {
                        Some((uid, tasks)) if uid == sample.identity.uid.real => {
                            sample.threads.user_tasks = Some(tasks);
                        }
                        _ => sample.unavailable.push(Unavailable {
                            field: "threads.user_tasks".into(),
                            reason: "not counted for a relative of another user".into(),
                        }),
                    }
                    Relative {
                        pid: sample.identity.pid,
                        comm: sample.identity.comm.clone(),
                        reading: Ok(sample),
                    }
                }
                Scanned::Unreadable(u) => Relative {
                    pid: u.pid,
                    comm: u.comm.unwrap_or_default(),
                    reading: Err(u.reason),
                },
            };
            (relative.pid, relative)
        })
        .collect()
}

/// The union of every thread's `children` file; `None` when the kernel has none.
fn children_from_files(root: &HostRoot, pid: i32) -> Option<Vec<i32>> {
    let tasks = std::fs::read_dir(root.proc_path(format!("{pid}/task"))).ok()?;
    let mut children = Vec::new();
    for task in tasks.flatten() {
        let path = task.path().join("children");
        match std::fs::read_to_string(&path) {
            Ok(text) => children.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !task.path().exists() => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            // A thread that exited between the listing and the read has no children left.
            Err(_) => {}
        }
    }
    Some(children)
}

/// Every process whose `stat` names `pid` as its parent.
fn children_from_scan(root: &HostRoot, pid: i32) -> Vec<i32> {
    each_process(root)
        .filter(|&child| {
            root.read_proc(format!("{child}/stat"))
                .ok()
                .and_then(|text| parse_stat(&text).ok())
                .is_some_and(|stat| stat.ppid == pid)
        })
        .collect()
}

/// The PIDs listed in `/proc` (empty when it cannot be listed).
fn each_process(root: &HostRoot) -> impl Iterator<Item = i32> {
    std::fs::read_dir(root.proc_path(""))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
}

/// Who else draws on each limit the watched process shares: only the limits that apply.
fn shared_limits(root: &HostRoot, watched: &Sample) -> Vec<SharedLimit> {
    let mut shared = Vec::new();
    let uid = watched.identity.uid.real;
    let nproc = watched.limits.get("nproc").and_then(|l| l.soft);
    if let (Some(limit), true) = (nproc, uid != 0) {
        let user = watched
            .identity
            .user
            .as_ref()
            .map_or_else(String::new, |name| format!(" ({name})"));
        shared.push(SharedLimit {
            name: "RLIMIT_NPROC".into(),
            scope: format!("the tasks of real uid {uid}{user}, host-wide"),
            limit,
            unit: SharedUnit::Tasks,
            users: users_of_uid(root, uid),
        });
    }
    let cgroups = cgroup::locate(
        root,
        watched.identity.pid,
        &mut super::root::MountTable::default(),
        &mut Gaps::default(),
    );
    let cgroup_limits = [
        (
            "pids.max",
            "pids.current",
            watched.threads.cgroup_pids_max,
            watched.threads.cgroup_pids_current,
            SharedUnit::Tasks,
        ),
        (
            "memory.max",
            "memory.current",
            watched.memory.cgroup.as_ref().and_then(|c| c.max_bytes),
            watched.memory.cgroup.as_ref().and_then(|c| c.current_bytes),
            SharedUnit::Bytes,
        ),
    ];
    for (name, counter, limit, charged, unit) in cgroup_limits {
        let (Some(limit), Some(cgroups)) = (limit, cgroups.as_ref()) else {
            continue;
        };
        let Some((dir, path)) = cgroups.holding(counter) else {
            continue;
        };
        shared.push(SharedLimit {
            name: name.into(),
            scope: format!("the processes of cgroup {path}"),
            limit,
            unit,
            users: users_of_cgroup(root, dir, unit).map(|mut users| {
                users.charged = charged;
                users
            }),
        });
    }
    shared
}

/// Every process whose real uid is `uid`, by task count. A partial count would understate
/// the usage, so an unreadable status (`hidepid`) makes it unknown.
fn users_of_uid(root: &HostRoot, uid: u32) -> Result<SharedUsers, String> {
    let mut tally = Tally::default();
    for pid in each_process(root) {
        let path = root.proc_path(format!("{pid}/status"));
        let status = match root.read(&path) {
            Ok(text) => Status::parse(&text),
            Err(CollectError::PermissionDenied { .. }) => {
                return Err(format!("permission denied reading {}", path.display()))
            }
            Err(_) => continue,
        };
        if status.ids("Uid").map(|ids| ids[0]) == Some(uid) {
            tally.add(pid, &status, SharedUnit::Tasks);
        }
    }
    Ok(tally.finish())
}

/// Every process of the cgroup in `dir` (its `cgroup.procs`), by tasks or by RSS.
fn users_of_cgroup(root: &HostRoot, dir: &Path, unit: SharedUnit) -> Result<SharedUsers, String> {
    let procs = dir.join("cgroup.procs");
    let text = root.read(&procs).map_err(|e| e.reason())?;
    let mut tally = Tally::default();
    for pid in text
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        if let Ok(status) = root.read_proc(format!("{pid}/status")) {
            tally.add(pid, &Status::parse(&status), unit);
        }
    }
    Ok(tally.finish())
}

/// Sums a shared limit's users, keeping the biggest.
#[derive(Default)]
struct Tally {
    processes: usize,
    total: u64,
    users: Vec<SharedUser>,
}

impl Tally {
    fn add(&mut self, pid: i32, status: &Status, unit: SharedUnit) {
        let amount = match unit {
            SharedUnit::Tasks => status.number("Threads"),
            // A kernel thread has no VmRSS line: it charges nothing here.
            SharedUnit::Bytes => Some(status.kib_as_bytes("VmRSS").unwrap_or(0)),
        };
        let Some(amount) = amount else { return };
        self.processes += 1;
        self.total += amount;
        let comm = status.get("Name").unwrap_or_default().to_string();
        self.users.push(SharedUser { pid, comm, amount });
        // Bounded: never more than twice the kept count before trimming.
        if self.users.len() >= 2 * SHARED_TOP {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.users
            .sort_by(|a, b| b.amount.cmp(&a.amount).then(a.pid.cmp(&b.pid)));
        self.users.truncate(SHARED_TOP);
    }

    fn finish(mut self) -> SharedUsers {
        self.trim();
        SharedUsers {
            processes: self.processes,
            total: self.total,
            charged: None,
            top: self.users,
        }
    }
}
