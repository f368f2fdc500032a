//! `healthtop -p PID`: the interactive TUI on one process.

use super::target_pid;
use crate::collect::{Collector, HostRoot};
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::shell::{self, Cadence};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// Parses the PID, pins the target's identity, and runs the TUI until the user quits.
pub fn run(pid: &str, interval: Duration, config_path: Option<&Path>) -> Result<(), CliError> {
    let pid = target_pid(pid)?;
    let config = Config::load(config_path)?;
    let collector = Collector::new(HostRoot::live(), pid)?;
    watch(collector, interval, config)
}

/// Runs the TUI on an already pinned target (also used by `healthtop demo`).
pub fn watch(collector: Collector, interval: Duration, config: Config) -> Result<(), CliError> {
    require_terminal()?;
    shell::run(collector, Cadence::new(interval), config)
        .map(|_ending| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
}

/// The interactive view draws on stdout and reads keys from stdin: both must be a terminal.
pub fn require_terminal() -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            ExitCode::Usage,
            "the interactive view needs a terminal; for a pipe or a file use `healthtop report -p PID` (or `--from FILE`)",
        ));
    }
    Ok(())
}
