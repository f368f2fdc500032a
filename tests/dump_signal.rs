//! `healthtop dump --method signal` on a real C program (tests/targets/dump_usr1.c) that
//! writes a dump to its file-backed stderr on SIGUSR1; and the refusals that protect programs
//! that would die or whose output cannot be read back.

mod dump_support;

use dump_support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The text the target writes on SIGUSR1 (kept equal to `DUMP` in dump_usr1.c).
const DUMP: &str = "=== dump_usr1 state dump ===\nworker 1: waiting for job queue\nworker 2: idle\n=== end of dump ===\n";
const EARLIER: &str = "line written before healthtop looked\n";

fn compile(dir: &Path) -> Option<PathBuf> {
    let gcc = tool("gcc")?;
    let binary = dir.join("dump_usr1");
    let mut command = Command::new(gcc);
    command
        .arg("-O1")
        .arg("-o")
        .arg(&binary)
        .arg(target_source("dump_usr1.c"));
    build(command);
    Some(binary)
}

/// Starts the target with stderr appended to `stderr_file` (which already holds `EARLIER`).
fn start(binary: &Path, stderr: Stdio, args: &[&str]) -> Target {
    let mut command = Command::new(binary);
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut target = Target::spawn(command);
    assert_eq!(target.read_line(), "ready");
    target
}

fn append_file(path: &Path) -> std::fs::File {
    std::fs::write(path, EARLIER).expect("seed stderr file");
    std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("stderr file")
}

#[test]
fn usr1_dump_is_captured_from_a_file_backed_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(binary) = compile(dir.path()) else {
        return;
    };
    let log = dir.path().join("stderr.log");
    let mut target = start(&binary, append_file(&log).into(), &[]);
    let pid = target.upid().to_string();

    let output = healthtop(&["dump", "-p", &pid, "--method", "signal", "--signal", "USR1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Exactly what the handler wrote: nothing from before the signal.
    assert_eq!(stdout(&output), DUMP);
    // Truth: the file itself now holds the earlier line followed by the dump.
    assert_eq!(
        std::fs::read_to_string(&log).expect("log"),
        format!("{EARLIER}{DUMP}")
    );

    // JSON: where it came from. `--signal` alone picks the signal method.
    let json = healthtop_json(&["dump", "-p", &pid, "--signal", "SIGUSR1", "--json"]);
    assert_eq!(json["method"], "signal");
    assert_eq!(json["runtime"], "native");
    assert_eq!(json["text"], DUMP);
    let stream = &json["streams"][0];
    assert_eq!(stream["fds"], serde_json::json!([2]));
    assert_eq!(
        stream["offset"].as_u64(),
        Some((EARLIER.len() + DUMP.len()) as u64)
    );
    assert_eq!(stream["bytes"].as_u64(), Some(DUMP.len() as u64));
    assert_eq!(
        stream["path"].as_str().map(PathBuf::from),
        Some(std::fs::canonicalize(&log).expect("canonical"))
    );
    assert!(target.alive());
}

#[test]
fn uncaught_usr1_is_refused_and_the_program_lives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(binary) = compile(dir.path()) else {
        return;
    };
    let log = dir.path().join("stderr.log");
    let mut target = start(&binary, append_file(&log).into(), &["nohandler"]);
    let pid = target.upid().to_string();
    let output = healthtop(&["dump", "-p", &pid, "--signal", "USR1"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not catch SIGUSR1"),
        "{}",
        stderr(&output)
    );
    assert!(target.alive(), "the refused signal was sent anyway");
    // Truth that the refusal mattered: SIGUSR1 does kill it.
    let forced = healthtop(&["dump", "-p", &pid, "--signal", "USR1", "--force"]);
    let status = target.child.wait().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(10),
        "{}",
        stderr(&forced)
    );
}

#[test]
fn output_to_a_pipe_is_not_captured_and_the_signal_not_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(binary) = compile(dir.path()) else {
        return;
    };
    let mut target = start(&binary, Stdio::piped(), &[]);
    let pid = target.upid().to_string();
    let output = healthtop(&["dump", "-p", &pid, "--signal", "USR1"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("stderr is pipe:"),
        "{}",
        stderr(&output)
    );
    // Nothing was sent: the handler would have written into the pipe.
    drop(target.child.stdin.take());
    let status = target.child.wait().expect("wait");
    assert!(status.success());
    let mut written = String::new();
    std::io::Read::read_to_string(target.child.stderr.as_mut().expect("piped"), &mut written)
        .expect("read stderr");
    assert_eq!(written, "", "the signal was delivered");
}
