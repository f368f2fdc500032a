//! `healthtop demo`: start the demo target, watch it, and always clean it up.

use crate::cli::DemoArgs;
use crate::collect::{Collector, HostRoot, Tiers};
use crate::demo::DemoTarget;
use crate::exit::{CliError, ExitCode};
use crate::report::Report;

pub fn run(
    args: &DemoArgs,
    interval: std::time::Duration,
    config_path: Option<&std::path::Path>,
) -> Result<(), CliError> {
    let config = crate::config::Config::load(config_path)?;
    let target = DemoTarget::spawn().map_err(|e| {
        CliError::new(
            ExitCode::Internal,
            format!("cannot start the demo target: {e}"),
        )
    })?;
    eprintln!(
        "healthtop: demo target started as PID {} (it is killed when healthtop exits)",
        target.pid()
    );
    let mut collector = Collector::new(HostRoot::live(), target.pid())?;
    if !args.report {
        // The target lives until `target` drops, after the TUI has restored the terminal.
        return super::watch::watch(collector, interval, config);
    }
    let sample = collector.sample(Tiers::ALL)?;
    let judged = crate::report::watch::judge_once(&sample, &config);
    super::report::print(
        &Report::new(sample)
            .with_findings(judged.findings)
            .with_headroom(judged.headroom),
        false,
    )
}
