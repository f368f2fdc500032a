//! `healthtop serve`: checks the arguments, the web config and the processes, binds the
//! address, then serves `/metrics` until SIGTERM or SIGINT.

use super::parse_pid;
use crate::cli::ServeArgs;
use crate::collect::resolve::find_by_name;
use crate::collect::HostRoot;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::serve::web_config::WebConfig;
use crate::serve::{http, Fleet, Selector};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;

pub fn run(args: &ServeArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    if args.pid.is_empty() && !args.scan {
        return Err(CliError::new(
            ExitCode::Usage,
            "nothing to serve: give -p PID|NAME (repeat it for more processes) or --scan",
        ));
    }
    let mut selectors = args
        .pid
        .iter()
        .map(|text| selector(text))
        .collect::<Result<Vec<_>, _>>()?;
    if args.scan {
        selectors.push(Selector::Scan {
            top: args.top as usize,
        });
    }
    let config = Config::load(config_path)?;
    let web = match &args.web_config {
        Some(path) => WebConfig::load(path)?,
        None => WebConfig::default(),
    };
    let fleet = Fleet::new(HostRoot::live(), selectors, config, args.interval)?;
    let listener = bind(args.listen)?;
    let scheme = if web.tls.is_some() { "https" } else { "http" };
    let shown = listener.local_addr().unwrap_or(args.listen);
    let mut watching: Vec<String> = args
        .pid
        .iter()
        .map(|p| crate::safe_text::line(p).into_owned())
        .collect();
    if args.scan {
        watching.push(format!("the {} processes nearest a limit", args.top));
    }
    let line = format!(
        "healthtop serve: {scheme}://{shown}/metrics, watching {}, read every {}\n",
        watching.join(" and "),
        humantime::format_duration(args.interval)
    );
    let _ = std::io::stdout().write_all(line.as_bytes());
    let _ = std::io::stdout().flush();
    http::run(fleet, listener, web)
        .map(|_signal| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
}

/// A PID, or a name that must mean at least one process now.
fn selector(text: &str) -> Result<Selector, CliError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.starts_with('-') || trimmed.bytes().all(|b| b.is_ascii_digit())
    {
        return parse_pid(text).map(Selector::Pid);
    }
    let (candidates, _) = find_by_name(&HostRoot::live(), trimmed)?;
    if candidates.is_empty() {
        return Err(CliError::new(
            ExitCode::Usage,
            format!("invalid PID {text:?}: not a number, and no process is named so or has it in its command line"),
        ));
    }
    Ok(Selector::Name(trimmed.to_string()))
}

/// Binds `address`: in use or not of this host is exit 9, a port the user may not bind 4.
fn bind(address: SocketAddr) -> Result<TcpListener, CliError> {
    TcpListener::bind(address).map_err(|error| {
        let code = match error.kind() {
            std::io::ErrorKind::PermissionDenied => ExitCode::PermissionDenied,
            _ => ExitCode::CannotListen,
        };
        CliError::new(code, format!("cannot listen on {address}: {error}"))
    })
}
