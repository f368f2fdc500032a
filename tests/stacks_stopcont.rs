//! Someone else sending SIGSTOP and SIGCONT to the target while `record` samples it (py-spy
//! #565: the profiler hung in waitpid): recording finishes, and once the storm ends with SIGCONT
//! the target runs.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::time::{Duration, Instant};

#[test]
fn stop_cont_storm_does_not_hang_record_or_leave_target_stopped() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
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
    let mut recorder = record_command(pid, "3s", "500", &[], &dir.path().join("flame.svg"))
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
        send_signal(pid, "STOP");
        send_signal(pid, "CONT");
        storms += 1;
    };
    let output = recorder.wait_with_output().expect("output");
    assert!(
        status.success(),
        "record failed after {storms} STOP/CONT pairs: {} {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    send_signal(pid, "CONT");
    assert_not_stopped(pid);
    let before = std::fs::read_to_string(&ticks).unwrap_or_default();
    wait_until("the target to tick again", || {
        std::fs::read_to_string(&ticks).unwrap_or_default() != before
    });
}
