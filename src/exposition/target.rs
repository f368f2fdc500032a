//! The figures of one watched process (and of healthtop itself), taken out of a sample, its
//! headroom model and its findings once per reading, so a scrape only formats them.

use super::Point;
use crate::headroom::{Headroom, ResourceKind};
use crate::rules::Finding;
use crate::sample::Sample;

/// What one watched process exposes, with the labels of its identity.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMetrics {
    labels: Vec<(&'static str, String)>,
    open_fds: Option<f64>,
    max_fds: Option<f64>,
    threads: f64,
    thread_limit: Option<(String, f64)>,
    resident_bytes: Option<f64>,
    memory_limit: Option<(String, f64)>,
    map_count: Option<f64>,
    headroom: Vec<(&'static str, f64)>,
    eta: Vec<(&'static str, f64)>,
    findings: Vec<(String, &'static str)>,
    goroutines: Option<f64>,
    reading_secs: f64,
}

/// The `resource` label of a headroom resource.
pub fn resource_label(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Fds => "fds",
        ResourceKind::Threads => "threads",
        ResourceKind::Memory => "memory",
        ResourceKind::AddressSpace => "address_space",
        ResourceKind::Maps => "maps",
        ResourceKind::CpuTime => "cpu_time",
    }
}

impl TargetMetrics {
    /// The figures of the newest reading: `sample`, the `headroom` and `findings` judged on
    /// it, the goroutine count of a Go target, and how long the reading took.
    pub fn of(
        sample: &Sample,
        headroom: &Headroom,
        findings: &[Finding],
        goroutines: Option<u64>,
        reading_secs: f64,
    ) -> TargetMetrics {
        let binding = |kind| {
            headroom
                .get(kind)
                .and_then(|r| r.binding.as_ref())
                .map(|l| (l.name.clone(), l.value))
        };
        let headroom_ratio = headroom
            .resources
            .iter()
            .filter_map(|r| {
                let (limit, usage) = (r.binding.as_ref()?.value, r.usage?);
                (limit > 0.0).then_some((resource_label(r.kind), 1.0 - usage / limit))
            })
            .collect();
        let eta = headroom
            .resources
            .iter()
            .filter_map(|r| Some((resource_label(r.kind), r.eta_secs()?)))
            .collect();
        TargetMetrics {
            labels: identity_labels(sample),
            open_fds: sample.fds.open.map(|n| n as f64),
            max_fds: sample.fds.soft_limit.map(|n| n as f64),
            threads: sample.threads.count as f64,
            thread_limit: binding(ResourceKind::Threads),
            resident_bytes: sample.memory.rss_bytes.map(|n| n as f64),
            memory_limit: binding(ResourceKind::Memory),
            map_count: sample.memory.map_count.map(|n| n as f64),
            headroom: headroom_ratio,
            eta,
            findings: findings
                .iter()
                .map(|f| (f.rule.clone(), f.severity.as_str()))
                .collect(),
            goroutines: goroutines.map(|n| n as f64),
            reading_secs,
        }
    }

    /// The samples of family `name` for this process.
    pub fn points(&self, name: &str) -> Vec<Point> {
        let one = |value: Option<f64>| value.map(|v| self.point(None, v)).into_iter().collect();
        let named = |extra: &'static str, limit: &Option<(String, f64)>| {
            limit
                .iter()
                .map(|(n, v)| self.point(Some((extra, n.clone())), *v))
                .collect()
        };
        let per_resource = |values: &[(&'static str, f64)]| {
            values
                .iter()
                .map(|(r, v)| self.point(Some(("resource", (*r).to_string())), *v))
                .collect()
        };
        match name {
            "healthtop_open_fds" => one(self.open_fds),
            "healthtop_max_fds" => one(self.max_fds),
            "healthtop_threads" => one(Some(self.threads)),
            "healthtop_thread_limit" => named("limit", &self.thread_limit),
            "healthtop_resident_memory_bytes" => one(self.resident_bytes),
            "healthtop_memory_limit_bytes" => named("limit", &self.memory_limit),
            "healthtop_memory_maps" => one(self.map_count),
            "healthtop_headroom_ratio" => per_resource(&self.headroom),
            "healthtop_eta_seconds" => per_resource(&self.eta),
            "healthtop_finding" => self
                .findings
                .iter()
                .map(|(rule, severity)| {
                    let mut point = self.point(Some(("rule", rule.clone())), 1.0);
                    point.labels.push(("severity", (*severity).to_string()));
                    point
                })
                .collect(),
            "healthtop_goroutines" => one(self.goroutines),
            "healthtop_scrape_duration_seconds" => one(Some(self.reading_secs)),
            _ => Vec::new(),
        }
    }

    fn point(&self, extra: Option<(&'static str, String)>, value: f64) -> Point {
        let mut labels = self.labels.clone();
        labels.extend(extra);
        Point { labels, value }
    }
}

/// `pid`, `comm`, `start_time` (seconds since the epoch: with the pid, the process's
/// identity) and, where the cgroup is known, `unit` (its systemd unit) and `cgroup`.
fn identity_labels(sample: &Sample) -> Vec<(&'static str, String)> {
    let identity = &sample.identity;
    let mut labels = vec![
        ("pid", identity.pid.to_string()),
        ("comm", identity.comm.clone()),
    ];
    if let Some(started) = identity.started_at_unix {
        labels.push(("start_time", format!("{started:.2}")));
    }
    let cgroup = sample.memory.cgroup.as_ref().map(|c| c.path.as_str());
    if let Some(path) = cgroup.filter(|p| *p != "/" && !p.is_empty()) {
        let unit = path
            .rsplit('/')
            .find(|part| part.ends_with(".service") || part.ends_with(".scope"));
        if let Some(unit) = unit {
            labels.push(("unit", unit.to_string()));
        }
        labels.push(("cgroup", path.to_string()));
    }
    labels
}

/// healthtop's own process, read through the same collectors as any target.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnProcess {
    pub cpu_seconds: Option<f64>,
    pub sample: Sample,
}

impl OwnProcess {
    /// The samples of `process_*` family `name`.
    pub fn points(&self, name: &str) -> Vec<Point> {
        let s = &self.sample;
        let value = match name {
            "process_cpu_seconds_total" => self.cpu_seconds,
            "process_open_fds" => s.fds.open.map(|n| n as f64),
            "process_max_fds" => s.fds.soft_limit.map(|n| n as f64),
            "process_virtual_memory_bytes" => s.memory.vm_size_bytes.map(|n| n as f64),
            "process_virtual_memory_max_bytes" => {
                s.limits.get("as").and_then(|l| l.soft).map(|n| n as f64)
            }
            "process_resident_memory_bytes" => s.memory.rss_bytes.map(|n| n as f64),
            "process_start_time_seconds" => s.identity.started_at_unix,
            "process_threads" => Some(s.threads.count as f64),
            _ => None,
        };
        value
            .map(|value| Point {
                labels: Vec::new(),
                value,
            })
            .into_iter()
            .collect()
    }
}
