//! Someone else sending SIGSTOP and SIGCONT to the target while `record` samples it (py-spy
//! #565: the profiler hung in waitpid): recording finishes, and once the storm ends with SIGCONT
//! the target runs.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn signal(pid: i32, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[test]
fn stop_cont_storm_does_not_hang_record_or_leave_target_stopped() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let ticks = dir.path().join("ticks");
    let target = start_threads(
        dir.path(),
        "storm",
        &[
            "4",
            "--spin",
            "--ticker",
            ticks.to_str().expect("utf-8 path"),
        ],
    );
    let pid = target.pid();
    let mut recorder = healthtop()
        .args([
            "record",
            "-p",
            &pid.to_string(),
            "--duration",
            "3s",
            "--hz",
            "500",
            "-o",
        ])
        .arg(dir.path().join("flame.svg"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("record starts");
    let start = Instant::now();
    let mut storms = 0;
    let status = loop {
        if let Some(status) = recorder.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "record hung under SIGSTOP/SIGCONT"
        );
        signal(pid, "STOP");
        signal(pid, "CONT");
        storms += 1;
    };
    let output = recorder.wait_with_output().expect("output");
    assert!(
        status.success(),
        "record failed after {storms} STOP/CONT pairs: {} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    signal(pid, "CONT");
    assert_not_stopped(pid);
    let before = std::fs::read_to_string(&ticks).unwrap_or_default();
    wait_until("the target to tick again", || {
        std::fs::read_to_string(&ticks).unwrap_or_default() != before
    });
}
