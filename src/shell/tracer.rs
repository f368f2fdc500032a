//! Stack sampling for the TUI on a dedicated OS thread that owns the [`Stacker`] (and through
//! it the ptrace tracer thread), so the UI never waits on ptrace. It samples only while the
//! model wants it (`app::stacks::wanted`): continuously at `SAMPLE_HZ` while the Stacks view
//! is open — slower when the stop budget demands it (each thread stopped at most 1% of the time,
//! a capture at most 25% of the interval), which the view shows — once for a drilled-into
//! thread; otherwise it stops nothing and just waits. After a pause the CPU baselines start
//! over, so the on-CPU graph never weighs a stack with CPU time used while sampling was off.
//!
//! May import: `stacks`, `app` (messages).

use crate::app::stacks::{Sampling, StacksMsg, SAMPLE_HZ};
use crate::app::Msg;
use crate::safe_file::{self, Existing, NewFile, SHARED};
use crate::stacks::{sustainable_interval, CaptureOptions, Stacker};
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Sender;

/// The running sampler: tell it what is wanted; stop it on the way out.
pub struct Sampler {
    want: mpsc::Sender<Sampling>,
    ended: mpsc::Receiver<()>,
    current: Sampling,
}

impl Sampler {
    pub fn spawn(pid: i32, out: Sender<Msg>) -> Sampler {
        let (want, wanted) = mpsc::channel();
        let (end_tx, ended) = mpsc::channel();
        let report = out.clone();
        let spawned = std::thread::Builder::new()
            .name("stack-sampler".into())
            .spawn(move || {
                run(pid, &wanted, &out);
                let _ = end_tx.send(());
            });
        if let Err(error) = spawned {
            // No thread, no sampling: the view says why.
            let reason = format!("cannot start the sampling thread: {error}");
            let _ = report.try_send(Msg::Stacks(StacksMsg::Failed(reason)));
        }
        Sampler {
            want,
            ended,
            current: Sampling::Off,
        }
    }

    /// Passes on a change of what the model wants.
    pub fn set(&mut self, wanted: Sampling) {
        if wanted != self.current {
            self.current = wanted;
            let _ = self.want.send(wanted);
        }
    }

    /// Ends the thread (a capture under way finishes first and detaches every thread) and
    /// waits for it, at most `bound`.
    pub fn stop(self, bound: Duration) {
        drop(self.want);
        let _ = self.ended.recv_timeout(bound);
    }
}

fn run(pid: i32, wanted: &mpsc::Receiver<Sampling>, out: &Sender<Msg>) {
    let period = Duration::from_millis(1000 / u64::from(SAMPLE_HZ.max(1)));
    let options = CaptureOptions {
        skip_idle: true,
        ..CaptureOptions::default()
    };
    let mut stacker: Option<Stacker> = None;
    let mut want = Sampling::Off;
    // Lowered when a capture stops threads too long or takes too long for `SAMPLE_HZ`.
    let mut interval = period;
    let mut median_stop = Duration::ZERO;
    loop {
        if want == Sampling::Off {
            match wanted.recv() {
                Ok(next) => want = next,
                Err(_) => return,
            }
            // The CPU used while nobody looked belongs to no stack the next capture sees: the
            // baseline is taken again now.
            if let Some(session) = stacker.as_mut() {
                session.restart_cpu_accounting();
            }
            continue;
        }
        loop {
            match wanted.try_recv() {
                Ok(next) => want = next,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        if want == Sampling::Off {
            continue;
        }
        let started = Instant::now();
        let session = match stacker.take() {
            Some(session) => Ok(session),
            None => Stacker::new(pid).map(|mut session| {
                session.restart_cpu_accounting();
                session
            }),
        };
        let msg = match session {
            Ok(mut session) => {
                let result = session.capture(&options);
                match result {
                    Ok(capture) => {
                        stacker = Some(session);
                        let round = started.elapsed();
                        let mut stops = capture.stop_times.clone();
                        stops.sort_unstable();
                        // All threads idle (none stopped): the last median still holds.
                        if let Some(median) = stops.get(stops.len() / 2) {
                            median_stop = *median;
                        }
                        interval = sustainable_interval(median_stop, round, period);
                        StacksMsg::Captured {
                            capture: Box::new(capture),
                            at_ms: super::now_ms(),
                            round,
                            interval,
                        }
                    }
                    Err(error) => StacksMsg::Failed(error.to_string()),
                }
            }
            Err(error) => StacksMsg::Failed(error.to_string()),
        };
        let failed = matches!(msg, StacksMsg::Failed(_));
        if out.blocking_send(Msg::Stacks(msg)).is_err() {
            return;
        }
        if failed || matches!(want, Sampling::Once(_)) {
            want = Sampling::Off;
            continue;
        }
        match wanted.recv_timeout(interval.saturating_sub(started.elapsed())) {
            Ok(next) => want = next,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Writes `folded` as `healthtop-stacks-PID-SECS.svg` (inferno) and `.folded` in the current
/// directory, off the UI thread; answers with where they went.
pub fn export(
    pid: i32,
    folded: crate::stacks::folded::FoldedStacks,
    title: String,
    tx: Sender<Msg>,
) {
    let stem = format!("healthtop-stacks-{pid}-{}", super::now_ms() / 1000);
    tokio::spawn(async move {
        let written = tokio::task::spawn_blocking(move || {
            let svg = std::path::PathBuf::from(format!("{stem}.svg"));
            let text = std::path::PathBuf::from(format!("{stem}.folded"));
            // Both names are checked before either is written.
            let create =
                |path| NewFile::create(path, Existing::Refuse, SHARED).map_err(|e| e.to_string());
            let (svg_out, text_out) = (create(&svg)?, create(&text)?);
            crate::stacks::flamegraph::write_svg(&folded, &title, svg_out)
                .map_err(|e| e.to_string())?;
            safe_file::write_into(text_out, folded.to_text().as_bytes())
                .map_err(|e| e.to_string())?;
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".to_string());
            Ok::<_, String>(format!(
                "flame graph written to {cwd}/{} and {}",
                svg.display(),
                text.display()
            ))
        })
        .await
        .unwrap_or_else(|e| Err(format!("the writer stopped: {e}")));
        let _ = tx.send(Msg::Stacks(StacksMsg::Exported(written))).await;
    });
}
