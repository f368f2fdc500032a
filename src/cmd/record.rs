//! `healthtop record -p PID --duration 10s [--hz N] [--mode cpu|wall] [--per-thread] -o flame.svg`:
//! samples every thread's stack, writes the flame graph (SVG) and the folded stacks beside it,
//! prints what it cost. The default on-CPU graph weighs each stack by the CPU time its thread
//! used since the previous capture; threads are merged unless `--per-thread`.
//! `--goroutines`: the goroutine flame graph of a Go program from its pprof endpoint instead.

use super::stacks::check_left_stopped;
use super::target_pid;
use crate::cli::{FlameModeArg, RecordArgs};
use crate::exit::{CliError, ExitCode};
use crate::runtimes::{Detail, DumpRequest, GoDebug, Method};
use crate::safe_file::{self, Existing, NewFile, SHARED};
use crate::stacks::flamegraph::write_svg;
use crate::stacks::folded::{FlameMode, FoldView, FoldedStacks, Recording};
use crate::stacks::signals::StopSignals;
use crate::stacks::{CaptureOptions, Stacker, StacksError, ThreadState};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The eBPF profilers sample at 19-20 Hz; with idle threads skipped we can afford more.
const MAX_DEFAULT_HZ: f64 = 50.0;

/// Per-thread stop times of a run, for the summary and the default rate.
#[derive(Debug, Default, Clone)]
pub struct StopStats {
    times: Vec<Duration>,
}

impl StopStats {
    pub fn add(&mut self, times: &[Duration]) {
        self.times.extend_from_slice(times);
    }

    pub fn count(&self) -> usize {
        self.times.len()
    }

    /// The `q` quantile (0..=1), nearest rank.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.times.is_empty() {
            return None;
        }
        let mut sorted = self.times.clone();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted.get(rank - 1).copied()
    }
}

/// The default rate: each thread stopped at most 1% of the time (from the median stop time),
/// one round at most 25% of the interval (`stacks::sustainable_interval`), between 1 and 50 Hz.
pub fn default_hz(median_stop: Duration, round: Duration) -> u32 {
    let fastest = Duration::from_secs_f64(1.0 / MAX_DEFAULT_HZ);
    let interval = crate::stacks::sustainable_interval(median_stop, round, fastest);
    (1.0 / interval.as_secs_f64().max(1e-6))
        .clamp(1.0, MAX_DEFAULT_HZ)
        .floor() as u32
}

/// `flame.svg` → `flame.folded`.
pub fn folded_path(svg: &Path) -> PathBuf {
    svg.with_extension("folded")
}

pub fn run(args: &RecordArgs) -> Result<(), CliError> {
    let pid = target_pid(&args.pid)?;
    if args.goroutines {
        return record_goroutines(args, pid);
    }
    // Both destinations are checked and opened (unnamed) before any thread is stopped.
    let folded_file = folded_path(&args.output);
    let existing = Existing::replace_if(args.force);
    let svg_out = NewFile::create(&args.output, existing, SHARED)?;
    let folded_out = NewFile::create(&folded_file, existing, SHARED)?;
    // Before any thread starts: every thread inherits the blocked mask.
    let signals = StopSignals::install()
        .map_err(|e| CliError::new(ExitCode::Internal, format!("cannot block signals: {e}")))?;
    if args.jvm_perfmap {
        super::stacks::request_jvm_perf_map(pid);
    }
    let mut stacker = Stacker::new(pid)?;
    // The first capture weighs the CPU used from now on.
    stacker.restart_cpu_accounting();
    let options = CaptureOptions {
        skip_idle: true,
        ..CaptureOptions::default()
    };
    let view = FoldView {
        mode: match args.mode {
            FlameModeArg::Cpu => FlameMode::Cpu,
            FlameModeArg::Wall => FlameMode::Wall,
        },
        per_thread: args.per_thread,
        thread: None,
    };
    let mut recording = Recording::default();
    let mut stops = StopStats::default();
    let mut threads_seen = BTreeSet::new();
    let mut notes: Vec<String> = Vec::new();
    let mut note_count = 0usize;
    let (mut samples, mut stopped, mut reused, mut reinjected) = (0u64, 0u64, 0u64, 0usize);
    let mut interval = None;
    let mut rate_reason = String::new();
    let mut end_reason = "duration reached".to_string();
    let start = Instant::now();
    let mut next = start;
    loop {
        let round_start = Instant::now();
        let capture = match stacker.capture(&options) {
            Ok(capture) => capture,
            Err(StacksError::NoSuchProcess { .. }) if samples > 0 => {
                end_reason = "the target exited".to_string();
                break;
            }
            Err(error) => return Err(error.into()),
        };
        let round = round_start.elapsed();
        check_left_stopped(&capture)?;
        samples += 1;
        stops.add(&capture.stop_times);
        reinjected += capture.reinjected.len();
        note_count += capture.notes.len();
        for note in &capture.notes {
            if notes.len() < 5 && !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        for thread in &capture.threads {
            match thread.state {
                ThreadState::Captured { .. } => stopped += 1,
                ThreadState::Reused => reused += 1,
                _ => {}
            }
            threads_seen.insert(thread.tid);
        }
        recording.add(&capture);
        // The first round reads modules and symbols; the rate is chosen after the second.
        if interval.is_none() && samples >= 2 {
            let hz = match args.hz {
                Some(hz) => {
                    rate_reason = "from --hz".to_string();
                    hz
                }
                None => {
                    let median = stops.quantile(0.5).unwrap_or(Duration::from_micros(100));
                    let hz = default_hz(median, round);
                    rate_reason = format!(
                        "chosen from the median stop of {} µs per thread and {} µs per round",
                        median.as_micros(),
                        round.as_micros()
                    );
                    hz
                }
            };
            interval = Some(Duration::from_secs_f64(1.0 / f64::from(hz)));
        }
        next += interval.unwrap_or(Duration::from_millis(50));
        // At least two captures: the first (which also reads modules and symbols, and may
        // outlast a short duration) ends the first interval of CPU time only just begun.
        if start.elapsed() >= args.duration && samples >= 2 {
            break;
        }
        if let Some(signal) = wait_until(next, &signals) {
            end_reason = format!("stopped by signal {signal}");
            break;
        }
        if next < Instant::now() {
            // Behind: skip missed ticks instead of sampling back to back.
            next = Instant::now();
        }
    }
    drop(stacker);
    let folded = recording.fold(&view);
    if folded.is_empty() {
        let why = match view.mode {
            FlameMode::Cpu => {
                "no thread used CPU while recorded; --mode wall shows where they waited"
            }
            FlameMode::Wall => "no thread had a stack to count",
        };
        return Err(CliError::new(
            ExitCode::Unavailable,
            format!("nothing to draw after {samples} captures: {why}"),
        ));
    }
    let title = format!(
        "healthtop record -p {pid} · {}: {}{}",
        view.mode.as_str(),
        view.mode.meaning(),
        if view.per_thread {
            " · by thread pool"
        } else {
            ""
        }
    );
    safe_file::write_into(folded_out, folded.to_text().as_bytes())?;
    write_svg(&folded, &title, svg_out)?;
    let micros = |d: Option<Duration>| d.map_or("-".to_string(), |d| d.as_micros().to_string());
    let hz = interval.map_or(0.0, |i| 1.0 / i.as_secs_f64());
    println!(
        "recorded PID {pid} for {:.1} s ({end_reason}): {samples} samples at {hz:.0} Hz ({rate_reason})",
        start.elapsed().as_secs_f64()
    );
    println!(
        "mode {}: {}; graph total {} {}",
        view.mode.as_str(),
        view.mode.meaning(),
        folded.total(),
        folded.unit().name()
    );
    println!(
        "threads: {} seen; {stopped} thread stops, {reused} reused unchanged stacks of idle threads",
        threads_seen.len()
    );
    println!(
        "per-thread stop time: median {} µs, p99 {} µs, max {} µs over {} stops",
        micros(stops.quantile(0.5)),
        micros(stops.quantile(0.99)),
        micros(stops.quantile(1.0)),
        stops.count()
    );
    println!("signals that arrived during a stop and were re-injected: {reinjected}");
    for note in &notes {
        eprintln!("healthtop: note: {}", crate::safe_text::line(note));
    }
    if note_count > notes.len() {
        eprintln!("healthtop: note: … {} more notes", note_count - notes.len());
    }
    println!(
        "wrote {} and {}",
        args.output.display(),
        folded_file.display()
    );
    Ok(())
}

/// `record --goroutines`: one goroutine profile from the Go program's pprof endpoint
/// (`?debug=1`: stacks with counts, captured concurrently after a brief stop to count), folded
/// so that each stack's width is its goroutine count and the widths add up to the total.
fn record_goroutines(args: &RecordArgs, pid: i32) -> Result<(), CliError> {
    // Both destinations are checked and opened (unnamed) before the endpoint is asked.
    let folded_file = folded_path(&args.output);
    let existing = Existing::replace_if(args.force);
    let svg_out = NewFile::create(&args.output, existing, SHARED)?;
    let folded_out = NewFile::create(&folded_file, existing, SHARED)?;
    let upid = u32::try_from(pid).map_err(|_| CliError::new(ExitCode::Usage, "bad PID"))?;
    let request = DumpRequest {
        method: Method::Pprof,
        pprof_url: args.pprof.clone(),
        go_debug: GoDebug::One,
        ..DumpRequest::default()
    };
    let dump = crate::runtimes::dump(upid, &request).map_err(super::dump::to_cli_error)?;
    let Detail::Go(goroutines) = &dump.detail else {
        return Err(CliError::new(
            ExitCode::Internal,
            "the pprof endpoint answered with something other than goroutines",
        ));
    };
    let mut folded = FoldedStacks::new();
    for (frames, count) in goroutines.folded_stacks() {
        let stack = if frames.is_empty() {
            "[no frames]".to_string()
        } else {
            frames
                .iter()
                .rev()
                .map(|f| crate::safe_text::folded_frame(f))
                .collect::<Vec<_>>()
                .join(";")
        };
        folded.add_folded(&stack, count);
    }
    safe_file::write_into(folded_out, folded.to_text().as_bytes())?;
    write_svg(
        &folded,
        &format!("healthtop record --goroutines -p {pid} (widths: goroutines)"),
        svg_out,
    )?;
    println!(
        "goroutines of PID {pid}: {} in {} distinct stacks (the profile says total {})",
        folded.total(),
        goroutines.groups.len(),
        dump.total.map_or("-".to_string(), |t| t.to_string())
    );
    for note in &dump.notes {
        eprintln!("healthtop: note: {}", crate::safe_text::line(note));
    }
    println!(
        "wrote {} and {}",
        args.output.display(),
        folded_file.display()
    );
    Ok(())
}

/// Sleeps until `deadline` in short steps; returns a stop signal if one arrives.
fn wait_until(deadline: Instant, signals: &StopSignals) -> Option<i32> {
    loop {
        if let Some(signal) = signals.pending() {
            return Some(signal);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_nearest_rank() {
        let mut stats = StopStats::default();
        stats.add(&(1..=100).map(Duration::from_micros).collect::<Vec<_>>());
        assert_eq!(stats.quantile(0.5), Some(Duration::from_micros(50)));
        assert_eq!(stats.quantile(0.99), Some(Duration::from_micros(99)));
        assert_eq!(StopStats::default().quantile(0.5), None);
    }

    #[test]
    fn default_rate_follows_the_stop_time() {
        // 50 µs stops: 1% budget allows 200 Hz, capped at 50.
        assert_eq!(
            default_hz(Duration::from_micros(50), Duration::from_millis(1)),
            50
        );
        // 1 ms stops: 10 Hz.
        assert_eq!(
            default_hz(Duration::from_millis(1), Duration::from_millis(1)),
            10
        );
        // A 100 ms round (1000 threads): 2 Hz.
        assert_eq!(
            default_hz(Duration::from_micros(50), Duration::from_millis(100)),
            2
        );
        // Never below 1 Hz.
        assert_eq!(
            default_hz(Duration::from_secs(1), Duration::from_secs(1)),
            1
        );
    }

    #[test]
    fn folded_file_sits_beside_the_svg() {
        assert_eq!(
            folded_path(Path::new("/tmp/flame.svg")),
            Path::new("/tmp/flame.folded")
        );
    }
}
