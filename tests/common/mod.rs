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

/// A test target: started in its own process group (its children die with it), ready once it
/// printed a line starting with the readiness prefix; killed with its group and reaped when
/// dropped, however the test ends.
pub struct Spawned {
    pub child: std::process::Child,
    lines: std::io::BufReader<std::process::ChildStdout>,
    /// What followed the readiness prefix on its line (a port, an address).
    pub ready_arg: String,
}

impl Spawned {
    /// Starts `command` with piped stdin and stdout and waits for a line starting `ready`.
    pub fn start(mut command: std::process::Command, ready: &str) -> Spawned {
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("target starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut spawned = Spawned {
            child,
            lines: std::io::BufReader::new(stdout),
            ready_arg: String::new(),
        };
        let line = spawned.next_line();
        let rest = line
            .strip_prefix(ready)
            .unwrap_or_else(|| panic!("target said {line:?} instead of {ready:?}"));
        spawned.ready_arg = rest.trim().to_string();
        spawned
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The next line the target prints (blocks until it does).
    pub fn next_line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.lines.read_line(&mut line).expect("read target line");
        line.trim().to_string()
    }

    /// Closes the target's stdin (targets that wait for a cue read it).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Kills the target's process group and reaps the target: it is gone from /proc after.
    pub fn kill(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.pid());
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill();
    }
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
