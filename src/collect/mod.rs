//! Collection: the one way to read `/proc`, `/sys` and cgroupfs (stacks and runtimes read a
//! process through its [`ProcessDir`] too).
//!
//! A [`Collector`] watches one process identified by `(pid, start_time)` and produces a
//! [`Sample`] per call. Reads are tiered by cost (README, "What one poll costs"): the cheap
//! files every call; the per-thread and per-fd census, and the memory maps, only when [`Tiers`] asks for
//! them — otherwise the last census is carried over with its own timestamp, so every part of
//! a sample says how fresh it is.
//!
//! Everything reads through a [`HostRoot`] (one process: a [`ProcessDir`] on it), so the same
//! code runs live and on fixture trees.
//!
//! May import: `sample`, `parse`, `decode`.

mod cgroup;
pub mod exit_status;
pub mod family;
mod fds;
mod memory;
mod process;
mod process_dir;
pub mod raw;
pub mod resolve;
mod root;
mod runtime;
pub mod scan;
mod system;
mod threads;

pub use fds::tcp_sockets;
pub use process_dir::ProcessDir;
pub use root::HostRoot;
pub use runtime::{detect_runtime, runtime_evidence};

use crate::decode::syscalls::Arch;
use crate::parse::stat::Stat;
use crate::sample::{Runtime, Sample, Unavailable};
use root::is_gone;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// Why a reading failed as a whole. Parts that fail alone become [`Unavailable`] entries.
#[derive(Debug, Error)]
pub enum CollectError {
    #[error("no process with PID {pid}")]
    NoSuchProcess { pid: i32 },
    #[error("process {pid} exited while being read")]
    Gone { pid: i32 },
    #[error(
        "PID {pid} now belongs to a different process (it was reused); the watched process exited"
    )]
    PidReused { pid: i32 },
    #[error("PID {pid} is a kernel thread ({comm}); healthtop watches user-space processes")]
    KernelThread { pid: i32, comm: String },
    #[error(
        "PID {pid} ({comm}) is a zombie: it has exited and waits for its parent {ppid} to reap it"
    )]
    Zombie { pid: i32, comm: String, ppid: i32 },
    #[error("PID {pid} is a thread of process {tgid}; watch {tgid} instead")]
    NotAProcess { pid: i32, tgid: i32 },
    #[error("permission denied reading {path}: {hint}")]
    PermissionDenied { path: PathBuf, hint: &'static str },
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("unexpected content in {path}: {detail}")]
    Parse { path: PathBuf, detail: String },
}

/// What to do about a denied read of a process file.
pub const PERMISSION_HINT: &str =
    "run as the target's user (it must be dumpable) or as root (CAP_SYS_PTRACE)";

impl CollectError {
    /// Classifies an I/O error on `path`.
    pub fn io(path: &Path, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::PermissionDenied => CollectError::PermissionDenied {
                path: path.to_path_buf(),
                hint: PERMISSION_HINT,
            },
            _ => CollectError::Io {
                path: path.to_path_buf(),
                source,
            },
        }
    }

    /// Whether the error means the process (or thread) is no longer there: the one "gone"
    /// mapping every reader of a process shares.
    pub fn is_gone(&self) -> bool {
        match self {
            CollectError::Io { source, .. } => is_gone(source),
            CollectError::Gone { .. } | CollectError::NoSuchProcess { .. } => true,
            _ => false,
        }
    }

    /// A short reason for an [`Unavailable`] entry.
    pub fn reason(&self) -> String {
        match self {
            CollectError::PermissionDenied { path, .. } => {
                format!(
                    "permission denied reading {}: {PERMISSION_HINT}",
                    path.display()
                )
            }
            CollectError::Io { path, source } if source.kind() == io::ErrorKind::NotFound => {
                format!(
                    "{} does not exist (kernel too old, or feature not configured)",
                    path.display()
                )
            }
            other => other.to_string(),
        }
    }
}

/// Which expensive parts to read this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    /// Per-thread files, the fd census (readlink of every fd) and the TCP join: O(threads + fds).
    pub census: bool,
    /// `maps`, `smaps_rollup`, past-EOF checks: O(mappings) and takes the target's mmap lock.
    pub maps: bool,
}

impl Tiers {
    /// Everything: what a one-shot report reads.
    pub const ALL: Tiers = Tiers {
        census: true,
        maps: true,
    };
    /// Only the O(1) files.
    pub const CHEAP: Tiers = Tiers {
        census: false,
        maps: false,
    };
}

/// Whose detail files (`status`, `wchan`, `syscall`) a thread census reads. Every thread's
/// `stat` is read at every census; the details also for each thread whose `stat` changed,
/// each thread in D, every thread while a stall is suspected, and a rotating slice so none
/// is older than a few dozen censuses. The rest carry their previous details with the time
/// they were read (`ThreadInfo::detail_at_ms`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DetailWanted {
    /// Every thread: what a report, a bundle or a view of all threads needs.
    #[default]
    All,
    /// These threads (the rows on screen, the thread opened), beside the rules above.
    Threads(std::collections::BTreeSet<i32>),
}

impl DetailWanted {
    pub fn wants(&self, tid: i32) -> bool {
        match self {
            DetailWanted::All => true,
            DetailWanted::Threads(tids) => tids.contains(&tid),
        }
    }
}

/// Records a part that could not be read.
#[derive(Debug, Default)]
pub(crate) struct Gaps {
    items: Vec<Unavailable>,
    /// Set when a read failed because the process is gone, so the caller can say so.
    pub gone: bool,
}

impl Gaps {
    /// Keeps `Ok` values; records the reason for an error under `field`.
    pub fn keep<T>(&mut self, field: &str, result: Result<T, CollectError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.note(field, &error);
                None
            }
        }
    }

    pub fn note(&mut self, field: &str, error: &CollectError) {
        if error.is_gone() {
            self.gone = true;
        }
        self.add(field, error.reason());
    }

    /// Runs one tier's read with gaps of its own, so a reading carried over to later samples
    /// carries its reasons with it (a field missing on a census tick is missing on every tick
    /// that shows that census).
    pub fn tier<T>(&mut self, read: impl FnOnce(&mut Gaps) -> T) -> (T, Vec<Unavailable>) {
        let mut own = Gaps::default();
        let value = read(&mut own);
        self.gone |= own.gone;
        (value, own.items)
    }

    /// Re-records the reasons a carried-over reading was taken with.
    pub fn replay(&mut self, items: &[Unavailable]) {
        for item in items {
            self.add(&item.field, item.reason.clone());
        }
    }

    pub fn add(&mut self, field: &str, reason: impl Into<String>) {
        if !self.items.iter().any(|u| u.field == field) {
            self.items.push(Unavailable {
                field: field.to_string(),
                reason: reason.into(),
            });
        }
    }
}

/// Watches one process.
#[derive(Debug)]
pub struct Collector {
    root: HostRoot,
    pid: i32,
    start_time: u64,
    /// Told by the first sample, from the mappings it reads anyway (`None` before it).
    runtime: Option<Runtime>,
    /// Why the runtime is [`Runtime::Unknown`], recorded in every sample.
    runtime_unknown: Option<String>,
    host: system::HostConstants,
    last_census: Option<(threads::Census, Vec<Unavailable>)>,
    last_fds: Option<(fds::FdCensus, Vec<Unavailable>)>,
    last_maps: Option<(Option<memory::MapsReading>, Vec<Unavailable>)>,
    passwd: root::StampedFile,
    mounts: root::MountTable,
    detail: DetailWanted,
    fd_lister: fds::FdLister,
}

impl Collector {
    /// Checks that `pid` is a watchable process and pins its identity.
    pub fn new(root: HostRoot, pid: i32) -> Result<Self, CollectError> {
        let stat = ProcessDir::new(root.clone(), pid).watchable()?;
        let host = system::HostConstants::read(&root);
        Ok(Collector {
            root,
            pid,
            start_time: stat.start_time,
            runtime: None,
            runtime_unknown: None,
            host,
            last_census: None,
            last_fds: None,
            last_maps: None,
            passwd: root::StampedFile::default(),
            mounts: root::MountTable::default(),
            detail: DetailWanted::All,
            fd_lister: fds::FdLister::default(),
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn root(&self) -> &HostRoot {
        &self.root
    }

    /// How the watched process ended (`killed by SIGKILL`), read from its zombie while its
    /// parent has not reaped it; says so when that can no longer be told.
    pub fn how_it_ended(&self) -> String {
        exit_status::describe(&self.root, self.pid, self.start_time)
    }

    /// `(pid, start_time)`: who this collector watches.
    pub fn identity(&self) -> (i32, u64) {
        (self.pid, self.start_time)
    }

    /// The target's runtime; `None` before the first sample.
    pub fn runtime(&self) -> Option<Runtime> {
        self.runtime
    }

    /// Whose detail files the next censuses read (by default every thread's).
    pub fn want_details(&mut self, wanted: DetailWanted) {
        self.detail = wanted;
    }

    /// Reads one sample. Fails as a whole only if the process is gone or was replaced.
    pub fn sample(&mut self, tiers: Tiers) -> Result<Sample, CollectError> {
        let now_ms = now_ms();
        let stat = self.current_stat()?;
        let mut gaps = Gaps::default();
        let (root, pid, page_size) = (&self.root, self.pid, self.host.page_size);
        let first = self.runtime.is_none();
        let runtime = match self.runtime {
            Some(runtime) => runtime,
            None => {
                // The first sample reads the maps tier first: the runtime shows in the
                // mapped libraries, and 50,000 mappings are then read once, not twice.
                let reading = gaps.tier(|g| memory::read_maps(root, pid, page_size, now_ms, g));
                let evidence = match &reading.0 {
                    Some(maps) => runtime::runtime_from_mappings(root, pid, &maps.maps),
                    None => runtime_evidence(root, pid),
                };
                self.last_maps = Some(reading);
                let runtime = evidence.unwrap_or_else(|error| {
                    self.runtime_unknown = Some(error.reason());
                    Runtime::Unknown
                });
                self.runtime = Some(runtime);
                runtime
            }
        };
        if let Some(reason) = &self.runtime_unknown {
            gaps.add("runtime", reason.clone());
        }
        let status_text = self
            .root
            .read_proc_record(format!("{}/status", self.pid))
            .map_err(|e| self.gone_or(e))?;
        let status = crate::parse::status::Status::parse(&status_text);

        let mut identity = process::identity(
            &self.root, self.pid, &stat, &status, runtime, &self.host, &mut gaps,
        );
        identity.user = process::user_name(&self.root, &mut self.passwd, identity.uid.real);
        let limits = gaps
            .keep("limits", process::limits(&self.root, self.pid))
            .unwrap_or_default();
        let arch = Arch::native();

        let (root, pid) = (&self.root, self.pid);
        let fresh_fds = tiers.census || self.last_fds.is_none();
        if fresh_fds {
            self.last_fds = Some(gaps.tier(|g| fds::census(root, pid, now_ms, g)));
        }
        if tiers.census || self.last_census.is_none() {
            // Every task of the real uid is counted (a scan of the host's /proc) only where
            // RLIMIT_NPROC can bind: not for root, not when the limit is unlimited.
            let real_uid = status.ids("Uid").map(|ids| ids[0]);
            let nproc_unlimited = limits.get("nproc").is_some_and(|l| l.soft.is_none());
            let count_for = match real_uid {
                Some(0) => Err("not counted: RLIMIT_NPROC does not bind the root user"),
                Some(_) if nproc_unlimited => Err("not counted: RLIMIT_NPROC is unlimited"),
                uid => Ok(uid),
            };
            let work_waiting = self
                .last_fds
                .as_ref()
                .and_then(|(f, _)| f.tcp.as_ref())
                .is_some_and(|tcp| tcp.sockets.iter().any(|s| s.rx_queue > 0));
            let previous = self.last_census.take().map(|(c, _)| c);
            let detail = &self.detail;
            self.last_census = Some(gaps.tier(|g| {
                let real_uid = count_for.unwrap_or_else(|reason| {
                    g.add("threads.user_tasks", reason);
                    None
                });
                let input = threads::CensusInput {
                    arch,
                    real_uid,
                    now_ms,
                    previous: previous.as_ref(),
                    wanted: detail,
                    work_waiting,
                };
                threads::census(root, pid, &input, g)
            }));
        }
        if (tiers.maps && !first) || self.last_maps.is_none() {
            self.last_maps =
                Some(gaps.tier(|g| memory::read_maps(root, pid, page_size, now_ms, g)));
        }
        let carried = [
            self.last_census.as_ref().map(|(_, r)| r),
            self.last_fds.as_ref().map(|(_, r)| r),
            self.last_maps.as_ref().map(|(_, r)| r),
        ];
        for reasons in carried.into_iter().flatten() {
            gaps.replay(reasons);
        }
        let census = self.last_census.as_ref().map(|(c, _)| c);
        let fd_census = self.last_fds.as_ref().map(|(c, _)| c);
        let maps = self.last_maps.as_ref().map(|(m, _)| m);

        let cgroups = cgroup::locate(&self.root, self.pid, &mut self.mounts, &mut gaps);
        let threads = threads::summary(
            &status,
            stat.num_threads,
            census,
            &self.root,
            cgroups.as_ref(),
            &mut gaps,
        );
        let fds = fds::summary(
            &self.root,
            self.pid,
            &limits,
            fd_census,
            fresh_fds,
            &mut self.fd_lister,
            &mut gaps,
        );
        let memory = memory::summary(
            &self.root,
            self.pid,
            &status,
            maps,
            cgroups.as_ref(),
            &mut gaps,
        );
        let (seccomp, signals, capabilities) = process::security(&status, &mut gaps);
        let core = process::core_dump(&self.root, self.pid, &limits, &mut gaps);
        let system = system::read(&self.root, &self.host, &mut gaps);

        // A process that exited mid-read gives a torn sample: refuse it rather than mix.
        if gaps.gone {
            self.current_stat()?;
        }
        Ok(Sample {
            taken_at_ms: now_ms,
            identity,
            threads,
            fds,
            memory,
            seccomp,
            signals,
            capabilities,
            core,
            limits,
            system,
            unavailable: gaps.items,
        })
    }

    /// CPU time (user plus system) the process has used, in clock ticks
    /// (`/proc/PID/stat`); fails as [`Collector::sample`] does when it is gone or replaced.
    pub fn cpu_ticks(&self) -> Result<u64, CollectError> {
        let stat = self.current_stat()?;
        Ok(stat.utime.saturating_add(stat.stime))
    }

    /// Reads `stat` and checks the identity still holds.
    fn current_stat(&self) -> Result<Stat, CollectError> {
        let stat = read_stat(&self.root, self.pid).map_err(|e| self.gone_or(e))?;
        if stat.start_time != self.start_time {
            return Err(CollectError::PidReused { pid: self.pid });
        }
        if stat.state == 'Z' || stat.state == 'X' {
            return Err(CollectError::Gone { pid: self.pid });
        }
        Ok(stat)
    }

    fn gone_or(&self, error: CollectError) -> CollectError {
        match error {
            CollectError::NoSuchProcess { .. } => CollectError::Gone { pid: self.pid },
            e if e.is_gone() => CollectError::Gone { pid: self.pid },
            e => e,
        }
    }
}

fn read_stat(root: &HostRoot, pid: i32) -> Result<Stat, CollectError> {
    ProcessDir::new(root.clone(), pid).stat()
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
