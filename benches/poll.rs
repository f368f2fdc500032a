//! Cost of one poll of each collection tier on a target of the size the issue names: 10,000
//! threads, 19,000 open descriptors, 50,000 mappings (`tests/targets/poll_big.c`, built with
//! gcc at start). Side by side in the same run, the floor set by standard tools on the same
//! target: `ls /proc/PID/fd | wc -l` and `ps -T -p PID`.
//!
//! Run: `cargo bench --bench poll`. Medians land in `target/criterion/poll/*/new/estimates.json`.

use criterion::{Criterion, SamplingMode};
use healthtop::collect::{Collector, HostRoot, Tiers};
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const THREADS: u64 = 10_000;
const FDS: u64 = 19_000;
const MAPPINGS: u64 = 50_000;

/// The running target; killed (and reaped) when dropped, also while unwinding from a panic.
struct BigTarget {
    child: Child,
    pid: i32,
    _dir: tempfile::TempDir,
}

impl BigTarget {
    fn spawn() -> BigTarget {
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
            .args([THREADS, FDS, MAPPINGS].map(|n| n.to_string()))
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
    let target = BigTarget::spawn();
    let pid = target.pid;

    // Check the target really has the size being measured.
    let mut collector = Collector::new(HostRoot::live(), pid).expect("collector");
    let full = collector.sample(Tiers::ALL).expect("full sample");
    assert_eq!(full.threads.count, THREADS + 1, "threads");
    assert_eq!(
        full.threads.items.len() as u64,
        THREADS + 1,
        "thread census"
    );
    assert_eq!(full.fds.open, Some(FDS), "open fds");
    assert_eq!(full.fds.items.len() as u64, FDS, "fd census");
    let maps = full.memory.map_count.expect("map count");
    assert!(maps >= MAPPINGS, "{maps} mappings");
    eprintln!(
        "target {pid}: {} threads, {} fds, {maps} mappings",
        full.threads.count, FDS
    );

    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let mut group = criterion.benchmark_group("poll");
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
    group.bench_function("floor_ls_fd_wc", |b| {
        b.iter(shell(format!("ls /proc/{pid}/fd | wc -l")))
    });
    group.bench_function("floor_ps_threads", |b| {
        b.iter(shell(format!("ps -T -p {pid}")))
    });
    group.finish();
    criterion.final_summary();
    drop(target);
}
