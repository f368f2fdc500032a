//! One reading of a target process: plain, serialisable data, no I/O.
//!
//! A [`Sample`] is what `collect` produces and what everything above it (history, rules, views,
//! report, bundle) consumes. Its serde form *is* the body of the `healthtop.report/1` JSON
//! schema (see `docs/report-schema.md`), so field names here are a public contract.
//!
//! Missing data is data: a value that could not be read is `None` (JSON `null`) and the reason
//! is recorded in [`Sample::unavailable`] — never a made-up zero.
//!
//! May import: nothing else in the crate.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Why a field is missing, in words a human can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    /// Dotted path of the missing field, as in the JSON report (`memory.pss_bytes`).
    pub field: String,
    /// Why it is missing (`permission denied reading /proc/42/smaps_rollup: need CAP_SYS_PTRACE`).
    pub reason: String,
}

/// The language runtime of the target, detected from its executable and mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Go,
    Jvm,
    Python,
    Native,
    /// The executable or the mappings could not be read (the reason is under `runtime` in
    /// [`Sample::unavailable`]): calling it native would be a guess.
    Unknown,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Go => "go",
            Runtime::Jvm => "jvm",
            Runtime::Python => "python",
            Runtime::Native => "native",
            Runtime::Unknown => "unknown",
        }
    }
}

/// One full reading of the target. Top-level identity fields are flattened so the JSON report
/// reads `{"pid": …, "comm": …, "threads": {…}, …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Wall-clock time of the reading, milliseconds since the Unix epoch.
    pub taken_at_ms: u64,
    #[serde(flatten)]
    pub identity: Identity,
    pub threads: Threads,
    pub fds: Fds,
    pub memory: Memory,
    pub seccomp: Seccomp,
    pub signals: Signals,
    /// Effective capabilities by name (`CAP_NET_ADMIN`); `None` when unreadable.
    pub capabilities: Option<Vec<String>>,
    pub core: CoreDump,
    /// Every row of `/proc/PID/limits`, keyed by prlimit's resource name in lower case
    /// (`nofile`, `as`, `nproc`, `core`, …).
    pub limits: BTreeMap<String, Limit>,
    pub system: System,
    /// What could not be read, and why.
    pub unavailable: Vec<Unavailable>,
}

impl Sample {
    /// Why `field` could not be read: the entry of that exact name, else the nearest enclosing
    /// (`memory` for `memory.maps`) or enclosed (`memory.maps` for `memory`) one.
    pub fn unavailable_reason(&self, field: &str) -> Option<&str> {
        let exact = self.unavailable.iter().find(|u| u.field == field);
        let near = || {
            self.unavailable.iter().find(|u| {
                field.starts_with(&format!("{}.", u.field))
                    || u.field.starts_with(&format!("{field}."))
            })
        };
        exact.or_else(near).map(|u| u.reason.as_str())
    }

    /// The runtime in words: `go`, or `unknown (why)` when the evidence could not be read.
    pub fn runtime_label(&self) -> String {
        match self.identity.runtime {
            Runtime::Unknown => format!(
                "unknown ({})",
                self.unavailable_reason("runtime")
                    .unwrap_or("the executable and the mappings could not be read")
            ),
            known => known.as_str().to_string(),
        }
    }

    /// A count over the mappings (deleted, past EOF, all of them), or why there is none: a
    /// list that could not be read is never counted as 0.
    pub fn maps_count(&self, len: usize) -> Result<usize, &str> {
        match self.memory.maps_taken_at_ms {
            Some(_) => Ok(len),
            None => Err(self
                .unavailable_reason("memory.maps")
                .unwrap_or("the maps were not read yet")),
        }
    }

    /// A count over the fd census (descriptors, deleted files, kinds), or why there is none.
    pub fn fd_census_count(&self, len: usize) -> Result<usize, &str> {
        match self.fds.census_taken_at_ms {
            Some(_) => Ok(len),
            None => Err(self
                .unavailable_reason("fds.items")
                .unwrap_or("the descriptors were not read yet")),
        }
    }
}

/// Who the target is. Identity across samples is `(pid, start_time)`: a change means the PID
/// was reused or the process restarted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub pid: i32,
    /// `comm` from `/proc/PID/stat` (15 characters at most).
    pub comm: String,
    /// Arguments from `/proc/PID/cmdline`, as the kernel has them.
    pub cmdline: Vec<String>,
    /// Target of `/proc/PID/exe`; `None` when not permitted.
    pub exe: Option<String>,
    /// Process state letter from `/proc/PID/stat` (`R`, `S`, `D`, `T`, `t`, `Z`, …).
    pub state: String,
    pub ppid: i32,
    /// Start time in clock ticks after boot (`/proc/PID/stat` field 22).
    pub start_time: u64,
    /// Start time as seconds since the Unix epoch (from boot time and the tick rate).
    pub started_at_unix: Option<f64>,
    pub uid: Ids,
    pub gid: Ids,
    /// Name of the real user, when `/etc/passwd` knows it.
    pub user: Option<String>,
    pub runtime: Runtime,
    /// Whether the process is dumpable (ptrace and /proc readers need it); `None` when it
    /// cannot be told (a root-owned target looks the same either way).
    pub dumpable: Option<bool>,
    /// `TracerPid` from status: a debugger or tracer attached right now (0 = none).
    pub tracer_pid: i32,
    /// The parent process (who supervises this one, if anyone); `None` for PID 1's parent, or
    /// when the parent could not be read.
    #[serde(default)]
    pub parent: Option<Parent>,
}

/// The parent of the target: enough to tell a supervising master from anything else (its
/// command line is not kept: it may hold secrets, and a bundle would carry them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parent {
    pub pid: i32,
    /// `comm` from `/proc/PPID/stat`.
    pub comm: String,
    /// Target of `/proc/PPID/exe`; `None` when not permitted.
    pub exe: Option<String>,
}

/// Real, effective, saved and filesystem ids, as `/proc/PID/status` lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
    pub saved: u32,
    pub fs: u32,
}

/// Threads of the target and the limits on how many it may have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threads {
    /// `Threads:` from `/proc/PID/status` (cheap tier, read every sample).
    pub count: u64,
    /// Per-thread census (expensive tier). Empty when the census was not taken this time.
    pub items: Arc<Vec<ThreadInfo>>,
    /// When `items` was read, milliseconds since the Unix epoch; `None` if never.
    pub census_taken_at_ms: Option<u64>,
    /// Children of the target in state Z (zombies hold PIDs until reaped).
    pub zombie_children: Option<u64>,
    /// cgroup pids controller: tasks (threads) in the target's cgroup now.
    pub cgroup_pids_current: Option<u64>,
    /// cgroup pids controller limit; `None` = unlimited or no controller (see `unavailable`).
    pub cgroup_pids_max: Option<u64>,
    /// Tasks (threads) of every process whose real uid is the target's, host-wide: what
    /// RLIMIT_NPROC counts. Read with the census (one `/proc/*/status` scan).
    #[serde(default)]
    pub user_tasks: Option<u64>,
}

/// One thread, as read from `/proc/PID/task/TID/*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadInfo {
    pub tid: i32,
    /// Thread name (`comm` of the task).
    pub name: String,
    /// State letter (`R`, `S`, `D`, …) as `ps -T` shows it.
    pub state: String,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
    /// Kernel function the thread sleeps in; `None` when running or not permitted.
    pub wchan: Option<String>,
    /// Current system call by name, `"running"` when on CPU, `"user"` when blocked outside
    /// a system call; `None` when not permitted.
    pub syscall: Option<String>,
    /// System call number as the kernel reports it, when in one.
    pub syscall_nr: Option<i64>,
    /// Signals blocked by this thread (`SigBlk`).
    pub blocked_signals: Vec<String>,
    /// Signals pending for this thread only (`SigPnd`).
    pub pending_signals: Vec<String>,
    /// Start time in clock ticks after boot.
    pub start_time: u64,
    /// When the fields from `status`, `wchan` and `syscall` (switches, signals, wchan, system
    /// call) were read, ms since the Unix epoch, if before this census: a census reads `stat`
    /// for every thread but those files only for the threads that changed, are shown or are
    /// due (see `collect::DetailWanted`). `None`: read with the census.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail_at_ms: Option<u64>,
}

/// Open file descriptors against `RLIMIT_NOFILE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fds {
    /// Open descriptors now.
    pub open: Option<u64>,
    /// Soft `RLIMIT_NOFILE`: `open` may reach this minus one before `EMFILE`. `None` = unlimited.
    pub soft_limit: Option<u64>,
    pub hard_limit: Option<u64>,
    /// Highest descriptor number in use (`EMFILE` comes when no number below the limit is free).
    pub highest_fd: Option<u64>,
    /// Count per kind: `file`, `directory`, `socket`, `pipe`, `device`, `anon_inode:eventpoll`, …
    pub by_kind: BTreeMap<String, u64>,
    /// Every descriptor with its kind and target (census tier).
    pub items: Arc<Vec<FdInfo>>,
    /// Regular files held open after being deleted (their disk space is not freed).
    pub deleted_files: Vec<FdInfo>,
    /// TCP sockets owned by the target (by inode, from `net/tcp` and `net/tcp6`).
    pub tcp: Option<Arc<TcpSummary>>,
    /// When the census (`by_kind`, `items`, `tcp`) was read, ms since the Unix epoch.
    pub census_taken_at_ms: Option<u64>,
}

/// One open descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdInfo {
    pub fd: u64,
    /// Kind as in [`Fds::by_kind`].
    pub kind: String,
    /// `readlink` target (`/var/log/x.log (deleted)`, `socket:[1234]`, `anon_inode:[eventfd]`).
    pub target: String,
}

/// The target's own TCP sockets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TcpSummary {
    /// Count per state name (`ESTABLISHED`, `CLOSE_WAIT`, `LISTEN`, …).
    pub by_state: BTreeMap<String, u64>,
    pub close_wait: u64,
    pub listen: u64,
    pub sockets: Vec<TcpSocket>,
}

/// One TCP socket of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpSocket {
    pub fd: u64,
    pub inode: u64,
    /// `address:port`, IPv6 in brackets.
    pub local: String,
    pub remote: String,
    pub state: String,
    /// Bytes queued for sending / unread (for LISTEN: the accept queue length).
    pub tx_queue: u64,
    pub rx_queue: u64,
}

/// Memory use and the limits it runs into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    pub rss_bytes: Option<u64>,
    pub rss_anon_bytes: Option<u64>,
    pub rss_file_bytes: Option<u64>,
    pub rss_shmem_bytes: Option<u64>,
    pub swap_bytes: Option<u64>,
    pub vm_size_bytes: Option<u64>,
    pub vm_hwm_bytes: Option<u64>,
    pub vm_data_bytes: Option<u64>,
    /// Proportional set size from `smaps_rollup`.
    pub pss_bytes: Option<u64>,
    /// Number of memory mappings (VMAs), against `vm.max_map_count`.
    pub map_count: Option<u64>,
    pub max_map_count: Option<u64>,
    /// Mappings of files that were deleted after being mapped.
    pub deleted_mappings: Vec<Mapping>,
    /// Shared file mappings that reach past the file's current end: touching them is SIGBUS.
    pub mappings_past_eof: Vec<PastEofMapping>,
    /// Every mapping (maps tier); empty when not read this time.
    pub maps: Arc<Vec<Mapping>>,
    /// When `maps` and the two lists above were read, ms since the Unix epoch.
    pub maps_taken_at_ms: Option<u64>,
    pub oom_score: Option<i64>,
    pub oom_score_adj: Option<i64>,
    pub cgroup: Option<CgroupMemory>,
    /// Memory pressure stall information (cgroup v2 file, else system-wide).
    pub pressure: Option<Pressure>,
    pub host: Option<HostMemory>,
}

/// One line of `/proc/PID/maps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// `rwxp` / `rw-s` as the kernel writes it.
    pub perms: String,
    pub offset: u64,
    /// `major:minor` of the backing device, hex as in maps.
    pub dev: String,
    pub inode: u64,
    /// Path or pseudo-name (`[heap]`, `[stack]`); empty for anonymous.
    pub path: String,
    pub deleted: bool,
}

/// A shared file mapping that extends past the end of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastEofMapping {
    pub mapping: Mapping,
    pub file_size: u64,
    /// Whole pages of the mapping that lie beyond the file's end.
    pub pages_past_eof: u64,
}

/// The memory controller of the target's cgroup (v2, or v1 on hybrid hosts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CgroupMemory {
    /// `"v1"` or `"v2"`.
    pub version: String,
    /// Path of the cgroup inside its hierarchy (`/system.slice/x.service`).
    pub path: String,
    pub current_bytes: Option<u64>,
    /// Hard limit; `None` = unlimited.
    pub max_bytes: Option<u64>,
    /// v2 `memory.high` throttling threshold; `None` = unlimited or v1.
    pub high_bytes: Option<u64>,
    /// Counters from `memory.events` (v2: `low`, `high`, `max`, `oom`, `oom_kill`) or the v1
    /// equivalents (`oom_kill`, `under_oom`, `failcnt`).
    pub events: BTreeMap<String, u64>,
}

/// Pressure stall information for memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pressure {
    /// `"cgroup"` or `"system"`.
    pub scope: String,
    pub some_avg10: f64,
    pub some_avg60: f64,
    pub some_avg300: f64,
    pub full_avg10: Option<f64>,
    pub full_avg60: Option<f64>,
    pub full_avg300: Option<f64>,
}

/// Host-wide memory from `/proc/meminfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostMemory {
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_free_bytes: u64,
}

/// Seccomp state from `/proc/PID/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seccomp {
    /// `"disabled"`, `"strict"` or `"filter"`; `None` on kernels without CONFIG_SECCOMP.
    pub mode: Option<String>,
    /// Number of filters attached (kernel 5.9+).
    pub filters: Option<u64>,
    pub no_new_privs: Option<bool>,
}

/// Signal dispositions of the process, decoded into names (`SIGPIPE`, `SIGRTMIN+3`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    /// Blocked by the main thread (`SigBlk`); see each thread for its own mask.
    pub blocked: Vec<String>,
    pub ignored: Vec<String>,
    pub caught: Vec<String>,
    /// Pending: process-wide (`ShdPnd`) plus the main thread's own (`SigPnd`).
    pub pending: Vec<String>,
}

/// Whether a crash would leave a core dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoreDump {
    /// Soft `RLIMIT_CORE`; `None` = unlimited (or unavailable: see `unavailable`).
    pub rlimit_bytes: Option<u64>,
    /// `/proc/sys/kernel/core_pattern`.
    pub pattern: Option<String>,
    /// The pattern pipes to a helper (`|/usr/lib/systemd/systemd-coredump …`).
    pub piped: Option<bool>,
    /// `/proc/PID/coredump_filter`, hex as the kernel prints it.
    pub filter: Option<String>,
}

/// One row of `/proc/PID/limits`. `None` = unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// The kernel's row name (`Max open files`).
    pub name: String,
    pub soft: Option<u64>,
    pub hard: Option<u64>,
    /// Unit as the kernel prints it (`bytes`, `files`, `processes`, `seconds`, …); may be empty.
    pub unit: String,
}

/// Host-wide settings and counters that bound the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct System {
    pub kernel: Option<String>,
    pub threads_max: Option<u64>,
    pub pid_max: Option<u64>,
    /// Tasks (threads) on the host now, `/proc/loadavg` field 4: what kernel.threads-max and
    /// kernel.pid_max bound.
    #[serde(default)]
    pub tasks_total: Option<u64>,
    /// Allocated file handles on the host (`fs.file-nr`, first field).
    pub file_nr: Option<u64>,
    pub file_max: Option<u64>,
    /// Ceiling for any `RLIMIT_NOFILE` hard limit (`fs.nr_open`).
    pub nr_open: Option<u64>,
    /// Kernel clock ticks per second (for `cpu_ticks`).
    pub clock_ticks_per_sec: u64,
    pub page_size: u64,
}

/// The watched process's relatives (its parent and its children), each read with the cheap
/// tier, and who else uses the limits it shares with other processes. Read by
/// `collect::family` with the census; not part of the report schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Whose family this is.
    pub pid: i32,
    pub taken_at_ms: u64,
    /// `None` for a process whose parent is the kernel (PID 1, kthreadd's children).
    pub parent: Option<Relative>,
    /// Children by PID.
    pub children: Vec<Relative>,
    /// How the children were found (`/proc/PID/task/*/children`, or a scan of every process's
    /// parent PID where that file does not exist).
    pub children_source: String,
    /// Children beyond [`Family`]'s bound, listed by nobody (a fork bomb does not grow
    /// healthtop's memory).
    pub children_not_read: usize,
    /// Limits shared with other processes: RLIMIT_NPROC (per real user), the cgroup's pids.max
    /// and memory.max.
    pub shared: Vec<SharedLimit>,
}

/// One relative: a cheap-tier reading, or why there is none (gone, a zombie, denied).
#[derive(Debug, Clone, PartialEq)]
pub struct Relative {
    pub pid: i32,
    /// `comm` from its `stat` (known even when the rest could not be read).
    pub comm: String,
    pub reading: Result<Box<Sample>, String>,
}

/// A limit several processes draw on, and who draws on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedLimit {
    /// `RLIMIT_NPROC`, `pids.max`, `memory.max`.
    pub name: String,
    /// Who shares it: `real uid 1000 (alice), host-wide`, `cgroup /system.slice/x.service`.
    pub scope: String,
    /// The limit, in the unit of `unit` (tasks or bytes).
    pub limit: u64,
    pub unit: SharedUnit,
    /// The processes counted, or why they could not be.
    pub users: Result<SharedUsers, String>,
}

/// What a shared limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedUnit {
    /// Tasks (threads): RLIMIT_NPROC, pids.max.
    Tasks,
    /// Bytes: memory.max (each process's share shown as its RSS).
    Bytes,
}

/// The processes drawing on a shared limit.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedUsers {
    /// Processes counted.
    pub processes: usize,
    /// Their usage summed (tasks, or RSS bytes).
    pub total: u64,
    /// What the kernel charges against the limit (`pids.current`, `memory.current`), when it
    /// keeps a counter of its own: it may exceed `total` (page cache, sub-cgroups).
    pub charged: Option<u64>,
    /// The biggest users, biggest first (at most [`SHARED_TOP`]).
    pub top: Vec<SharedUser>,
}

/// How many of a shared limit's biggest users are kept.
pub const SHARED_TOP: usize = 5;

/// One process drawing on a shared limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedUser {
    pub pid: i32,
    pub comm: String,
    pub amount: u64,
}
