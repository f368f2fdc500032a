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

/// The family target (`tests/targets/family.c`): a parent `family-parent` and its children
/// `family-child`, the i-th holding 10 + i open descriptors. Killed and reaped when dropped;
/// the children die with it (`PR_SET_PDEATHSIG`).
pub struct Family {
    pub parent: std::process::Child,
}

impl Family {
    /// Builds the target into `dir` and starts it with `children` children; returns once
    /// every child has opened its descriptors (its "ready" line).
    pub fn start(dir: &std::path::Path, children: usize) -> Family {
        use std::io::BufRead;
        let source =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/targets/family.c");
        let exe = dir.join("family");
        let built = std::process::Command::new("gcc")
            .args(["-O1", "-o"])
            .arg(&exe)
            .arg(&source)
            .status()
            .expect("run gcc");
        assert!(built.success(), "gcc failed on {}", source.display());
        let mut parent = std::process::Command::new(&exe)
            .arg(children.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the family target");
        let mut line = String::new();
        let stdout = parent.stdout.take().expect("piped stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the ready line");
        let family = Family { parent };
        assert_eq!(line.trim(), "ready", "the family target said {line:?}");
        family
    }

    pub fn pid(&self) -> i32 {
        self.parent.id() as i32
    }
}

impl Drop for Family {
    fn drop(&mut self) {
        let _ = self.parent.kill();
        let _ = self.parent.wait();
    }
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
