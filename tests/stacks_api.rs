//! The library API the TUI calls: `capture_all` once, a `Stacker` for repeated captures that
//! reuses the stacks of idle threads, and the folded aggregate.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use healthtop::stacks::folded::FoldedStacks;
use healthtop::stacks::{capture_all, CaptureOptions, Stacker, ThreadState};
use stacks_support::*;
use std::process::Command;

#[test]
fn capture_all_then_repeated_captures_reuse_idle_threads() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "api", &["-O2"]);
    let target = Target::start({
        let mut c = Command::new(&binary);
        c.arg("3");
        c
    });
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
    // A thread still on its way back into pause() when its CPU time is read is stopped once
    // more (it has no settled baseline); by the third capture every parked thread has one.
    stacker.capture(&options).expect("second");
    let third = stacker.capture(&options).expect("third");
    // Parked threads did not run between the captures: nothing is stopped again, and their
    // stacks are the same.
    assert!(third.stop_times.is_empty(), "{:?}", third.stop_times);
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
