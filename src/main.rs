//! The binary's edge: parse the command line, run a command, turn errors into one line on
//! stderr and a documented exit code (see `healthtop --help` and the README). Messages may quote
//! what the target or a bundle controls (names, paths, tar members), so they are escaped.

use clap::Parser;
use healthtop::cli::{Cli, Command};
use healthtop::cmd;
use healthtop::exit::{CliError, ExitCode};
use healthtop::safe_text;

fn main() {
    fixed_mmap_threshold();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            eprintln!("healthtop: {}", healthtop::cli::one_line_error(&error));
            std::process::exit(ExitCode::Usage.code());
        }
    };
    let code = match run(cli) {
        Ok(()) => ExitCode::Ok,
        Err(error) => {
            eprintln!("healthtop: {}", safe_text::line(&error.to_string()));
            for detail in &error.details {
                eprintln!("{}", safe_text::line(detail));
            }
            error.code
        }
    };
    std::process::exit(code.code());
}

/// Allocations of 256 KiB and more (a 10,000-thread census, a 50,000-line `maps` read) get
/// their own mapping, handed back to the kernel when freed. glibc otherwise raises this
/// threshold after the first such free and serves later big buffers from its heap, which
/// keeps the peak of every census resident for good (RSS twice the live heap at 10,000
/// threads).
#[allow(unsafe_code)]
fn fixed_mmap_threshold() {
    // SAFETY: mallopt only sets a glibc tuning parameter; called before any other thread
    // exists or any allocation depends on it.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Some(Command::Report(args)) => cmd::report::run(args, cli.config.as_deref()),
        Some(Command::Scan(args)) => cmd::scan::run(args, cli.config.as_deref()),
        Some(Command::Rules(args)) => cmd::rules::run(args, cli.config.as_deref()),
        Some(Command::Demo(args)) => cmd::demo::run(args, cli.interval, cli.config.as_deref()),
        Some(Command::Bundle(args)) => cmd::bundle::run(args, cli.config.as_deref()),
        Some(Command::Stacks(args)) => cmd::stacks::run(args),
        Some(Command::Record(args)) => cmd::record::run(args),
        Some(Command::Dump(args)) => cmd::dump::run(args),
        Some(Command::View(args)) => cmd::view::run(args, cli.config.as_deref()),
        Some(Command::Completions(args)) => cmd::completions::run(args),
        Some(Command::Manpage) => cmd::completions::run_manpage(),
        Some(Command::Serve(args)) => cmd::serve::run(args, cli.config.as_deref()),
        Some(Command::DemoTarget) => healthtop::demo::target::run(),
        None => match &cli.pid {
            Some(pid) => cmd::watch::run(pid, cli.interval, cli.config.as_deref()),
            None => cmd::watch::run_picker(cli.interval, cli.config.as_deref()),
        },
    }
}
