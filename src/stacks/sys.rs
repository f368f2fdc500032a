//! The raw ptrace and wait calls that `nix` cannot express: waiting with the raw status word
//! (nix's `Signal` has no real-time signals, so a real-time signal-delivery-stop would be
//! consumed and lost) and detaching with a raw signal number (to re-inject such a signal).
//!
//! The only `unsafe` of stack capture (healthtop's other `unsafe` blocks: the file-permission
//! syscalls of `safe_file` and the demo target's deliberate misbehaviour in `demo::target`).
//! Imports nothing from the crate.
#![allow(unsafe_code)]

use nix::errno::Errno;

/// `PTRACE_EVENT_STOP` from `<linux/ptrace.h>`: the stop of `PTRACE_INTERRUPT` and group-stops
/// of seized tracees.
pub const PTRACE_EVENT_STOP: i32 = 128;

/// What one `waitpid(tid, __WALL | WNOHANG)` saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitOutcome {
    /// The thread has not changed state yet.
    Running,
    /// `PTRACE_EVENT_STOP` with the stop signal: `SIGTRAP` for our interrupt, a stop signal for
    /// a group-stop (someone else stopped the process).
    EventStop { signal: i32 },
    /// A signal-delivery-stop: `signal` must be re-injected at detach.
    SignalStop { signal: i32 },
    /// Another ptrace event (not requested; treated like an event stop).
    OtherEvent { signal: i32, event: i32 },
    /// The thread exited or was killed.
    Gone,
}

/// `waitpid(tid, __WALL | WNOHANG)`, decoding the raw status word.
pub fn wait_nohang(tid: i32) -> Result<WaitOutcome, Errno> {
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid writes one c_int through a pointer to a live local; no other memory is
    // touched.
    let ret = unsafe { libc::waitpid(tid, &mut status, libc::__WALL | libc::WNOHANG) };
    if ret < 0 {
        return Err(Errno::last());
    }
    if ret == 0 {
        return Ok(WaitOutcome::Running);
    }
    if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
        return Ok(WaitOutcome::Gone);
    }
    if libc::WIFSTOPPED(status) {
        let signal = libc::WSTOPSIG(status);
        let event = status >> 16;
        return Ok(match event {
            0 => WaitOutcome::SignalStop { signal },
            PTRACE_EVENT_STOP => WaitOutcome::EventStop { signal },
            _ => WaitOutcome::OtherEvent { signal, event },
        });
    }
    Ok(WaitOutcome::Running)
}

/// `PTRACE_DETACH` delivering `signal` (0 for none).
pub fn detach(tid: i32, signal: i32) -> Result<(), Errno> {
    // SAFETY: PTRACE_DETACH reads no memory from the caller: addr is ignored and data carries
    // the signal number as an integer.
    let ret = unsafe {
        libc::ptrace(
            libc::PTRACE_DETACH,
            tid,
            std::ptr::null_mut::<libc::c_void>(),
            signal as libc::c_long as *mut libc::c_void,
        )
    };
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}
