//! What counting a Go service's goroutines costs, side by side in one run: the pprof index page
//! (`/debug/pprof/`, `runtime.NumGoroutine()`, what healthtop reads every tick) against the old
//! `goroutine?debug=1` (renders every stack), on a service with 1,000, 10,000 and 100,000
//! parked goroutines (`tests/targets/goroutines_svc.go many N`, built with `go build` at start).
//!
//! Two measurements per request kind and size:
//! - `goroutine_count/<kind>/<N>`: healthtop's wall time per reading (criterion's clock);
//! - `target_cpu_per_poll/<kind>/<N>`: the CPU time the *target* spent per reading, as the
//!   "time" criterion prints: the sum of the target's threads' `se.sum_exec_runtime`
//!   (`/proc/PID/task/*/schedstat`, ns) over the readings, minus what the target burns while
//!   idle over the same wall time (its utime+stime from `/proc/PID/stat` over 2 s of not
//!   polling, printed at start of each size).
//!
//! At one reading per second, `target_cpu_per_poll` / 1 s is the share of one core polling
//! costs the target (0.5 % = 5 ms per poll).
//!
//! Run: `cargo bench --bench goroutines`. Medians land in
//! `target/criterion/{goroutine_count,target_cpu_per_poll}/*/new/estimates.json`.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use healthtop::runtimes::go::{goroutine_count, goroutine_count_debug1, PprofEndpoint};
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SIZES: [u64; 3] = [1_000, 10_000, 100_000];
const TIMEOUT: Duration = Duration::from_secs(30);

/// The service; killed (and reaped) when dropped, also while unwinding from a panic.
struct Service {
    child: Child,
    pid: u32,
    endpoint: PprofEndpoint,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(binary: &Path, goroutines: u64) -> Service {
    let mut child = Command::new(binary)
        .args(["many", &goroutines.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the service");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    let port: Option<u16> = line
        .strip_prefix("ready ")
        .and_then(|p| p.trim().parse().ok());
    let pid = child.id();
    let service = Service {
        child,
        pid,
        endpoint: PprofEndpoint::from_url(&format!("http://127.0.0.1:{}", port.unwrap_or(0)))
            .expect("endpoint"),
    };
    assert!(port.is_some(), "the service did not get ready: {line:?}");
    service
}

/// The target's CPU time so far, ns: every thread's `sum_exec_runtime` (first field of
/// `/proc/PID/task/TID/schedstat`), so short readings are not lost to clock-tick rounding.
fn target_cpu_ns(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("task dir");
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// utime+stime from `/proc/PID/stat`, in clock ticks.
fn stat_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after_comm = stat.rsplit_once(')').expect("comm").1;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); after the comm, field 3 is at index 0.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// The target's CPU share while nobody polls it, over `span` (utime+stime, as the brief of
/// the measurement asks), in ns of CPU per ns of wall time.
fn idle_share(pid: u32, span: Duration) -> f64 {
    let ticks_per_sec = 100.0; // USER_HZ on Linux.
    let before = stat_ticks(pid);
    std::thread::sleep(span);
    let used = stat_ticks(pid) - before;
    used as f64 / ticks_per_sec / span.as_secs_f64()
}

type Reading = fn(&PprofEndpoint, Duration) -> Result<u64, healthtop::runtimes::DumpError>;

fn main() {
    let binary = common::go_build("goroutines_svc.go", "goroutines_svc")
        .expect("go must be installed to build the benchmark target");
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let kinds: [(&str, Reading); 2] = [
        ("index", goroutine_count),
        ("debug1", goroutine_count_debug1),
    ];
    for goroutines in SIZES {
        let service = start(&binary, goroutines);
        let counted = goroutine_count(&service.endpoint, TIMEOUT).expect("index count");
        assert!(counted >= goroutines, "{counted} < {goroutines}");
        let idle = idle_share(service.pid, Duration::from_secs(2));
        eprintln!(
            "service {} with {counted} goroutines: idle CPU {:.3} % of a core (utime+stime over 2 s)",
            service.pid,
            idle * 100.0
        );
        {
            let mut group = criterion.benchmark_group("goroutine_count");
            group.sampling_mode(SamplingMode::Flat);
            for (kind, read) in kinds {
                group.bench_with_input(BenchmarkId::new(kind, goroutines), &service, |b, s| {
                    b.iter(|| black_box(read(&s.endpoint, TIMEOUT).expect("reading")))
                });
            }
            group.finish();
        }
        let mut group = criterion.benchmark_group("target_cpu_per_poll");
        group.sampling_mode(SamplingMode::Flat);
        for (kind, read) in kinds {
            group.bench_with_input(BenchmarkId::new(kind, goroutines), &service, |b, s| {
                b.iter_custom(|iters| {
                    let wall = Instant::now();
                    let before = target_cpu_ns(s.pid);
                    for _ in 0..iters {
                        black_box(read(&s.endpoint, TIMEOUT).expect("reading"));
                    }
                    let used = target_cpu_ns(s.pid).saturating_sub(before) as f64;
                    let idle = idle * wall.elapsed().as_nanos() as f64;
                    Duration::from_nanos((used - idle).max(0.0) as u64)
                })
            });
        }
        group.finish();
    }
    criterion.final_summary();
}
