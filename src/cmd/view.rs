//! `healthtop view FILE`: the interactive view on a bundle, read-only. The file is opened and
//! checked before the terminal is touched, so a bad file is one line on stderr and exit 6.

use super::watch::require_terminal;
use crate::app::{AppState, Frozen};
use crate::bundle::read::{open_bundle, OpenedBundle};
use crate::bundle::BundleReport;
use crate::cli::ViewArgs;
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::runtimes::Dump;
use crate::sample::Sample;
use crate::shell;
use crate::stacks::folded::FoldedStacks;
use crate::stacks::ThreadStack;
use std::path::Path;

pub fn run(args: &ViewArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let bundle = open_bundle(&args.file)?;
    let config = Config::load(config_path)?;
    require_terminal()?;
    let frozen = frozen(&bundle);
    let samples = timeline(bundle.report);
    let state = AppState::for_bundle_with(args.file.display().to_string(), samples, frozen, config);
    shell::run_bundle(state)
        .map(|_ending| ())
        .map_err(|e| CliError::new(ExitCode::Internal, e.to_string()))
}

/// The samples to step through: the bundle's history, oldest first, whose newest is the
/// report itself, taken from the report so it keeps its memory maps (the history leaves maps
/// out).
pub fn timeline(report: BundleReport) -> Vec<Sample> {
    let mut samples: Vec<Sample> = report.history.into_iter().map(|r| r.sample).collect();
    let newest = report.report.sample;
    match samples.last_mut() {
        Some(last) if last.taken_at_ms == newest.taken_at_ms => *last = newest,
        _ => samples.push(newest),
    }
    samples
}

/// What the bundle holds beside its samples: goroutine counts, the exit, the stacks
/// (`stacks.folded`, `stacks.json`) and the runtime dump (`dumps/*.json`). A file that is
/// missing or cannot be parsed is shown as the reason, never as an empty result.
pub fn frozen(bundle: &OpenedBundle) -> Frozen {
    let why_missing = |path: &str| {
        bundle
            .manifest
            .missing
            .iter()
            .find(|m| m.path == path)
            .map(|m| m.reason.clone())
    };
    let folded = match bundle.files.get("stacks.folded") {
        Some(data) => Ok(FoldedStacks::parse(&String::from_utf8_lossy(data))),
        None => Err(format!(
            "this bundle holds no stacks: {}",
            why_missing("stacks.folded").unwrap_or_else(|| "none were written".into())
        )),
    };
    let threads = bundle
        .files
        .get("stacks.json")
        .and_then(|data| serde_json::from_slice::<Vec<ThreadStack>>(data).ok())
        .unwrap_or_default();
    let dump_json = bundle
        .files
        .iter()
        .find(|(path, _)| path.starts_with("dumps/") && path.ends_with(".json"));
    let dump = match dump_json {
        Some((path, data)) => Some(
            serde_json::from_slice::<Dump>(data).map_err(|e| format!("{path} cannot be read: {e}")),
        ),
        None => bundle
            .manifest
            .missing
            .iter()
            .find(|m| m.path.starts_with("dumps/"))
            .map(|m| Err(m.reason.clone())),
    };
    Frozen {
        goroutines: bundle
            .report
            .history
            .iter()
            .map(|r| r.goroutines.clone())
            .collect(),
        exit: bundle.report.exit.clone(),
        folded,
        threads,
        dump,
    }
}
