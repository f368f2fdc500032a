//! `healthtop bundle -p PID -o FILE`: watch for a while (sampling the threads' stacks too),
//! then write one file holding the report, its history, raw /proc copies, the stacks and a
//! flame graph, the runtime's dump where it needs no signal (or `--dump`), and a README,
//! with secrets masked (the building is [`crate::bundle::snapshot`], shared with the TUI's
//! bundle key).

use super::parse_pid;
use crate::bundle::extras::{dump_entries, stack_entries, STACK_FILES};
use crate::bundle::snapshot::{self, RawCopies, Request};
use crate::bundle::write::Entry;
use crate::bundle::MissingEntry;
use crate::cli::BundleArgs;
use crate::collect::{Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exit::CliError;
use crate::runtimes::{dump, DumpRequest};
use crate::safe_file::{Existing, NewFile, PRIVATE};
use crate::sample::{Runtime, Sample};
use crate::stacks::folded::FoldedStacks;
use crate::stacks::{Capture, CaptureOptions, Stacker};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(args: &BundleArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let pid = parse_pid(&args.pid)?;
    let config = Config::load(config_path)?;
    // Opened before watching: a refused destination costs no wait, and the unnamed file
    // cannot outlive healthtop.
    let destination = NewFile::create(&args.output, Existing::replace_if(args.force), PRIVATE)?;
    let root = HostRoot::live();
    let mut collector = Collector::new(root.clone(), pid)?;
    let started = Instant::now();
    let mut stacks = if args.no_stacks {
        Err("left out (--no-stacks)".to_string())
    } else {
        Stacker::new(pid)
            .map(StackSampling::new)
            .map_err(|e| e.to_string())
    };
    let samples = watch(&mut collector, &mut stacks, args.duration, args.interval)?;
    let (mut extras, mut extras_missing) = match &stacks {
        Ok(sampling) => stack_entries(
            &sampling.folded,
            sampling.last.as_ref().map(super::stacks::to_text),
            &format!("healthtop bundle: pid {pid}"),
        ),
        Err(reason) => (Vec::new(), missing(&STACK_FILES, reason)),
    };
    let runtime = samples
        .last()
        .map_or(Runtime::Native, |s| s.identity.runtime);
    let (dumps, dumps_missing) = runtime_dump(pid, runtime, args.dump);
    extras.extend(dumps);
    extras_missing.extend(dumps_missing);
    let built = snapshot::build(Request {
        root,
        samples,
        interval: args.interval,
        config,
        raw: RawCopies::Copy,
        include_env: args.include_env,
        duration: started.elapsed(),
        extras,
        extras_missing,
    })?;
    built.write(destination)?;
    println!(
        "bundle written to {} ({} files)",
        args.output.display(),
        built.files()
    );
    Ok(())
}

/// Stacks sampled while watching: one capture per sample, idle threads not stopped again.
struct StackSampling {
    stacker: Stacker,
    folded: FoldedStacks,
    last: Option<Capture>,
}

impl StackSampling {
    fn new(stacker: Stacker) -> Self {
        StackSampling {
            stacker,
            folded: FoldedStacks::new(),
            last: None,
        }
    }

    /// One capture; a failure ends the sampling with its reason (the bundle says why).
    fn capture(sampling: &mut Result<StackSampling, String>) -> Result<(), CliError> {
        let Ok(this) = sampling.as_mut() else {
            return Ok(());
        };
        let options = CaptureOptions {
            skip_idle: true,
            ..CaptureOptions::default()
        };
        match this.stacker.capture(&options) {
            Ok(capture) => {
                super::stacks::check_left_stopped(&capture)?;
                for thread in &capture.threads {
                    this.folded.add_thread(thread, 1);
                }
                this.last = Some(capture);
            }
            Err(error) => *sampling = Err(error.to_string()),
        }
        Ok(())
    }
}

/// Samples every `interval` for `duration`, stacks with each; the last sample reads every tier.
fn watch(
    collector: &mut Collector,
    stacks: &mut Result<StackSampling, String>,
    duration: Duration,
    interval: Duration,
) -> Result<Vec<Sample>, CliError> {
    let deadline = Instant::now() + duration;
    let mut samples = Vec::new();
    while Instant::now() + interval <= deadline {
        let next = Instant::now() + interval;
        samples.push(collector.sample(Tiers {
            census: true,
            maps: samples.is_empty(),
        })?);
        StackSampling::capture(stacks)?;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    samples.push(collector.sample(Tiers::ALL)?);
    StackSampling::capture(stacks)?;
    Ok(samples)
}

/// The runtime's own dump: a Go program's goroutines from its pprof endpoint (no signal);
/// a JVM's or Python's only with `--dump`, since asking sends a signal it catches.
fn runtime_dump(pid: i32, runtime: Runtime, asked: bool) -> (Vec<Entry>, Vec<MissingEntry>) {
    let path = format!("dumps/{}.txt", runtime.as_str());
    let request = match runtime {
        Runtime::Native => return (Vec::new(), Vec::new()),
        Runtime::Unknown => {
            let reason = "the runtime could not be told (see `runtime` under unavailable)";
            return (Vec::new(), missing(&[path.as_str()], reason));
        }
        Runtime::Go => DumpRequest::default(),
        Runtime::Jvm | Runtime::Python if asked => DumpRequest {
            confirmed: true,
            ..DumpRequest::default()
        },
        Runtime::Jvm | Runtime::Python => {
            let reason =
                "asking this runtime for its dump sends it a signal: pass --dump".to_string();
            return (Vec::new(), vec![MissingEntry { path, reason }]);
        }
    };
    let Ok(pid) = u32::try_from(pid) else {
        return (Vec::new(), Vec::new());
    };
    match dump(pid, &request) {
        Ok(dump) => (dump_entries(&dump), Vec::new()),
        Err(error) => (
            Vec::new(),
            vec![MissingEntry {
                path,
                reason: error.to_string(),
            }],
        ),
    }
}

fn missing(paths: &[&str], reason: &str) -> Vec<MissingEntry> {
    paths
        .iter()
        .map(|path| MissingEntry {
            path: (*path).to_string(),
            reason: reason.to_string(),
        })
        .collect()
}
