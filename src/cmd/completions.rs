//! `healthtop completions SHELL` and `healthtop manpage`: generated from the same clap
//! definitions that parse the command line, so they cannot drift from it. The copies shipped
//! under `assets/` are checked against these by a test.
//!
//! May import: `cli`, `exit`.

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::{CliError, ExitCode};
use clap::CommandFactory;
use clap_complete::Shell;

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "healthtop", &mut out);
    out
}

/// The man page, in roff.
pub fn man_page() -> Result<Vec<u8>, std::io::Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out)
}

pub fn run(args: &CompletionsArgs) -> Result<(), CliError> {
    super::write_stdout(&String::from_utf8_lossy(&script(args.shell)))
}

pub fn run_manpage() -> Result<(), CliError> {
    let page =
        man_page().map_err(|e| CliError::new(ExitCode::Internal, format!("man page: {e}")))?;
    super::write_stdout(&String::from_utf8_lossy(&page))
}
