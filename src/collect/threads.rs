//! Threads: the cheap count from `status`, the per-thread census from `task/TID/*`, zombie
//! children, and the cgroup pids controller.

use super::cgroup::Cgroups;
use super::root::OpenDir;
use super::DetailWanted;
use super::{CollectError, Gaps, HostRoot};
use crate::decode::signals::mask_names;
use crate::decode::syscalls::{syscall_name, Arch};
use crate::parse::stat::{parse_stat, Stat};
use crate::parse::status::Status;
use crate::sample::{ThreadInfo, Threads};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The expensive per-thread reading, kept between samples with its timestamp.
#[derive(Debug, Clone)]
pub(super) struct Census {
    /// Shared with every sample that carries this census.
    pub items: Arc<Vec<ThreadInfo>>,
    pub taken_at_ms: u64,
    pub zombie_children: Option<u64>,
    /// Tasks of every process of the target's real uid ([`user_tasks`]).
    pub user_tasks: Option<u64>,
    /// What `stat` said of each thread in `items` (same order): the next census compares it
    /// to decide whose detail files to read again.
    seen: Vec<StatMark>,
    /// Each thread's children (from `task/TID/children`), read with its detail files.
    children: BTreeMap<i32, Vec<i32>>,
    /// Censuses taken so far: picks the slice of threads whose details are due.
    number: u64,
}

/// The part of a thread's `stat` that moves whenever the thread runs or its signals change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatMark {
    start_time: u64,
    state: char,
    cpu_ticks: u64,
    faults: u64,
    signal_masks: Option<(u64, u64)>,
}

impl StatMark {
    fn of(stat: &Stat) -> StatMark {
        StatMark {
            start_time: stat.start_time,
            state: stat.state,
            cpu_ticks: stat.utime + stat.stime,
            faults: stat.faults,
            signal_masks: stat.signal_masks,
        }
    }
}

/// Every thread's details are read again at least once in this many censuses (a thread that
/// sleeps without a change its `stat` shows: switches of less than a clock tick, real-time
/// signals, which `stat` leaves out): a minute at the TUI's default cadence.
const DETAIL_REFRESH_CENSUSES: u64 = 20;

/// Why a thread's detail files are read this census.
struct DetailPlan<'a> {
    wanted: &'a DetailWanted,
    /// Work waits and no thread ran since the last census: the `stall` rule needs every
    /// thread's switches and where it waits.
    stall_suspected: bool,
    number: u64,
}

impl DetailPlan<'_> {
    fn reads(&self, tid: i32, now: &StatMark, before: Option<&StatMark>) -> bool {
        self.stall_suspected
            || self.wanted.wants(tid)
            // A thread in D: the d-state rule names where it waits.
            || now.state == 'D'
            || before != Some(now)
            || (u64::from(tid.unsigned_abs()) + self.number) % DETAIL_REFRESH_CENSUSES == 0
    }
}

pub(super) struct CensusInput<'a> {
    pub arch: Option<Arch>,
    pub real_uid: Option<u32>,
    pub now_ms: u64,
    pub previous: Option<&'a Census>,
    pub wanted: &'a DetailWanted,
    /// Unread bytes or queued connections at the fd census of this sample.
    pub work_waiting: bool,
}

pub(super) fn census(
    root: &HostRoot,
    pid: i32,
    input: &CensusInput<'_>,
    gaps: &mut Gaps,
) -> Census {
    let task_dir = root.open_proc_dir(format!("{pid}/task"));
    let mut tids: Vec<i32> = match &task_dir {
        Ok(dir) => match std::fs::read_dir(dir.path()) {
            Ok(entries) => entries
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect(),
            Err(source) => {
                gaps.note("threads.items", &CollectError::io(dir.path(), source));
                Vec::new()
            }
        },
        Err(error) => {
            gaps.note("threads.items", error);
            Vec::new()
        }
    };
    tids.sort_unstable();
    // A thread that exited between the listing and its stat is simply not there any more.
    let stats: Vec<Stat> = match &task_dir {
        Ok(dir) => tids
            .iter()
            .filter_map(|tid| parse_stat(&dir.read_record(&format!("{tid}/stat")).ok()?).ok())
            .collect(),
        Err(_) => Vec::new(),
    };
    let wchan_hidden = wchan_hidden(root, pid, gaps);
    let previous = input.previous;
    let before = |tid: i32| -> Option<(&ThreadInfo, &StatMark)> {
        let previous = previous?;
        let at = previous.items.binary_search_by_key(&tid, |t| t.tid).ok()?;
        Some((previous.items.get(at)?, previous.seen.get(at)?))
    };
    let cpu_now: u64 = stats.iter().map(|s| s.utime + s.stime).sum();
    let cpu_before: Option<u64> = previous.map(|p| p.seen.iter().map(|m| m.cpu_ticks).sum());
    let plan = DetailPlan {
        wanted: input.wanted,
        stall_suspected: input.work_waiting
            && cpu_before == Some(cpu_now)
            && stats.iter().all(|s| s.state != 'R'),
        number: previous.map_or(0, |p| p.number + 1),
    };
    // Zombie children: from each thread's `children` file, or, when the host has fewer
    // processes than the target has threads, from every process's `stat` (its ppid is the
    // creating thread's process): whichever reads fewer files.
    let host = host_processes(root).filter(|processes| processes.len() < stats.len());
    let mut items = Vec::with_capacity(stats.len());
    let mut seen = Vec::with_capacity(stats.len());
    let mut children = BTreeMap::new();
    for stat in stats {
        let mark = StatMark::of(&stat);
        let tid = stat.pid;
        let old = before(tid).filter(|(_, m)| m.start_time == mark.start_time);
        let thread = match old {
            Some((thread, old_mark)) if !plan.reads(tid, &mark, Some(old_mark)) => {
                if let Some(kids) = previous.and_then(|p| p.children.get(&tid)) {
                    children.insert(tid, kids.clone());
                }
                let read_at = thread.detail_at_ms.or(previous.map(|p| p.taken_at_ms));
                ThreadInfo {
                    detail_at_ms: read_at,
                    ..with_stat(thread.clone(), stat)
                }
            }
            _ => {
                let Ok(dir) = &task_dir else { continue };
                let Some(thread) = read_details(dir, stat, input.arch, wchan_hidden, gaps) else {
                    continue;
                };
                let listed = match host {
                    Some(_) => None,
                    None => dir.read_text(&format!("{tid}/children")).ok(),
                };
                if let Some(list) = listed {
                    let kids: Vec<i32> = list
                        .split_whitespace()
                        .filter_map(|c| c.parse().ok())
                        .collect();
                    if !kids.is_empty() {
                        children.insert(tid, kids);
                    }
                }
                thread
            }
        };
        items.push(thread);
        seen.push(mark);
    }
    let zombie_children = Some(match &host {
        Some(processes) => zombies_among(root, processes, |stat| stat.ppid == pid),
        None => zombies_among(root, children.values().flatten(), |_| true),
    });
    let user_tasks = input.real_uid.and_then(|uid| user_tasks(root, uid, gaps));
    Census {
        items: Arc::new(items),
        taken_at_ms: input.now_ms,
        zombie_children,
        user_tasks,
        seen,
        children,
        number: plan.number,
    }
}

/// The PIDs of `/proc`; `None` if it cannot be listed.
fn host_processes(root: &HostRoot) -> Option<Vec<i32>> {
    let entries = std::fs::read_dir(root.proc_path("")).ok()?;
    Some(
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect(),
    )
}

/// How many of `processes` are zombies whose `stat` also passes `belongs`.
fn zombies_among<'a>(
    root: &HostRoot,
    processes: impl IntoIterator<Item = &'a i32>,
    belongs: impl Fn(&Stat) -> bool,
) -> u64 {
    processes
        .into_iter()
        .filter(|process| {
            root.read_proc_record(format!("{process}/stat"))
                .ok()
                .and_then(|text| parse_stat(&text).ok())
                .is_some_and(|stat| stat.state == 'Z' && belongs(&stat))
        })
        .count() as u64
}

/// wchan reads as "0" (not an error) without ptrace read access: the same check guards
/// `exe`, so a denied `exe` means every "0" is hidden, not "running".
fn wchan_hidden(root: &HostRoot, pid: i32, gaps: &mut Gaps) -> bool {
    let exe = root.proc_path(format!("{pid}/exe"));
    match std::fs::read_link(&exe) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            gaps.add("threads.items[].wchan", CollectError::io(&exe, e).reason());
            true
        }
        _ => false,
    }
}

/// `thread` with the fields `stat` gives replaced by this reading.
fn with_stat(thread: ThreadInfo, stat: Stat) -> ThreadInfo {
    ThreadInfo {
        tid: stat.pid,
        name: stat.comm,
        state: stat.state.to_string(),
        cpu_ticks: stat.utime + stat.stime,
        start_time: stat.start_time,
        ..thread
    }
}

/// One thread's detail files beside its `stat`; `None` if it exited meanwhile.
fn read_details(
    task_dir: &OpenDir,
    stat: Stat,
    arch: Option<Arch>,
    wchan_hidden: bool,
    gaps: &mut Gaps,
) -> Option<ThreadInfo> {
    let tid = stat.pid;
    let status = Status::parse_only(
        &task_dir.read_record(&format!("{tid}/status")).ok()?,
        &[
            "voluntary_ctxt_switches",
            "nonvoluntary_ctxt_switches",
            "SigBlk",
            "SigPnd",
        ],
    );
    let wchan = match task_dir.read_record(&format!("{tid}/wchan")) {
        Ok(_) if wchan_hidden => None,
        Ok(text) => Some(text.trim().to_string()).filter(|w| !w.is_empty() && w != "0"),
        Err(error) => {
            gaps.note("threads.items[].wchan", &error);
            None
        }
    };
    let (syscall, syscall_nr) = match task_dir.read_record(&format!("{tid}/syscall")) {
        Ok(text) => decode_syscall(&text, arch),
        Err(error) => {
            gaps.note("threads.items[].syscall", &error);
            gaps.note("threads.items[].syscall_nr", &error);
            (None, None)
        }
    };
    let thread = ThreadInfo {
        tid: stat.pid,
        name: String::new(),
        state: String::new(),
        cpu_ticks: 0,
        voluntary_ctxt_switches: status.number("voluntary_ctxt_switches"),
        nonvoluntary_ctxt_switches: status.number("nonvoluntary_ctxt_switches"),
        wchan,
        syscall,
        syscall_nr,
        blocked_signals: status
            .hex_mask("SigBlk")
            .map(mask_names)
            .unwrap_or_default(),
        pending_signals: status
            .hex_mask("SigPnd")
            .map(mask_names)
            .unwrap_or_default(),
        start_time: 0,
        detail_at_ms: None,
    };
    Some(with_stat(thread, stat))
}

/// `running` | `-1 sp pc` (not in a system call) | `nr a0 … a5 sp pc`.
fn decode_syscall(text: &str, arch: Option<Arch>) -> (Option<String>, Option<i64>) {
    let first = text.split_whitespace().next().unwrap_or("");
    match first {
        "running" => (Some("running".to_string()), None),
        "-1" => (Some("none".to_string()), None),
        number => match (number.parse::<i64>(), arch) {
            (Ok(nr), Some(arch)) => (Some(syscall_name(arch, nr)), Some(nr)),
            (Ok(nr), None) => (Some(format!("syscall_{nr}")), Some(nr)),
            (Err(_), _) => (None, None),
        },
    }
}

pub(super) fn summary(
    status: &Status,
    stat_threads: u64,
    census: Option<&Census>,
    root: &HostRoot,
    cgroups: Option<&Cgroups>,
    gaps: &mut Gaps,
) -> Threads {
    // stat's num_threads is the same kernel counter; status is preferred only for symmetry.
    let count = status.number("Threads").unwrap_or(stat_threads);
    let (cgroup_pids_current, cgroup_pids_max) = match cgroups {
        Some(cgroups) => cgroups.pids(root, gaps),
        None => (None, None),
    };
    Threads {
        count,
        items: census.map(|c| c.items.clone()).unwrap_or_default(),
        census_taken_at_ms: census.map(|c| c.taken_at_ms),
        zombie_children: census.and_then(|c| c.zombie_children),
        cgroup_pids_current,
        cgroup_pids_max,
        user_tasks: census.and_then(|c| c.user_tasks),
    }
}

/// Tasks (threads) of every process whose real uid is `uid`, host-wide: the count the kernel
/// holds RLIMIT_NPROC against (it charges each task to its real uid). One pass over
/// `/proc/*/status`, reading only the `Uid:` and `Threads:` lines; a process that exits during
/// the scan is skipped. Cost, measured on the 2-core test VM: 2.1 ms for 120 processes (median
/// of 50 scans, about 17 µs a process), so it runs with the census, not every tick. `None` when
/// `/proc` cannot be listed, or when some process's status is unreadable (`hidepid`): a partial
/// count would understate the usage.
pub(super) fn user_tasks(root: &HostRoot, uid: u32, gaps: &mut Gaps) -> Option<u64> {
    let proc_dir = root.proc_path("");
    let entries = match std::fs::read_dir(&proc_dir) {
        Ok(entries) => entries,
        Err(source) => {
            gaps.note("threads.user_tasks", &CollectError::io(&proc_dir, source));
            return None;
        }
    };
    let mut tasks = 0_u64;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let path = proc_dir.join(pid).join("status");
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if super::root::is_gone(&error) => continue,
            Err(source) => {
                gaps.note("threads.user_tasks", &CollectError::io(&path, source));
                return None;
            }
        };
        if let Some(threads) = threads_of_uid(&text, uid) {
            tasks += threads;
        }
    }
    Some(tasks)
}

/// `Threads:` of a status text whose real uid (first `Uid:` field) is `uid`.
fn threads_of_uid(status: &[u8], uid: u32) -> Option<u64> {
    let text = std::str::from_utf8(status).ok()?;
    let mut owned = false;
    for line in text.lines() {
        if let Some(ids) = line.strip_prefix("Uid:") {
            owned = ids.split_whitespace().next()?.parse::<u32>().ok()? == uid;
            if !owned {
                return None;
            }
        } else if let Some(threads) = line.strip_prefix("Threads:") {
            return owned.then(|| threads.trim().parse().ok()).flatten();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_count_only_for_the_real_uid() {
        let status = b"Name:\tx\nUid:\t65534\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t7\n";
        assert_eq!(threads_of_uid(status, 65534), Some(7));
        // The effective uid (second field) does not count.
        assert_eq!(threads_of_uid(status, 0), None);
        assert_eq!(threads_of_uid(b"Threads:\t3\n", 0), None);
    }

    #[test]
    fn syscall_file_forms() {
        let arch = Some(Arch::X86_64);
        assert_eq!(
            decode_syscall("running\n", arch),
            (Some("running".into()), None)
        );
        assert_eq!(
            decode_syscall("-1 0x7ffd 0x7f00\n", arch),
            (Some("none".into()), None)
        );
        assert_eq!(
            decode_syscall(
                "202 0x55d837bcc100 0x80 0x2 0x0 0x0 0x0 0x7fb826c78ea8 0x7fb826d0a12b\n",
                arch
            ),
            (Some("futex".into()), Some(202))
        );
        assert_eq!(decode_syscall("", arch), (None, None));
    }
}
