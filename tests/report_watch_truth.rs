//! `report --watch` says what it watched (how long, how many samples, how often) and, when the
//! target is killed, how it ended in the TUI banner's words (`killed by SIGKILL`).

mod live_support;

use live_support::{healthtop, wait_until, Target};
use std::process::Stdio;

#[test]
fn watch_says_how_long_and_how_many_samples() {
    let target = Target::sleeper();
    let pid = target.pid().to_string();
    let json = healthtop()
        .args([
            "report",
            "--json",
            "-p",
            &pid,
            "--watch",
            "2s",
            "--interval",
            "500ms",
        ])
        .output()
        .expect("runs");
    assert_eq!(json.status.code(), Some(0), "{json:?}");
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let samples = report["watch"]["samples"].as_u64().expect("samples");
    let watched = report["watch"]["watched_secs"].as_f64().expect("watched");
    assert!(
        samples >= 2,
        "a 2s watch at 500ms takes more than one sample"
    );
    assert!(watched >= 2.0, "watched {watched}s of 2s");
    assert_eq!(report["watch"]["interval_secs"], 0.5);

    let text = healthtop()
        .args(["report", "-p", &pid, "--watch", "1s", "--interval", "500ms"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("watched "), "{text}");
    assert!(
        first.contains(" samples, one every 0s") || first.contains(" samples, one every"),
        "{first}"
    );

    let once = healthtop()
        .args(["report", "--json", "-p", &pid])
        .output()
        .expect("runs");
    let once: serde_json::Value = serde_json::from_slice(&once.stdout).expect("JSON");
    assert!(
        once.get("watch").is_none(),
        "a one-shot report watched nothing"
    );
}

/// True once healthtop sleeps between samples: the first sample is then taken.
fn between_samples(healthtop_pid: u32) -> bool {
    let arch = healthtop::decode::syscalls::Arch::native().expect("arch");
    let text =
        std::fs::read_to_string(format!("/proc/{healthtop_pid}/syscall")).unwrap_or_default();
    text.split_whitespace()
        .next()
        .and_then(|nr| nr.parse().ok())
        .map(|nr| healthtop::decode::syscalls::syscall_name(arch, nr))
        .is_some_and(|name| name.contains("nanosleep"))
}

#[test]
fn a_kill_during_the_watch_is_told_as_the_tui_tells_it() {
    let mut target = Target::sleeper();
    let watcher = healthtop()
        .args([
            "report",
            "-p",
            &target.pid().to_string(),
            "--watch",
            "60s",
            "--interval",
            "500ms",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs");
    wait_until("healthtop took its first sample", || {
        between_samples(watcher.id())
    });
    // Killed, and left unreaped (this test is its parent): the zombie holds its wait status.
    target.child.kill().expect("SIGKILL");
    let output = watcher.wait_with_output().expect("finishes");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("killed by SIGKILL"), "{text}");
    assert!(!text.contains("exited while being read"), "{text}");
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("watched "), "{first}");
    let _ = target.child.wait();
}
