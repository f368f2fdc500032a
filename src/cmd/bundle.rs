//! `healthtop bundle -p PID -o FILE`: watch for a while (sampling the threads' stacks too),
//! then write one file holding the report, its history, raw /proc copies, the stacks and a
//! flame graph, the runtime's dump where it needs no signal (or `--dump`), and a README,
//! with secrets masked (the building is [`crate::bundle::snapshot`], shared with the TUI's
//! bundle key).

use super::target_pid;
use crate::bundle::extras::{dump_entries, stack_entries, STACK_FILES};
use crate::bundle::snapshot::{self, RawCopies, Request};
use crate::bundle::write::Entry;
use crate::bundle::{GoroutineReading, MissingEntry, Recorded, TargetExit};
use crate::cli::BundleArgs;
use crate::collect::exit_status;
use crate::collect::{CollectError, Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exit::CliError;
use crate::runtimes::go::GoroutineProbe;
use crate::runtimes::{dump, DumpRequest};
use crate::safe_file::{Existing, NewFile, PRIVATE};
use crate::sample::Runtime;
use crate::stacks::folded::FoldedStacks;
use crate::stacks::{Capture, CaptureOptions, Stacker};
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(args: &BundleArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let pid = target_pid(&args.pid)?;
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
    let mut progress = Progress::new(args.duration > PROGRESS_AFTER);
    let watched = watch(
        &mut collector,
        &mut stacks,
        args.duration,
        args.interval,
        &mut progress,
    )?;
    let (mut extras, mut extras_missing) = match &stacks {
        Ok(sampling) => stack_entries(
            &sampling.folded,
            sampling.last.as_ref().map(super::stacks::to_text),
            sampling
                .last
                .as_ref()
                .map_or(&[][..], |capture| &capture.threads),
            &format!("healthtop bundle: pid {pid}"),
        ),
        Err(reason) => (Vec::new(), missing(&STACK_FILES, reason)),
    };
    let runtime = watched
        .samples
        .last()
        .map_or(Runtime::Native, |s| s.sample.identity.runtime);
    let raw = match &watched.exit {
        None => {
            let (dumps, dumps_missing) = runtime_dump(pid, runtime, args.dump);
            extras.extend(dumps);
            extras_missing.extend(dumps_missing);
            RawCopies::Copy
        }
        Some(exit) => RawCopies::Skip {
            reason: format!(
                "the target had exited ({}) when the bundle was written",
                exit.how
            ),
        },
    };
    progress.say(&format!(
        "{} samples, {} stack captures; writing…",
        watched.samples.len(),
        stacks.as_ref().map_or(0, |s| s.captures)
    ));
    let built = snapshot::build(Request {
        root,
        samples: watched.samples,
        exit: watched.exit,
        interval: args.interval,
        config,
        raw,
        include_env: args.include_env,
        duration: started.elapsed(),
        extras,
        extras_missing,
    })?;
    built.write(destination)?;
    let bytes = std::fs::metadata(&args.output).map_or(0, |m| m.len());
    progress.done(&format!("{bytes} bytes written"));
    println!(
        "bundle written to {} ({} files)",
        args.output.display(),
        built.files()
    );
    Ok(())
}

/// Watches longer than this show a progress line on stderr.
const PROGRESS_AFTER: Duration = Duration::from_secs(2);

/// Progress on stderr while the bundle is made, for watches long enough to need it: on a
/// terminal one line rewritten in place, otherwise (a log) one line at most every
/// [`LOGGED_EVERY`], plus the last.
struct Progress {
    shown: bool,
    terminal: bool,
    logged: Option<Instant>,
}

/// How often a progress line goes to a stderr that is not a terminal.
const LOGGED_EVERY: Duration = Duration::from_secs(10);

impl Progress {
    fn new(shown: bool) -> Progress {
        Progress {
            shown,
            terminal: std::io::stderr().is_terminal(),
            logged: None,
        }
    }

    fn say(&mut self, line: &str) {
        if !self.shown {
            return;
        }
        if self.terminal {
            eprint!("\rhealthtop: bundle: {line}\x1b[K");
        } else if self.logged.is_none_or(|at| at.elapsed() >= LOGGED_EVERY) {
            eprintln!("healthtop: bundle: {line}");
            self.logged = Some(Instant::now());
        }
    }

    fn done(&mut self, line: &str) {
        if self.shown {
            let start = if self.terminal { "\r" } else { "" };
            let clear = if self.terminal { "\x1b[K" } else { "" };
            eprintln!("{start}healthtop: bundle: {line}{clear}");
        }
    }
}

/// Stacks sampled while watching: one capture per sample, idle threads not stopped again.
struct StackSampling {
    stacker: Stacker,
    folded: FoldedStacks,
    last: Option<Capture>,
    captures: usize,
}

impl StackSampling {
    fn new(stacker: Stacker) -> Self {
        StackSampling {
            stacker,
            folded: FoldedStacks::new(),
            last: None,
            captures: 0,
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
                this.captures += 1;
            }
            Err(error) => *sampling = Err(error.to_string()),
        }
        Ok(())
    }
}

/// What the watch saw: the samples, and the end of the target if it ended.
struct Watched {
    samples: Vec<Recorded>,
    exit: Option<TargetExit>,
}

/// Samples at 0, `interval`, 2×`interval`… up to `duration` inclusive (so `--duration 5s
/// --interval 1s` is 6 samples), on a schedule kept from the start rather than from each
/// sample's end, stacks and (Go) the goroutine count with each; the last sample reads every
/// tier. A target that ends is the end of the watch: its exit is kept, not an error (unless
/// not even the first sample could be taken).
fn watch(
    collector: &mut Collector,
    stacks: &mut Result<StackSampling, String>,
    duration: Duration,
    interval: Duration,
    progress: &mut Progress,
) -> Result<Watched, CliError> {
    let start = Instant::now();
    let interval = interval.max(Duration::from_millis(1));
    let ticks = u32::try_from(duration.as_nanos() / interval.as_nanos()).unwrap_or(u32::MAX);
    let mut samples: Vec<Recorded> = Vec::new();
    let mut goroutines: Option<GoroutineProbe> = None;
    for tick in 0..=ticks {
        if let Some(wait) = (interval * tick).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let tiers = if tick == ticks {
            Tiers::ALL
        } else {
            Tiers {
                census: true,
                maps: tick == 0,
            }
        };
        let sample = match collector.sample(tiers) {
            Ok(sample) => sample,
            Err(
                CollectError::Gone { .. }
                | CollectError::NoSuchProcess { .. }
                | CollectError::Zombie { .. }
                | CollectError::PidReused { .. },
            ) if !samples.is_empty() => {
                let at_ms = now_ms();
                let last = &samples[samples.len() - 1].sample;
                let how = exit_status::describe(
                    &HostRoot::live(),
                    last.identity.pid,
                    last.identity.start_time,
                );
                return Ok(Watched {
                    samples,
                    exit: Some(TargetExit { at_ms, how }),
                });
            }
            Err(error) => return Err(error.into()),
        };
        if tick == 0 {
            let timeout = (interval / 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
            goroutines = GoroutineProbe::for_sample(&sample, None, timeout);
        }
        let reading = goroutines.as_mut().map(|probe| {
            let count = probe.read();
            let endpoint = probe.endpoint().ok().map(ToString::to_string);
            GoroutineReading::new(now_ms(), count, endpoint)
        });
        samples.push(Recorded {
            sample,
            goroutines: reading,
        });
        StackSampling::capture(stacks)?;
        progress.say(&format!(
            "{}/{} samples, {} stack captures",
            samples.len(),
            u64::from(ticks) + 1,
            stacks.as_ref().map_or(0, |s| s.captures)
        ));
    }
    Ok(Watched {
        samples,
        exit: None,
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
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
