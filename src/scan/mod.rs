//! The host-wide ranking: which process is closest to a limit, and (watched) which reaches one
//! first. Each process of a [`HostScan`] is judged by the one headroom model
//! ([`Headroom::assess`]), so a row of the scan names the same binding limit as `healthtop -p`
//! would; the rank is the highest fraction of any limit in use, or, watched, the nearest ETA.
//!
//! May import: `sample`, `collect`, `config`, `history`, `headroom`.

use crate::collect::scan::{HostScan, Scanned, Unreadable};
use crate::config::Config;
use crate::headroom::{Headroom, Resource, ResourceKind, Window};
use crate::history::{History, TargetId};
use crate::sample::Sample;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::Duration;

/// The resources a scan ranks on (CPU time is left out: RLIMIT_CPU is rare and its usage needs
/// the per-thread census).
pub const RANKED: [ResourceKind; 5] = [
    ResourceKind::Fds,
    ResourceKind::Threads,
    ResourceKind::Memory,
    ResourceKind::AddressSpace,
    ResourceKind::Maps,
];

/// The JSON schema name of `healthtop scan --json`.
pub const SCHEMA: &str = "healthtop.scan/1";

/// Samples of history kept per process while watching: enough for a trend, bounded so 2,000
/// processes stay within tens of megabytes.
pub const WATCH_POINTS: u32 = 30;

/// One resource of one process: usage against its binding limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceUse {
    pub resource: ResourceKind,
    /// `None` when it could not be read (`reason` says why).
    pub used: Option<f64>,
    /// The binding limit in the unit of `used`; `None` when none applies.
    pub limit: Option<f64>,
    /// Its name (`RLIMIT_NOFILE`, `pids.max`, `memory.max`).
    pub limit_name: Option<String>,
    /// `used / limit`.
    pub ratio: Option<f64>,
    /// Seconds until the limit at the current trend (watch mode only).
    pub eta_seconds: Option<f64>,
    /// Why `used` is missing.
    pub reason: Option<String>,
}

/// One process of the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub pid: i32,
    pub comm: Option<String>,
    pub user: Option<String>,
    /// The resource with the highest ratio; `None` when no ratio could be computed.
    pub worst: Option<ResourceUse>,
    pub resources: Vec<ResourceUse>,
    /// The nearest ETA of any resource (watch mode only).
    pub eta_seconds: Option<f64>,
    /// Why the process, or part of it, could not be read; `None` when everything was.
    pub error: Option<String>,
    #[serde(skip)]
    pub uid: Option<u32>,
    #[serde(skip)]
    pub start_time: Option<u64>,
    #[serde(skip)]
    pub ppid: Option<i32>,
    #[serde(skip)]
    pub cmdline: Vec<String>,
}

impl Ranked {
    /// The highest ratio, for sorting.
    pub fn worst_ratio(&self) -> Option<f64> {
        self.worst.as_ref().and_then(|w| w.ratio)
    }
}

/// Ranks one scan with no history: every process by its highest ratio, worst first.
pub fn rank(scan: &HostScan, config: &Config) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = scan
        .processes
        .iter()
        .map(|scanned| match scanned {
            Scanned::Read(sample) => {
                let mut history = History::new(Duration::from_secs(1), Duration::from_secs(1));
                history.push(sample);
                let headroom = Headroom::assess(&history, config, Window::Rolling, None);
                from_sample(sample, &headroom)
            }
            Scanned::Unreadable(u) => unreadable(u),
        })
        .collect();
    sort_by_ratio(&mut ranked);
    ranked
}

/// Keeps a history per process across scans, keyed by `(pid, start time)` so a reused PID is
/// a new process, and ranks by ETA.
#[derive(Debug)]
pub struct Watch {
    interval: Duration,
    tracked: HashMap<TargetId, Tracked>,
}

#[derive(Debug)]
struct Tracked {
    history: History,
    since_ms: u64,
    previous: Option<Headroom>,
}

impl Watch {
    /// A watch taking a scan every `interval`.
    pub fn new(interval: Duration) -> Watch {
        Watch {
            interval,
            tracked: HashMap::new(),
        }
    }

    /// Adds one scan and ranks it: the nearest ETA first, then the highest ratio. Processes
    /// no longer in the scan are forgotten.
    pub fn update(&mut self, scan: &HostScan, config: &Config) -> Vec<Ranked> {
        let mut seen = HashMap::with_capacity(self.tracked.len());
        let mut ranked = Vec::with_capacity(scan.processes.len());
        for scanned in &scan.processes {
            let sample = match scanned {
                Scanned::Read(sample) => sample,
                Scanned::Unreadable(u) => {
                    ranked.push(unreadable(u));
                    continue;
                }
            };
            let id = TargetId::of(sample);
            let mut tracked = self.tracked.remove(&id).unwrap_or_else(|| Tracked {
                history: History::new(self.interval * WATCH_POINTS, self.interval),
                since_ms: sample.taken_at_ms,
                previous: None,
            });
            tracked.history.push(sample);
            let window = Window::Explicit {
                since_ms: tracked.since_ms,
            };
            let headroom =
                Headroom::assess(&tracked.history, config, window, tracked.previous.as_ref());
            ranked.push(from_sample(sample, &headroom));
            tracked.previous = Some(headroom);
            seen.insert(id, tracked);
        }
        self.tracked = seen;
        sort_by_eta(&mut ranked);
        ranked
    }

    /// Processes with a history.
    pub fn tracked(&self) -> usize {
        self.tracked.len()
    }
}

/// Highest ratio first; processes without any ratio last, in PID order.
pub fn sort_by_ratio(ranked: &mut [Ranked]) {
    ranked.sort_by(|a, b| {
        descending(a.worst_ratio(), b.worst_ratio()).then_with(|| a.pid.cmp(&b.pid))
    });
}

/// Nearest ETA first; then as [`sort_by_ratio`].
pub fn sort_by_eta(ranked: &mut [Ranked]) {
    ranked.sort_by(|a, b| {
        let eta = |r: &Ranked| r.eta_seconds.unwrap_or(f64::INFINITY);
        eta(a)
            .total_cmp(&eta(b))
            .then_with(|| descending(a.worst_ratio(), b.worst_ratio()))
            .then_with(|| a.pid.cmp(&b.pid))
    });
}

fn descending(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn resource_use(sample: &Sample, resource: &Resource) -> ResourceUse {
    let limit = resource.binding.as_ref();
    let ratio = match (resource.usage, limit) {
        (Some(used), Some(limit)) if limit.value > 0.0 => Some(used / limit.value),
        (Some(_), Some(_)) => Some(1.0),
        _ => None,
    };
    ResourceUse {
        resource: resource.kind,
        used: resource.usage,
        limit: limit.map(|l| l.value),
        limit_name: limit.map(|l| l.name.clone()),
        ratio,
        eta_seconds: resource.eta_secs(),
        reason: resource
            .usage
            .is_none()
            .then(|| sample.unavailable_reason(resource.source_field()))
            .flatten()
            .map(str::to_string),
    }
}

fn from_sample(sample: &Sample, headroom: &Headroom) -> Ranked {
    let judged: Vec<&Resource> = RANKED.iter().filter_map(|&k| headroom.get(k)).collect();
    let resources: Vec<ResourceUse> = judged.iter().map(|r| resource_use(sample, r)).collect();
    // Parts left out by design (the map count) are not errors; denied or vanished ones are.
    let errors: Vec<String> = judged
        .iter()
        .zip(&resources)
        .filter(|(judged, used)| {
            used.used.is_none() && !crate::collect::scan::left_out(judged.source_field())
        })
        .map(|(judged, used)| {
            let reason = used.reason.as_deref().unwrap_or("not read");
            format!("{}: {reason}", judged.kind.label())
        })
        .collect();
    let worst = resources
        .iter()
        .filter(|r| r.ratio.is_some())
        .max_by(|a, b| descending(b.ratio, a.ratio))
        .cloned();
    let eta_seconds = resources
        .iter()
        .filter_map(|r| r.eta_seconds)
        .min_by(f64::total_cmp);
    let identity = &sample.identity;
    Ranked {
        pid: identity.pid,
        comm: Some(identity.comm.clone()),
        user: identity.user.clone(),
        worst,
        resources,
        eta_seconds,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        uid: Some(identity.uid.real),
        start_time: Some(identity.start_time),
        ppid: Some(identity.ppid),
        cmdline: identity.cmdline.clone(),
    }
}

fn unreadable(u: &Unreadable) -> Ranked {
    Ranked {
        pid: u.pid,
        comm: u.comm.clone(),
        user: u.user.clone(),
        worst: None,
        resources: Vec::new(),
        eta_seconds: None,
        error: Some(u.reason.clone()),
        uid: u.uid,
        start_time: u.start_time,
        ppid: None,
        cmdline: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::scan::scan_host;
    use crate::collect::HostRoot;
    use std::fs;
    use std::path::Path;

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }

    /// A process in the fixture tree: `fds` open under a soft RLIMIT_NOFILE of `nofile`.
    fn process(root: &Path, pid: i32, comm: &str, state: char, flags: u64, fds: u32, nofile: u32) {
        let dir = format!("proc/{pid}");
        write(
            root,
            &format!("{dir}/stat"),
            &format!("{pid} ({comm}) {state} 1 {pid} {pid} 0 -1 {flags} 0 0 0 0 0 0 0 0 20 0 1 0 {} 1000 100 0\n", 100 + pid),
        );
        write(
            root,
            &format!("{dir}/status"),
            &format!("Name:\t{comm}\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nThreads:\t1\nVmSize:\t10000 kB\nVmRSS:\t1000 kB\nCapEff:\t0000000000000000\n"),
        );
        write(
            root,
            &format!("{dir}/limits"),
            &format!("Limit                     Soft Limit           Hard Limit           Units     \nMax open files            {nofile}                 {nofile}                 files     \nMax processes             unlimited            unlimited            processes \n"),
        );
        write(
            root,
            &format!("{dir}/cmdline"),
            &format!("{comm}\0--flag\0"),
        );
        write(root, &format!("{dir}/cgroup"), "0::/\n");
        fs::create_dir_all(root.join(format!("{dir}/fd"))).expect("fd dir");
        for fd in 0..fds {
            write(root, &format!("{dir}/fd/{fd}"), "");
        }
    }

    #[test]
    fn a_fixture_host_ranks_the_process_nearest_a_limit_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "proc/loadavg", "0.00 0.00 0.00 1/40 999\n");
        write(
            root,
            "proc/meminfo",
            "MemTotal: 1000000 kB\nMemAvailable: 900000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
        );
        write(root, "proc/sys/kernel/threads-max", "10000\n");
        write(root, "proc/sys/kernel/pid_max", "32768\n");
        write(root, "proc/sys/vm/max_map_count", "65530\n");
        write(
            root,
            "etc/passwd",
            "alice:x:1000:1000::/home/alice:/bin/sh\n",
        );
        process(root, 10, "calm", 'S', 0, 3, 1024);
        process(root, 11, "leaky", 'S', 0, 90, 100);
        process(root, 12, "busy", 'R', 0, 10, 1024);
        let pf_kthread = 0x0020_0000;
        process(root, 13, "kworker/0:1", 'I', pf_kthread, 0, 1024);
        process(root, 14, "dead", 'Z', 0, 0, 1024);
        // Gone between the listing and the read of its status: said, not skipped.
        process(root, 15, "gone", 'S', 0, 0, 1024);
        fs::remove_file(root.join("proc/15/status")).expect("rm");
        let scan = scan_host(&HostRoot::at(root), 2).expect("scan");
        let ranked = rank(&scan, &Config::default());
        let pids: Vec<i32> = ranked.iter().map(|r| r.pid).collect();
        // 10 fds of 1024 before 3 of 1024; the zombie and the gone one last; no kernel thread.
        assert_eq!(pids, vec![11, 12, 10, 14, 15]);
        let first = &ranked[0];
        let worst = first.worst.as_ref().expect("a worst resource");
        assert_eq!(worst.resource, ResourceKind::Fds);
        assert_eq!((worst.used, worst.limit), (Some(90.0), Some(100.0)));
        assert_eq!(worst.limit_name.as_deref(), Some("RLIMIT_NOFILE"));
        assert_eq!(first.user.as_deref(), Some("alice"));
        assert_eq!(first.error, None, "the map count is left out by design");
        let maps = first
            .resources
            .iter()
            .find(|r| r.resource == ResourceKind::Maps)
            .expect("maps");
        assert!(maps
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("mmap lock")));
        assert!(ranked[3]
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("zombie")));
        assert_eq!(ranked[4].error.as_deref(), Some("exited during the scan"));
        assert_eq!(ranked[4].comm.as_deref(), Some("gone"));
    }

    #[test]
    fn a_watch_keys_history_by_pid_and_start_time_and_ranks_by_eta() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(root, "proc/loadavg", "0.00 0.00 0.00 1/40 999\n");
        process(root, 20, "flat", 'S', 0, 50, 100);
        let mut watch = Watch::new(Duration::from_secs(1));
        let config = Config::default();
        let mut last = Vec::new();
        for tick in 0..12u64 {
            process(root, 21, "leaky", 'S', 0, 10 + tick as u32 * 2, 100);
            let mut scan = scan_host(&HostRoot::at(root), 1).expect("scan");
            for p in &mut scan.processes {
                if let Scanned::Read(s) = p {
                    s.taken_at_ms = 1_000_000 + tick * 1000;
                }
            }
            last = watch.update(&scan, &config);
        }
        assert_eq!(watch.tracked(), 2);
        assert_eq!(last[0].pid, 21, "the rising one comes first: {last:?}");
        let eta = last[0].eta_seconds.expect("an ETA");
        // 32 open after the last tick, +2 a second, limit 100.
        assert!((eta - 34.0).abs() < 1.0, "{eta}");
        assert_eq!(last[1].eta_seconds, None);
    }
}
