//! The limits a resource runs into, read from a [`Sample`], for rules that need the tightest.
//!
//! May import: `sample`.

use crate::sample::{Runtime, Sample};

/// One limit on a count, expressed in the same unit as the count of this process.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedLimit {
    /// What the limit is, for messages (`cgroup pids.max`).
    pub name: String,
    pub value: f64,
}

/// Soft limit of an rlimit row of `/proc/PID/limits` (`nofile`, `as`, `cpu`); `None` when
/// unlimited or unknown.
pub fn rlimit_soft(sample: &Sample, resource: &str) -> Option<u64> {
    sample.limits.get(resource).and_then(|l| l.soft)
}

/// Open descriptors numbered at or above the soft RLIMIT_NOFILE (opened before the limit was
/// lowered): they count in `fds.open` but never block a new descriptor, which is always
/// numbered below the limit.
pub fn fds_above_limit(sample: &Sample) -> Vec<u64> {
    let Some(soft) = sample.fds.soft_limit else {
        return Vec::new();
    };
    sample
        .fds
        .items
        .iter()
        .map(|f| f.fd)
        .filter(|&fd| fd >= soft)
        .collect()
}

/// Every limit on this process's thread count, each translated into "threads of this process":
/// the headroom of a shared budget is added to the threads it has now.
pub fn thread_limits(sample: &Sample) -> Vec<NamedLimit> {
    let threads = sample.threads.count as f64;
    let mut limits = Vec::new();
    if let (Some(max), Some(current)) = (
        sample.threads.cgroup_pids_max,
        sample.threads.cgroup_pids_current,
    ) {
        limits.push(NamedLimit {
            name: format!("cgroup pids.max {max} ({current} tasks in the cgroup)"),
            value: threads + max as f64 - current as f64,
        });
    }
    if sample.identity.uid.effective != 0 {
        if let Some(nproc) = rlimit_soft(sample, "nproc") {
            limits.push(NamedLimit {
                name: format!(
                    "RLIMIT_NPROC {nproc} (shared by every thread of uid {})",
                    sample.identity.uid.real
                ),
                value: nproc as f64,
            });
        }
    }
    if let Some(max) = sample.system.threads_max {
        limits.push(NamedLimit {
            name: format!("kernel.threads-max {max} (host-wide)"),
            value: max as f64,
        });
    }
    if let (Some(max), Some(count)) = (sample.memory.max_map_count, sample.memory.map_count) {
        limits.push(NamedLimit {
            name: format!(
                "vm.max_map_count {max} (each thread stack costs about 2 mappings; {count} in use)"
            ),
            value: threads + (max as f64 - count as f64) / 2.0,
        });
    }
    if sample.identity.runtime == Runtime::Go {
        limits.push(NamedLimit {
            name: GO_THREAD_LIMIT.to_string(),
            value: 10_000.0,
        });
    }
    limits
}

/// The name of Go's own thread limit among [`thread_limits`].
const GO_THREAD_LIMIT: &str = "Go runtime limit of 10000 threads (debug.SetMaxThreads)";

/// What happens when the threads reach `limit`: at Go's limit the runtime does not fail one
/// thread creation, it aborts the whole program.
pub fn at_thread_limit(limit: &NamedLimit) -> &'static str {
    if limit.name == GO_THREAD_LIMIT {
        "the Go runtime aborts the whole program (`runtime: program exceeds 10000-thread limit`)"
    } else {
        "thread creation fails (EAGAIN)"
    }
}

/// The tightest of [`thread_limits`].
pub fn tightest(limits: Vec<NamedLimit>) -> Option<NamedLimit> {
    limits
        .into_iter()
        .min_by(|a, b| a.value.total_cmp(&b.value))
}

/// Usage as a percentage of `limit`.
pub fn percent(used: f64, limit: f64) -> f64 {
    if limit <= 0.0 {
        return 100.0;
    }
    used / limit * 100.0
}

/// Level severity with hysteresis: raise at `warn`/`crit` percent, clear `margin` points lower.
pub fn level(
    percent: f64,
    warn: f64,
    crit: f64,
    margin: f64,
    active: Option<super::Severity>,
) -> Option<super::Severity> {
    use super::Severity::{Crit, Warn};
    let was_crit = active == Some(Crit);
    let was_raised = matches!(active, Some(Warn | Crit));
    if percent >= crit || (was_crit && percent >= crit - margin) {
        Some(Crit)
    } else if percent >= warn || (was_raised && percent >= warn - margin) {
        Some(Warn)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaching_go_s_thread_limit_aborts_the_program() {
        let go = NamedLimit {
            name: GO_THREAD_LIMIT.to_string(),
            value: 10_000.0,
        };
        assert!(at_thread_limit(&go).contains("program exceeds 10000-thread limit"));
        let pids = NamedLimit {
            name: "cgroup pids.max 100 (1 tasks in the cgroup)".to_string(),
            value: 100.0,
        };
        assert_eq!(at_thread_limit(&pids), "thread creation fails (EAGAIN)");
    }
}
