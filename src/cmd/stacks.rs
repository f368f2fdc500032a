//! `healthtop stacks -p PID [--json]`: every thread's native stack, once, like eu-stack.

use super::parse_pid;
use crate::cli::StacksArgs;
use crate::exit::{CliError, ExitCode};
use crate::stacks::{capture_all, Capture, CaptureOptions, StacksError, ThreadState};
use serde::Serialize;
use std::fmt::Write as _;

impl From<StacksError> for CliError {
    fn from(error: StacksError) -> Self {
        let code = match &error {
            StacksError::NoSuchProcess { .. } => ExitCode::NoSuchProcess,
            StacksError::PermissionDenied { .. } => ExitCode::PermissionDenied,
            StacksError::KernelThread { .. }
            | StacksError::Zombie { .. }
            | StacksError::ThreadOfProcess { .. } => ExitCode::NotWatchable,
            StacksError::SelfTarget { .. } => ExitCode::Usage,
            StacksError::Io { .. }
            | StacksError::Parse { .. }
            | StacksError::Ptrace { .. }
            | StacksError::Tracer(_)
            | StacksError::Write { .. } => ExitCode::Internal,
        };
        CliError::new(code, error.to_string())
    }
}

pub fn run(args: &StacksArgs) -> Result<(), CliError> {
    let pid = parse_pid(&args.pid)?;
    // Ctrl-C during the capture must not cut it short between a stop and its detach.
    let _signals = crate::stacks::signals::StopSignals::install()
        .map_err(|e| CliError::new(ExitCode::Internal, format!("cannot block signals: {e}")))?;
    if args.jvm_perfmap {
        request_jvm_perf_map(pid);
    }
    let capture = capture_all(pid, &CaptureOptions::default())?;
    let output = if args.json {
        to_json(&capture)?
    } else {
        to_text(&capture)
    };
    for note in &capture.notes {
        eprintln!("healthtop: note: {note}");
    }
    super::write_stdout(&output)?;
    check_left_stopped(&capture)
}

/// `--jvm-perfmap`: asks the JVM to write its perf map; a failure is a note, not an error
/// (the stacks are still worth having, with `[jit]` frames).
pub fn request_jvm_perf_map(pid: i32) {
    let Ok(upid) = u32::try_from(pid) else {
        return;
    };
    let result = crate::runtimes::target::Target::open(upid).and_then(|target| {
        crate::runtimes::jvm::write_perf_map(&target, std::time::Duration::from_secs(10))
    });
    if let Err(error) = result {
        eprintln!("healthtop: note: no perf map from the JVM: {error}");
    }
}

/// Fails loudly if the capture left a thread stopped (never expected).
pub fn check_left_stopped(capture: &Capture) -> Result<(), CliError> {
    if capture.left_stopped.is_empty() {
        return Ok(());
    }
    Err(CliError::new(
        ExitCode::Internal,
        format!(
            "threads {:?} of PID {} are stopped after the capture and were not before; resume them with `kill -CONT {}` and report this bug",
            capture.left_stopped, capture.pid, capture.pid
        ),
    ))
}

/// eu-stack's layout: `TID n (name):` then `#i  0xADDRESS function - module` per frame,
/// innermost first, with the source line under a frame when DWARF knows it.
pub fn to_text(capture: &Capture) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "PID {}", capture.pid);
    for thread in &capture.threads {
        let _ = write!(text, "TID {} ({}):", thread.tid, thread.name);
        match &thread.state {
            ThreadState::Captured { .. } | ThreadState::Reused => text.push('\n'),
            ThreadState::Uninterruptible { wchan } => {
                let _ = writeln!(
                    text,
                    " not stopped: in uninterruptible sleep (D) in {}",
                    wchan.as_deref().unwrap_or("the kernel")
                );
                continue;
            }
            ThreadState::Gone => {
                text.push_str(" exited during the capture\n");
                continue;
            }
            ThreadState::TimedOut => {
                text.push_str(" did not stop in time; released untouched\n");
                continue;
            }
            ThreadState::Failed(why) => {
                let _ = writeln!(text, " {why}");
                continue;
            }
        }
        for (index, frame) in thread.frames.iter().enumerate() {
            let _ = write!(
                text,
                "#{index:<2} {:#018x} {}",
                frame.address,
                frame.function.as_deref().unwrap_or("??")
            );
            if let Some(module) = &frame.module {
                let _ = write!(text, " - {module}");
            }
            if frame.inlined {
                text.push_str(" (inlined)");
            }
            text.push('\n');
            if let (Some(file), Some(line)) = (&frame.file, frame.line) {
                let _ = writeln!(text, "    {file}:{line}");
            }
        }
        if thread.truncated {
            text.push_str("    (stack truncated)\n");
        }
    }
    text
}

#[derive(Serialize)]
struct JsonCapture<'a> {
    threads: Vec<JsonThread<'a>>,
}

#[derive(Serialize)]
struct JsonThread<'a> {
    tid: i32,
    name: &'a str,
    /// The unwinder stopped before the outermost frame.
    truncated: bool,
    frames: Vec<JsonFrame<'a>>,
}

#[derive(Serialize)]
struct JsonFrame<'a> {
    function: Option<&'a str>,
    module: Option<&'a str>,
    /// Hex text: a 64-bit address does not fit a JSON number exactly.
    address: String,
    file: Option<&'a str>,
    line: Option<u32>,
}

/// `{"threads":[{"tid","name","truncated","frames":[{"function","module","address","file","line"}]}]}`,
/// innermost frame first.
pub fn to_json(capture: &Capture) -> Result<String, CliError> {
    let json = JsonCapture {
        threads: capture
            .threads
            .iter()
            .map(|t| JsonThread {
                tid: t.tid,
                name: &t.name,
                truncated: t.truncated,
                frames: t
                    .frames
                    .iter()
                    .map(|f| JsonFrame {
                        function: f.function.as_deref(),
                        module: f.module.as_deref(),
                        address: format!("{:#x}", f.address),
                        file: f.file.as_deref(),
                        line: f.line,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string(&json)
        .map_err(|e| CliError::new(ExitCode::Internal, format!("cannot encode JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}
