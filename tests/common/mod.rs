//! The few helpers every test-support module needs, in one place: finding a required tool
//! and polling the kernel's state. Included by the support modules with `#[path]`.
#![allow(dead_code)]

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

/// `count` idle `sleep` processes, killed and reaped when dropped (also while unwinding): a
/// host with many processes, for the scan's tests and benchmark.
pub struct Sleepers(Vec<std::process::Child>);

impl Sleepers {
    pub fn spawn(count: usize) -> Sleepers {
        let mut sleepers = Sleepers(Vec::with_capacity(count));
        for _ in 0..count {
            let child = std::process::Command::new("sleep")
                .arg("100000")
                .stdin(std::process::Stdio::null())
                .spawn()
                .expect("sleep starts");
            sleepers.0.push(child);
        }
        sleepers
    }
}

impl Drop for Sleepers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
        }
        for child in &mut self.0 {
            let _ = child.wait();
        }
    }
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
