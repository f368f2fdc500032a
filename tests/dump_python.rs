//! `healthtop dump` on a real Python process (tests/targets/dump_faulthandler.py): the
//! faulthandler dump is taken only when the process catches SIGUSR1 and the user confirmed;
//! otherwise healthtop says what is possible and sends nothing.

mod dump_support;

use dump_support::*;
use std::path::Path;
use std::process::{Command, Stdio};

fn start(python: &Path, stderr_file: &Path, args: &[&str]) -> Target {
    let mut command = Command::new(python);
    command
        .arg(target_source("dump_faulthandler.py"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr_file).expect("stderr file"));
    let mut target = Target::spawn(command);
    assert_eq!(target.read_line(), "ready");
    target
}

#[test]
fn faulthandler_dump_needs_a_registered_signal_and_a_yes() {
    let Some(python) = tool("python3") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let mut target = start(&python, &log, &[]);
    let pid = target.upid().to_string();

    // Not confirmed (stdin is not a terminal): refused, nothing sent.
    let output = healthtop(&["dump", "-p", &pid]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    assert!(stderr(&output).contains("--yes"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&log).expect("log"), "");

    let output = healthtop(&["dump", "-p", &pid, "--yes", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["runtime"], "python");
    assert_eq!(json["method"], "faulthandler");
    let text = json["text"].as_str().expect("text");
    assert!(text.contains("most recent call first"), "{text}");
    assert!(text.contains("in parked_in_python"), "{text}");
    // Truth: the same bytes are what the process wrote to its stderr file.
    assert_eq!(std::fs::read_to_string(&log).expect("log"), text);
    assert!(target.alive());
}

#[test]
fn without_faulthandler_healthtop_says_what_is_possible() {
    let Some(python) = tool("python3") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let mut target = start(&python, &log, &["noregister"]);
    let pid = target.upid().to_string();
    let output = healthtop(&["dump", "-p", &pid, "--method", "python", "--yes"]);
    assert_eq!(output.status.code(), Some(7), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("py-spy dump --pid"), "{message}");
    assert!(message.contains("faulthandler.register"), "{message}");
    assert!(
        target.alive(),
        "SIGUSR1 was sent to a process that does not catch it"
    );
}

/// On a terminal healthtop asks before sending, naming the signal and the process; only "y"
/// sends it. The terminal is a pty from `script` (util-linux), fed the answer on stdin.
#[test]
fn on_a_terminal_healthtop_asks_first() {
    let (Some(python), Some(script)) = (tool("python3"), tool("script")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let mut target = start(&python, &log, &[]);
    let pid = target.upid();
    let ask = |answer: &str| {
        let mut child = Command::new(&script)
            .args(["-q", "-e", "-c"])
            .arg(format!("{} dump -p {pid}", env!("CARGO_BIN_EXE_healthtop")))
            .arg("/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script runs");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), answer.as_bytes())
            .expect("answer");
        child.wait_with_output().expect("script ends")
    };

    let no = ask("n\n");
    let shown = stdout(&no);
    assert_eq!(no.status.code(), Some(7), "{shown}");
    assert!(
        shown.contains(&format!("send SIGUSR1 to Python process {pid}?")),
        "{shown}"
    );
    assert!(shown.contains("nothing sent"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(&log).expect("log"),
        "",
        "sent after a no"
    );

    let yes = ask("y\n");
    let shown = stdout(&yes);
    assert_eq!(yes.status.code(), Some(0), "{shown}");
    assert!(shown.contains("in parked_in_python"), "{shown}");
    assert!(std::fs::read_to_string(&log)
        .expect("log")
        .contains("in parked_in_python"));
    assert!(target.alive());
}
