//! Partial access: healthtop run as `nobody` against a root process. Every value it could not
//! read is `null` with a reason (JSON) or `n/a (reason)` (text, TUI), never a made-up 0 or
//! false; `dump` says permission denied with exit 4, and a zombie is exit 5 for every command.

mod live_support;
mod tmux_support;

use live_support::{healthtop, require_tool, Target};
use std::process::{Command, Output};
use tmux_support::Tmux;

const PERMISSION_DENIED: i32 = 4;
const NOT_WATCHABLE: i32 = 5;

/// Fields whose `null` is a documented value, "no limit", not a missing one.
const NULL_MEANS_UNLIMITED: [&str; 4] = [
    "fds.soft_limit",
    "fds.hard_limit",
    "core.rlimit_bytes",
    "threads.cgroup_pids_max",
];

fn as_nobody() -> Command {
    let mut command = Command::new("setpriv");
    command.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        env!("CARGO_BIN_EXE_healthtop"),
    ]);
    command
}

fn can_run() -> bool {
    if !nix::unistd::geteuid().is_root() || !require_tool("setpriv") {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return false;
    }
    true
}

/// A root process nobody may not ptrace.
fn root_target() -> Target {
    let mut command = Command::new("sh");
    // RLIMIT_CORE 0 makes the core-dumps finding fire, so its evidence is on show too.
    command.args(["-c", "ulimit -c 0; echo ready; exec sleep 1000"]);
    Target::start(command, "ready")
}

fn null_is_unlimited(path: &str) -> bool {
    NULL_MEANS_UNLIMITED.contains(&path)
        || path.starts_with("limits.")
        || path == "memory.cgroup.max_bytes"
        || path == "memory.cgroup.high_bytes"
}

/// Every `null` leaf under `value` with its dotted path.
fn nulls(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    // The headroom model is a judgement over the readings (a null binding is "no limit
    // applies"); its usage is checked against its source field on its own.
    if path == "headroom" {
        return;
    }
    match value {
        serde_json::Value::Null => found.push(path.to_string()),
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                nulls(child, &child_path, found);
            }
        }
        // Findings are judgements, not readings: a finding without an ETA has none to give.
        serde_json::Value::Array(items) if path != "unavailable" && path != "findings" => {
            for item in items {
                nulls(item, &format!("{path}[]"), found);
            }
        }
        _ => {}
    }
}

fn lookup<'a>(json: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.')
        .try_fold(json, |value, key| value.get(key.trim_end_matches("[]")))
}

#[test]
fn report_json_as_nobody_has_no_made_up_zero_and_every_null_says_why() {
    if !can_run() {
        return;
    }
    let target = root_target();
    let output = as_nobody()
        .args(["report", "--json", "-p", &target.pid().to_string()])
        .output()
        .expect("setpriv runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let reasons: Vec<(String, String)> = json["unavailable"]
        .as_array()
        .expect("unavailable")
        .iter()
        .map(|u| {
            (
                u["field"].as_str().unwrap_or_default().to_string(),
                u["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let reason_for = |field: &str| {
        reasons
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    };

    // Every null is either "no limit" or has its reason.
    let mut found = Vec::new();
    nulls(&json, "", &mut found);
    // The headroom model's usage is derived: a missing one says why through its source field.
    for resource in json["headroom"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if !resource["usage"].is_null() {
            continue;
        }
        let field = match resource["metric"].as_str().unwrap_or_default() {
            "fds_open" => "fds.open",
            "threads" => "threads.count",
            "map_count" => "memory.map_count",
            "rss_bytes" => "memory.rss_bytes",
            "vm_size_bytes" => "memory.vm_size_bytes",
            other => panic!("headroom usage of {other} is null"),
        };
        assert!(
            reason_for(field).is_some_and(|r| !r.is_empty()),
            "headroom {field} is null with no unavailable entry: {reasons:?}"
        );
    }
    for path in &found {
        if null_is_unlimited(path) {
            continue;
        }
        assert!(
            reason_for(path).is_some_and(|r| !r.is_empty()),
            "{path} is null with no unavailable entry: {reasons:?}"
        );
    }

    // Nothing listed as unavailable carries a value: no 0, no false, no non-empty list.
    for (field, reason) in &reasons {
        if field.contains("[]") || field == "runtime" {
            continue;
        }
        let value = lookup(&json, field).unwrap_or(&serde_json::Value::Null);
        let empty = match value {
            serde_json::Value::Null => true,
            serde_json::Value::Array(a) => a.is_empty(),
            serde_json::Value::Object(o) => o.is_empty(),
            _ => false,
        };
        assert!(empty, "{field} = {value} although {reason:?}");
    }

    // What ptrace read access guards is unknown, and says what access is needed.
    for field in [
        "memory.map_count",
        "memory.pss_bytes",
        "memory.deleted_mappings",
        "memory.mappings_past_eof",
        "fds.open",
        "fds.highest_fd",
        "fds.items",
        "fds.deleted_files",
        "threads.items[].wchan",
        "runtime",
    ] {
        let reason = reason_for(field).unwrap_or_default();
        assert!(
            reason.contains("permission denied") && reason.contains("CAP_SYS_PTRACE"),
            "{field}: {reason:?}"
        );
    }
    assert_eq!(json["runtime"], "unknown", "not a guessed `native`");
    for thread in json["threads"]["items"].as_array().expect("threads") {
        assert!(thread["wchan"].is_null(), "wchan is hidden, not `0`");
    }
}

#[test]
fn text_report_as_nobody_gives_every_n_a_its_reason() {
    if !can_run() {
        return;
    }
    let target = root_target();
    let output = as_nobody()
        .args(["report", "-p", &target.pid().to_string()])
        .output()
        .expect("setpriv runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    for row in text.lines().filter(|l| l.contains("n/a")) {
        // A table cell (thread rows) has its reason under Unavailable; a row says it inline.
        let is_table_row = row.trim_start().starts_with(|c: char| c.is_ascii_digit());
        assert!(is_table_row || row.contains("n/a ("), "{row}");
    }
    assert!(text.contains("runtime               unknown (permission denied"));
    // Findings' evidence speaks the same way: no `?`.
    assert!(
        text.contains("dumpable n/a (the target runs as root"),
        "{text}"
    );
    assert!(!text.contains(" ?\n"), "{text}");
    assert!(text.contains("PSS                   n/a (permission denied"));
    assert!(text.contains("deleted / past EOF    n/a (permission denied"));
}

fn assert_one_line(output: &Output, code: i32, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
    }
}

#[test]
fn dump_as_nobody_is_permission_denied_saying_what_access_is_needed() {
    if !can_run() {
        return;
    }
    let target = root_target();
    let pid = target.pid().to_string();
    let output = as_nobody()
        .args(["dump", "-p", &pid])
        .output()
        .expect("runs");
    assert_one_line(
        &output,
        PERMISSION_DENIED,
        &["permission denied", "CAP_SYS_PTRACE", "dumpable"],
    );
    for method in ["pprof", "jvm", "python"] {
        let output = as_nobody()
            .args(["dump", "-p", &pid, "--method", method])
            .output()
            .expect("runs");
        assert_one_line(&output, PERMISSION_DENIED, &["CAP_SYS_PTRACE"]);
    }
}

#[test]
fn a_zombie_is_exit_5_for_every_command() {
    // A child that exits and is never reaped: its parent sleeps without waiting.
    let mut command = Command::new("python3");
    command.args([
        "-c",
        "import os,time\nif os.fork()==0: os._exit(0)\nprint('ready',flush=True)\ntime.sleep(1000)",
    ]);
    let parent = Target::start(command, "ready");
    let children = format!("/proc/{0}/task/{0}/children", parent.pid());
    let zombie = std::fs::read_to_string(children)
        .expect("children")
        .trim()
        .to_string();
    live_support::wait_until("the child is a zombie", || {
        std::fs::read_to_string(format!("/proc/{zombie}/stat")).is_ok_and(|s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
    });
    for args in [
        vec!["report", "-p", &zombie],
        vec!["report", "--json", "-p", &zombie],
        vec!["stacks", "-p", &zombie],
        vec!["dump", "-p", &zombie],
        vec!["dump", "-p", &zombie, "--method", "pprof"],
    ] {
        let output = healthtop().args(&args).output().expect("runs");
        assert_one_line(&output, NOT_WATCHABLE, &["zombie"]);
    }
}

#[test]
fn tui_as_nobody_shows_n_a_with_reasons() {
    if !can_run() || !require_tool("tmux") {
        return;
    }
    let target = root_target();
    let pid = target.pid();
    let tmux = Tmux::start();
    tmux.line(&format!(
        "setpriv --reuid=65534 --regid=65534 --clear-groups {} -p {pid}",
        env!("CARGO_BIN_EXE_healthtop")
    ));
    let overview = tmux.wait_for(&["[1 Overview]", "unknown (permission denied"]);
    assert!(
        overview.contains("mappings: n/a (permission denied"),
        "{overview}"
    );
    assert!(!overview.contains("0 deleted"), "{overview}");
    assert!(!overview.contains("not reported"), "{overview}");
    tmux.keys(&["3"]);
    let fds = tmux.wait_for(&["descriptors n/a (permission denied"]);
    assert!(!fds.contains("descriptors 0"), "{fds}");
    tmux.keys(&["4"]);
    let memory = tmux.wait_for(&["mappings n/a (permission denied"]);
    assert!(memory.contains("PSS n/a (permission denied"), "{memory}");
    assert!(!memory.contains("not reported"), "{memory}");
    tmux.keys(&["2"]);
    tmux.wait_for(&["WCHAN"]);
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}

/// The case from the field: root's JVM, `dump` as another user. The truth is permission
/// denied (exit 4) with what access is needed, not "not a Go, JVM or Python program" (8).
#[test]
fn dump_of_root_s_jvm_as_nobody_is_permission_denied() {
    if !can_run() {
        return;
    }
    let (Some(javac), Some(java)) = (live_support::tool("javac"), live_support::tool("java"))
    else {
        assert!(std::env::var_os("CI").is_none(), "CI has a JDK");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let source = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/targets/dump_parker.java"
    );
    let status = Command::new(javac)
        .arg("-d")
        .arg(dir.path())
        .arg(source)
        .status()
        .expect("javac runs");
    assert!(status.success());
    let mut command = Command::new(java);
    command
        .arg("-cp")
        .arg(dir.path())
        .args(["Parker", "2"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped());
    let jvm = Target::start_ready(command);
    let pid = jvm.pid().to_string();
    let output = as_nobody()
        .args(["dump", "-p", &pid])
        .output()
        .expect("runs");
    let report = as_nobody()
        .args(["report", "--json", "-p", &pid])
        .output()
        .expect("runs");
    drop(jvm);
    assert_one_line(
        &output,
        PERMISSION_DENIED,
        &["permission denied", "CAP_SYS_PTRACE"],
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("not a Go"));
    let json: serde_json::Value = serde_json::from_slice(&report.stdout).expect("JSON");
    assert_eq!(json["runtime"], "unknown", "not `native` for /usr/bin/java");
}
