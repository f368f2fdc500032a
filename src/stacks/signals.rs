//! Ctrl-C, SIGTERM and SIGHUP during a capture: blocked and read from a signalfd, so they end
//! the sampling loop cleanly (every thread detached) instead of killing healthtop mid-stop.
//! Install before any other thread starts, so every thread inherits the blocked mask.
//!
//! May import: nothing from the crate.

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// A pending stop request from the user or the system.
pub struct StopSignals {
    fd: SignalFd,
}

impl StopSignals {
    /// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and threads it starts later)
    /// and opens a non-blocking signalfd for them.
    pub fn install() -> nix::Result<StopSignals> {
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGINT);
        mask.add(Signal::SIGTERM);
        mask.add(Signal::SIGHUP);
        mask.thread_block()?;
        let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
        Ok(StopSignals { fd })
    }

    /// The signal number if one arrived since the last call.
    pub fn pending(&self) -> Option<i32> {
        match self.fd.read_signal() {
            Ok(Some(info)) => i32::try_from(info.ssi_signo).ok(),
            _ => None,
        }
    }
}
