//! The imperative shell around the TUI: the only code with tokio, the terminal, channels and
//! signals. It turns terminal events, samples and signals into [`Msg`]s, feeds them to
//! `app::update`, performs the [`Effect`]s, and draws with `view::render` when something
//! changed (or once a second, for ages like "3s ago").
//!
//! Collection runs in `spawn_blocking` on its own task, so a slow `/proc` read never blocks
//! keys or drawing. The terminal is restored on every exit path: quit keys, SIGTERM, SIGHUP,
//! SIGINT, errors (a guard's `Drop`) and panics (a hook).
//!
//! The bundle key's write runs here too (`spawn_blocking`: it copies `/proc` files), and
//! `healthtop view` runs the same loop with no collector at all. The picker runs it with a
//! scanner instead of a collector ([`scanner`]); Enter there, or on a relative in the Family
//! view, swaps the source for a collector of that process (and Esc back).
//!
//! Stack sampling runs on a thread of its own that owns the ptrace session ([`tracer`]), only
//! while the model wants stacks; dump requests run in `spawn_blocking` ([`dump`]).
//!
//! May import: everything below it (`app`, `view`, `collect`, `bundle`, `keymap`, `stacks`,
//! `runtimes`, `scan`).

mod collector;
mod dump;
mod input;
mod scanner;
mod terminal;
mod tracer;

use crate::app::{self, AppState, Effect, Msg};
use crate::bundle::extras::{dump_entries, stack_entries};
use crate::bundle::snapshot::{self, RawCopies, Request};
use crate::bundle::MissingEntry;
use crate::collect::{Collector, DetailWanted, HostRoot};
use crate::config::Config;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use thiserror::Error;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};

/// Why the TUI could not run.
#[derive(Debug, Error)]
pub enum ShellError {
    #[error("cannot set up the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot start the event loop: {0}")]
    Runtime(std::io::Error),
    #[error("cannot install a signal handler: {0}")]
    Signal(std::io::Error),
}

/// How the watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user quit (q, F10, Ctrl-C).
    Quit,
    /// A signal asked healthtop to stop.
    Signal(&'static str),
}

/// Sampling cadence: cheap files every tick, the census and the maps every few ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub interval: Duration,
    /// Census (per-thread and per-fd files) every this many ticks.
    pub census_every: u64,
    /// Memory maps every this many ticks.
    pub maps_every: u64,
}

impl Cadence {
    pub fn new(interval: Duration) -> Cadence {
        Cadence {
            interval,
            census_every: 3,
            maps_every: 10,
        }
    }
}

/// Wall clock in ms since the Unix epoch (the shell is where time enters the model).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Runs the TUI on `collector` until the user quits or a signal arrives.
pub fn run(collector: Collector, cadence: Cadence, config: Config) -> Result<Ending, ShellError> {
    let (pid, _) = collector.identity();
    let state = AppState::with_config(pid, cadence.interval, now_ms(), config);
    block_on(run_async(
        state,
        Some(Start::Watch(Box::new(collector), cadence)),
    ))
}

/// Runs the TUI on the process picker: the host ranked by the nearest limit, scanned every
/// interval; `only` restricts it to the processes a name answered (PIDs, and the name).
pub fn run_picker(
    root: HostRoot,
    cadence: Cadence,
    config: Config,
    only: Option<(Vec<i32>, String)>,
) -> Result<Ending, ShellError> {
    let state = AppState::picking(cadence.interval, now_ms(), config, only);
    block_on(run_async(state, Some(Start::Pick(root, cadence))))
}

/// Runs the TUI on a model already holding a bundle's samples: no collection, no clock, no
/// `/proc` reads; only keys, resizes and signals change what is shown.
pub fn run_bundle(state: AppState) -> Result<Ending, ShellError> {
    block_on(run_async(state, None))
}

fn block_on(
    future: impl std::future::Future<Output = Result<Ending, ShellError>>,
) -> Result<Ending, ShellError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ShellError::Runtime)?;
    runtime.block_on(future)
}

async fn run_async(mut state: AppState, start: Option<Start>) -> Result<Ending, ShellError> {
    let mut sigterm = signal(SignalKind::terminate()).map_err(ShellError::Signal)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(ShellError::Signal)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(ShellError::Signal)?;

    let mut term = terminal::Term::enter().map_err(ShellError::Terminal)?;
    if let Ok(size) = term.size() {
        app::update(
            &mut state,
            Msg::Resize {
                width: size.width,
                height: size.height,
            },
        );
    }

    let (tx, mut rx) = mpsc::channel::<Msg>(64);
    let (control_tx, _) = watch::channel(collector::Control {
        interval: state.interval,
        paused: false,
    });
    let input = input::spawn(tx.clone());
    let steering = collector::Steering {
        control: control_tx,
        detail: watch::channel(DetailWanted::All).0,
    };
    let mut live = start.map(|start| Live::start(start, &state, &steering, &tx));
    if let Some(judge) = state.judge() {
        judge_off_the_ui_thread(judge, tx.clone());
    }
    // A bundle's time is its samples': the wall clock only ages live data.
    let ticking = live.is_some();
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    term.draw(&state);
    let ending = loop {
        let mut effects = Vec::new();
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(msg) => {
                    effects.extend(app::update(&mut state, msg));
                    // Drain what else is queued, then draw once.
                    while let Ok(msg) = rx.try_recv() {
                        effects.extend(app::update(&mut state, msg));
                    }
                }
                None => break Ending::Quit,
            },
            _ = clock.tick(), if ticking => {
                effects.extend(app::update(&mut state, Msg::Tick { now_ms: now_ms() }));
            }
            _ = sigterm.recv() => break Ending::Signal("SIGTERM"),
            _ = sighup.recv() => break Ending::Signal("SIGHUP"),
            _ = sigint.recv() => break Ending::Signal("SIGINT"),
        }
        let mut quit = false;
        for effect in effects {
            let channels = (&steering, &tx, &mut rx);
            quit |= perform(effect, &mut state, &mut live, channels).await;
        }
        if quit {
            break Ending::Quit;
        }
        if let Some(sampler) = live.as_mut().and_then(Live::sampler) {
            sampler.set(app::stacks::wanted(&state));
        }
        let wanted =
            app::rows::detail_wanted(&state).map_or(DetailWanted::All, DetailWanted::Threads);
        steering.detail.send_if_modified(|now| {
            let changed = *now != wanted;
            *now = wanted;
            changed
        });
        term.draw(&state);
    };
    // Nobody reads messages any more: a sampler waiting to send one gives up at once.
    drop(rx);
    if let Some(live) = live {
        live.stop();
    }
    input.stop();
    term.leave();
    Ok(ending)
}

/// Performs one effect of the model; true when it is to quit.
async fn perform(
    effect: Effect,
    state: &mut AppState,
    live: &mut Option<Live>,
    (steering, tx, rx): Channels<'_>,
) -> bool {
    match effect {
        Effect::Quit => return true,
        Effect::SetInterval(interval) => steering.control.send_modify(|c| c.interval = interval),
        Effect::SetPaused(paused) => steering.control.send_modify(|c| c.paused = paused),
        Effect::WriteBundle => match live.as_ref().filter(|l| l.is_watching()) {
            Some(live) => write_bundle(state, live.root.clone(), tx.clone()),
            None => {
                let msg = Msg::BundleWritten(Err("nothing to read from".into()));
                app::update(state, msg);
            }
        },
        Effect::Stacks(app::stacks::StacksEffect::Export { folded, title }) => {
            tracer::export(state.pid, folded, title, tx.clone());
        }
        Effect::Dump(app::dump::DumpEffect::Plan) => dump::plan_for(state.pid, tx.clone()),
        Effect::Dump(app::dump::DumpEffect::Run) => dump::run(state.pid, tx.clone()),
        Effect::Watch { pid, came_from } => {
            if let Some(current) = live.take() {
                *live = Some(
                    current
                        .switch(pid, came_from, state, (steering, tx, rx))
                        .await,
                );
            }
        }
        Effect::Pick => {
            if let Some(current) = live.take() {
                *live = Some(current.pick(state, (steering, tx, rx)));
            }
        }
    }
    false
}

/// How a live session begins.
enum Start {
    /// Watching one process.
    Watch(Box<Collector>, Cadence),
    /// In the picker, scanning the host.
    Pick(HostRoot, Cadence),
}

/// The channels a live session talks through.
type Channels<'a> = (
    &'a collector::Steering,
    &'a mpsc::Sender<Msg>,
    &'a mut mpsc::Receiver<Msg>,
);

/// A live session: where it reads from, and the task that reads.
struct Live {
    root: HostRoot,
    cadence: Cadence,
    source: Source,
}

enum Source {
    /// One process: its collection task and its stack sampler.
    Watching {
        collecting: tokio::task::JoinHandle<()>,
        sampler: tracer::Sampler,
    },
    /// The picker: the host scanned every interval.
    Picking {
        scanning: tokio::task::JoinHandle<()>,
    },
}

impl Live {
    fn start(
        start: Start,
        state: &AppState,
        steering: &collector::Steering,
        tx: &mpsc::Sender<Msg>,
    ) -> Live {
        match start {
            Start::Watch(collector, cadence) => {
                Live::watching(*collector, cadence, state.pid, steering, tx)
            }
            Start::Pick(root, cadence) => Live::picking(root, cadence, state, steering, tx),
        }
    }

    fn watching(
        collector: Collector,
        cadence: Cadence,
        pid: i32,
        steering: &collector::Steering,
        tx: &mpsc::Sender<Msg>,
    ) -> Live {
        let root = collector.root().clone();
        let channels = collector::Channels {
            control: steering.control.subscribe(),
            detail: steering.detail.subscribe(),
            tx: tx.clone(),
        };
        let collecting = tokio::spawn(collector::run(collector, cadence, channels));
        Live {
            root,
            cadence,
            source: Source::Watching {
                collecting,
                sampler: tracer::Sampler::spawn(pid, tx.clone()),
            },
        }
    }

    fn picking(
        root: HostRoot,
        cadence: Cadence,
        state: &AppState,
        steering: &collector::Steering,
        tx: &mpsc::Sender<Msg>,
    ) -> Live {
        let config = state.engine.config().clone();
        let scanning = tokio::spawn(scanner::run(
            root.clone(),
            config,
            steering.control.subscribe(),
            tx.clone(),
        ));
        Live {
            root,
            cadence,
            source: Source::Picking { scanning },
        }
    }

    fn is_watching(&self) -> bool {
        matches!(self.source, Source::Watching { .. })
    }

    fn sampler(&mut self) -> Option<&mut tracer::Sampler> {
        match &mut self.source {
            Source::Watching { sampler, .. } => Some(sampler),
            Source::Picking { .. } => None,
        }
    }

    /// Stops reading (a stack capture under way finishes and detaches first).
    fn stop(self) -> (HostRoot, Cadence) {
        match self.source {
            Source::Watching {
                collecting,
                sampler,
            } => {
                collecting.abort();
                sampler.stop(Duration::from_secs(3));
            }
            Source::Picking { scanning } => scanning.abort(),
        }
        (self.root, self.cadence)
    }

    /// Watches `pid` instead, with a fresh model; if it cannot be watched, goes on as before
    /// and tells the model why.
    async fn switch(
        self,
        pid: i32,
        came_from: Vec<i32>,
        state: &mut AppState,
        (steering, tx, rx): Channels<'_>,
    ) -> Live {
        let root = self.root.clone();
        let opened = tokio::task::spawn_blocking(move || Collector::new(root, pid)).await;
        let collector = match opened {
            Ok(Ok(collector)) => collector,
            Ok(Err(error)) => return self.refused(pid, error.to_string(), state),
            Err(error) => return self.refused(pid, error.to_string(), state),
        };
        let (_, cadence) = self.stop();
        *state = state.switched_to(pid, came_from, now_ms());
        restart(&steering.control, state, rx);
        Live::watching(collector, cadence, pid, steering, tx)
    }

    /// Back to the picker, as it was left.
    fn pick(self, state: &mut AppState, (steering, tx, rx): Channels<'_>) -> Live {
        let (root, cadence) = self.stop();
        *state = state.back_to_picker(now_ms());
        restart(&steering.control, state, rx);
        Live::picking(root, cadence, state, steering, tx)
    }

    fn refused(self, pid: i32, reason: String, state: &mut AppState) -> Live {
        app::update(state, Msg::WatchFailed { pid, reason });
        self
    }
}

/// After a switch: collection runs (not paused) and what the old source had queued is
/// dropped; keys and resizes are kept.
fn restart(
    control: &watch::Sender<collector::Control>,
    state: &mut AppState,
    rx: &mut mpsc::Receiver<Msg>,
) {
    control.send_modify(|c| c.paused = false);
    while let Ok(msg) = rx.try_recv() {
        if matches!(msg, Msg::Key(_) | Msg::Resize { .. }) {
            app::update(state, msg);
        }
    }
}

/// Judges a bundle's history on a thread of its own, sending the results in batches (one
/// every [`JUDGED_BATCH`]) so keys are never queued behind it; stops when the view is gone.
fn judge_off_the_ui_thread(mut judge: app::replay::Judge, tx: mpsc::Sender<Msg>) {
    std::thread::spawn(move || {
        let mut batch = Vec::new();
        let mut since = std::time::Instant::now();
        loop {
            let next = judge.next_judged();
            let done = next.is_none();
            batch.extend(next);
            if done || since.elapsed() >= JUDGED_BATCH {
                if !batch.is_empty()
                    && tx
                        .blocking_send(Msg::Judged(std::mem::take(&mut batch)))
                        .is_err()
                {
                    return;
                }
                since = std::time::Instant::now();
            }
            if done {
                return;
            }
        }
    });
}

/// How often the judging thread reports.
const JUDGED_BATCH: Duration = Duration::from_millis(100);

/// Builds and writes a bundle of the watched target off the UI thread (it copies `/proc`
/// files), into the current directory under a new name; answers with [`Msg::BundleWritten`].
fn write_bundle(state: &AppState, root: HostRoot, tx: mpsc::Sender<Msg>) {
    let source = state.bundle_source();
    let pid = state.pid;
    let at_ms = now_ms();
    let interval = state.interval;
    let config = state.engine.config().clone();
    let raw = match state.raw_copies_unavailable() {
        Some(reason) => RawCopies::Skip { reason },
        None => RawCopies::Copy,
    };
    // What the user sampled in the Stacks view and the last dump they asked for go along.
    let title = format!("healthtop: pid {pid} · {}", state.stacks.mode.label());
    let threads: Vec<_> = state
        .stacks
        .last
        .values()
        .map(|(stack, _)| stack.clone())
        .collect();
    let (mut extras, mut extras_missing) =
        stack_entries(&state.stacks.folded, None, &threads, &title);
    if let Some(Ok(dump)) = &state.dump.result {
        extras.extend(dump_entries(dump));
    } else {
        extras_missing.push(MissingEntry {
            path: "dumps/".into(),
            reason: "no runtime dump was taken in this session (key D)".into(),
        });
    }
    let stack_samples = state.stacks.folded.total();
    let progress_tx = tx.clone();
    tokio::spawn(async move {
        let written = tokio::task::spawn_blocking(move || {
            let exit = source.exit.clone();
            let say = |progress: String| {
                let _ = progress_tx.blocking_send(Msg::BundleProgress(progress));
            };
            let samples = source.samples();
            say(format!(
                "{} samples, {stack_samples} stack samples; reading /proc…",
                samples.len()
            ));
            let span = match (samples.first(), samples.last()) {
                (Some(first), Some(last)) => last
                    .sample
                    .taken_at_ms
                    .saturating_sub(first.sample.taken_at_ms),
                _ => 0,
            };
            let comm = samples
                .last()
                .map_or("", |s| s.sample.identity.comm.as_str());
            let stem = snapshot::default_stem(comm, pid, at_ms);
            let built = snapshot::build(Request {
                root,
                samples,
                exit,
                interval,
                config,
                raw,
                include_env: false,
                duration: Duration::from_millis(span),
                extras,
                extras_missing,
            })
            .map_err(|e| e.to_string())?;
            let bytes: usize = built.entries.iter().map(|e| e.data.len()).sum();
            say(format!(
                "{} files, {bytes} bytes before compression; writing…",
                built.files()
            ));
            let path = built
                .write_new(Path::new("."), &stem)
                .map_err(|e| e.to_string())?;
            let written = std::fs::metadata(&path).map_or(0, |m| m.len());
            Ok::<_, String>(format!(
                "bundle written to {} ({} files, {written} bytes)",
                path.display(),
                built.files()
            ))
        })
        .await;
        let result = match written {
            Ok(result) => result,
            Err(error) => Err(format!("the writer stopped: {error}")),
        };
        let _ = tx.send(Msg::BundleWritten(result)).await;
    });
}
