//! The few helpers every test-support module needs, in one place: finding a required tool
//! and polling the kernel's state. Included by the support modules with `#[path]`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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

/// Builds `tests/targets/NAME.c` with gcc (`-O2 -pthread`) into `dir`.
pub fn build_c_target(dir: &Path, name: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/targets/{name}.c"));
    let exe = dir.join(name);
    let status = Command::new("gcc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&exe)
        .arg(&source)
        .status()
        .expect("run gcc");
    assert!(status.success(), "gcc failed on {}", source.display());
    exe
}

/// Starts `exe` with `args` and returns once it printed its `ready` line (the targets print it
/// when everything they set up exists). The caller kills and reaps it.
pub fn start_ready(exe: &Path, args: &[String]) -> Child {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start target");
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line);
    if !line.starts_with("ready ") {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} did not get ready: {read:?} {line:?}", exe.display());
    }
    child
}
