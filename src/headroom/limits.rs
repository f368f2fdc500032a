//! Which limits bound each resource, resolved with the kernel's own rules, each translated into
//! "units of this process" (the headroom of a shared budget added to what the process has now).
//!
//! May import: `sample`.

use crate::sample::{Runtime, Sample};
use serde::{Deserialize, Serialize};

/// One limit on a resource, in the unit of the process's own usage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedLimit {
    /// Short name for gauges and messages (`RLIMIT_NPROC`, `pids.max`).
    pub name: String,
    /// The usage of this process at which the limit is reached.
    pub value: f64,
    /// How it was resolved, for evidence (`RLIMIT_NPROC 100: 63 tasks of uid 65534 …`).
    pub detail: String,
}

impl NamedLimit {
    fn new(name: &str, value: f64, detail: String) -> Self {
        NamedLimit {
            name: name.to_string(),
            value,
            detail,
        }
    }
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

/// The soft RLIMIT_NOFILE as a count of open fds: EMFILE comes when every number below it is
/// taken, and fds above it (opened before it was lowered) are counted in `fds.open` too.
pub fn fd_limits(sample: &Sample) -> Vec<NamedLimit> {
    let Some(soft) = sample.fds.soft_limit else {
        return Vec::new();
    };
    let above = fds_above_limit(sample).len() as u64;
    let detail = if above == 0 {
        format!("soft RLIMIT_NOFILE {soft}")
    } else {
        format!("soft RLIMIT_NOFILE {soft}, plus {above} fd(s) numbered above it")
    };
    vec![NamedLimit::new(
        "RLIMIT_NOFILE",
        (soft + above) as f64,
        detail,
    )]
}

/// Whether RLIMIT_NPROC binds this process: the kernel (`copy_process`) exempts tasks of the
/// root user and tasks with CAP_SYS_RESOURCE or CAP_SYS_ADMIN. `None` when the capabilities
/// are unreadable and the uid is not root.
pub fn nproc_binds(sample: &Sample) -> Option<bool> {
    if sample.identity.uid.real == 0 {
        return Some(false);
    }
    let caps = sample.capabilities.as_ref()?;
    Some(
        !caps
            .iter()
            .any(|c| c == "CAP_SYS_RESOURCE" || c == "CAP_SYS_ADMIN"),
    )
}

/// Every limit on this process's thread count that really applies to it:
/// - cgroup `pids.max`: the tasks of the whole cgroup count;
/// - RLIMIT_NPROC: every task of the real uid, host-wide, unless it does not bind
///   ([`nproc_binds`]); without the host-wide count it is left out rather than guessed;
/// - kernel.threads-max and kernel.pid_max: every task on the host;
/// - vm.max_map_count: each new thread maps a stack and a guard page (2 mappings);
/// - the Go runtime's 10,000 threads, for Go targets only.
pub fn thread_limits(sample: &Sample) -> Vec<NamedLimit> {
    let threads = sample.threads.count as f64;
    let mut limits = Vec::new();
    if let (Some(max), Some(current)) = (
        sample.threads.cgroup_pids_max,
        sample.threads.cgroup_pids_current,
    ) {
        limits.push(NamedLimit::new(
            "pids.max",
            threads + max as f64 - current as f64,
            format!("cgroup pids.max {max} ({current} tasks in the cgroup)"),
        ));
    }
    if let (Some(true), Some(nproc), Some(tasks)) = (
        nproc_binds(sample),
        rlimit_soft(sample, "nproc"),
        sample.threads.user_tasks,
    ) {
        limits.push(NamedLimit::new(
            "RLIMIT_NPROC",
            threads + nproc as f64 - tasks as f64,
            format!(
                "RLIMIT_NPROC {nproc} ({tasks} tasks of real uid {} host-wide, {} of them here)",
                sample.identity.uid.real, sample.threads.count
            ),
        ));
    }
    if let Some(total) = sample.system.tasks_total {
        for (name, max) in [
            ("threads-max", sample.system.threads_max),
            ("pid_max", sample.system.pid_max),
        ] {
            if let Some(max) = max {
                limits.push(NamedLimit::new(
                    name,
                    threads + max as f64 - total as f64,
                    format!("kernel.{name} {max} ({total} tasks on the host)"),
                ));
            }
        }
    }
    if let (Some(max), Some(count)) = (sample.memory.max_map_count, sample.memory.map_count) {
        limits.push(NamedLimit::new(
            "max_map_count",
            threads + (max as f64 - count as f64) / 2.0,
            format!(
                "vm.max_map_count {max} (each thread stack costs about 2 mappings; {count} in use)"
            ),
        ));
    }
    if sample.identity.runtime == Runtime::Go {
        limits.push(NamedLimit::new(
            "Go 10000",
            10_000.0,
            "Go runtime limit of 10000 threads (debug.SetMaxThreads)".to_string(),
        ));
    }
    limits
}

/// The memory limit the process's memory runs into first, with the measure it is compared
/// with: the cgroup's `memory.max` against `memory.current` (the cgroup OOM killer), else the
/// host's memory against RSS (RSS plus what is available).
pub fn memory_limit(sample: &Sample) -> Option<(NamedLimit, MemoryMeasure)> {
    let memory = &sample.memory;
    if let Some((Some(used), Some(max))) = memory
        .cgroup
        .as_ref()
        .map(|cg| (cg.current_bytes, cg.max_bytes))
    {
        return Some((
            NamedLimit::new(
                "memory.max",
                max as f64,
                format!("cgroup memory.max {max} bytes ({used} charged now)"),
            ),
            MemoryMeasure::Cgroup,
        ));
    }
    let (rss, host) = (memory.rss_bytes?, memory.host?);
    Some((
        NamedLimit::new(
            "host memory",
            (rss + host.available_bytes) as f64,
            format!(
                "RSS {rss} bytes plus {} bytes available on the host",
                host.available_bytes
            ),
        ),
        MemoryMeasure::Rss,
    ))
}

/// Which measure of memory a memory limit is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemoryMeasure {
    /// The cgroup's `memory.current`.
    Cgroup,
    /// The process's resident set.
    Rss,
}

/// RLIMIT_AS against the virtual size.
pub fn address_limits(sample: &Sample) -> Vec<NamedLimit> {
    rlimit_soft(sample, "as")
        .map(|soft| {
            NamedLimit::new(
                "RLIMIT_AS",
                soft as f64,
                format!("soft RLIMIT_AS {soft} bytes"),
            )
        })
        .into_iter()
        .collect()
}

/// vm.max_map_count against the mappings.
pub fn map_limits(sample: &Sample) -> Vec<NamedLimit> {
    sample
        .memory
        .max_map_count
        .map(|max| {
            NamedLimit::new(
                "max_map_count",
                max as f64,
                format!("vm.max_map_count {max}"),
            )
        })
        .into_iter()
        .collect()
}

/// RLIMIT_CPU (seconds) as clock ticks of CPU time.
pub fn cpu_limits(sample: &Sample) -> Vec<NamedLimit> {
    let ticks = sample.system.clock_ticks_per_sec.max(1) as f64;
    rlimit_soft(sample, "cpu")
        .map(|soft| {
            NamedLimit::new(
                "RLIMIT_CPU",
                soft as f64 * ticks,
                format!("soft RLIMIT_CPU {soft} s (SIGXCPU there)"),
            )
        })
        .into_iter()
        .collect()
}

/// The tightest of `limits`.
pub fn tightest(limits: &[NamedLimit]) -> Option<NamedLimit> {
    limits
        .iter()
        .min_by(|a, b| a.value.total_cmp(&b.value))
        .cloned()
}

/// Usage as a percentage of `limit`.
pub fn percent(used: f64, limit: f64) -> f64 {
    if limit <= 0.0 {
        return 100.0;
    }
    used / limit * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::Limit;

    /// A sample of a non-root process with 10 threads, RLIMIT_NPROC 100 and 60 tasks of its
    /// user: decoded from the JSON form so only the fields that matter are spelled out.
    fn sample(uid: u32, caps: &[&str]) -> Sample {
        let mut s: Sample =
            serde_json::from_str(include_str!("../../tests/targets/rules_base_sample.json"))
                .expect("fixture");
        s.identity.uid.real = uid;
        s.capabilities = Some(caps.iter().map(|c| c.to_string()).collect());
        s.threads.count = 10;
        s.threads.user_tasks = Some(60);
        s.threads.cgroup_pids_max = None;
        s.system.tasks_total = Some(500);
        s.system.threads_max = Some(100_000);
        s.system.pid_max = Some(32_768);
        s.memory.max_map_count = Some(65_530);
        s.memory.map_count = Some(100);
        s.limits.insert(
            "nproc".into(),
            Limit {
                name: "Max processes".into(),
                soft: Some(100),
                hard: Some(100),
                unit: "processes".into(),
            },
        );
        s
    }

    fn binding(s: &Sample) -> NamedLimit {
        tightest(&thread_limits(s)).expect("a limit")
    }

    #[test]
    fn rlimit_nproc_counts_every_task_of_the_real_uid() {
        let s = sample(1000, &[]);
        let limit = binding(&s);
        assert_eq!(limit.name, "RLIMIT_NPROC");
        // 100 allowed, 60 in use by the user, 10 of them here: 50 threads for this process.
        assert_eq!(limit.value, 50.0);
        assert!(
            limit.detail.contains("60 tasks of real uid 1000"),
            "{limit:?}"
        );
    }

    #[test]
    fn rlimit_nproc_does_not_bind_root_or_cap_sys_resource_or_cap_sys_admin() {
        for s in [
            sample(0, &[]),
            sample(1000, &["CAP_SYS_RESOURCE"]),
            sample(1000, &["CAP_SYS_ADMIN"]),
        ] {
            let limits = thread_limits(&s);
            assert!(
                limits.iter().all(|l| l.name != "RLIMIT_NPROC"),
                "{limits:?}"
            );
            assert_eq!(binding(&s).name, "pid_max");
        }
        // Without the host-wide count it is left out rather than guessed.
        let mut unknown = sample(1000, &[]);
        unknown.threads.user_tasks = None;
        assert!(thread_limits(&unknown)
            .iter()
            .all(|l| l.name != "RLIMIT_NPROC"));
    }

    #[test]
    fn host_limits_count_every_task_and_go_has_its_own() {
        let s = sample(0, &[]);
        let limits = thread_limits(&s);
        let value = |name: &str| limits.iter().find(|l| l.name == name).map(|l| l.value);
        assert_eq!(value("pid_max"), Some(10.0 + 32_768.0 - 500.0));
        assert_eq!(value("threads-max"), Some(10.0 + 100_000.0 - 500.0));
        assert_eq!(
            value("max_map_count"),
            Some(10.0 + (65_530.0 - 100.0) / 2.0)
        );
        assert_eq!(value("Go 10000"), None);
        let mut go = s;
        go.identity.runtime = Runtime::Go;
        assert_eq!(binding(&go).name, "Go 10000");
    }
}
