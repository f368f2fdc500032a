//! `healthtop demo`: start the demo target, watch it, and always clean it up.

use crate::cli::DemoArgs;
use crate::collect::{Collector, HostRoot, Tiers};
use crate::demo::DemoTarget;
use crate::exit::{CliError, ExitCode};
use crate::report::Report;

pub fn run(args: &DemoArgs) -> Result<(), CliError> {
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
    let _ = args.report;
    let mut collector = Collector::new(HostRoot::live(), target.pid())?;
    let sample = collector.sample(Tiers::ALL)?;
    super::report::print(&Report::new(sample), false)
}
