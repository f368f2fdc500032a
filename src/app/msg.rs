//! What goes into [`super::update`] and what comes out of it.

use crate::sample::Sample;
use crossterm::event::KeyEvent;
use std::time::Duration;

/// Anything that can change the model. Time comes in the message, never from a clock.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A new reading of the target.
    Sample(Box<Sample>),
    /// The clock moved (redraw "ago" figures); nothing else changed.
    Tick {
        now_ms: u64,
    },
    /// The target exited; `how` says how, as far as healthtop can tell.
    TargetExited {
        at_ms: u64,
        how: String,
    },
    /// The PID was reused by another process.
    TargetReplaced {
        at_ms: u64,
    },
    /// A Go target's goroutine count, read from its pprof endpoint (or why not).
    Goroutines {
        at_ms: u64,
        count: Result<u64, String>,
        endpoint: Option<String>,
        /// Set while readings are spaced wider than the tick because they are slow.
        pace: Option<crate::runtimes::go::Pace>,
    },
    /// The goroutine readings' pace changed on a tick that was skipped to stay light.
    GoroutinePace {
        pace: Option<crate::runtimes::go::Pace>,
    },
    /// One reading failed without ending the watch.
    CollectFailed {
        at_ms: u64,
        reason: String,
    },
    /// The bundle asked for by [`Effect::WriteBundle`] was written (`Ok`: what to tell the
    /// user, with the path) or not (`Err`: the one-line reason).
    BundleWritten(Result<String, String>),
    /// How far the bundle being written has come, for the status line.
    BundleProgress(String),
    /// Bundle mode: more of the history judged, in order ([`super::replay::Judge`]).
    Judged(Vec<super::replay::Judged>),
    /// From the stack sampling thread.
    Stacks(super::stacks::StacksMsg),
    /// From a dump request.
    Dump(super::dump::DumpMsg),
    /// The watched process's parent and children, read with the census.
    Family(Box<crate::sample::Family>),
    /// A ranking of the host for the picker.
    Scanned(Box<super::picker::Scanned>),
    /// [`Effect::Watch`] could not start on that process.
    WatchFailed {
        pid: i32,
        reason: String,
    },
}

/// A request from the model to the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    /// Sample at this interval from now on.
    SetInterval(Duration),
    /// Stop (true) or resume (false) collecting.
    SetPaused(bool),
    /// Write a bundle of the target from `AppState::bundle_samples` into the current
    /// directory, off the UI thread; answer with [`Msg::BundleWritten`].
    WriteBundle,
    Stacks(super::stacks::StacksEffect),
    Dump(super::dump::DumpEffect),
    /// Watch `pid` instead (a relative chosen in the Family view, or the one watched before):
    /// the shell starts collection over on it, with `came_from` as the way back. If it cannot
    /// be watched, the model stays as it is and hears why ([`Msg::WatchFailed`]).
    Watch {
        pid: i32,
        came_from: Vec<i32>,
    },
    /// Stop watching and show the picker again (the shell scans the host every interval).
    Pick,
}
