//! Exit codes: part of the command-line contract, documented in the README.
//!
//! Every error that reaches the binary's edge maps to exactly one of these, so scripts can tell
//! "the target is gone" from "you may not look at it" from "healthtop broke".

use std::fmt;

/// A documented process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success.
    Ok = 0,
    /// An unexpected internal error (a bug, or an I/O failure outside the target).
    Internal = 1,
    /// The command line is wrong (clap uses 2 too).
    Usage = 2,
    /// No such process, or it exited while being read.
    NoSuchProcess = 3,
    /// The kernel refused access (permissions, ptrace_scope, a non-dumpable target).
    PermissionDenied = 4,
    /// The PID names something healthtop cannot watch: a kernel thread or a zombie.
    NotWatchable = 5,
    /// A bundle or config file is corrupt, truncated, foreign or invalid.
    BadInput = 6,
    /// Refused to do harm without `--force`: a signal that would kill the target, replacing
    /// an existing file; refused even with it: a link or non-regular file at a destination.
    Refused = 7,
    /// What was asked for does not exist in this target: no pprof endpoint, not a JVM, a JVM
    /// with attach disabled, a signal handler that wrote nothing.
    Unavailable = 8,
    /// `serve` cannot listen: the address is in use, or not an address of this host.
    CannotListen = 9,
}

impl ExitCode {
    /// Every code with its meaning, for `--help` and the README.
    pub const ALL: [(ExitCode, &'static str); 10] = [
        (ExitCode::Ok, "success"),
        (ExitCode::Internal, "internal error"),
        (ExitCode::Usage, "bad command line"),
        (
            ExitCode::NoSuchProcess,
            "no such process, or it exited while being read",
        ),
        (
            ExitCode::PermissionDenied,
            "permission denied by the kernel",
        ),
        (
            ExitCode::NotWatchable,
            "the PID is a kernel thread, a zombie, or a thread of another process",
        ),
        (
            ExitCode::BadInput,
            "a bundle or config file is corrupt, truncated or invalid",
        ),
        (
            ExitCode::Refused,
            "refused: a killing signal or an existing file (without --force), a link (always)",
        ),
        (
            ExitCode::Unavailable,
            "not available: no pprof endpoint, not a JVM, JVM attach disabled, no dump output",
        ),
        (
            ExitCode::CannotListen,
            "serve cannot listen: the address is in use or not on this host",
        ),
    ];

    /// The numeric status handed to the OS.
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// An error at the binary's edge: a one-line message and the exit code that goes with it.
#[derive(Debug)]
pub struct CliError {
    pub code: ExitCode,
    pub message: String,
    /// Lines printed after the one-line message (the candidates of an ambiguous `-p NAME`).
    pub details: Vec<String>,
}

impl CliError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Adds lines to print below the message.
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
