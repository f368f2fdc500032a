//! Bad input: every case gives a one-line message and a documented exit code, never a panic.

mod live_support;

use live_support::{healthtop, proc_text, require_tool, run_healthtop, sh, wait_until, Target};
use std::process::{Command, Output, Stdio};

const USAGE: i32 = 2;
const NO_SUCH_PROCESS: i32 = 3;
const NOT_WATCHABLE: i32 = 5;

fn report(pid: &str) -> Output {
    healthtop()
        .args(["report", "-p", pid])
        .output()
        .expect("healthtop runs")
}

/// One line on stderr, prefixed, no panic, no backtrace.
fn assert_one_line_error(output: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("healthtop: "), "{stderr}");
    assert!(
        stderr.contains(needle),
        "{stderr:?} should mention {needle:?}"
    );
    assert!(!stderr.contains("panicked"));
    assert!(output.stdout.is_empty());
}

#[test]
fn malformed_pids_are_usage_errors() {
    for (pid, needle) in [
        ("0", "idle task"),
        ("-5", "positive"),
        ("abc", "not a number"),
        ("", "empty"),
        ("99999999999", "too large"),
    ] {
        assert_one_line_error(&report(pid), USAGE, needle);
    }
}

#[test]
fn a_pid_that_does_not_exist() {
    let pid_max: i32 = proc_text("sys/kernel/pid_max")
        .trim()
        .parse()
        .expect("pid_max");
    let free = (2..pid_max)
        .rev()
        .find(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
        .expect("a free PID");
    assert_one_line_error(
        &report(&free.to_string()),
        NO_SUCH_PROCESS,
        "no process with PID",
    );
}

#[test]
fn a_kernel_thread() {
    // kthreadd is PID 2 on every Linux with a PID namespace of its own... unless we are in a
    // container; find any task flagged PF_KTHREAD instead of assuming.
    let kthread = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| {
            let stat = proc_text(&format!("{pid}/stat"));
            let flags = stat
                .rfind(')')
                .and_then(|i| stat[i + 2..].split(' ').nth(6)?.parse::<u64>().ok());
            flags.is_some_and(|f| f & 0x0020_0000 != 0)
        });
    let Some(pid) = kthread else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no kernel thread visible in /proc"
        );
        return;
    };
    assert_one_line_error(&report(&pid.to_string()), NOT_WATCHABLE, "kernel thread");
}

#[test]
fn a_zombie() {
    // Not reaped until dropped: the kernel keeps it as a zombie until then.
    let child = Target::spawn(Command::new("true"));
    let pid = child.pid();
    wait_until("zombie", || {
        proc_text(&format!("{pid}/stat")).contains(") Z ")
    });
    assert_one_line_error(&report(&pid.to_string()), NOT_WATCHABLE, "zombie");
    drop(child);
}

#[test]
fn a_thread_id_is_not_a_process() {
    let target = Target::start(
        {
            let mut c = Command::new("python3");
            c.args(["-c", "import threading\nev=threading.Event()\nthreading.Thread(target=ev.wait).start()\nprint('ready',flush=True)\nev.wait()"]);
            c
        },
        "ready",
    );
    let pid = target.pid();
    let tid = sh(&format!("ls /proc/{pid}/task"))
        .lines()
        .filter_map(|t| t.parse::<i32>().ok())
        .find(|&t| t != pid)
        .expect("second thread");
    assert_one_line_error(
        &report(&tid.to_string()),
        NOT_WATCHABLE,
        &format!("thread of process {pid}"),
    );
}

#[test]
fn processes_that_exit_while_being_read() {
    // Short-lived targets: each run must either report or say the process is gone.
    for _ in 0..40 {
        let mut command = Command::new("sh");
        command
            .args(["-c", "exec sleep 0.02"])
            .stdout(Stdio::null());
        let child = Target::spawn(command);
        let output = healthtop()
            .args(["report", "--json", "-p", &child.pid().to_string()])
            .output()
            .expect("runs");
        drop(child);
        match output.status.code() {
            Some(0) => {
                serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("complete JSON");
            }
            Some(NO_SUCH_PROCESS) | Some(NOT_WATCHABLE) => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
            }
            other => panic!(
                "unexpected exit {other:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }
}

/// Runs healthtop as `nobody`.
fn report_as_nobody(pid: i32) -> Output {
    Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_healthtop"),
        ])
        .args(["report", "--json", "-p", &pid.to_string()])
        .output()
        .expect("setpriv runs")
}

/// `report --json` as nobody, which must succeed (a partial report, not an error).
fn report_json_as_nobody(pid: i32) -> serde_json::Value {
    let output = report_as_nobody(pid);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn reasons(json: &serde_json::Value) -> Vec<(String, String)> {
    json["unavailable"]
        .as_array()
        .expect("unavailable")
        .iter()
        .map(|u| {
            (
                u["field"].as_str().unwrap_or("").to_string(),
                u["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn permission_denied_gives_a_partial_report_with_reasons() {
    if !nix::unistd::geteuid().is_root() || !require_tool("setpriv") {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    // A root process read by nobody: world-readable parts are reported, the rest says why.
    let target = Target::sleeper();
    let json = report_json_as_nobody(target.pid());
    assert!(json["threads"]["count"].as_u64() >= Some(1));
    assert!(
        json["memory"]["map_count"].is_null(),
        "maps needs ptrace read access"
    );
    assert!(json["memory"]["pss_bytes"].is_null());
    let reasons = reasons(&json);
    for field in ["memory.map_count", "exe", "fds.by_kind"] {
        let reason = reasons
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, r)| r.clone())
            .unwrap_or_default();
        assert!(reason.contains("permission denied"), "{field}: {reason:?}");
    }
}

#[test]
fn a_non_dumpable_process_of_the_same_user() {
    if !nix::unistd::geteuid().is_root() || !require_tool("setpriv") {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root");
        return;
    }
    let target = Target::start(
        {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
            ]);
            c.arg("import ctypes,sys,time\nctypes.CDLL(None).prctl(4,0,0,0,0)\nprint('ready',flush=True)\ntime.sleep(1000)");
            c
        },
        "ready",
    );
    let json = report_json_as_nobody(target.pid());
    assert_eq!(json["dumpable"], false);
    assert!(json["memory"]["map_count"].is_null());
    assert!(reasons(&json)
        .iter()
        .any(|(f, r)| f == "memory.map_count" && r.contains("permission denied")));
}

/// clap's own errors are three lines with a usage block; they are one `healthtop:` line with
/// exit 2, and `--help` / `--version` still print in full with exit 0.
#[test]
fn command_line_errors_are_one_line() {
    for (args, needle) in [
        (
            &["--interval", "1ns", "-p", "1"][..],
            "between 500ms and 30s",
        ),
        (
            &["--interval", "31s", "-p", "1"][..],
            "between 500ms and 30s",
        ),
        (
            &["report", "--watch", "5s", "--interval", "100ms", "-p", "1"][..],
            "between",
        ),
        (
            &["bundle", "-p", "1", "-o", "x.tar.gz", "--interval", "1h"][..],
            "between",
        ),
        (&["report", "--bogus"][..], "--bogus"),
        (&["report"][..], "--pid"),
        (&["frobnicate"][..], "frobnicate"),
        (&["dump", "-p", "1", "--debug", "3"][..], "--debug"),
    ] {
        let output = run_healthtop(args);
        assert_one_line_error(&output, USAGE, needle);
    }
    for flag in ["--help", "--version"] {
        let output = run_healthtop(&[flag]);
        assert_eq!(output.status.code(), Some(0), "{flag}");
        assert!(output.stderr.is_empty(), "{flag}");
        assert!(!output.stdout.is_empty(), "{flag}");
    }
    let help = String::from_utf8_lossy(&run_healthtop(&["--help"]).stdout).into_owned();
    assert!(
        help.contains("Exit codes:") && help.lines().count() > 10,
        "{help}"
    );
}

/// A config file must be a regular file of at most 1 MiB: `/dev/zero` used to grow healthtop
/// to gigabytes, a FIFO to hang it.
#[test]
fn oversized_or_special_config_files_are_refused() {
    const BAD_INPUT: i32 = 6;
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "#".repeat((1 << 20) + 1)).expect("write");
    let fifo = dir.path().join("fifo.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let at_cap = dir.path().join("at-cap.toml");
    std::fs::write(&at_cap, "#".repeat(1 << 20)).expect("write");
    for (path, needle) in [
        (std::path::Path::new("/dev/zero"), "not a regular file"),
        (fifo.as_path(), "not a regular file"),
        (big.as_path(), "larger than 1024 KiB"),
    ] {
        let output = healthtop()
            .arg("--config")
            .arg(path)
            .arg("rules")
            .output()
            .expect("runs");
        assert_one_line_error(&output, BAD_INPUT, needle);
    }
    let output = healthtop()
        .arg("--config")
        .arg(&at_cap)
        .arg("rules")
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "a 1 MiB config is read: {output:?}"
    );
}
