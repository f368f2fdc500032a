//! `healthtop stacks -p PID [--json]`: every thread's native stack, once, like eu-stack.

use super::target_pid;
use crate::cli::StacksArgs;
use crate::exit::{CliError, ExitCode};
use crate::safe_text::line;
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
            | StacksError::Tracer(_) => ExitCode::Internal,
        };
        CliError::new(code, error.to_string())
    }
}

pub fn run(args: &StacksArgs) -> Result<(), CliError> {
    let pid = target_pid(&args.pid)?;
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
        eprintln!("healthtop: note: {}", line(note));
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
/// innermost first, with the source line under a frame when DWARF knows it. Names come from
/// the target (thread names, its binaries' symbols and paths) and are shown escaped.
pub fn to_text(capture: &Capture) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "PID {}", capture.pid);
    for thread in &capture.threads {
        let _ = write!(text, "TID {} ({}):", thread.tid, line(&thread.name));
        if let Some(note) = not_captured(&thread.state) {
            let _ = writeln!(text, " {}", line(&note));
            continue;
        }
        text.push('\n');
        for (index, frame) in thread.frames.iter().enumerate() {
            let _ = write!(
                text,
                "#{index:<2} {:#018x} {}",
                frame.address,
                line(frame.function.as_deref().unwrap_or("??"))
            );
            if let Some(module) = &frame.module {
                let _ = write!(text, " - {}", line(module));
            }
            if frame.inlined {
                text.push_str(" (inlined)");
            }
            text.push('\n');
            if let (Some(file), Some(line)) = (&frame.file, frame.line) {
                let _ = writeln!(text, "    {}:{line}", self::line(file));
            }
        }
        if thread.truncated {
            text.push_str("    (stack truncated)\n");
        }
    }
    text
}

/// Why a thread has no stack this time, in the same words for text and JSON; `None` when it
/// was captured.
fn not_captured(state: &ThreadState) -> Option<String> {
    match state {
        ThreadState::Captured { .. } | ThreadState::Reused => None,
        ThreadState::Uninterruptible { wchan } => Some(format!(
            "not stopped: in uninterruptible sleep (D) in {}",
            wchan.as_deref().unwrap_or("the kernel")
        )),
        ThreadState::Gone => Some("exited during the capture".to_string()),
        ThreadState::TimedOut => Some("did not stop in time; released untouched".to_string()),
        ThreadState::Failed(why) => Some(why.clone()),
    }
}

#[derive(Serialize)]
struct JsonCapture<'a> {
    threads: Vec<JsonThread<'a>>,
}

#[derive(Serialize)]
struct JsonThread<'a> {
    tid: i32,
    name: &'a str,
    frames: Vec<JsonFrame<'a>>,
    /// The unwind stopped before the outermost frame (the text says `(stack truncated)`).
    truncated: bool,
    /// Why there are no frames (`exited during the capture`); absent when captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_captured: Option<String>,
}

#[derive(Serialize)]
struct JsonFrame<'a> {
    function: Option<&'a str>,
    module: Option<&'a str>,
    /// Hex text: a 64-bit address does not fit a JSON number exactly.
    address: String,
    file: Option<&'a str>,
    line: Option<u32>,
    /// Inlined into its caller: no frame of its own on the machine stack.
    inlined: bool,
}

/// `{"threads":[{"tid","name","truncated","not_captured"?,"frames":[{"function","module",
/// "address","file","line","inlined"}]}]}`, innermost frame first.
pub fn to_json(capture: &Capture) -> Result<String, CliError> {
    let json = JsonCapture {
        threads: capture
            .threads
            .iter()
            .map(|t| JsonThread {
                tid: t.tid,
                name: &t.name,
                frames: t
                    .frames
                    .iter()
                    .map(|f| JsonFrame {
                        function: f.function.as_deref(),
                        module: f.module.as_deref(),
                        address: format!("{:#x}", f.address),
                        file: f.file.as_deref(),
                        line: f.line,
                        inlined: f.inlined,
                    })
                    .collect(),
                truncated: t.truncated,
                not_captured: not_captured(&t.state),
            })
            .collect(),
    };
    let mut text = serde_json::to_string(&json)
        .map_err(|e| CliError::new(ExitCode::Internal, format!("cannot encode JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stacks::{Frame, ThreadStack};

    fn frame(function: &str, inlined: bool) -> Frame {
        Frame {
            address: 0x1000,
            function: Some(function.to_string()),
            module: Some("/bin/x".to_string()),
            file: None,
            line: None,
            inlined,
        }
    }

    #[test]
    fn json_carries_the_inlined_and_truncated_flags_the_text_shows() {
        let capture = Capture {
            pid: 7,
            threads: vec![
                ThreadStack {
                    tid: 7,
                    name: "main".to_string(),
                    frames: vec![frame("inner", true), frame("outer", false)],
                    truncated: true,
                    state: ThreadState::Reused,
                },
                ThreadStack {
                    tid: 8,
                    name: "gone".to_string(),
                    frames: Vec::new(),
                    truncated: false,
                    state: ThreadState::Gone,
                },
            ],
            ..Capture::default()
        };
        let text = to_text(&capture);
        assert!(text.contains("inner - /bin/x (inlined)"), "{text}");
        assert!(text.contains("(stack truncated)"), "{text}");
        assert!(
            text.contains("TID 8 (gone): exited during the capture"),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&to_json(&capture).expect("encodes")).expect("JSON");
        let main = &json["threads"][0];
        assert_eq!(main["truncated"], true);
        assert_eq!(main["frames"][0]["inlined"], true);
        assert_eq!(main["frames"][1]["inlined"], false);
        assert!(main.get("not_captured").is_none());
        assert_eq!(json["threads"][1]["truncated"], false);
        assert_eq!(
            json["threads"][1]["not_captured"],
            "exited during the capture"
        );
    }
}
