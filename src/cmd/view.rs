//! `healthtop view FILE`: the interactive view on a bundle, read-only. The file is opened and
//! checked before the terminal is touched, so a bad file is one line on stderr and exit 6.

use super::watch::require_terminal;
use crate::app::AppState;
use crate::bundle::read::open_bundle;
use crate::cli::ViewArgs;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::shell;
use std::path::Path;

pub fn run(args: &ViewArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let bundle = open_bundle(&args.file)?;
    let config = Config::load(config_path)?;
    require_terminal()?;
    let mut samples = bundle.report.history;
    // The report is the newest sample with its memory maps (the history leaves maps out).
    let report = bundle.report.report.sample;
    match samples.last_mut() {
        Some(last) if last.taken_at_ms == report.taken_at_ms => *last = report,
        _ => samples.push(report),
    }
    let state = AppState::for_bundle(args.file.display().to_string(), samples, config);
    shell::run_bundle(state)
        .map(|_ending| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
}
