//! The library API the TUI calls: `capture_all` once, a `Stacker` for repeated captures that
//! reuses the stacks of idle threads and says how much CPU each thread used between captures
//! (checked against the kernel's schedstat), and the folded aggregate.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use healthtop::stacks::folded::FoldedStacks;
use healthtop::stacks::{capture_all, CaptureOptions, Stacker, ThreadState};
use stacks_support::*;

#[test]
fn capture_all_then_repeated_captures_reuse_idle_threads() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = start_threads(dir.path(), "api", &["3"]);
    let pid = target.pid();
    wait_parked(pid, |_| true, &[libc::SYS_pause], 4);

    let once = capture_all(pid, &CaptureOptions::default()).expect("capture");
    assert_eq!(once.threads.len(), 4);
    assert_eq!(once.stop_times.len(), 4, "every thread stopped once");
    assert!(once.left_stopped.is_empty());
    for thread in &once.threads {
        assert!(matches!(thread.state, ThreadState::Captured { .. }));
        assert_eq!(thread.name, thread_name(pid, thread.tid));
        let names: Vec<&str> = thread
            .frames
            .iter()
            .filter_map(|f| f.function.as_deref())
            .collect();
        let two = names
            .iter()
            .position(|n| *n == "level_two")
            .expect("level_two");
        assert_eq!(names.get(two + 1), Some(&"level_one"), "{names:?}");
    }
    assert_not_stopped(pid);

    let mut stacker = Stacker::new(pid).expect("stacker");
    let options = CaptureOptions {
        skip_idle: true,
        ..CaptureOptions::default()
    };
    let first = stacker.capture(&options).expect("first");
    assert_eq!(first.stop_times.len(), 4);
    assert!(
        first.cpu_used.is_empty(),
        "no CPU baseline before the first capture"
    );
    // A thread still on its way back into pause() when its CPU time is read is stopped once
    // more (it has no settled baseline); by the third capture every parked thread has one.
    stacker.capture(&options).expect("second");
    let third = stacker.capture(&options).expect("third");
    // Parked threads did not run between the captures: nothing is stopped again, and their
    // stacks are the same.
    assert!(third.stop_times.is_empty(), "{:?}", third.stop_times);
    assert_eq!(third.cpu_used.len(), 4);
    assert!(
        third.cpu_used.values().all(|d| d.is_zero()),
        "idle threads used no CPU: {:?}",
        third.cpu_used
    );
    let second = third;
    for (a, b) in first.threads.iter().zip(&second.threads) {
        assert_eq!(b.state, ThreadState::Reused);
        assert_eq!(a.frames, b.frames);
    }
    let mut folded = FoldedStacks::new();
    for capture in [&first, &second] {
        for thread in &capture.threads {
            folded.add_thread(thread, 1);
        }
    }
    assert_eq!(folded.total(), 8);
    assert_eq!(folded.samples_containing("level_two"), 8);
    assert_not_stopped(pid);
}

/// Nanoseconds a thread has run, as the kernel counts them.
fn run_ns(pid: i32, tid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat"))
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse().ok())
        .expect("schedstat")
}

#[test]
fn cpu_used_between_captures_is_the_kernels_run_time() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let target = start_threads(dir.path(), "cpu", &["2", "--spin"]);
    let pid = target.pid();
    wait_parked(pid, |n| n != "spinner", &[libc::SYS_pause], 3);
    let spinner = tids(pid)
        .into_iter()
        .find(|&t| thread_name(pid, t) == "spinner")
        .expect("spinner");
    let options = CaptureOptions {
        skip_idle: true,
        ..CaptureOptions::default()
    };
    let mut stacker = Stacker::new(pid).expect("stacker");
    let start = run_ns(pid, spinner);
    stacker.restart_cpu_accounting();
    let first = stacker.capture(&options).expect("first");
    let after_first = run_ns(pid, spinner);
    // The first capture weighs the CPU used since the baseline: never more than the kernel
    // counted over a longer span.
    let used = first
        .cpu_used
        .get(&spinner)
        .copied()
        .expect("baseline taken");
    assert!(
        used.as_nanos() <= u128::from(after_first - start),
        "{used:?} > {} ns",
        after_first - start
    );
    wait_until("the spinner to run 2 ms more", || {
        run_ns(pid, spinner) > after_first + 2_000_000
    });
    let second = stacker.capture(&options).expect("second");
    let end = run_ns(pid, spinner);
    let used = second
        .cpu_used
        .get(&spinner)
        .copied()
        .expect("spinner weighed");
    assert!(
        used.as_nanos() >= 2_000_000 && used.as_nanos() <= u128::from(end - start),
        "the spinner used {used:?} between captures; the kernel saw {} ns in all",
        end - start
    );
    assert_not_stopped(pid);
}
