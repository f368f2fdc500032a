//! Commands: each turns parsed arguments into output, and every failure into a [`CliError`]
//! with a documented exit code.
//!
//! May import: everything below it (collect, report, demo, …).

pub mod bundle;
pub mod completions;
pub mod demo;
pub mod dump;
pub mod record;
pub mod report;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod stacks;
pub mod view;
pub mod watch;

use crate::collect::resolve::{find_by_name, Candidate, MatchKind};
use crate::collect::{CollectError, HostRoot};
use crate::exit::{CliError, ExitCode};
use crate::safe_file::SafeFileError;
use crate::safe_text;

/// Writes a command's whole output to stdout. A closed pipe (`| head`) is the reader's choice,
/// not an error.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(
            ExitCode::Internal,
            format!("cannot write to stdout: {e}"),
        )),
        Ok(()) => Ok(()),
    }
}

/// Writes `value` as pretty JSON and a newline to stdout through one buffer, without first
/// building the whole text (a 10,000-thread report is 16 MB). A closed pipe ends it quietly.
pub fn write_stdout_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::new(
            ExitCode::Internal,
            format!("cannot write the JSON to stdout: {e}"),
        )),
        Ok(()) => Ok(()),
    }
}

/// Validates a PID argument: digits only, more than zero, within `pid_t`.
pub fn parse_pid(text: &str) -> Result<i32, CliError> {
    let trimmed = text.trim();
    let bad = |why: &str| CliError::new(ExitCode::Usage, format!("invalid PID {text:?}: {why}"));
    if trimmed.is_empty() {
        return Err(bad("empty"));
    }
    if trimmed.starts_with('-') {
        return Err(bad("PIDs are positive numbers"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a number"));
    }
    match trimmed.parse::<i32>() {
        Ok(0) => Err(bad("PID 0 is the kernel's idle task, not a process")),
        Ok(pid) => Ok(pid),
        Err(_) => Err(bad("too large to be a PID")),
    }
}

/// What `-p` names: one process, or the several a name answers to.
pub enum Named {
    One(i32),
    /// Every process the name matched, how, and the name.
    Several(Vec<Candidate>, MatchKind, String),
}

/// The processes `-p` names: a PID ([`parse_pid`]'s rules), or a name ([`find_by_name`]).
pub fn named(text: &str) -> Result<Named, CliError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.starts_with('-') || trimmed.bytes().all(|b| b.is_ascii_digit())
    {
        return parse_pid(text).map(Named::One);
    }
    let (candidates, how) = find_by_name(&HostRoot::live(), trimmed)?;
    match candidates.as_slice() {
        [one] => Ok(Named::One(one.pid)),
        [] => Err(CliError::new(
            ExitCode::Usage,
            format!(
                "invalid PID {text:?}: not a number, and no process is named so or has it in its command line"
            ),
        )),
        _ => Ok(Named::Several(candidates, how, trimmed.to_string())),
    }
}

/// The one process `-p` names. A name several processes answer to is a usage error listing
/// them, one per line, to pick a PID from.
pub fn target_pid(text: &str) -> Result<i32, CliError> {
    match named(text)? {
        Named::One(pid) => Ok(pid),
        Named::Several(many, how, name) => {
            let how = match how {
                MatchKind::Exact => "are named",
                MatchKind::CommandLine => "have it in their command line",
            };
            Err(CliError::new(
                ExitCode::Usage,
                format!(
                    "{} processes {how} {name:?}: give one PID with -p",
                    many.len()
                ),
            )
            .with_details(candidate_lines(&many)))
        }
    }
}

/// `PID  COMM  USER  COMMAND LINE` rows, every field escaped.
pub fn candidate_lines(candidates: &[Candidate]) -> Vec<String> {
    let mut lines = vec![format!(
        "{:>8}  {:<16} {:<12} COMMAND",
        "PID", "COMM", "USER"
    )];
    for c in candidates {
        let user = match (&c.user, c.uid) {
            (Some(name), _) => name.clone(),
            (None, Some(uid)) => uid.to_string(),
            (None, None) => "?".to_string(),
        };
        lines.push(format!(
            "{:>8}  {:<16} {:<12} {}",
            c.pid,
            safe_text::line(&c.comm),
            safe_text::line(&user),
            safe_text::line(&cut(&c.cmdline.join(" "), 120))
        ));
    }
    lines
}

/// At most `width` characters of `text`, `…` marking a cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl From<CollectError> for CliError {
    fn from(error: CollectError) -> Self {
        let code = match &error {
            CollectError::NoSuchProcess { .. }
            | CollectError::Gone { .. }
            | CollectError::PidReused { .. } => ExitCode::NoSuchProcess,
            CollectError::PermissionDenied { .. } => ExitCode::PermissionDenied,
            CollectError::KernelThread { .. }
            | CollectError::Zombie { .. }
            | CollectError::NotAProcess { .. } => ExitCode::NotWatchable,
            CollectError::Io { .. } | CollectError::Parse { .. } => ExitCode::Internal,
        };
        CliError::new(code, error.to_string())
    }
}

impl From<crate::bundle::BundleError> for CliError {
    fn from(error: crate::bundle::BundleError) -> Self {
        use crate::bundle::BundleError as E;
        let code = match error {
            E::File(file) => return file.into(),
            E::Write { .. } | E::NoSamples => ExitCode::Internal,
            E::Read { .. }
            | E::Foreign { .. }
            | E::Corrupt { .. }
            | E::UnsupportedSchema { .. } => ExitCode::BadInput,
        };
        CliError::new(code, error.to_string())
    }
}

/// A refused destination exits 7 and says whether `--force` would help (only for an existing
/// regular file); other write failures are internal errors.
impl From<SafeFileError> for CliError {
    fn from(error: SafeFileError) -> Self {
        match &error {
            SafeFileError::Exists { .. } => CliError::new(
                ExitCode::Refused,
                format!("{error} (use --force to replace it)"),
            ),
            refused if refused.is_refusal() => {
                CliError::new(ExitCode::Refused, format!("{error}, not even with --force"))
            }
            _ => CliError::new(ExitCode::Internal, error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_arguments() {
        assert_eq!(parse_pid("42").ok(), Some(42));
        for bad in ["0", "-1", "abc", "", "12x", "99999999999"] {
            let error = parse_pid(bad).expect_err(bad);
            assert_eq!(error.code, ExitCode::Usage, "{bad}");
            assert!(!error.message.contains('\n'));
        }
    }
}
