//! The one spawner of test targets: a child process that is killed and reaped when the test
//! ends, however it ends, with its readiness read from its own stdout (never a sleep).

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A running test target.
pub struct Target {
    pub child: Child,
    /// Its stdout, when piped: readiness lines and whatever else it reports.
    pub stdout: Option<BufReader<ChildStdout>>,
    /// What followed `ready` on the readiness line (a port, for servers), after [`Target::ready`].
    pub ready_arg: String,
    /// Killed with its whole process group (vfork children and zombies die with it).
    group: bool,
}

impl Target {
    /// Starts `command` with the stdio it was given. A target whose stdin is piped is asked to
    /// exit by closing it when dropped (a JVM then removes its attach socket and perf file),
    /// and killed only if it has not within 3 s.
    pub fn spawn(mut command: Command) -> Target {
        Target::from_child(command.spawn().expect("target starts"), false)
    }

    /// Starts `command` in its own process group, killed as a group when dropped.
    pub fn spawn_in_group(mut command: Command) -> Target {
        let child = command.process_group(0).spawn().expect("target starts");
        Target::from_child(child, true)
    }

    /// An idle target: `sh` says `ready` and execs `sleep 1000` (its comm becomes `sleep`).
    pub fn sleeper() -> Target {
        let mut command = Command::new("sh");
        command.args(["-c", "echo ready; exec sleep 1000"]);
        Target::start(command, "ready")
    }

    /// Starts `command` with stdout piped and waits for its first line to equal `ready`.
    pub fn start(mut command: Command, ready: &str) -> Target {
        command.stdout(Stdio::piped());
        let mut target = Target::spawn(command);
        target.expect_line(ready);
        target
    }

    /// Starts `command` with stdout piped and waits for a first line beginning with `ready`;
    /// the rest of that line is kept in [`Target::ready_arg`].
    pub fn start_ready(mut command: Command) -> Target {
        command.stdout(Stdio::piped());
        let mut target = Target::spawn(command);
        target.ready();
        target
    }

    fn from_child(mut child: Child, group: bool) -> Target {
        let stdout = child.stdout.take().map(BufReader::new);
        Target {
            child,
            stdout,
            ready_arg: String::new(),
            group,
        }
    }

    /// Reads the next line and checks it equals `expected`, killing the target otherwise.
    pub fn expect_line(&mut self, expected: &str) {
        let line = self.next_line();
        if line != expected {
            let _ = self.child.kill();
            panic!("target said {line:?} instead of {expected:?}");
        }
    }

    /// Reads a line beginning with `ready` and keeps what follows it in `ready_arg`.
    pub fn ready(&mut self) -> &str {
        self.ready_with("ready")
    }

    /// Reads a line beginning with `prefix` and keeps what follows it in `ready_arg`.
    fn ready_with(&mut self, prefix: &str) -> &str {
        let line = self.next_line();
        match line.strip_prefix(prefix) {
            Some(rest) => self.ready_arg = rest.trim().to_string(),
            None => {
                let _ = self.child.kill();
                panic!("target said {line:?} instead of {prefix:?}");
            }
        }
        &self.ready_arg
    }

    /// Starts `command` in its own process group with stdin and stdout piped, and waits for a
    /// first line beginning with `prefix` (the rest kept in [`Target::ready_arg`]). Killed with
    /// its group when dropped or [`Target::kill`]ed.
    pub fn start_group(mut command: Command, prefix: &str) -> Target {
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut target = Target::spawn_in_group(command);
        target.ready_with(prefix);
        target
    }

    /// Kills the target (with its group, if it has one) and reaps it: it is gone from /proc.
    pub fn kill(&mut self) {
        if self.group {
            let group = nix::unistd::Pid::from_raw(self.pid());
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The pid as the kernel's unsigned type (what `std::process` and some APIs take).
    pub fn upid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the target prints on its stdout pipe, trimmed; fails if it exited first.
    pub fn next_line(&mut self) -> String {
        self.read_line().trim_start().to_string()
    }

    /// The next line the target prints on its stdout pipe, without its line end.
    pub fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .as_mut()
            .expect("stdout is piped")
            .read_line(&mut line)
            .expect("read target stdout");
        assert!(!line.is_empty(), "target exited before it said anything");
        line.trim_end().to_string()
    }

    /// Still running (not exited, not a zombie we reaped).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Closes the target's stdin (targets that wait for EOF go on).
    pub fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if !self.group && self.child.stdin.take().is_some() {
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        self.kill();
    }
}

/// The family target (`tests/targets/family.c`): a parent `family-parent` whose `children`
/// children `family-child` hold 10 + i open descriptors each and die with it
/// (`PR_SET_PDEATHSIG`). Returns once every child has opened its descriptors.
pub fn family(children: usize) -> Target {
    let exe = super::c_target("family").expect("gcc builds the family target");
    let mut command = Command::new(exe);
    command.arg(children.to_string());
    Target::start(command, "ready")
}

/// `tests/targets/poll_big.c`: `threads` threads, `fds` open descriptors and `mappings`
/// mappings, ready once all exist.
pub fn poll_big(threads: u64, fds: u64, mappings: u64) -> Target {
    let exe = super::c_target("poll_big").expect("gcc builds poll_big");
    let mut command = Command::new(exe);
    command
        .args([threads, fds, mappings].map(|n| n.to_string()))
        .stdin(Stdio::null());
    Target::start_ready(command)
}

/// `count` idle `sleep` processes with no pipes (2,000 of them must not cost the test 2,000
/// descriptors): a host with many processes, for the scan's tests and benchmark. Each is
/// killed and reaped when the list is dropped.
pub fn sleepers(count: usize) -> Vec<Target> {
    (0..count)
        .map(|_| {
            let mut command = Command::new("sleep");
            command.arg("100000").stdin(Stdio::null());
            Target::spawn(command)
        })
        .collect()
}
