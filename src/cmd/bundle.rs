//! `healthtop bundle -p PID -o FILE`: watch for a while, then write one file holding the
//! report, its history, raw /proc copies and a README, with secrets masked
//! (the building is [`crate::bundle::snapshot`], shared with the TUI's bundle key).

use super::parse_pid;
use crate::bundle::snapshot::{self, RawCopies, Request};
use crate::cli::BundleArgs;
use crate::collect::{CollectError, Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exit::CliError;
use crate::sample::Sample;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(args: &BundleArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let pid = parse_pid(&args.pid)?;
    let config = Config::load(config_path)?;
    let root = HostRoot::live();
    let mut collector = Collector::new(root.clone(), pid)?;
    let started = Instant::now();
    let samples = watch(&mut collector, args.duration, args.interval)?;
    let built = snapshot::build(Request {
        root,
        samples,
        interval: args.interval,
        config,
        raw: RawCopies::Copy,
        include_env: args.include_env,
        duration: started.elapsed(),
    })?;
    built.write(&args.output, args.force)?;
    println!(
        "bundle written to {} ({} files)",
        args.output.display(),
        built.files()
    );
    Ok(())
}

/// Samples every `interval` for `duration`; the last sample reads every tier.
fn watch(
    collector: &mut Collector,
    duration: Duration,
    interval: Duration,
) -> Result<Vec<Sample>, CollectError> {
    let deadline = Instant::now() + duration;
    let mut samples = Vec::new();
    while Instant::now() + interval <= deadline {
        let next = Instant::now() + interval;
        samples.push(collector.sample(Tiers {
            census: true,
            maps: samples.is_empty(),
        })?);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    samples.push(collector.sample(Tiers::ALL)?);
    Ok(samples)
}
