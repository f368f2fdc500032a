//! Shared helpers for the `dump_*` integration tests: find tools (fail loudly in CI, skip with a
//! reason locally), build targets, run children that are killed when the test ends, run
//! healthtop, and a tiny HTTP client independent of healthtop's own.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{archive_members, go_build, start_goleak, tool, wait_until, Target};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The source of a test target under tests/targets/.
pub fn target_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dumps")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a build command, panicking with its output when it fails.
pub fn build(mut command: Command) {
    let output = command.output().expect("build tool runs");
    assert!(
        output.status.success(),
        "build failed: {command:?}\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `healthtop <args>` with stdin closed (never a terminal), captured.
pub fn healthtop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_healthtop"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("healthtop runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs healthtop and parses its stdout as JSON, with its stderr in the panic message.
pub fn healthtop_json(args: &[&str]) -> serde_json::Value {
    let output = healthtop(args);
    assert!(
        output.status.success(),
        "healthtop {args:?} failed ({:?}): {}",
        output.status.code(),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("JSON from {args:?}: {e}: {}", stdout(&output)))
}

/// GET over HTTP/1.1 with `Connection: close`; returns the body of a 200. Written here, not
/// taken from healthtop, so it can serve as an independent truth client.
pub fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("chunk size");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex size");
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// `goroutine profile: total N` of a debug=1 answer.
pub fn profile_total(text: &str) -> u64 {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("goroutine profile: total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total header in {text:?}"))
}

/// `/proc/PID/task/TID/comm` of every task: the kernel's thread table.
pub fn task_comms(pid: u32) -> std::collections::BTreeMap<u32, String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .flatten()
        .filter_map(|e| {
            let tid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            Some((tid, comm.trim_end().to_string()))
        })
        .collect()
}

/// Compiles the Java target `source` (under tests/targets/) into `classes` with `javac`.
pub fn compile_java(javac: &Path, classes: &Path, source: &str) {
    let mut compile = Command::new(javac);
    compile.arg("-d").arg(classes).arg(target_source(source));
    build(compile);
}

/// Starts a Java target with stdin and stdout piped (closing stdin ends it) and waits for its
/// `ready PID` line, PID being the pid of the process started.
pub fn start_java(mut command: Command) -> Target {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut jvm = Target::spawn(command);
    let pid = jvm.upid();
    assert_eq!(jvm.read_line(), format!("ready {pid}"));
    jvm
}
