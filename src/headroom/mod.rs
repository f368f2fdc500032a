//! The headroom model: for each resource a process can run out of (fds, threads, memory,
//! address space, mappings, CPU time), the binding limit resolved once with the kernel's rules
//! ([`limits`]), the usage, and its outlook ([`outlook`]: trend, ETA, provisional or confirmed,
//! or stopped).
//!
//! It is the single source every reader uses: the rules turn it into findings, the TUI's gauges
//! draw it, `report` and bundles carry it, so a gauge and a finding can never name different
//! limits or different ETAs. [`Headroom::assess`] runs once per evaluation (the rule engine
//! keeps the previous one for hysteresis).
//!
//! May import: `sample`, `history`, `config`, `format`.

pub mod limits;
pub mod outlook;

pub use limits::NamedLimit;
pub use outlook::{Confidence, Judge, Outlook, Previous, Rise, Stop, Window};

use crate::config::Config;
use crate::history::{History, Metric};
use serde::{Deserialize, Serialize};

/// A resource a process can exhaust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Fds,
    Threads,
    Memory,
    AddressSpace,
    Maps,
    CpuTime,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 6] = [
        ResourceKind::Fds,
        ResourceKind::Threads,
        ResourceKind::Memory,
        ResourceKind::AddressSpace,
        ResourceKind::Maps,
        ResourceKind::CpuTime,
    ];

    /// Short label for gauges (`fds`, `threads`, `address`).
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Fds => "fds",
            ResourceKind::Threads => "threads",
            ResourceKind::Memory => "memory",
            ResourceKind::AddressSpace => "address",
            ResourceKind::Maps => "maps",
            ResourceKind::CpuTime => "cpu time",
        }
    }

    /// Whether usage and limit are byte sizes.
    pub fn is_bytes(self) -> bool {
        matches!(self, ResourceKind::Memory | ResourceKind::AddressSpace)
    }
}

/// One resource: what limits it, how much is used, where it is heading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: ResourceKind,
    /// The series the usage and the outlook come from.
    pub metric: Metric,
    /// The newest reading; `None` when it could not be read (the sample says why).
    pub usage: Option<f64>,
    /// The limit reached first, in the unit of `usage`; `None` when none applies.
    pub binding: Option<NamedLimit>,
    /// Every limit that applies, the binding one included.
    pub limits: Vec<NamedLimit>,
    pub outlook: Outlook,
}

impl Resource {
    /// Usage as a percentage of the binding limit.
    pub fn percent(&self) -> Option<f64> {
        Some(limits::percent(self.usage?, self.binding.as_ref()?.value))
    }

    /// Seconds until the binding limit, while rising.
    pub fn eta_secs(&self) -> Option<f64> {
        self.outlook.rise()?.eta_secs
    }

    /// The sample field its usage is read from, whose `unavailable` entry says why a missing
    /// usage is missing.
    pub fn source_field(&self) -> &'static str {
        match self.metric {
            Metric::FdsOpen => "fds.open",
            Metric::Threads => "threads.count",
            Metric::CgroupMemoryBytes => "memory.cgroup.current_bytes",
            Metric::RssBytes => "memory.rss_bytes",
            Metric::VmSizeBytes => "memory.vm_size_bytes",
            Metric::MapCount => "memory.map_count",
            _ => "threads.items",
        }
    }
}

/// Every resource of one target at one moment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Headroom {
    /// Time of the newest sample it was judged on, ms since the epoch.
    pub at_ms: u64,
    pub resources: Vec<Resource>,
}

impl Headroom {
    /// Judges every resource of the newest state of `history`. `previous` is the assessment
    /// before this one (hysteresis of the trend gate); `None` for a fresh judgement.
    pub fn assess(
        history: &History,
        config: &Config,
        window: Window,
        previous: Option<&Headroom>,
    ) -> Headroom {
        let Some(sample) = history.latest() else {
            return Headroom::default();
        };
        let judge = Judge {
            history,
            config: &config.trend,
            window,
        };
        let memory = limits::memory_limit(sample);
        let memory_metric = match memory.as_ref().map(|(_, m)| *m) {
            Some(limits::MemoryMeasure::Cgroup) => Metric::CgroupMemoryBytes,
            _ => Metric::RssBytes,
        };
        let min_bytes = config.memory_growth.min_level_bytes as f64;
        let resources = ResourceKind::ALL
            .iter()
            .map(|&kind| {
                let (metric, limits, min_level) = match kind {
                    ResourceKind::Fds => (
                        Metric::FdsOpen,
                        limits::fd_limits(sample),
                        config.fd_leak.min_level,
                    ),
                    ResourceKind::Threads => (
                        Metric::Threads,
                        limits::thread_limits(sample),
                        config.thread_leak.min_level,
                    ),
                    ResourceKind::Memory => (
                        memory_metric,
                        memory.iter().map(|(l, _)| l.clone()).collect(),
                        min_bytes,
                    ),
                    ResourceKind::AddressSpace => (
                        Metric::VmSizeBytes,
                        limits::address_limits(sample),
                        min_bytes,
                    ),
                    ResourceKind::Maps => (
                        Metric::MapCount,
                        limits::map_limits(sample),
                        config.map_count.min_level,
                    ),
                    ResourceKind::CpuTime => (Metric::CpuTicks, limits::cpu_limits(sample), 0.0),
                };
                let binding = limits::tightest(&limits);
                let before = previous
                    .and_then(|p| p.get(kind))
                    .filter(|r| r.metric == metric)
                    .map(|r| &r.outlook);
                let outlook = judge.outlook(
                    metric,
                    binding.as_ref().map(|l| l.value),
                    min_level,
                    Previous::of(before),
                );
                let usage = metric.read(sample);
                Resource {
                    kind,
                    metric,
                    usage,
                    binding,
                    limits,
                    outlook,
                }
            })
            .collect();
        Headroom {
            at_ms: sample.taken_at_ms,
            resources,
        }
    }

    /// One reading judged alone (a process of a host scan, a relative of the watched one):
    /// the same binding limits and usage as a watched process gets, with no trend yet (every
    /// outlook warming up).
    pub fn of_reading(sample: &crate::sample::Sample, config: &Config) -> Headroom {
        let second = std::time::Duration::from_secs(1);
        let mut history = History::new(second, second);
        history.push(sample);
        Headroom::assess(&history, config, Window::Rolling, None)
    }

    pub fn get(&self, kind: ResourceKind) -> Option<&Resource> {
        self.resources.iter().find(|r| r.kind == kind)
    }
}

/// `grew by 150 in 15s, flat since 12:00:15 UTC (25s)`: a stop in words, in the resource's unit.
pub fn describe_stop(stop: &Stop, now_ms: u64, bytes: bool) -> String {
    let amount = if bytes {
        crate::format::bytes(stop.grew_by.max(0.0) as u64)
    } else {
        format!("{:.0}", stop.grew_by)
    };
    let secs = |s: f64| crate::format::duration_secs(s.max(0.0));
    let since = stop.flat_since_ms / 1000;
    format!(
        "grew by {amount} in {}, flat since {:02}:{:02}:{:02} UTC ({})",
        secs(stop.grew_over_secs),
        since / 3600 % 24,
        since / 60 % 60,
        since % 60,
        secs(now_ms.saturating_sub(stop.flat_since_ms) as f64 / 1000.0)
    )
}
