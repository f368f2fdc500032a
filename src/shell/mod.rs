//! The imperative shell around the TUI: the only code with tokio, the terminal, channels and
//! signals. It turns terminal events, samples and signals into [`Msg`]s, feeds them to
//! `app::update`, performs the [`Effect`]s, and draws with `view::render` when something
//! changed (or once a second, for ages like "3s ago").
//!
//! Collection runs in `spawn_blocking` on its own task, so a slow `/proc` read never blocks
//! keys or drawing. The terminal is restored on every exit path: quit keys, SIGTERM, SIGHUP,
//! SIGINT, errors (a guard's `Drop`) and panics (a hook).
//!
//! May import: everything below it (`app`, `view`, `collect`, `keymap`).

mod collector;
mod exit_status;
mod input;
mod terminal;

use crate::app::{self, AppState, Effect, Msg};
use crate::collect::Collector;
use crate::config::Config;
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ShellError::Runtime)?;
    runtime.block_on(run_async(collector, cadence, config))
}

async fn run_async(
    collector: Collector,
    cadence: Cadence,
    config: Config,
) -> Result<Ending, ShellError> {
    let mut sigterm = signal(SignalKind::terminate()).map_err(ShellError::Signal)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(ShellError::Signal)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(ShellError::Signal)?;

    let (pid, _) = collector.identity();
    let mut state = AppState::with_config(pid, cadence.interval, now_ms(), config);
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
    let (control_tx, control_rx) = watch::channel(collector::Control {
        interval: cadence.interval,
        paused: false,
    });
    let input = input::spawn(tx.clone());
    let collecting = tokio::spawn(collector::run(collector, cadence, control_rx, tx));
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
            _ = clock.tick() => {
                effects.extend(app::update(&mut state, Msg::Tick { now_ms: now_ms() }));
            }
            _ = sigterm.recv() => break Ending::Signal("SIGTERM"),
            _ = sighup.recv() => break Ending::Signal("SIGHUP"),
            _ = sigint.recv() => break Ending::Signal("SIGINT"),
        }
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Quit => quit = true,
                Effect::SetInterval(interval) => {
                    control_tx.send_modify(|c| c.interval = interval);
                }
                Effect::SetPaused(paused) => control_tx.send_modify(|c| c.paused = paused),
            }
        }
        if quit {
            break Ending::Quit;
        }
        term.draw(&state);
    };
    collecting.abort();
    input.stop();
    term.leave();
    Ok(ending)
}
