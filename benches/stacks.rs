//! All-thread stack capture of a 1,000-thread C process, with eu-stack and gdb timed on the
//! same process in the same run, and the per-thread stop time (median, p99). The target's
//! "ticker" thread rewrites a counter every millisecond; the longest time the counter stood
//! still while each tool ran shows how long the tool froze that thread.
//!
//! Run: `cargo bench --bench stacks` (as root or with CAP_SYS_PTRACE; needs gcc, eu-stack, gdb).

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
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/stacks_threads.c");
    let binary = dir.join("stacks_threads");
    let status = Command::new("gcc")
        .args(["-O2", "-g", "-pthread", "-o"])
        .arg(&binary)
        .arg(&source)
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    let mut child = Command::new(&binary)
        .arg((THREADS - 2).to_string())
        .arg("--ticker")
        .arg(ticks)
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
        if parked == THREADS {
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

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
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
        timed({
            let mut c = Command::new("gdb");
            c.args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-nx",
                "-ex",
                "thread apply all bt",
            ]);
            c
        })
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
