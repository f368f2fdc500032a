//! Signals that arrive while a thread is stopped are re-injected, never lost: a target queues
//! thousands of real-time signals (which, unlike standard signals, are never merged) to itself
//! while `record` stops its threads as fast as it may; every one must arrive.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;

#[test]
fn realtime_signals_sent_during_sampling_all_arrive() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let report = dir.path().join("rt.txt");
    let target = start_threads(
        dir.path(),
        "signals",
        &[
            "4",
            "--spin",
            "--rtsig",
            "20000",
            report.to_str().expect("utf-8 path"),
        ],
    );
    let pid = target.pid();
    let stdout = record_ok(pid, "3s", "1000", &[], &dir.path().join("flame.svg"));
    assert!(stdout.contains("re-injected:"), "{stdout}");
    wait_until("the target's signal report", || {
        std::fs::read_to_string(&report).is_ok_and(|t| t.ends_with('\n'))
    });
    let text = std::fs::read_to_string(&report).expect("report");
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2, "{text}");
    assert_eq!(numbers[0], 20000, "{text}");
    assert_eq!(
        numbers[1], numbers[0],
        "signals lost: {text} (record said: {stdout})"
    );
    eprintln!("{}", stdout.trim());
}
