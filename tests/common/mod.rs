//! The few helpers every test-support module needs, in one place: finding a required tool,
//! polling the kernel's state, and the one spawner of test targets ([`Target`]). Included by
//! the support modules with `#[path]`.
#![allow(dead_code, unused_imports)]

mod archive;
mod fuzz;
mod go;
mod target;
pub use archive::archive_members;
pub use fuzz::{mutate_bytes, Rng};
pub use go::{go_build, start_goleak};
pub use target::Target;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The path of `name` on PATH. A missing tool fails the test when `CI` is set (CI installs
/// every tool, so it is never silently skipped there); locally the test prints why it skips.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required by this test and missing in CI: scripts/test.sh installs it"
        );
        eprintln!("skipping: {name} is not installed (scripts/test.sh installs it)");
    }
    found
}

/// Whether `name` is on PATH, with [`tool`]'s rules.
pub fn require_tool(name: &str) -> bool {
    tool(name).is_some()
}

/// Polls until `check` holds, for at most 30 s: the kernel's own state is the readiness
/// signal, never a fixed sleep.
pub fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out waiting for {what}");
}

/// `healthtop ARGS…` with stdin closed (never a terminal), its output captured.
pub fn run_healthtop(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("healthtop runs")
}
