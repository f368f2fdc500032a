//! `healthtop -p PID|NAME`: the interactive TUI on one process; `healthtop` alone, or a name
//! several processes answer to, opens the picker (filtered to them).

use super::{named, Named};
use crate::collect::resolve::MatchKind;
use crate::collect::{Collector, HostRoot};
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::shell::{self, Cadence};
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

/// Resolves `-p`, pins the target's identity, and runs the TUI until the user quits; a name
/// that several processes answer to opens the picker on them.
pub fn run(pid: &str, interval: Duration, config_path: Option<&Path>) -> Result<(), CliError> {
    let config = Config::load(config_path)?;
    match named(pid)? {
        Named::One(pid) => {
            let collector = Collector::new(HostRoot::live(), pid)?;
            watch(collector, interval, config)
        }
        Named::Several(candidates, how, name) => {
            let pids = candidates.iter().map(|c| c.pid).collect();
            let how = match how {
                MatchKind::Exact => format!("named {name:?}"),
                MatchKind::CommandLine => format!("with {name:?} in their command line"),
            };
            pick(interval, config, Some((pids, how)))
        }
    }
}

/// `healthtop` with no `-p`: the picker on every process of the host.
pub fn run_picker(interval: Duration, config_path: Option<&Path>) -> Result<(), CliError> {
    pick(interval, Config::load(config_path)?, None)
}

fn pick(
    interval: Duration,
    config: Config,
    only: Option<(Vec<i32>, String)>,
) -> Result<(), CliError> {
    require_terminal()?;
    shell::run_picker(HostRoot::live(), Cadence::new(interval), config, only)
        .map(|_ending| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
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
