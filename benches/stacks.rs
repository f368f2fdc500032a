//! Side by side in one run:
//! 1. one-shot `healthtop stacks` of a 20-thread C process against `eu-stack -i -l` (the same
//!    detail: inlined frames, file:line), each run as a command, medians of alternating runs;
//! 2. all-thread stack capture of a 1,000-thread C process, with eu-stack and gdb timed on the
//!    same process, and the per-thread stop time (median, p99). The target's "ticker" thread
//!    rewrites a counter every millisecond; the longest time the counter stood still while
//!    each tool ran shows how long the tool froze that thread;
//! 3. the slowdown of a CPU-bound target (tests/targets/bench_spin.c, which times each chunk
//!    of fixed work) under `healthtop record` at its default rate and at 49 Hz, and under
//!    `perf record -F 49 -g`: median chunk time while attached against the median of the
//!    unobserved chunks around it.
//!
//! Run: `cargo bench --bench stacks` (as root or with CAP_SYS_PTRACE; needs gcc, eu-stack, gdb;
//! perf for the last comparison).

#[path = "../tests/stacks_support/mod.rs"]
mod stacks_support;

use criterion::Criterion;
use healthtop::stacks::{capture_all, CaptureOptions, Stacker};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const THREADS: usize = 1000;

struct Target(Child);

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_target(dir: &Path, ticks: &Path) -> Target {
    start_threads(dir, THREADS, Some(ticks))
}

/// `stacks_threads` with `threads` threads in all, every one parked (the ticker sleeping).
fn start_threads(dir: &Path, threads: usize, ticks: Option<&Path>) -> Target {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/stacks_threads.c");
    let binary = dir.join("stacks_threads");
    let status = Command::new("gcc")
        .args(["-O2", "-g", "-pthread", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    let mut command = Command::new(&binary);
    match ticks {
        Some(ticks) => command
            .arg((threads - 2).to_string())
            .arg("--ticker")
            .arg(ticks),
        None => command.arg((threads - 1).to_string()),
    };
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("target starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    assert_eq!(line.trim(), "ready");
    let target = Target(child);
    let pid = target.0.id();
    // Readiness: every thread blocked in pause(2).
    let start = Instant::now();
    loop {
        let parked = std::fs::read_dir(format!("/proc/{pid}/task"))
            .expect("task dir")
            .filter_map(|e| e.ok())
            .filter(|e| {
                // pause(2) for the parked threads, clock_nanosleep(2) for the ticker.
                std::fs::read_to_string(e.path().join("syscall"))
                    .is_ok_and(|s| matches!(s.split_whitespace().next(), Some("34") | Some("230")))
            })
            .count();
        if parked == threads {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "threads did not park"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    target
}

fn quantile(times: &mut [Duration], q: f64) -> Duration {
    times.sort_unstable();
    let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
    times[rank - 1]
}

fn timed(mut command: Command) -> Option<Duration> {
    let start = Instant::now();
    let status = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

/// Runs `work` while watching the ticker's counter; returns work's result and the longest time
/// the counter did not move (the ticker rewrites it every ~1 ms when it runs).
fn longest_stall<T>(ticks: &Path, work: impl FnOnce() -> T) -> (T, Duration) {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut last = std::fs::read(ticks).unwrap_or_default();
            let mut since = Instant::now();
            let mut longest = Duration::ZERO;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_micros(200));
                let now = std::fs::read(ticks).unwrap_or_default();
                if now != last {
                    longest = longest.max(since.elapsed());
                    last = now;
                    since = Instant::now();
                }
            }
            longest.max(since.elapsed())
        });
        let result = work();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let stall = watcher.join().expect("watcher thread");
        (result, stall)
    })
}

fn assert_running(pid: u32) {
    for entry in std::fs::read_dir(format!("/proc/{pid}/task")).expect("task dir") {
        let stat =
            std::fs::read_to_string(entry.expect("entry").path().join("stat")).unwrap_or_default();
        let state = stat.rsplit(')').next().unwrap_or("").trim().chars().next();
        assert!(!matches!(state, Some('t' | 'T')), "target left stopped");
    }
}

/// Median wall time of `healthtop stacks` and of `eu-stack -i -l` on a 20-thread process,
/// alternating runs so that changes in the machine's load hit both.
fn small_process(dir: &Path) {
    const SMALL: usize = 20;
    const RUNS: usize = 15;
    let target = start_threads(dir, SMALL, None);
    let pid = target.0.id().to_string();
    let ours_command = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_healthtop"));
        c.args(["stacks", "-p", &pid]);
        c
    };
    let eu_command = || {
        let mut c = Command::new("eu-stack");
        c.args(["-i", "-l", "-p", &pid]);
        c
    };
    let (mut ours, mut eu) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        ours.push(timed(ours_command()).expect("healthtop stacks runs"));
        if let Some(time) = timed(eu_command()) {
            eu.push(time);
        }
    }
    assert_running(target.0.id());
    let ours = quantile(&mut ours, 0.5);
    println!("one-shot stacks of a {SMALL}-thread process, median of {RUNS} alternating runs:");
    println!("  healthtop stacks: {ours:?}");
    if eu.is_empty() {
        println!("  eu-stack -i -l: not run (missing or failed)");
    } else {
        let eu = quantile(&mut eu, 0.5);
        println!(
            "  eu-stack -i -l: {eu:?} = {:.1}x healthtop",
            eu.as_secs_f64() / ours.as_secs_f64()
        );
    }
}

/// A CPU-bound target that prints each fixed chunk's duration.
struct Spinner {
    target: Target,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Spinner {
    fn start(dir: &Path) -> Spinner {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/bench_spin.c");
        let binary = dir.join("bench_spin");
        let status = Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(&binary)
            .arg(&source)
            .status()
            .expect("gcc runs");
        assert!(status.success(), "gcc failed");
        let mut child = Command::new(&binary)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spinner starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"));
        Spinner {
            target: Target(child),
            lines,
        }
    }

    /// The durations of the next `n` chunks.
    fn chunks(&mut self, n: usize) -> Vec<Duration> {
        (0..n)
            .map(|_| {
                let line = self.lines.next().and_then(Result::ok).expect("chunk line");
                let ns = line
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("chunk ns");
                Duration::from_nanos(ns)
            })
            .collect()
    }
}

/// Slowdown of the spinner under each profiler: chunks timed while it is attached against
/// unobserved chunks just before and after, over several rounds.
fn slowdown(dir: &Path) {
    const CHUNKS: usize = 20;
    const ROUNDS: usize = 3;
    let mut spinner = Spinner::start(dir);
    let pid = spinner.target.0.id().to_string();
    let out = dir.join("flame.svg");
    let perf_data = dir.join("perf.data");
    let profilers: Vec<(&str, Command)> = vec![
        ("healthtop record (default rate)", {
            let mut c = Command::new(env!("CARGO_BIN_EXE_healthtop"));
            c.args(["record", "-p", &pid, "-d", "1h", "-o"]).arg(&out);
            c
        }),
        ("healthtop record --hz 49", {
            let mut c = Command::new(env!("CARGO_BIN_EXE_healthtop"));
            c.args(["record", "-p", &pid, "-d", "1h", "--hz", "49", "-o"])
                .arg(&out);
            c
        }),
        ("perf record -F 49 -g", {
            let mut c = Command::new("perf");
            c.args(["record", "-F", "49", "-g", "-p", &pid, "-o"])
                .arg(&perf_data);
            c
        }),
    ];
    spinner.chunks(3);
    println!("slowdown of a CPU-bound target ({CHUNKS} chunks attached vs {CHUNKS} around, {ROUNDS} rounds, medians):");
    for (name, mut command) in profilers {
        let (mut alone, mut attached) = (Vec::new(), Vec::new());
        let mut failed = None;
        for _ in 0..ROUNDS {
            alone.extend(spinner.chunks(CHUNKS / 2));
            let mut child = match command.stdout(Stdio::null()).stderr(Stdio::null()).spawn() {
                Ok(child) => child,
                Err(error) => {
                    failed = Some(error.to_string());
                    break;
                }
            };
            // The first chunk may have started before the profiler attached.
            spinner.chunks(1);
            attached.extend(spinner.chunks(CHUNKS));
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGINT,
            );
            let status = child.wait().expect("profiler ends");
            // perf writes its data on SIGINT, then ends by the same signal.
            let interrupted = std::os::unix::process::ExitStatusExt::signal(&status)
                == Some(nix::sys::signal::Signal::SIGINT as i32);
            if !status.success() && !interrupted {
                failed = Some(format!("exited with {status}"));
                break;
            }
            spinner.chunks(1);
            alone.extend(spinner.chunks(CHUNKS / 2));
        }
        if let Some(why) = failed {
            println!("  {name}: not measured ({why})");
            continue;
        }
        let (alone, attached) = (quantile(&mut alone, 0.5), quantile(&mut attached, 0.5));
        println!(
            "  {name}: chunk {attached:?} attached vs {alone:?} alone = {:+.2}%",
            (attached.as_secs_f64() / alone.as_secs_f64() - 1.0) * 100.0
        );
    }
    assert_running(spinner.target.0.id());
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    small_process(dir.path());
    slowdown(dir.path());
    let ticks = dir.path().join("ticks");
    let target = start_target(dir.path(), &ticks);
    let pid = target.0.id();
    let options = CaptureOptions::default();

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .configure_from_args();
    // One-shot: what `healthtop stacks` does (new tracer, modules, symbols).
    criterion.bench_function("capture_all 1000 threads (cold caches)", |b| {
        b.iter(|| capture_all(pid as i32, &options).expect("capture"))
    });
    // Repeated: what the TUI and `record` do (caches warm, every thread stopped).
    let mut stacker = Stacker::new(pid as i32).expect("stacker");
    criterion.bench_function("Stacker::capture 1000 threads (warm caches)", |b| {
        b.iter(|| stacker.capture(&options).expect("capture"))
    });
    assert_running(pid);

    // Our own timing for the ratios, and the stop times.
    let mut ours = Vec::new();
    let mut stops = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let capture = capture_all(pid as i32, &options).expect("capture");
        ours.push(start.elapsed());
        assert!(capture.left_stopped.is_empty());
        assert_eq!(capture.threads.len(), THREADS);
        stops.extend(capture.stop_times);
    }
    assert_running(pid);
    let ours_median = quantile(&mut ours, 0.5);
    println!();
    println!("healthtop capture_all, {THREADS} threads: median {ours_median:?} over 5 runs");
    println!(
        "per-thread stop time over {} stops: median {:?}, p99 {:?}, max {:?}",
        stops.len(),
        quantile(&mut stops, 0.5),
        quantile(&mut stops, 0.99),
        quantile(&mut stops, 1.0)
    );
    let (_, our_stall) = longest_stall(&ticks, || capture_all(pid as i32, &options));
    let (eu_stack, eu_stall) = longest_stall(&ticks, || {
        timed({
            let mut c = Command::new("eu-stack");
            c.args(["-p", &pid.to_string()]);
            c
        })
    });
    assert_running(pid);
    let (gdb, gdb_stall) = longest_stall(&ticks, || {
        timed(stacks_support::gdb_backtrace_command(pid as i32))
    });
    assert_running(pid);
    println!(
        "longest stall of the target's 1 ms ticker thread while healthtop captured: {our_stall:?}"
    );
    for (tool, time, stall) in [
        ("eu-stack -p", eu_stack, eu_stall),
        ("gdb thread apply all bt", gdb, gdb_stall),
    ] {
        match time {
            Some(time) => println!(
                "{tool}: {time:?} = {:.1}x healthtop's median; longest ticker stall {stall:?}",
                time.as_secs_f64() / ours_median.as_secs_f64()
            ),
            None => println!("{tool}: not run (missing or failed)"),
        }
    }
    criterion.final_summary();
}
