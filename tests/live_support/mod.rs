//! Shared by the live tests: building real C targets, requiring tools; targets are spawned by
//! `tests/common`'s `Target`.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{
    archive_members, mutate_bytes, require_tool, run_healthtop, tool, wait_until, Rng, Target,
};

use std::path::{Path, PathBuf};
use std::process::Command;

/// The healthtop binary under test.
pub fn healthtop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthtop"))
}

/// Compiles `tests/targets/<name>.c` into `dir` and returns the binary's path.
pub fn build_c(name: &str, dir: &Path, flags: &[&str]) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(format!("{name}.c"));
    let output = dir.join(name);
    let status = Command::new("gcc")
        .args(flags)
        .arg("-o")
        .arg(&output)
        .arg(&source)
        .arg("-lpthread")
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed for {}", source.display());
    output
}

/// Reads a /proc file as text.
pub fn proc_text(relative: &str) -> String {
    std::fs::read_to_string(format!("/proc/{relative}")).unwrap_or_default()
}

/// Runs a shell command and returns its stdout.
pub fn sh(command: &str) -> String {
    let output = Command::new("sh")
        .args(["-c", command])
        .output()
        .expect("sh runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits until `pid` has `threads` threads, each parked in one of `syscalls` (by name), and two
/// readings of every thread's system call and wait channel agree: a process parked for good.
pub fn wait_parked(pid: i32, threads: usize, syscalls: &[&str]) {
    let arch = healthtop::decode::syscalls::Arch::native().expect("a supported architecture");
    let snapshot = || {
        let tasks = sh(&format!("ls /proc/{pid}/task"));
        let tids: Vec<&str> = tasks.lines().collect();
        let mut state = Vec::new();
        for tid in &tids {
            let syscall = proc_text(&format!("{pid}/task/{tid}/syscall"));
            let nr = syscall.split_whitespace().next().unwrap_or("").to_string();
            state.push((nr, proc_text(&format!("{pid}/task/{tid}/wchan"))));
        }
        (tids.len(), state)
    };
    let mut previous = snapshot();
    wait_until("threads parked and settled", || {
        let current = snapshot();
        let parked = current.0 == threads
            && current.1.iter().all(|(nr, wchan)| {
                let name = nr
                    .parse()
                    .map(|n| healthtop::decode::syscalls::syscall_name(arch, n));
                name.is_ok_and(|n| syscalls.contains(&n.as_str())) && wchan != "0"
            });
        let settled = parked && current == previous;
        previous = current;
        settled
    });
}
