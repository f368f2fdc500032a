//! All-thread stack capture of a 1,000-thread C process, with eu-stack and gdb timed on the
//! same process in the same run, and the per-thread stop time (median, p99).
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

fn start_target(dir: &Path) -> Target {
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
        .arg((THREADS - 1).to_string())
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
                std::fs::read_to_string(e.path().join("syscall"))
                    .is_ok_and(|s| s.split_whitespace().next() == Some("34"))
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
    let target = start_target(dir.path());
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
    let eu_stack = timed({
        let mut c = Command::new("eu-stack");
        c.args(["-p", &pid.to_string()]);
        c
    });
    assert_running(pid);
    let gdb = timed({
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
    });
    assert_running(pid);
    for (tool, time) in [("eu-stack -p", eu_stack), ("gdb thread apply all bt", gdb)] {
        match time {
            Some(time) => println!(
                "{tool}: {time:?} = {:.1}x healthtop's median",
                time.as_secs_f64() / ours_median.as_secs_f64()
            ),
            None => println!("{tool}: not run (missing or failed)"),
        }
    }
    criterion.final_summary();
}
