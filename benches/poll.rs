//! Cost of one poll of each collection tier, and of a whole `healthtop report -p PID --json`,
//! on targets of 100, 1,000 and 10,000 threads (1.5 fds and 5 mappings per thread: 15,000 fds
//! and 50,000 mappings at the top, `tests/targets/poll_big.c`, built with gcc at start). Side
//! by side in the same run, the floor of reading the same facts with standard tools:
//! `cat /proc/PID/task/*/stat`, `ls /proc/PID/fd`, and both in one shell.
//!
//! Run: `cargo bench --bench poll`. Medians land in
//! `target/criterion/poll_THREADS/*/new/estimates.json`; `scripts/poll-table.sh` prints them
//! as the README's table.

use criterion::{Criterion, SamplingMode};
use healthtop::collect::{Collector, DetailWanted, HostRoot, Tiers};
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Threads of each target measured.
const SIZES: [u64; 3] = [100, 1_000, 10_000];

/// The running target; killed (and reaped) when dropped, also while unwinding from a panic.
struct BigTarget {
    child: Child,
    pid: i32,
    _dir: tempfile::TempDir,
}

impl BigTarget {
    fn spawn(threads: u64, fds: u64, mappings: u64) -> BigTarget {
        let dir = tempfile::tempdir().expect("temporary directory");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/poll_big.c");
        let binary = dir.path().join("poll_big");
        let status = Command::new("gcc")
            .args(["-O2", "-pthread", "-o"])
            .arg(&binary)
            .arg(&source)
            .status()
            .expect("gcc must be installed to build the benchmark target");
        assert!(status.success(), "gcc failed on {}", source.display());
        let mut child = Command::new(&binary)
            .args([threads, fds, mappings].map(|n| n.to_string()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start poll_big");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let pid = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok());
        let target = BigTarget {
            pid: pid.unwrap_or(0),
            child,
            _dir: dir,
        };
        assert!(
            pid.is_some(),
            "poll_big did not get ready ({read:?}, {line:?})"
        );
        target
    }
}

impl Drop for BigTarget {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn shell(command: String) -> impl FnMut() {
    move || {
        let status = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .stdout(Stdio::null())
            .status()
            .expect("sh");
        assert!(status.success(), "{command} failed");
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for threads in SIZES {
        measure(&mut criterion, threads);
    }
    criterion.final_summary();
}

fn measure(criterion: &mut Criterion, threads: u64) {
    let (fds, mappings) = (threads * 3 / 2, threads * 5);
    let target = BigTarget::spawn(threads, fds, mappings);
    let pid = target.pid;

    // Check the target really has the size being measured.
    let mut collector = Collector::new(HostRoot::live(), pid).expect("collector");
    let full = collector.sample(Tiers::ALL).expect("full sample");
    assert_eq!(full.threads.count, threads + 1, "threads");
    assert_eq!(
        full.threads.items.len() as u64,
        threads + 1,
        "thread census"
    );
    assert_eq!(full.fds.open, Some(fds), "open fds");
    assert_eq!(full.fds.items.len() as u64, fds, "fd census");
    let maps = full.memory.map_count.expect("map count");
    assert!(maps >= mappings, "{maps} mappings");
    eprintln!(
        "target {pid}: {} threads, {fds} fds, {maps} mappings",
        full.threads.count
    );

    let mut group = criterion.benchmark_group(format!("poll_{threads}"));
    group.sampling_mode(SamplingMode::Flat);
    let tiers = [
        ("cheap", Tiers::CHEAP),
        (
            "census",
            Tiers {
                census: true,
                maps: false,
            },
        ),
        (
            "maps",
            Tiers {
                census: false,
                maps: true,
            },
        ),
        ("all", Tiers::ALL),
    ];
    for (name, tier) in tiers {
        group.bench_function(name, |b| {
            b.iter(|| black_box(collector.sample(tier).expect("sample")))
        });
    }
    // The census as the TUI takes it at its cadence: every thread's stat, the details of a
    // screenful of threads (and of those changed or due in the rotation).
    let mut tui = Collector::new(HostRoot::live(), pid).expect("collector");
    let first = tui.sample(Tiers::ALL).expect("first census");
    let on_screen = first.threads.items.iter().take(50).map(|t| t.tid).collect();
    tui.want_details(DetailWanted::Threads(on_screen));
    group.bench_function("census_tui", |b| {
        b.iter(|| {
            black_box(
                tui.sample(Tiers {
                    census: true,
                    maps: false,
                })
                .expect("sample"),
            )
        })
    });
    let healthtop = env!("CARGO_BIN_EXE_healthtop");
    group.bench_function("report_json", |b| {
        b.iter(shell(format!("{healthtop} report -p {pid} --json")))
    });
    group.bench_function("floor_cat_task_stat", |b| {
        b.iter(shell(format!("cat /proc/{pid}/task/*/stat")))
    });
    group.bench_function("floor_ls_fd", |b| {
        b.iter(shell(format!("ls /proc/{pid}/fd")))
    });
    group.bench_function("floor_stat_and_fd", |b| {
        b.iter(shell(format!(
            "cat /proc/{pid}/task/*/stat; ls /proc/{pid}/fd"
        )))
    });
    group.finish();
    drop(target);
}
