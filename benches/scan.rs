//! Cost of one `healthtop scan` pass over the whole host, at about 100 and 2,000 processes
//! (idle `sleep` children are spawned to reach the count, and killed at the end). Side by side
//! in the same run, the floors set by standard tools on the same host: `ps -e -o pid,nlwp,rss`
//! (one read of every process's stat/status) and `ls /proc/*/fd | wc -l` (one readdir of every
//! process's fd directory), plus the same readdir done in-process (no fork/exec).
//!
//! Run: `cargo bench --bench scan`. Medians land in `target/criterion/scan_*/*/new/estimates.json`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{host_processes, Sleepers};
use criterion::{Criterion, SamplingMode};
use healthtop::collect::scan::scan_host;
use healthtop::collect::HostRoot;
use healthtop::config::Config;
use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

fn shell(command: &'static str) -> impl FnMut() {
    move || {
        let status = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("sh");
        // `ls` exits 2 when a process exits between the glob and its readdir.
        assert!(status.code().is_some(), "{command} was killed");
    }
}

/// Counts the entries of every `/proc/*/fd` in-process: the readdir the scan cannot avoid.
fn readdir_every_fd_dir() -> usize {
    let mut total = 0;
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) {
            total += fds.count();
        }
    }
    total
}

fn measure(criterion: &mut Criterion, name: &str) {
    let root = HostRoot::live();
    let config = Config::default();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let processes = host_processes();
    eprintln!("{name}: {processes} processes on the host, {workers} CPUs");
    let mut group = criterion.benchmark_group(name);
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("scan_1_thread", |b| {
        b.iter(|| black_box(scan_host(&root, 1).expect("scan")))
    });
    group.bench_function(format!("scan_{workers}_threads"), |b| {
        b.iter(|| black_box(scan_host(&root, workers).expect("scan")))
    });
    group.bench_function("scan_and_rank", |b| {
        b.iter(|| {
            let scan = scan_host(&root, workers).expect("scan");
            black_box(healthtop::scan::rank(&scan, &config))
        })
    });
    group.bench_function("floor_ps_pid_nlwp_rss", |b| {
        b.iter(shell("ps -e -o pid,nlwp,rss"))
    });
    group.bench_function("floor_ls_proc_fd_wc", |b| {
        b.iter(shell("ls /proc/*/fd | wc -l"))
    });
    group.bench_function("floor_readdir_fd_in_process", |b| {
        b.iter(|| black_box(readdir_every_fd_dir()))
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let base = host_processes();
    let small = Sleepers::spawn(100usize.saturating_sub(base));
    measure(&mut criterion, "scan_100");
    drop(small);
    let large = Sleepers::spawn(2000usize.saturating_sub(host_processes()));
    measure(&mut criterion, "scan_2000");
    drop(large);
    criterion.final_summary();
}
