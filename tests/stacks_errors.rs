//! The command-line contract of `healthtop stacks`: bad PIDs, missing processes, kernel threads,
//! zombies and permission refusals map to the documented exit codes with one clear line; a
//! process someone else stopped is left stopped; a thread in D state is skipped with a note.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::process::Command;

fn stacks(pid: &str) -> std::process::Output {
    run({
        let mut c = healthtop();
        c.arg("stacks").arg(format!("--pid={pid}"));
        c
    })
}

fn assert_exit(output: &std::process::Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
}

#[test]
fn bad_pid_arguments_are_usage_errors() {
    for bad in ["abc", "0", "-5", "12x", "99999999999"] {
        assert_exit(&stacks(bad), 2, "invalid PID");
    }
}

#[test]
fn missing_process_is_exit_3() {
    let pid_max: i32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .expect("pid_max")
        .trim()
        .parse()
        .expect("number");
    let free = (1..pid_max)
        .rev()
        .find(|p| !std::path::Path::new(&format!("/proc/{p}")).exists())
        .expect("a free pid");
    assert_exit(&stacks(&free.to_string()), 3, "no such process");
}

#[test]
fn kernel_thread_is_exit_5() {
    // PF_KTHREAD in stat field 9.
    let kthread = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|t| {
                    let flags = t[t.rfind(')')? + 2..]
                        .split(' ')
                        .nth(6)?
                        .parse::<u64>()
                        .ok()?;
                    Some(flags & 0x0020_0000 != 0)
                })
                .unwrap_or(false)
        });
    let Some(pid) = kthread else {
        eprintln!("skipping: no kernel thread is visible in this PID namespace");
        return;
    };
    assert_exit(&stacks(&pid.to_string()), 5, "kernel thread");
}

#[test]
fn zombie_is_exit_5() {
    // Not reaped until dropped: the kernel keeps it as a zombie until then.
    let child = Target::spawn(Command::new("true"));
    let pid = child.pid();
    wait_until("the child to become a zombie", || {
        thread_state(pid, pid) == Some('Z')
    });
    assert_exit(&stacks(&pid.to_string()), 5, "zombie");
}

#[test]
fn permission_denied_is_exit_4_with_the_reason() {
    if !require_tool("setpriv") || !require_tool("gcc") {
        return;
    }
    if !nix_is_root() {
        eprintln!("skipping: needs root to start a target nobody may not trace");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "owned", &["-O0"]);
    let target = Target::start(
        {
            let mut c = Command::new(&binary);
            c.arg("1");
            c
        },
        "ready",
    );
    // A copy of healthtop that the unprivileged user may execute.
    let copy = dir.path().join("healthtop");
    std::fs::copy(env!("CARGO_BIN_EXE_healthtop"), &copy).expect("copy binary");
    set_mode(dir.path(), 0o755);
    set_mode(&copy, 0o755);
    let output = run({
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&copy)
            .args(["stacks", "-p", &target.pid().to_string()]);
        c
    });
    assert_exit(&output, 4, "cannot trace");
    assert_not_stopped(target.pid());
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn a_process_stopped_by_someone_else_stays_stopped() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "stopped", &["-O0"]);
    let target = Target::start(
        {
            let mut c = Command::new(&binary);
            c.arg("2");
            c
        },
        "ready",
    );
    let pid = target.pid();
    wait_parked(pid, |_| true, &[libc::SYS_pause], 3);
    Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .expect("kill -STOP");
    wait_until("every thread in T", || {
        tids(pid).iter().all(|&t| thread_state(pid, t) == Some('T'))
    });
    let output = run({
        let mut c = healthtop();
        c.args(["stacks", "-p", &pid.to_string()]);
        c
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("level_two"), "{stdout}");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("stopped by someone else"),
        "no note about the foreign stop"
    );
    // Left as it was: stopped.
    for tid in tids(pid) {
        assert_eq!(
            thread_state(pid, tid),
            Some('T'),
            "thread {tid} was resumed"
        );
    }
    Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .expect("kill -CONT");
    wait_until("the target to run again", || {
        tids(pid).iter().all(|&t| thread_state(pid, t) == Some('S'))
    });
}

#[test]
fn a_thread_in_d_state_is_skipped_with_a_note() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "dstate", &["-O0"]);
    let target = Target::start(
        {
            let mut c = Command::new(&binary);
            c.args(["1", "--vfork"]);
            c
        },
        "ready",
    );
    let pid = target.pid();
    let vforker = || {
        tids(pid)
            .into_iter()
            .find(|&t| thread_name(pid, t) == "vforker")
    };
    wait_until("the vforker thread in D", || {
        vforker().is_some_and(|t| thread_state(pid, t) == Some('D'))
    });
    let tid = vforker().expect("vforker exists");
    let output = stacks(&pid.to_string());
    // The vfork child dies with the target (PR_SET_PDEATHSIG).
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout} {stderr}");
    assert!(
        stdout.contains(&format!(
            "TID {tid} (vforker): not stopped: in uninterruptible sleep"
        )),
        "{stdout}"
    );
    assert!(stderr.contains("uninterruptible sleep"), "{stderr}");
    assert!(
        stdout.contains("parked_main"),
        "other threads captured: {stdout}"
    );
    assert_not_stopped(pid);
}

#[test]
fn a_thread_id_is_exit_5_naming_its_process() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "threads", &["-O0"]);
    let target = Target::start(
        {
            let mut c = Command::new(&binary);
            c.arg("1");
            c
        },
        "ready",
    );
    let pid = target.pid();
    let tid = tids(pid)
        .into_iter()
        .find(|&t| t != pid)
        .expect("a second thread");
    assert_exit(
        &stacks(&tid.to_string()),
        5,
        &format!("thread of process {pid}"),
    );
}
