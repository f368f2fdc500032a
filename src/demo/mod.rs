//! The demo target: a child process that misbehaves in every way healthtop watches for, so a
//! newcomer sees every panel alive. It is healthtop's own binary run as `demo-target` (no
//! compiler needed), and it dies with its parent (PR_SET_PDEATHSIG), even on SIGKILL.
//!
//! May import: `safe_file` (its scratch files), std, nix and libc.

pub mod target;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DemoError {
    #[error("cannot find healthtop's own executable: {0}")]
    OwnExe(std::io::Error),
    #[error("cannot spawn the demo target: {0}")]
    Spawn(std::io::Error),
    #[error("the demo target exited before it was ready")]
    NotReady,
}

/// A running demo target; killed and reaped when dropped.
#[derive(Debug)]
pub struct DemoTarget {
    child: Child,
}

impl DemoTarget {
    /// Starts the target and waits for its "ready" line (its leaks and mappings are set up).
    pub fn spawn() -> Result<Self, DemoError> {
        let exe = std::env::current_exe().map_err(DemoError::OwnExe)?;
        let mut child = Command::new(exe)
            .arg("demo-target")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(DemoError::Spawn)?;
        let ready = child.stdout.take().and_then(|out| {
            let mut line = String::new();
            BufReader::new(out).read_line(&mut line).ok()?;
            (line.trim() == target::READY).then_some(())
        });
        let target = DemoTarget { child };
        ready.ok_or(DemoError::NotReady)?;
        Ok(target)
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }
}

impl Drop for DemoTarget {
    fn drop(&mut self) {
        // SIGTERM is blocked in the target by design, so SIGKILL it.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(target::scratch_path(self.child.id(), "truncated"));
    }
}
