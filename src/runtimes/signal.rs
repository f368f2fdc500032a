//! Generic dump by signal: decide whether a signal is safe to send, send it, and read back what
//! the target wrote to its stdout/stderr — only when those are regular files (read from the
//! size before the signal). A pipe or a terminal is never read: that would steal the
//! consumer's data.
//!
//! May import: `decode::signals`, `sample::Runtime`, sibling `target`, the parent's types.

use super::target::{Disposition, Target};
use super::{Detail, Dump, DumpError, DumpMethod, DumpRequest, Runtime};
use crate::decode::signals::signal_name;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What a signal handler wrote, and where it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Captured {
    pub signal: String,
    pub streams: Vec<CapturedStream>,
}

/// The bytes one file-backed stdout/stderr grew by after the signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedStream {
    /// 1 = stdout, 2 = stderr (both when they share one file).
    pub fds: Vec<u32>,
    pub path: PathBuf,
    /// File size before the signal: where the captured text starts.
    pub offset: u64,
    pub bytes: u64,
}

/// What the kernel does with a signal nobody handles (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

/// signal(7) "Standard signals" table; real-time signals terminate.
pub fn default_action(signal: u32) -> DefaultAction {
    match signal {
        3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => DefaultAction::CoreDump,
        17 | 23 | 28 => DefaultAction::Ignore,
        18 => DefaultAction::Continue,
        19..=22 => DefaultAction::Stop,
        _ => DefaultAction::Terminate,
    }
}

/// Signals whose Go default handling ends the program (os/signal "Default behavior of signals
/// in Go programs"): HUP, INT, TERM exit; QUIT, ILL, TRAP, ABRT, STKFLT, SYS exit with a
/// stack dump; BUS, FPE, SEGV sent from outside crash it.
fn go_exits_on(signal: u32) -> bool {
    matches!(signal, 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 11 | 15 | 16 | 31)
}

/// Why sending `signal` would harm the target or do nothing, or `None` when it is safe.
/// Pure: the caller supplies what `/proc` says.
pub fn refusal(signal: u32, runtime: Runtime, disposition: Disposition) -> Option<String> {
    let name = signal_name(signal);
    if matches!(signal, 9 | 19) {
        return Some(format!(
            "{name} cannot be caught: it only kills or stops the process"
        ));
    }
    if runtime == Runtime::Go && go_exits_on(signal) {
        let what = if matches!(signal, 3 | 4 | 5 | 6 | 16 | 31) {
            "prints every goroutine's stack to stderr and exits with status 2"
        } else {
            "exits"
        };
        return Some(format!(
            "this is a Go program: on {name} Go's default handler {what}, and SigCgt cannot show \
             whether the program called signal.Notify for it (the Go runtime catches every \
             signal). Use --method pprof for goroutines, or --force if killing it is acceptable"
        ));
    }
    if disposition.ignored {
        return Some(format!(
            "the process ignores {name}: sending it would do nothing"
        ));
    }
    if !disposition.caught {
        return match default_action(signal) {
            DefaultAction::Terminate | DefaultAction::CoreDump => Some(format!(
                "the process does not catch {name} (SigCgt): its default action would kill it"
            )),
            DefaultAction::Stop => Some(format!(
                "the process does not catch {name}: its default action would stop it"
            )),
            DefaultAction::Ignore | DefaultAction::Continue => Some(format!(
                "the process does not catch {name}: it would do nothing"
            )),
        };
    }
    None
}

/// A regular file behind fd 1 or 2, with its size before the signal.
#[derive(Debug, Clone)]
struct Watched {
    fds: Vec<u32>,
    path: PathBuf,
    proc_path: PathBuf,
    offset: u64,
}

/// `--method signal`: check, send, capture.
pub fn dump(
    target: &Target,
    runtime: Runtime,
    signal: u32,
    request: &DumpRequest,
) -> Result<Dump, DumpError> {
    let disposition = target.disposition(signal)?;
    let mut notes = Vec::new();
    if let Some(reason) = refusal(signal, runtime, disposition) {
        if !request.force {
            return Err(DumpError::Refused { reason });
        }
        notes.push(format!("sent despite: {reason} (--force)"));
    }
    let captured = send_and_capture(target, signal, disposition, request, &mut notes)?;
    Ok(Dump {
        pid: target.pid,
        runtime,
        method: DumpMethod::Signal,
        total: None,
        text: captured.1,
        detail: Detail::Captured(captured.0),
        notes,
    })
}

/// Sends `signal` once safety was decided by the caller, then waits (bounded) for the
/// file-backed stdout/stderr to grow and settle, and returns what was appended.
pub fn send_and_capture(
    target: &Target,
    signal: u32,
    disposition: Disposition,
    request: &DumpRequest,
    notes: &mut Vec<String>,
) -> Result<(Captured, String), DumpError> {
    let name = signal_name(signal);
    let (watched, elsewhere) = watch_outputs(target)?;
    if watched.is_empty() && !request.force {
        return Err(DumpError::Refused {
            reason: format!(
                "its output could not be read back: {}. healthtop reads only regular files (a \
                 pipe or terminal would have its data stolen); --force sends {name} anyway",
                elsewhere.join(", ")
            ),
        });
    }
    if disposition.blocked {
        notes.push(format!(
            "{name} is blocked by the main thread: another thread or a later unblock delivers it"
        ));
    }
    for text in &elsewhere {
        notes.push(format!("not captured: {text}"));
    }
    target.send_signal(signal)?;
    if watched.is_empty() {
        return Ok((
            Captured {
                signal: name,
                streams: Vec::new(),
            },
            String::new(),
        ));
    }
    let sizes = wait_for_output(target, &watched, request.timeout)?;
    let mut streams = Vec::new();
    let mut text = String::new();
    let grown: Vec<(&Watched, u64)> = watched
        .iter()
        .zip(sizes)
        .filter(|(w, size)| *size != w.offset)
        .collect();
    for (w, size) in &grown {
        let (offset, bytes) = if *size < w.offset {
            notes.push(format!(
                "{} shrank (truncated or rotated): read from its start",
                w.path.display()
            ));
            (0, *size)
        } else {
            (w.offset, size - w.offset)
        };
        let chunk = read_range(target, &w.proc_path, offset, bytes)?;
        if grown.len() > 1 {
            text.push_str(&format!("==> {} <==\n", w.path.display()));
        }
        text.push_str(&chunk);
        streams.push(CapturedStream {
            fds: w.fds.clone(),
            path: w.path.clone(),
            offset,
            bytes,
        });
    }
    Ok((
        Captured {
            signal: name,
            streams,
        },
        text,
    ))
}

/// Regular files behind fd 1 and 2 (deduplicated when `2>&1`), and words on the others.
fn watch_outputs(target: &Target) -> Result<(Vec<Watched>, Vec<String>), DumpError> {
    let mut watched: Vec<(Watched, (u64, u64))> = Vec::new();
    let mut elsewhere = Vec::new();
    for fd in [1u32, 2] {
        let label = if fd == 1 { "stdout" } else { "stderr" };
        let link = match target.fd_link(fd) {
            Ok(link) => link,
            Err(DumpError::Io { .. }) => {
                elsewhere.push(format!("{label} is closed"));
                continue;
            }
            Err(other) => return Err(other),
        };
        let proc_path = target.path(&format!("fd/{fd}"));
        let meta = std::fs::metadata(&proc_path)
            .map_err(|e| DumpError::from_proc_io(target.pid, proc_path.clone(), e))?;
        if !meta.is_file() {
            elsewhere.push(format!("{label} is {}", link.display()));
            continue;
        }
        let identity = (meta.dev(), meta.ino());
        if let Some((existing, _)) = watched.iter_mut().find(|(_, id)| *id == identity) {
            existing.fds.push(fd);
            continue;
        }
        watched.push((
            Watched {
                fds: vec![fd],
                path: link,
                proc_path,
                offset: meta.len(),
            },
            identity,
        ));
    }
    Ok((watched.into_iter().map(|(w, _)| w).collect(), elsewhere))
}

/// Polls the sizes until something grew and then stayed still for a quiet period, or the
/// timeout passed. Returns the final sizes.
fn wait_for_output(
    target: &Target,
    watched: &[Watched],
    timeout: Duration,
) -> Result<Vec<u64>, DumpError> {
    const POLL: Duration = Duration::from_millis(10);
    /// A handler that writes in several bursts gets this long between them.
    const QUIET: Duration = Duration::from_millis(300);
    let start = Instant::now();
    let mut last: Vec<u64> = watched.iter().map(|w| w.offset).collect();
    let mut last_change: Option<Instant> = None;
    loop {
        std::thread::sleep(POLL);
        let sizes = watched
            .iter()
            .map(|w| {
                std::fs::metadata(&w.proc_path)
                    .map(|m| m.len())
                    .map_err(|e| DumpError::from_proc_io(target.pid, w.proc_path.clone(), e))
            })
            .collect::<Result<Vec<u64>, DumpError>>()?;
        if sizes != last {
            last = sizes;
            last_change = Some(Instant::now());
        } else if last_change.is_some_and(|at| at.elapsed() >= QUIET) {
            return Ok(last);
        }
        if start.elapsed() >= timeout {
            return match last_change {
                Some(_) => Ok(last),
                None => Err(DumpError::NoOutput { waited: timeout }),
            };
        }
    }
}

/// Reads `bytes` bytes at `offset` of the file behind a `/proc/PID/fd/N` link (capped at
/// 64 MiB); invalid UTF-8 is kept losslessly (`safe_text::from_bytes`), not rejected.
fn read_range(
    target: &Target,
    proc_path: &PathBuf,
    offset: u64,
    bytes: u64,
) -> Result<String, DumpError> {
    const CAP: u64 = 64 << 20;
    let io = |e| DumpError::from_proc_io(target.pid, proc_path.clone(), e);
    let mut file = std::fs::File::open(proc_path).map_err(io)?;
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut buffer = Vec::new();
    file.take(bytes.min(CAP))
        .read_to_end(&mut buffer)
        .map_err(io)?;
    Ok(crate::safe_text::from_bytes(&buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAUGHT: Disposition = Disposition {
        caught: true,
        ignored: false,
        blocked: false,
    };
    const DEFAULT: Disposition = Disposition {
        caught: false,
        ignored: false,
        blocked: false,
    };

    #[test]
    fn go_quit_is_refused_even_though_caught() {
        let reason = refusal(3, Runtime::Go, CAUGHT).expect("refused");
        assert!(reason.contains("exits with status 2"), "{reason}");
        assert_eq!(
            refusal(10, Runtime::Go, CAUGHT),
            None,
            "USR1 is harmless to Go"
        );
    }

    #[test]
    fn uncaught_killers_are_refused_caught_ones_allowed() {
        assert!(refusal(10, Runtime::Native, DEFAULT)
            .expect("refused")
            .contains("kill"));
        assert_eq!(refusal(10, Runtime::Native, CAUGHT), None);
        assert_eq!(refusal(3, Runtime::Jvm, CAUGHT), None);
        assert!(refusal(9, Runtime::Native, CAUGHT).is_some());
        assert!(refusal(20, Runtime::Native, DEFAULT)
            .expect("refused")
            .contains("stop"));
        let ignored = Disposition {
            ignored: true,
            ..DEFAULT
        };
        assert!(refusal(12, Runtime::Native, ignored)
            .expect("refused")
            .contains("ignores"));
    }

    #[test]
    fn default_actions_match_signal_7() {
        assert_eq!(default_action(3), DefaultAction::CoreDump);
        assert_eq!(default_action(10), DefaultAction::Terminate);
        assert_eq!(default_action(17), DefaultAction::Ignore);
        assert_eq!(default_action(20), DefaultAction::Stop);
        assert_eq!(default_action(40), DefaultAction::Terminate);
    }
}
