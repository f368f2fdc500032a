//! The metrics kept as time series, and how each one is read out of a [`Sample`].
//!
//! May import: `sample`.

use crate::sample::Sample;
use serde::{Deserialize, Serialize};

/// One series kept by [`super::History`]. The set is closed so that the memory bound is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Open file descriptors (`fds.open`).
    FdsOpen,
    /// Highest descriptor number in use (`fds.highest_fd`).
    HighestFd,
    /// Threads of the process (`threads.count`).
    Threads,
    /// Resident set size in bytes.
    RssBytes,
    /// Virtual size in bytes (what `RLIMIT_AS` limits).
    VmSizeBytes,
    /// Memory charged to the target's cgroup, bytes.
    CgroupMemoryBytes,
    /// Host `MemAvailable`, bytes.
    HostAvailableBytes,
    /// Memory mappings (VMAs).
    MapCount,
    /// CPU time of the live threads, clock ticks (thread census; exited threads drop out).
    CpuTicks,
    /// Voluntary plus involuntary context switches of the live threads (thread census).
    CtxtSwitches,
    /// TCP sockets of the target in CLOSE_WAIT (fd census).
    CloseWait,
    /// Bytes received on the target's connected sockets that it has not read (fd census).
    SocketRxQueuedBytes,
    /// Connections waiting in the accept queues of its listening sockets (fd census).
    AcceptQueued,
    /// Zombie children not reaped.
    ZombieChildren,
    /// cgroup `memory.events` `oom_kill` counter.
    CgroupOomKills,
    /// cgroup `memory.events` `max` counter (times usage hit the hard limit).
    CgroupMemoryMaxEvents,
    /// Memory pressure `some avg10`, percent.
    PressureSomeAvg10,
    /// Goroutines of a Go target, read from its pprof endpoint (not from /proc, so never from
    /// a [`Sample`]): fed by [`super::History::record`].
    Goroutines,
}

/// Which collection tier a metric comes from: census metrics only get a point when that census
/// was taken again, so a tick without a census is "not read", not a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    EveryTick,
    ThreadCensus,
    FdCensus,
    /// The memory maps, read every few ticks: the count repeated in between is not a reading.
    Maps,
    /// Read outside the collector (a runtime's own endpoint) and recorded separately.
    External,
}

impl Metric {
    /// Every metric, in display order.
    pub const ALL: [Metric; 18] = [
        Metric::FdsOpen,
        Metric::HighestFd,
        Metric::Threads,
        Metric::RssBytes,
        Metric::VmSizeBytes,
        Metric::CgroupMemoryBytes,
        Metric::HostAvailableBytes,
        Metric::MapCount,
        Metric::CpuTicks,
        Metric::CtxtSwitches,
        Metric::CloseWait,
        Metric::SocketRxQueuedBytes,
        Metric::AcceptQueued,
        Metric::ZombieChildren,
        Metric::CgroupOomKills,
        Metric::CgroupMemoryMaxEvents,
        Metric::PressureSomeAvg10,
        Metric::Goroutines,
    ];

    /// Short name for labels and JSON (`fds_open`).
    pub fn name(self) -> &'static str {
        match self {
            Metric::FdsOpen => "fds_open",
            Metric::HighestFd => "highest_fd",
            Metric::Threads => "threads",
            Metric::RssBytes => "rss_bytes",
            Metric::VmSizeBytes => "vm_size_bytes",
            Metric::CgroupMemoryBytes => "cgroup_memory_bytes",
            Metric::HostAvailableBytes => "host_available_bytes",
            Metric::MapCount => "map_count",
            Metric::CpuTicks => "cpu_ticks",
            Metric::CtxtSwitches => "ctxt_switches",
            Metric::CloseWait => "close_wait",
            Metric::SocketRxQueuedBytes => "socket_rx_queued_bytes",
            Metric::AcceptQueued => "accept_queued",
            Metric::ZombieChildren => "zombie_children",
            Metric::CgroupOomKills => "cgroup_oom_kills",
            Metric::CgroupMemoryMaxEvents => "cgroup_memory_max_events",
            Metric::PressureSomeAvg10 => "pressure_some_avg10",
            Metric::Goroutines => "goroutines",
        }
    }

    /// Whether the metric is a heap-like quantity that a garbage collector saws up and down
    /// (for Go and JVM targets its trend is fitted to the floor, not the peaks).
    pub fn is_gc_memory(self) -> bool {
        matches!(
            self,
            Metric::RssBytes | Metric::VmSizeBytes | Metric::CgroupMemoryBytes
        )
    }

    /// The smallest change the metric can show: a page for byte sizes, else one unit.
    pub fn resolution(self) -> f64 {
        match self {
            Metric::RssBytes
            | Metric::VmSizeBytes
            | Metric::CgroupMemoryBytes
            | Metric::HostAvailableBytes
            | Metric::SocketRxQueuedBytes => 4096.0,
            _ => 1.0,
        }
    }

    /// Whether the metric is read outside the /proc collector and fed with
    /// [`super::History::record`] rather than [`super::History::push`].
    pub fn is_external(self) -> bool {
        self.tier() == Tier::External
    }

    pub(super) fn tier(self) -> Tier {
        match self {
            Metric::CpuTicks | Metric::CtxtSwitches => Tier::ThreadCensus,
            Metric::CloseWait | Metric::SocketRxQueuedBytes | Metric::AcceptQueued => {
                Tier::FdCensus
            }
            Metric::Goroutines => Tier::External,
            Metric::MapCount => Tier::Maps,
            _ => Tier::EveryTick,
        }
    }

    /// The value in `sample`; `None` when it could not be read (a gap in the series).
    pub fn read(self, sample: &Sample) -> Option<f64> {
        let memory = &sample.memory;
        let cgroup = memory.cgroup.as_ref();
        let tcp = sample.fds.tcp.as_ref();
        let census = &sample.threads.items;
        let value = match self {
            Metric::FdsOpen => sample.fds.open?,
            Metric::HighestFd => sample.fds.highest_fd?,
            Metric::Threads => sample.threads.count,
            Metric::RssBytes => memory.rss_bytes?,
            Metric::VmSizeBytes => memory.vm_size_bytes?,
            Metric::CgroupMemoryBytes => cgroup?.current_bytes?,
            Metric::HostAvailableBytes => memory.host?.available_bytes,
            Metric::MapCount => memory.map_count?,
            Metric::CpuTicks => saturating_sum(census.iter().map(|t| t.cpu_ticks)),
            Metric::CtxtSwitches => saturating_sum(census.iter().map(|t| {
                t.voluntary_ctxt_switches
                    .unwrap_or(0)
                    .saturating_add(t.nonvoluntary_ctxt_switches.unwrap_or(0))
            })),
            Metric::CloseWait => tcp?.close_wait,
            Metric::SocketRxQueuedBytes => saturating_sum(
                tcp?.sockets
                    .iter()
                    .filter(|s| s.state != "LISTEN")
                    .map(|s| s.rx_queue),
            ),
            Metric::AcceptQueued => saturating_sum(
                tcp?.sockets
                    .iter()
                    .filter(|s| s.state == "LISTEN")
                    .map(|s| s.rx_queue),
            ),
            Metric::ZombieChildren => sample.threads.zombie_children?,
            Metric::CgroupOomKills => *cgroup?.events.get("oom_kill")?,
            Metric::CgroupMemoryMaxEvents => *cgroup?.events.get("max")?,
            Metric::PressureSomeAvg10 => return memory.pressure.as_ref().map(|p| p.some_avg10),
            Metric::Goroutines => return None,
        };
        Some(value as f64)
    }

    /// When the value in `sample` was read: the sample time, or the census time for census
    /// metrics; `None` when that census was never taken.
    pub(super) fn stamp(self, sample: &Sample) -> Option<u64> {
        match self.tier() {
            Tier::EveryTick => Some(sample.taken_at_ms),
            Tier::ThreadCensus => sample.threads.census_taken_at_ms,
            Tier::FdCensus => sample.fds.census_taken_at_ms,
            Tier::Maps => sample.memory.maps_taken_at_ms,
            Tier::External => None,
        }
    }
}

/// Sums counters a bundle controls without overflowing: a hostile file may hold `u64::MAX` twice.
fn saturating_sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}
