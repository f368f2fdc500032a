//! The binary's edge: parse the command line, run a command, turn errors into one line on
//! stderr and a documented exit code (see `healthtop --help` and the README).

use clap::Parser;
use healthtop::cli::{Cli, Command};
use healthtop::exit::{CliError, ExitCode};

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => ExitCode::Ok,
        Err(error) => {
            eprintln!("healthtop: {error}");
            error.code
        }
    };
    std::process::exit(code.code());
}

fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Dump(args)) => healthtop::cmd::dump::run(&args),
        _ => Err(CliError::new(ExitCode::Usage, "no command yet")),
    }
}
