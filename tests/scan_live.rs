//! `healthtop scan` and `-p NAME` against real processes: the one nearest its RLIMIT_NOFILE is
//! ranked first with the kernel's figures; an unreadable process is listed with the reason; a
//! unique name resolves to its PID and an ambiguous one lists the candidates and exits 2.

mod live_support;

use live_support::{healthtop, require_tool, Target};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const USAGE: i32 = 2;

fn scan_json(command: &mut Command) -> Value {
    let output = command.args(["scan", "--json"]).output().expect("runs");
    assert!(
        output.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["schema"], "healthtop.scan/1");
    json
}

fn entry(json: &Value, pid: i32) -> &Value {
    json["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not listed"))
}

/// A shell that opens `extra` more descriptors under a soft RLIMIT_NOFILE of `limit`, then
/// sleeps as `sleep` (which keeps them).
fn holder(limit: u32, extra: u32) -> Target {
    let mut command = Command::new("bash");
    command.args([
        "-c",
        &format!(
            "ulimit -n {limit}; for i in $(seq {extra}); do exec {{fd}}</dev/null; done; echo ready; exec sleep 1000"
        ),
    ]);
    Target::start(command, "ready")
}

fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd dir")
        .count()
}

#[test]
fn the_process_at_90_percent_of_its_nofile_limit_is_ranked_first() {
    let ordinary: Vec<Target> = (0..3).map(|_| holder(1024, 5)).collect();
    let target = holder(100, 87);
    let fds = open_fds(target.pid());
    assert!((88..100).contains(&fds), "{fds} fds open");
    let json = scan_json(&mut healthtop());
    let processes = json["processes"].as_array().expect("processes");
    let rank = processes
        .iter()
        .position(|p| p["pid"] == target.pid())
        .expect("the target is listed");
    let worst = &processes[rank]["worst"];
    // First, unless something else on this shared host is even nearer a limit (a test
    // target at EMFILE elsewhere): only such a process may come before it.
    let ahead = &processes[..rank];
    assert!(
        ahead
            .iter()
            .all(|p| p["worst"]["ratio"].as_f64() >= worst["ratio"].as_f64()),
        "ranked {rank}, behind {ahead:?}"
    );
    assert_eq!(worst["resource"], "fds");
    assert_eq!(worst["limit_name"], "RLIMIT_NOFILE");
    assert_eq!(worst["used"].as_f64(), Some(fds as f64));
    assert_eq!(worst["limit"].as_f64(), Some(100.0));
    assert_eq!(worst["ratio"].as_f64(), Some(fds as f64 / 100.0));
    for other in &ordinary {
        let ratio = entry(&json, other.pid())["worst"]["ratio"].as_f64();
        assert!(ratio < worst["ratio"].as_f64(), "{ratio:?}");
    }
    // Kernel threads are left out: kthreadd (PID 2) is one.
    assert!(processes.iter().all(|p| p["pid"] != 2));
    // Ranked worst first.
    let ratios: Vec<f64> = processes
        .iter()
        .filter_map(|p| p["worst"]["ratio"].as_f64())
        .collect();
    assert!(ratios.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn a_process_the_scanner_may_not_read_is_listed_with_the_reason() {
    if !nix::unistd::geteuid().is_root() || !require_tool("setpriv") {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    let root_owned = holder(1024, 1);
    let mut as_nobody = Command::new("setpriv");
    as_nobody.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        env!("CARGO_BIN_EXE_healthtop"),
    ]);
    let json = scan_json(&mut as_nobody);
    let listed = entry(&json, root_owned.pid());
    let error = listed["error"].as_str().expect("an error says why");
    assert!(error.contains("fds: permission denied reading"), "{listed}");
    let fds = listed["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["resource"] == "fds")
        .expect("fds");
    assert_eq!(fds["used"], Value::Null, "never a made-up zero");
    assert!(fds["reason"]
        .as_str()
        .is_some_and(|r| r.contains("permission denied")));
    // What it could read is still ranked.
    assert_eq!(listed["comm"], "sleep");
    assert!(listed["worst"]["ratio"].as_f64().is_some(), "{listed}");
}

/// A copy of `sleep` named `name`, so its comm and executable are that name.
fn named_sleeper(dir: &Path, name: &str) -> Target {
    let binary = dir.join(name);
    if !binary.exists() {
        std::fs::copy("/bin/sleep", &binary).expect("copy sleep");
    }
    let mut command = Command::new("sh");
    command.args(["-c", &format!("echo ready; exec {} 1000", binary.display())]);
    Target::start(command, "ready")
}

fn report(name: &str) -> Output {
    healthtop()
        .args(["report", "-p", name, "--json"])
        .output()
        .expect("runs")
}

#[test]
fn a_unique_name_is_its_pid_and_an_ambiguous_one_lists_the_candidates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("hts{}", std::process::id());
    let first = named_sleeper(dir.path(), &name);
    let output = report(&name);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["pid"], first.pid());

    let second = named_sleeper(dir.path(), &name);
    let output = report(&name);
    assert_eq!(output.status.code(), Some(USAGE));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines[0].starts_with("healthtop: 2 processes are named"),
        "{stderr}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("healthtop:")).count(),
        1
    );
    for pid in [first.pid(), second.pid()] {
        let row = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
            .unwrap_or_else(|| panic!("{pid} not listed: {stderr}"));
        assert!(
            row.contains(&name) && row.contains("root") && row.contains("1000"),
            "{row}"
        );
    }
    // A name no process has is a usage error, like a PID that is not a number.
    let output = report(&format!("{name}-none"));
    assert_eq!(output.status.code(), Some(USAGE));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no process is named"));
}
