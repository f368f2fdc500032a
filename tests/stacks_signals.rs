//! Signals that arrive while a thread is stopped are re-injected, never lost: a target queues
//! thousands of real-time signals (which, unlike standard signals, are never merged) to itself
//! while `record` stops its threads as fast as it may; every one must arrive.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;

#[test]
fn realtime_signals_sent_during_sampling_all_arrive() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
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
    let output = run({
        let mut c = healthtop();
        c.args([
            "record",
            "-p",
            &pid.to_string(),
            "--duration",
            "3s",
            "--hz",
            "1000",
            "-o",
        ])
        .arg(dir.path().join("flame.svg"));
        c
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("re-injected:"), "{stdout}");
    assert_not_stopped(pid);
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
