//! Must-show 1: for real C (frame pointers, and -O2 -fomit-frame-pointer), Rust and Go targets,
//! every thread's stack from `healthtop stacks --json` holds the known functions in the right
//! order (innermost first), and the same known functions as gdb's `thread apply all bt`.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::process::Command;

/// Checks one parked target against ground truth and gdb.
///
/// `expected(name)` gives the known-function sequence (innermost first) a thread of that name
/// must show, or `None` for threads the test does not constrain (runtime threads).
fn check_target(pid: i32, known: &[&str], expected: impl Fn(&str) -> Option<Vec<&'static str>>) {
    let ours = healthtop_stacks(pid);
    assert_not_stopped(pid);
    let mut checked = 0;
    for (tid, (name, frames)) in &ours {
        let Some(want) = expected(name) else { continue };
        let got = known_subsequence(frames, known);
        assert_eq!(
            got, want,
            "thread {tid} ({name}): known frames differ; full stack {frames:?}"
        );
        checked += 1;
    }
    assert!(checked >= 2, "too few threads checked: {ours:?}");
    if !require_tool("gdb") {
        return;
    }
    let gdb = gdb_stacks(pid);
    assert_not_stopped(pid);
    for (tid, (name, frames)) in &ours {
        if expected(name).is_none() {
            continue;
        }
        let theirs = gdb
            .get(tid)
            .unwrap_or_else(|| panic!("gdb has no thread {tid}: {gdb:?}"));
        assert_eq!(
            known_subsequence(frames, known),
            known_subsequence(theirs, known),
            "thread {tid} ({name}) differs from gdb: ours {frames:?}, gdb {theirs:?}"
        );
    }
}

const C_KNOWN: &[&str] = &["level_two", "level_one", "parked_main", "main"];

fn c_expected(name: &str) -> Option<Vec<&'static str>> {
    if name.starts_with("parked-") {
        Some(vec!["level_two", "level_one", "parked_main"])
    } else if name.starts_with("c_") {
        Some(vec!["level_two", "level_one", "main"])
    } else {
        None
    }
}

fn c_case(output: &str, flags: &[&str]) {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), output, flags);
    let mut command = Command::new(&binary);
    command.arg("3");
    let target = Target::start(command);
    let pid = target.pid();
    wait_parked(pid, |_| true, &[libc::SYS_pause], 4);
    check_target(pid, C_KNOWN, c_expected);
}

#[test]
fn c_with_frame_pointers_matches_gdb() {
    c_case("c_fp", &["-O0", "-fno-omit-frame-pointer"]);
}

#[test]
fn c_optimised_without_frame_pointers_matches_gdb() {
    c_case("c_nofp", &["-O2", "-fomit-frame-pointer"]);
}

#[test]
fn rust_target_matches_gdb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_rust(dir.path());
    let target = Target::start(Command::new(&binary));
    let pid = target.pid();
    wait_parked(
        pid,
        |_| true,
        &[libc::SYS_clock_nanosleep, libc::SYS_nanosleep],
        3,
    );
    let known = [
        "stacks_rust::level_two",
        "stacks_rust::level_one",
        "stacks_rust::worker_main",
        "stacks_rust::main",
    ];
    check_target(pid, &known, |name| {
        if name.starts_with("rs-worker-") {
            Some(vec![
                "stacks_rust::level_two",
                "stacks_rust::level_one",
                "stacks_rust::worker_main",
            ])
        } else if name == "stacks_rust" {
            Some(vec![
                "stacks_rust::level_two",
                "stacks_rust::level_one",
                "stacks_rust::main",
            ])
        } else {
            None
        }
    });
}

#[test]
fn go_target_matches_gdb() {
    if !require_tool("go") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_go(dir.path(), "");
    let target = Target::start(Command::new(&binary));
    let pid = target.pid();
    wait_parked(
        pid,
        |n| n.starts_with("go-worker-"),
        &[libc::SYS_nanosleep],
        2,
    );
    let known = ["main.levelTwo", "main.levelOne", "main.workerMain"];
    check_target(pid, &known, |name| {
        name.starts_with("go-worker-")
            .then(|| vec!["main.levelTwo", "main.levelOne", "main.workerMain"])
    });
    if !require_tool("gdb") {
        return;
    }
    // Every frame, runtime included: the innermost frames of every thread are gdb's, including
    // the caller of a frameless assembly leaf (runtime.futex -> runtime.futexsleep), which a
    // plain frame-pointer walk skips. gdb stops at stack switches (mcall) where the frame
    // pointer chain goes on, so the common depth is compared.
    let ours = healthtop_stacks(pid);
    let gdb = gdb_stacks(pid);
    for (tid, (name, frames)) in &ours {
        let theirs: Vec<String> = gdb
            .get(tid)
            .unwrap_or_else(|| panic!("gdb has no thread {tid}"))
            .iter()
            .filter(|f| *f != "??")
            .cloned()
            .collect();
        let depth = frames.len().min(theirs.len());
        assert!(
            depth >= 3,
            "thread {tid} ({name}): ours {frames:?}, gdb {theirs:?}"
        );
        assert_eq!(
            frames[..depth],
            theirs[..depth],
            "thread {tid} ({name}) differs from gdb"
        );
    }
    assert_not_stopped(pid);
}

/// A stripped Go binary (`-ldflags="-s -w"`: no .symtab, no DWARF) is named from its
/// `.gopclntab`; gdb cannot name it, so the ground truth is the known call chain.
#[test]
fn stripped_go_target_is_named_from_pclntab() {
    if !require_tool("go") || !require_tool("readelf") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_go(dir.path(), "-s -w");
    let sections = run({
        let mut c = Command::new("readelf");
        c.arg("-SW").arg(&binary);
        c
    });
    let sections = String::from_utf8_lossy(&sections.stdout);
    assert!(!sections.contains(".symtab"), "binary not stripped");
    let target = Target::start(Command::new(&binary));
    let pid = target.pid();
    wait_parked(
        pid,
        |n| n.starts_with("go-worker-"),
        &[libc::SYS_nanosleep],
        2,
    );
    let ours = healthtop_stacks(pid);
    assert_not_stopped(pid);
    let known = ["main.levelTwo", "main.levelOne", "main.workerMain"];
    let workers: Vec<_> = ours
        .values()
        .filter(|(name, _)| name.starts_with("go-worker-"))
        .collect();
    assert_eq!(workers.len(), 2, "{ours:?}");
    for (name, frames) in workers {
        assert_eq!(
            known_subsequence(frames, &known),
            known,
            "{name}: {frames:?}"
        );
    }
}
