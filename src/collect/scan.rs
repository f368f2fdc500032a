//! The whole host in one pass, cheap tier only: every process's `stat`, `status`, `limits`,
//! the entries of its `fd` directory and its cgroup's memory and pids files, each turned into
//! a [`Sample`] the headroom model judges like any other.
//!
//! What the scan leaves out, and why (each is an `unavailable` entry of the sample, never a
//! zero): the mappings (`/proc/PID/maps` is O(mappings) and takes the process's mmap lock, so
//! the map count is not read), the runtime (it reads the executable), the per-thread and
//! per-fd census, the parent, OOM scores, pressure and core-dump settings.
//! Host-wide files (`meminfo`, `loadavg`, sysctls, mountinfo, `/etc/passwd`) are read once per
//! pass, and a cgroup's files once per cgroup, however many processes share it.
//!
//! Kernel threads are left out. A process that cannot be read is kept as [`Unreadable`] with
//! the reason (exited during the scan, a zombie, permission denied).

use super::cgroup::{self, CgroupMount};
use super::system::{self, HostConstants};
use super::{fds, memory, process, CollectError, Gaps, HostRoot};
use crate::parse::stat::{parse_stat, Stat};
use crate::parse::status::Status;
use crate::sample::{
    CgroupMemory, CoreDump, HostMemory, Identity, Sample, System, Threads, Unavailable,
};
use std::collections::{BTreeMap, HashMap};

/// One process of the host as the scan found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Scanned {
    /// Read: the cheap tier, with `unavailable` entries for every part left out or denied.
    Read(Box<Sample>),
    /// Could not be read at all.
    Unreadable(Unreadable),
}

/// A process the scan could not read, with what little is known of it and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub pid: i32,
    /// From `stat` when it was readable.
    pub comm: Option<String>,
    pub start_time: Option<u64>,
    pub uid: Option<u32>,
    pub user: Option<String>,
    /// `exited during the scan`, `zombie: …`, `permission denied reading …`.
    pub reason: String,
}

/// One pass over the host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostScan {
    pub taken_at_ms: u64,
    /// In PID order.
    pub processes: Vec<Scanned>,
}

/// Why a part is not in a scanned sample.
const LEFT_OUT: [(&str, &str); 6] = [
    (
        "memory.map_count",
        "not read by the scan: counting mappings reads /proc/PID/maps, which takes the process's mmap lock (healthtop -p PID reads it)",
    ),
    (
        "runtime",
        "not read by the scan: telling the runtime reads the executable",
    ),
    ("threads.items", "not read by the scan (per-thread files)"),
    ("fds.items", "not read by the scan (a readlink per fd)"),
    ("exe", "not read by the scan"),
    ("parent", "not read by the scan"),
];

/// Whether the scan leaves `field` out by design (so its absence is not an error).
pub fn left_out(field: &str) -> bool {
    LEFT_OUT.iter().any(|(left, _)| *left == field)
}

/// What every process of one pass shares: read once.
struct Shared {
    root: HostRoot,
    host: HostConstants,
    system: System,
    host_memory: Option<HostMemory>,
    max_map_count: Option<u64>,
    mounts: Vec<CgroupMount>,
    users: HashMap<u32, String>,
    /// Reasons for the host-wide values that could not be read.
    gaps: Vec<Unavailable>,
}

/// A cgroup's memory and pids readings, with the reasons for what is missing.
type CgroupReading = (
    Option<CgroupMemory>,
    (Option<u64>, Option<u64>),
    Vec<Unavailable>,
);

/// Reads every process of the host once. `workers` threads share the PIDs (1 = no threads).
/// Fails as a whole only when `/proc` cannot be listed.
pub fn scan_host(root: &HostRoot, workers: usize) -> Result<HostScan, CollectError> {
    let pids = list_pids(root)?;
    let shared = Shared::read(root);
    let taken_at_ms = super::now_ms();
    let workers = workers.clamp(1, 64);
    let chunk = pids.len().div_ceil(workers).max(1);
    let mut processes: Vec<Scanned> = if workers == 1 {
        scan_chunk(&shared, &pids, taken_at_ms)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = pids
                .chunks(chunk)
                .map(|part| scope.spawn(|| scan_chunk(&shared, part, taken_at_ms)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    fill_user_tasks(&mut processes);
    Ok(HostScan {
        taken_at_ms,
        processes,
    })
}

/// Reads the given processes, as one pass would (a relative of the watched process, a
/// candidate of a name): kernel threads and PIDs already gone are left out.
pub fn scan_pids(root: &HostRoot, pids: &[i32]) -> Vec<Scanned> {
    scan_chunk(&Shared::read(root), pids, super::now_ms())
}

/// Every numeric entry of `/proc`, in PID order.
pub fn list_pids(root: &HostRoot) -> Result<Vec<i32>, CollectError> {
    let dir = root.proc_path("");
    let entries = std::fs::read_dir(&dir).map_err(|e| CollectError::io(&dir, e))?;
    let mut pids: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&pid: &i32| pid > 0)
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

/// Names of users by uid, from the root's `/etc/passwd`.
pub fn user_names(root: &HostRoot) -> HashMap<u32, String> {
    let passwd = root.read(&root.path("etc/passwd")).unwrap_or_default();
    passwd
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id: u32 = fields.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

impl Shared {
    fn read(root: &HostRoot) -> Shared {
        let host = HostConstants::read(root);
        let mut gaps = Gaps::default();
        let system = system::read(root, &host, &mut gaps);
        let host_memory = memory::host_memory(root, &mut gaps);
        let max_map_count = gaps.keep(
            "memory.max_map_count",
            root.sysctl_number("vm/max_map_count"),
        );
        Shared {
            root: root.clone(),
            host,
            system,
            host_memory,
            max_map_count,
            mounts: cgroup::mounts(root, &mut super::root::MountTable::default()),
            users: user_names(root),
            gaps: gaps.items,
        }
    }
}

/// What one scanning thread keeps between the processes it reads.
#[derive(Default)]
struct ChunkReader {
    /// Each cgroup's memory and pids readings, read once per pass.
    cgroups: HashMap<String, CgroupReading>,
    /// The buffer `/proc/PID/fd` is listed into.
    fds: fds::FdLister,
}

fn scan_chunk(shared: &Shared, pids: &[i32], now_ms: u64) -> Vec<Scanned> {
    let mut reader = ChunkReader::default();
    pids.iter()
        .filter_map(|&pid| scan_one(shared, &mut reader, pid, now_ms))
        .collect()
}

/// Reads one process; `None` for a kernel thread, or a PID gone before its `stat` was read.
fn scan_one(shared: &Shared, reader: &mut ChunkReader, pid: i32, now_ms: u64) -> Option<Scanned> {
    let root = &shared.root;
    let unreadable = |stat: Option<&Stat>, reason: String| {
        Scanned::Unreadable(Unreadable {
            pid,
            comm: stat.map(|s| s.comm.clone()),
            start_time: stat.map(|s| s.start_time),
            uid: None,
            user: None,
            reason,
        })
    };
    let stat = match root.read_proc(format!("{pid}/stat")) {
        Ok(text) => match parse_stat(&text) {
            Ok(stat) => stat,
            Err(e) => return Some(unreadable(None, format!("/proc/{pid}/stat: {e}"))),
        },
        Err(e) if e.is_gone() => return None,
        Err(e) => return Some(unreadable(None, e.reason())),
    };
    if stat.is_kernel_thread() {
        return None;
    }
    if stat.state == 'Z' || stat.state == 'X' {
        let reason = format!(
            "zombie: it has exited and waits for its parent {} to reap it",
            stat.ppid
        );
        let Scanned::Unreadable(mut zombie) = unreadable(Some(&stat), reason) else {
            return None;
        };
        // Until it is reaped it still counts against its user's RLIMIT_NPROC.
        zombie.uid = root
            .read_proc(format!("{pid}/status"))
            .ok()
            .and_then(|text| Some(Status::parse(&text).ids("Uid")?[0]));
        zombie.user = zombie.uid.and_then(|uid| shared.users.get(&uid).cloned());
        return Some(Scanned::Unreadable(zombie));
    }
    let status_text = match root.read_proc(format!("{pid}/status")) {
        Ok(text) => text,
        Err(e) if e.is_gone() => {
            return Some(unreadable(Some(&stat), "exited during the scan".into()))
        }
        Err(e) => return Some(unreadable(Some(&stat), e.reason())),
    };
    let status = Status::parse(&status_text);
    let mut gaps = Gaps::default();
    let sample = read_sample(shared, reader, &stat, &status, now_ms, &mut gaps);
    // A process that exited mid-read gives a torn sample: say it exited instead.
    if gaps.gone && super::raw::same_process(root, pid, stat.start_time).is_err() {
        return Some(unreadable(Some(&stat), "exited during the scan".into()));
    }
    Some(Scanned::Read(Box::new(Sample {
        unavailable: gaps.items,
        ..sample
    })))
}

/// The cheap-tier sample of one process whose `stat` and `status` are read.
fn read_sample(
    shared: &Shared,
    reader: &mut ChunkReader,
    stat: &Stat,
    status: &Status,
    now_ms: u64,
    gaps: &mut Gaps,
) -> Sample {
    let (root, pid) = (&shared.root, stat.pid);
    gaps.replay(&shared.gaps);
    for (field, reason) in LEFT_OUT {
        gaps.add(field, reason);
    }
    let limits = gaps
        .keep("limits", process::limits(root, pid))
        .unwrap_or_default();
    let cmdline = gaps
        .keep("cmdline", root.read_proc(format!("{pid}/cmdline")))
        .map(|text| split_cmdline(&text))
        .unwrap_or_default();
    let fds = fds::summary(root, pid, &limits, None, false, &mut reader.fds, gaps);
    let (cgroup_memory, (pids_current, pids_max)) =
        cgroup_reading(shared, &mut reader.cgroups, pid, gaps);
    let identity = identity(shared, stat, status, cmdline, gaps);
    let mut memory = memory::from_status(status, gaps);
    memory.max_map_count = shared.max_map_count;
    memory.cgroup = cgroup_memory;
    memory.host = shared.host_memory;
    let (seccomp, signals, capabilities) = process::security(status, gaps);
    Sample {
        taken_at_ms: now_ms,
        identity,
        threads: Threads {
            count: status.number("Threads").unwrap_or(stat.num_threads),
            items: Default::default(),
            census_taken_at_ms: None,
            zombie_children: None,
            cgroup_pids_current: pids_current,
            cgroup_pids_max: pids_max,
            user_tasks: None,
        },
        fds,
        memory,
        seccomp,
        signals,
        capabilities,
        core: CoreDump {
            rlimit_bytes: limits.get("core").and_then(|l| l.soft),
            pattern: None,
            piped: None,
            filter: None,
        },
        limits,
        system: shared.system.clone(),
        unavailable: Vec::new(),
    }
}

/// `argv` from `/proc/PID/cmdline` (NUL-separated).
pub fn split_cmdline(text: &str) -> Vec<String> {
    text.split('\0')
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

fn identity(
    shared: &Shared,
    stat: &Stat,
    status: &Status,
    cmdline: Vec<String>,
    gaps: &mut Gaps,
) -> Identity {
    let identity = process::read_identity(stat, status, cmdline, &shared.host, gaps);
    Identity {
        user: shared.users.get(&identity.uid.real).cloned(),
        ..identity
    }
}

/// The memory and pids readings of the process's cgroup, read once per cgroup per pass.
fn cgroup_reading(
    shared: &Shared,
    cache: &mut HashMap<String, CgroupReading>,
    pid: i32,
    gaps: &mut Gaps,
) -> (Option<CgroupMemory>, (Option<u64>, Option<u64>)) {
    let Some(memberships) = gaps.keep(
        "memory.cgroup",
        shared.root.read_proc(format!("{pid}/cgroup")),
    ) else {
        return (None, (None, None));
    };
    let (memory, pids, reasons) = cache.entry(memberships).or_insert_with_key(|text| {
        let located = cgroup::locate_in(text, &shared.mounts);
        let mut own = Gaps::default();
        let memory = located.memory(&shared.root, &mut own);
        let pids = located.pids(&shared.root, &mut own);
        (memory, pids, own.items)
    });
    gaps.replay(reasons);
    (memory.clone(), *pids)
}

/// RLIMIT_NPROC counts every task of a real uid host-wide: the pass has them all. Left
/// unknown when some process could not be read (a partial count would understate the usage).
fn fill_user_tasks(processes: &mut [Scanned]) {
    let mut tasks: BTreeMap<u32, u64> = BTreeMap::new();
    let mut complete = true;
    for scanned in processes.iter() {
        match scanned {
            Scanned::Read(sample) => {
                *tasks.entry(sample.identity.uid.real).or_insert(0) += sample.threads.count;
            }
            // A zombie still holds its one task until it is reaped.
            Scanned::Unreadable(Unreadable {
                uid: Some(uid),
                reason,
                ..
            }) if reason.starts_with("zombie") => *tasks.entry(*uid).or_insert(0) += 1,
            Scanned::Unreadable(_) => complete = false,
        }
    }
    for scanned in processes.iter_mut() {
        if let Scanned::Read(sample) = scanned {
            if complete {
                sample.threads.user_tasks = tasks.get(&sample.identity.uid.real).copied();
            } else {
                sample.unavailable.push(Unavailable {
                    field: "threads.user_tasks".into(),
                    reason: "some processes of the host could not be read, so the tasks of this user cannot all be counted".into(),
                });
            }
        }
    }
}
