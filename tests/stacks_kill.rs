//! Must-show 3: SIGKILL of healthtop at random moments during `record`, many times over, never
//! leaves the target stopped, and the target keeps making progress.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::process::{Command, Stdio};
use std::time::Duration;

fn counter(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

fn random_below(limit: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(limit);
    hasher.finish() % limit
}

#[test]
fn sigkill_during_record_never_leaves_target_stopped() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let binary = build_c(dir.path(), "victim", &["-O2"]);
    let ticks = dir.path().join("ticks");
    let mut command = Command::new(&binary);
    command.arg("32").arg("--spin").arg("--ticker").arg(&ticks);
    let target = Target::start(command, "ready");
    let pid = target.pid();
    wait_until("the ticker to tick", || counter(&ticks) > 0);

    for iteration in 0..30 {
        let svg = dir.path().join(format!("f{iteration}.svg"));
        let mut recorder = record_command(pid, "60s", "1000", &[], &svg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("record starts");
        // The kill moment is the random variable here (startup, first all-thread capture,
        // later samples), not a synchronisation.
        std::thread::sleep(Duration::from_millis(random_below(300)));
        recorder.kill().expect("SIGKILL healthtop");
        recorder.wait().expect("reap healthtop");
        // The kernel detaches a dead tracer's tracees before the tracer can be reaped.
        assert_not_stopped(pid);
        let before = counter(&ticks);
        wait_until("the target to make progress", || counter(&ticks) > before);
    }
    assert_not_stopped(pid);
}
