//! `healthtop serve`: checks the arguments, the web config and the processes, binds the
//! address, then serves `/metrics` until SIGTERM or SIGINT.

use super::parse_pid;
use crate::cli::ServeArgs;
use crate::collect::HostRoot;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::serve::web_config::WebConfig;
use crate::serve::{http, Fleet, Selector};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;

pub fn run(args: &ServeArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    if args.pid.is_empty() {
        return Err(CliError::new(
            ExitCode::Usage,
            "nothing to serve: give -p PID (repeat it for more processes)",
        ));
    }
    let selectors = args
        .pid
        .iter()
        .map(|pid| parse_pid(pid).map(Selector::Pid))
        .collect::<Result<Vec<_>, _>>()?;
    let config = Config::load(config_path)?;
    let web = match &args.web_config {
        Some(path) => WebConfig::load(path)?,
        None => WebConfig::default(),
    };
    let fleet = Fleet::new(HostRoot::live(), selectors, config, args.interval)?;
    let listener = bind(args.listen)?;
    let scheme = if web.tls.is_some() { "https" } else { "http" };
    let shown = listener.local_addr().unwrap_or(args.listen);
    let line = format!(
        "healthtop serve: {scheme}://{shown}/metrics, {} process(es), read every {}\n",
        args.pid.len(),
        humantime::format_duration(args.interval)
    );
    let _ = std::io::stdout().write_all(line.as_bytes());
    let _ = std::io::stdout().flush();
    http::run(fleet, listener, web)
        .map(|_signal| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
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
