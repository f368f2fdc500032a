//! Shared by the stacks tests: building real targets (C, Rust, Go), waiting for their threads
//! to park, running healthtop and gdb, and reading the kernel's view of the target.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
#[allow(unused_imports)]
pub use common::{go_build, require_tool, run_healthtop, start_goleak, tool, wait_until, Target};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn healthtop() -> Command {
    Command::new(env!("CARGO_BIN_EXE_healthtop"))
}

pub fn target_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/targets")
        .join(name)
}

/// Compiles `tests/targets/stacks_threads.c` with `flags`.
pub fn build_c(dir: &Path, output: &str, flags: &[&str]) -> PathBuf {
    build_c_target(dir, "stacks_threads.c", output, flags)
}

/// Builds `tests/targets/stacks_threads.c` (`-O2`) into `dir` as `name`, starts it with
/// `args` and waits for its `ready` line.
pub fn start_threads(dir: &Path, name: &str, args: &[&str]) -> Target {
    let mut command = Command::new(build_c(dir, name, &["-O2"]));
    command.args(args);
    Target::start(command, "ready")
}

/// A temp dir for a test that builds C targets; None (skip) without gcc.
pub fn gcc_tempdir() -> Option<tempfile::TempDir> {
    require_tool("gcc").then(|| tempfile::tempdir().expect("tempdir"))
}

/// `healthtop record -p PID --duration D --hz HZ EXTRA… -o SVG`.
pub fn record_command(pid: i32, duration: &str, hz: &str, extra: &[&str], svg: &Path) -> Command {
    let mut command = healthtop();
    command
        .args(["record", "-p", &pid.to_string(), "--duration", duration])
        .args(["--hz", hz])
        .args(extra)
        .arg("-o")
        .arg(svg);
    command
}

/// Runs `record` (see [`record_command`]) to success and checks it left no thread of `pid`
/// stopped; its stdout.
pub fn record_ok(pid: i32, duration: &str, hz: &str, extra: &[&str], svg: &Path) -> String {
    let output = run(record_command(pid, duration, hz, extra, svg));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "record failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_not_stopped(pid);
    stdout
}

/// Sends `kill -SIGNAL pid` and checks it was delivered.
pub fn send_signal(pid: i32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Compiles the C target `tests/targets/<source>` with `flags`.
pub fn build_c_target(dir: &Path, source: &str, output: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(output);
    let status = Command::new("gcc")
        .args(flags)
        .arg("-g")
        .arg("-pthread")
        .arg("-o")
        .arg(&out)
        .arg(target_source(source))
        .status()
        .expect("gcc runs");
    assert!(status.success(), "gcc failed");
    out
}

/// Compiles `tests/targets/stacks_rust.rs` with the rustc that builds these tests.
pub fn build_rust(dir: &Path) -> PathBuf {
    let out = dir.join("stacks_rust");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let status = Command::new(rustc)
        .args(["--edition", "2021", "-C", "opt-level=2", "-g", "-o"])
        .arg(&out)
        .arg(target_source("stacks_rust.rs"))
        .status()
        .expect("rustc runs");
    assert!(status.success(), "rustc failed");
    out
}

/// Builds `tests/targets/stacks_go.go` with the standard library only, offline
/// (`ldflags` `-s -w` strips `.symtab` and DWARF).
pub fn build_go(dir: &Path, ldflags: &str) -> PathBuf {
    build_go_variant(
        dir,
        "stacks_go",
        &GoBuild {
            ldflags,
            ..GoBuild::default()
        },
    )
}

/// How to build the Go stacks target.
#[derive(Default)]
pub struct GoBuild<'a> {
    pub ldflags: &'a str,
    /// Add `tests/targets/stacks_go_cgo.go` (`import "C"`), built with `CGO_ENABLED=1`.
    pub cgo: bool,
    /// `-buildmode=pie`.
    pub pie: bool,
}

/// Builds `tests/targets/stacks_go.go` as `dir/output` the way `build` says, offline.
pub fn build_go_variant(dir: &Path, output: &str, build: &GoBuild) -> PathBuf {
    let out = dir.join(output);
    let mut command = Command::new("go");
    command.args(["build", "-ldflags", build.ldflags]);
    if build.pie {
        command.arg("-buildmode=pie");
    }
    command
        .arg("-o")
        .arg(&out)
        .arg(target_source("stacks_go.go"));
    if build.cgo {
        command.arg(target_source("stacks_go_cgo.go"));
    }
    let status = command
        .env("CGO_ENABLED", if build.cgo { "1" } else { "0" })
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOCACHE", dir.join("gocache"))
        .env("GOPATH", dir.join("gopath"))
        .env("GO111MODULE", "off")
        .status()
        .expect("go runs");
    assert!(status.success(), "go build failed");
    out
}

pub fn tids(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// The state letter of a thread (`S`, `R`, `t`, `T`…).
pub fn thread_state(pid: i32, tid: i32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    text[text.rfind(')')? + 1..].trim().chars().next()
}

pub fn thread_name(pid: i32, tid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The syscall number a blocked thread sits in (`/proc/PID/task/TID/syscall`).
pub fn thread_syscall(pid: i32, tid: i32) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Waits until every thread whose name passes `filter` is blocked in one of `syscalls`.
pub fn wait_parked(pid: i32, filter: impl Fn(&str) -> bool, syscalls: &[i64], count: usize) {
    wait_until("threads parked in their syscall", || {
        let parked = tids(pid)
            .into_iter()
            .filter(|&tid| filter(&thread_name(pid, tid)))
            .filter(|&tid| thread_syscall(pid, tid).is_some_and(|s| syscalls.contains(&s)))
            .count();
        parked >= count
    });
}

/// Asserts no thread of `pid` is stopped (t or T).
pub fn assert_not_stopped(pid: i32) {
    for tid in tids(pid) {
        let state = thread_state(pid, tid);
        assert!(
            !matches!(state, Some('t') | Some('T')),
            "thread {tid} of {pid} left in state {state:?}"
        );
    }
}

pub fn run(mut command: Command) -> Output {
    command.output().expect("command runs")
}

/// `healthtop stacks -p PID --json` run to success, as JSON.
pub fn stacks_json(pid: i32) -> serde_json::Value {
    let output = run({
        let mut c = healthtop();
        c.args(["stacks", "--json", "-p", &pid.to_string()]);
        c
    });
    assert!(
        output.status.success(),
        "healthtop stacks failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stacks --json is JSON")
}

/// `healthtop stacks -p PID --json`, parsed: tid → (name, function names innermost first).
pub fn healthtop_stacks(pid: i32) -> BTreeMap<i32, (String, Vec<String>)> {
    let json = stacks_json(pid);
    let mut threads = BTreeMap::new();
    for thread in json["threads"].as_array().expect("threads array") {
        let tid = thread["tid"].as_i64().expect("tid") as i32;
        let name = thread["name"].as_str().expect("name").to_string();
        let frames = thread["frames"]
            .as_array()
            .expect("frames")
            .iter()
            .map(|f| {
                for key in ["function", "module", "address", "file", "line"] {
                    assert!(f.get(key).is_some(), "frame lacks {key}: {f}");
                }
                f["function"].as_str().unwrap_or("??").to_string()
            })
            .collect();
        threads.insert(tid, (name, frames));
    }
    threads
}

/// One frame of `healthtop stacks --json`.
#[derive(Debug, Clone)]
pub struct JsonFrame {
    pub address: u64,
    pub function: Option<String>,
    pub module: Option<String>,
}

/// One thread of `healthtop stacks --json`.
#[derive(Debug, Clone)]
pub struct JsonThread {
    pub tid: i32,
    pub name: String,
    pub truncated: bool,
    pub frames: Vec<JsonFrame>,
}

/// `healthtop stacks -p PID --json`, every field the tests compare.
pub fn healthtop_stacks_json(pid: i32) -> Vec<JsonThread> {
    let json = stacks_json(pid);
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    json["threads"]
        .as_array()
        .expect("threads array")
        .iter()
        .map(|t| JsonThread {
            tid: t["tid"].as_i64().expect("tid") as i32,
            name: text(&t["name"]).expect("name"),
            truncated: t["truncated"].as_bool().expect("truncated"),
            frames: t["frames"]
                .as_array()
                .expect("frames")
                .iter()
                .map(|f| JsonFrame {
                    address: u64::from_str_radix(
                        f["address"]
                            .as_str()
                            .and_then(|a| a.strip_prefix("0x"))
                            .expect("hex address"),
                        16,
                    )
                    .expect("hex address"),
                    function: text(&f["function"]),
                    module: text(&f["module"]),
                })
                .collect(),
        })
        .collect()
}

/// `gdb -p PID -batch -ex "thread apply all bt"`: every thread's backtrace, as gdb prints it.
pub fn gdb_backtrace_command(pid: i32) -> Command {
    let mut command = Command::new("gdb");
    command.args([
        "-p",
        &pid.to_string(),
        "-batch",
        "-nx",
        "-ex",
        "set pagination off",
        "-ex",
        "thread apply all bt",
    ]);
    command
}

/// `gdb -p PID -batch -ex "thread apply all bt"`, parsed: tid → function names, innermost first.
pub fn gdb_stacks(pid: i32) -> BTreeMap<i32, Vec<String>> {
    let output = run(gdb_backtrace_command(pid));
    parse_gdb(&String::from_utf8_lossy(&output.stdout))
}

pub fn parse_gdb(text: &str) -> BTreeMap<i32, Vec<String>> {
    let mut threads = BTreeMap::new();
    let mut current: Option<i32> = None;
    for line in text.lines() {
        if line.starts_with("Thread ") {
            current = line
                .split("LWP ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|digits| digits.parse().ok());
            if let Some(tid) = current {
                threads.insert(tid, Vec::new());
            }
            continue;
        }
        let (Some(tid), Some(rest)) = (current, line.strip_prefix('#')) else {
            continue;
        };
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
        let rest = match rest.strip_prefix("0x") {
            Some(_) => rest.split_once(" in ").map_or(rest, |(_, f)| f),
            None => rest,
        };
        let function = rest.split(" (").next().unwrap_or(rest).to_string();
        if let Some(frames) = threads.get_mut(&tid) {
            frames.push(function);
        }
    }
    threads
}

/// The frames of `frames` that are in `known`, in order.
pub fn known_subsequence(frames: &[String], known: &[&str]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| known.contains(&f.as_str()))
        .cloned()
        .collect()
}
