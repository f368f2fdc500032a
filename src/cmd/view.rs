//! `healthtop view FILE`: the interactive view on a bundle, read-only. The file is opened and
//! checked before the terminal is touched, so a bad file is one line on stderr and exit 6.

use super::watch::require_terminal;
use crate::app::AppState;
use crate::bundle::read::open_bundle;
use crate::bundle::BundleReport;
use crate::cli::ViewArgs;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::sample::Sample;
use crate::shell;
use std::path::Path;

pub fn run(args: &ViewArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let bundle = open_bundle(&args.file)?;
    let config = Config::load(config_path)?;
    require_terminal()?;
    let samples = timeline(bundle.report);
    let state = AppState::for_bundle(args.file.display().to_string(), samples, config);
    shell::run_bundle(state)
        .map(|_ending| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
}

/// The samples to step through: the bundle's history, oldest first, whose newest is the
/// report itself, taken from the report so it keeps its memory maps (the history leaves maps
/// out).
pub fn timeline(report: BundleReport) -> Vec<Sample> {
    let mut samples = report.history;
    let newest = report.report.sample;
    match samples.last_mut() {
        Some(last) if last.taken_at_ms == newest.taken_at_ms => *last = newest,
        _ => samples.push(newest),
    }
    samples
}
