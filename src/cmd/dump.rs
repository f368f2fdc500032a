//! `healthtop dump`: build a [`DumpRequest`] from the command line, ask for confirmation on a
//! terminal when the library needs it, print the dump (text, JSON or folded) on stdout and the
//! notes on stderr, and map [`DumpError`] to the documented exit codes. The text the target's
//! runtime wrote is shown escaped (`safe_text`); the JSON form stays exact.
//!
//! May import: `cli`, `exit`, `runtimes`, `decode::signals`, `safe_text`.

use crate::cli::{DumpArgs, DumpMethodArg};
use crate::decode::signals::signal_number;
use crate::exit::{CliError, ExitCode};
use crate::runtimes::{dump, Dump, DumpError, DumpRequest, GoDebug, Method};
use crate::safe_text::{line, lines};
use std::io::{BufRead, IsTerminal, Write};

pub fn run(args: &DumpArgs) -> Result<(), CliError> {
    let pid = u32::try_from(super::target_pid(&args.pid)?)
        .map_err(|_| CliError::new(ExitCode::Usage, format!("invalid PID {:?}", args.pid)))?;
    let signal = args
        .signal
        .as_deref()
        .map(|name| {
            signal_number(name)
                .ok_or_else(|| CliError::new(ExitCode::Usage, format!("unknown signal {name:?}")))
        })
        .transpose()?;
    let mut request = DumpRequest {
        method: match args.method {
            DumpMethodArg::Auto => Method::Auto,
            DumpMethodArg::Jvm => Method::Jvm,
            DumpMethodArg::Pprof => Method::Pprof,
            DumpMethodArg::Python => Method::Python,
            DumpMethodArg::Signal => Method::Signal,
        },
        signal,
        pprof_url: args.pprof.clone(),
        go_debug: if args.debug == 2 {
            GoDebug::Two
        } else {
            GoDebug::One
        },
        force: args.force,
        confirmed: args.yes,
        timeout: args.timeout,
    };
    let result = match dump(pid, &request) {
        Err(DumpError::NeedsConfirmation { question }) if std::io::stdin().is_terminal() => {
            if ask(&question) {
                request.confirmed = true;
                dump(pid, &request)
            } else {
                return Err(CliError::new(
                    ExitCode::Refused,
                    "not confirmed: nothing sent",
                ));
            }
        }
        other => other,
    };
    let dump = result.map_err(to_cli_error)?;
    print(&dump, args)
}

/// Asks `question [y/N]` on stderr; true only for an explicit yes.
fn ask(question: &str) -> bool {
    eprint!("{}. Send it? [y/N] ", line(question));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

fn print(dump: &Dump, args: &DumpArgs) -> Result<(), CliError> {
    for note in &dump.notes {
        eprintln!("healthtop: note: {}", line(note));
    }
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let json = serde_json::to_string_pretty(dump)
            .map_err(|e| CliError::new(ExitCode::Internal, format!("JSON: {e}")))?;
        writeln!(out, "{json}")
    } else if args.folded {
        dump.folded()
            .iter()
            .try_for_each(|stack| writeln!(out, "{stack}"))
    } else {
        out.write_all(lines(&dump.text).as_bytes())
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(ExitCode::Internal, format!("stdout: {e}"))),
    }
}

/// Exit codes: gone 3, forbidden 4, a zombie or a thread 5, refused or unconfirmed 7, nothing to dump from 8,
/// I/O and parse failures 1.
pub fn to_cli_error(error: DumpError) -> CliError {
    let code = match &error {
        DumpError::NoSuchProcess { .. } => ExitCode::NoSuchProcess,
        DumpError::PermissionDenied { .. } | DumpError::AccessDenied { .. } => {
            ExitCode::PermissionDenied
        }
        DumpError::NotWatchable { .. } => ExitCode::NotWatchable,
        DumpError::Refused { .. } => ExitCode::Refused,
        DumpError::NeedsConfirmation { .. } => {
            return CliError::new(
                ExitCode::Refused,
                format!("{error} (pass --yes to send it)"),
            )
        }
        DumpError::Unavailable { .. } | DumpError::NoOutput { .. } => ExitCode::Unavailable,
        DumpError::Protocol { .. } | DumpError::Io { .. } | DumpError::Parse(_) => {
            ExitCode::Internal
        }
    };
    CliError::new(code, error.to_string())
}
