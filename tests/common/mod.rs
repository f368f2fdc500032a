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
pub use target::{family, poll_big, sleepers, Target};

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

/// `tests/targets/NAME.c` compiled with gcc (once per test binary), or `None` without gcc.
pub fn c_target(name: &str) -> Option<PathBuf> {
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<(tempfile::TempDir, Mutex<Vec<String>>)> = OnceLock::new();
    require_tool("gcc").then_some(())?;
    let (dir, built) = BUILT.get_or_init(|| {
        (
            tempfile::tempdir().expect("temp dir"),
            Mutex::new(Vec::new()),
        )
    });
    let output = dir.path().join(name);
    let mut built = built.lock().expect("lock");
    if !built.iter().any(|b| b == name) {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/targets")
            .join(format!("{name}.c"));
        let status = std::process::Command::new("gcc")
            .args(["-O1", "-o"])
            .arg(&output)
            .arg(&source)
            .arg("-lpthread")
            .status()
            .expect("gcc runs");
        assert!(status.success(), "gcc failed on {}", source.display());
        built.push(name.to_string());
    }
    Some(output)
}

/// Entries of `/proc` that are processes (kernel threads included).
pub fn host_processes() -> usize {
    std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_str()
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                })
                .count()
        })
        .unwrap_or(0)
}
