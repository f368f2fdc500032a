//! Every metric family `healthtop serve` exposes, in the order it writes them: the catalogue
//! the README and the alerting rules are written against.

/// A Prometheus metric type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// One metric family: its name (Prometheus conventions: base units, `_total` for counters),
/// type and help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

const fn gauge(name: &'static str, help: &'static str) -> Family {
    Family {
        name,
        kind: Kind::Gauge,
        help,
    }
}

/// The families, per watched process first, then healthtop's own process.
pub const FAMILIES: &[Family] = &[
    gauge(
        "healthtop_watched_processes",
        "Processes healthtop serve watches now.",
    ),
    gauge(
        "healthtop_open_fds",
        "Open file descriptors of the process (the entries of /proc/PID/fd).",
    ),
    gauge(
        "healthtop_max_fds",
        "Soft RLIMIT_NOFILE of the process (absent when unlimited).",
    ),
    gauge("healthtop_threads", "Threads of the process."),
    gauge(
        "healthtop_thread_limit",
        "The thread limit the process reaches first, in threads of this process (pids.max, RLIMIT_NPROC, threads-max, pid_max, max_map_count or Go's 10000, named by the limit label).",
    ),
    gauge(
        "healthtop_resident_memory_bytes",
        "Resident set size of the process in bytes.",
    ),
    gauge(
        "healthtop_memory_limit_bytes",
        "The memory limit the process reaches first, in bytes of its memory usage (the cgroup's memory.max against memory.current, else the host's memory against RSS).",
    ),
    gauge(
        "healthtop_memory_maps",
        "Memory mappings (VMAs) of the process, against vm.max_map_count.",
    ),
    gauge(
        "healthtop_headroom_ratio",
        "Room left before the binding limit of a resource, as a fraction of that limit (0 = at the limit).",
    ),
    gauge(
        "healthtop_eta_seconds",
        "Seconds until the resource reaches its binding limit at its current rise; present only while a forecast stands.",
    ),
    gauge(
        "healthtop_finding",
        "1 while a health rule's finding holds for the process (healthtop rules lists them).",
    ),
    gauge(
        "healthtop_goroutines",
        "Goroutines of a Go process, read from its net/http/pprof endpoint.",
    ),
    gauge(
        "healthtop_scrape_duration_seconds",
        "Wall time of healthtop's last reading of the process (its /proc files, rules and goroutine count).",
    ),
    Family {
        name: "process_cpu_seconds_total",
        kind: Kind::Counter,
        help: "Total user and system CPU time spent by healthtop in seconds.",
    },
    gauge(
        "process_open_fds",
        "Number of open file descriptors of healthtop.",
    ),
    gauge(
        "process_max_fds",
        "Maximum number of open file descriptors of healthtop.",
    ),
    gauge(
        "process_virtual_memory_bytes",
        "Virtual memory size of healthtop in bytes.",
    ),
    gauge(
        "process_virtual_memory_max_bytes",
        "Maximum amount of virtual memory available to healthtop in bytes.",
    ),
    gauge(
        "process_resident_memory_bytes",
        "Resident memory size of healthtop in bytes.",
    ),
    gauge(
        "process_start_time_seconds",
        "Start time of healthtop since unix epoch in seconds.",
    ),
    gauge("process_threads", "Threads of healthtop."),
];
