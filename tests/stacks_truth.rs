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
    let target = Target::start(command, "ready");
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
    let target = Target::start(Command::new(&binary), "ready");
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
    let target = start_go_workers(&binary);
    let pid = target.pid();
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

/// Starts a built Go stacks target and waits until its two workers sleep in nanosleep.
fn start_go_workers(binary: &std::path::Path) -> Target {
    let target = Target::start(Command::new(binary), "ready");
    wait_parked(
        target.pid(),
        |n| n.starts_with("go-worker-"),
        &[libc::SYS_nanosleep],
        2,
    );
    target
}

/// What `readelf FLAG BINARY` prints.
fn readelf(flag: &str, binary: &std::path::Path) -> String {
    let output = run({
        let mut c = Command::new("readelf");
        c.arg(flag).arg(binary);
        c
    });
    String::from_utf8_lossy(&output.stdout).into_owned()
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
    assert!(
        !readelf("-SW", &binary).contains(".symtab"),
        "binary not stripped"
    );
    let target = start_go_workers(&binary);
    let pid = target.pid();
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

/// The load bias of `binary` in `pid`: where its first mapping starts minus the page-aligned
/// address its first `PT_LOAD` states.
fn load_bias(pid: i32, binary: &std::path::Path) -> u64 {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let path = binary.to_str().expect("utf-8 path");
    let start = maps
        .lines()
        .filter(|l| l.ends_with(path))
        .filter_map(|l| u64::from_str_radix(l.split('-').next()?, 16).ok())
        .min()
        .expect("binary is mapped");
    let vaddr = readelf("-lW", binary)
        .lines()
        .find(|l| l.trim_start().starts_with("LOAD"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .expect("a PT_LOAD");
    start - (vaddr & !0xfff)
}

/// Function names at `addresses` (stated addresses) of an unstripped binary, from
/// `go tool addr2line`, or from binutils' `addr2line` (DWARF, outermost of inlined frames)
/// where Go's answers `?` (it cannot read PIE binaries).
fn names_from_addr2line(binary: &std::path::Path, addresses: &[u64]) -> Vec<String> {
    let input: String = addresses.iter().map(|a| format!("{a:#x}\n")).collect();
    let mut child = Command::new("go")
        .args(["tool", "addr2line"])
        .arg(binary)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("go tool addr2line runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes())
        .expect("write addresses");
    let output = child.wait_with_output().expect("go tool addr2line ends");
    let go: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert_eq!(go.len(), addresses.len(), "go tool addr2line: {go:?}");
    if go.iter().all(|name| name != "?") {
        return go;
    }
    let output = run({
        let mut c = Command::new("addr2line");
        c.args(["-a", "-f", "-i", "-e"]).arg(binary);
        c.args(addresses.iter().map(|a| format!("{a:#x}")));
        c
    });
    // Per address: the address line, then (function, file:line) pairs, innermost first.
    let mut names = Vec::new();
    let mut last_function: Option<String> = None;
    let mut since_address = 0;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        since_address += 1;
        if since_address % 2 == 1 && line.starts_with("0x") {
            names.extend(last_function.take());
            since_address = 0;
        } else if since_address % 2 == 1 {
            // DWARF names assembly functions by their ABI (`runtime.futex.abi0`); Go does not.
            last_function = Some(line.trim_end_matches(".abi0").to_string());
        }
    }
    names.extend(last_function);
    assert_eq!(names.len(), addresses.len(), "addr2line: {names:?}");
    names
}

/// A stripped cgo binary (linked by the host linker; its `.dynsym` holds `_cgo_*` C symbols,
/// so a symbol table is there but names no Go function) is named from `.gopclntab`, in the
/// plain and in the PIE build; every frame in the binary has the name `addr2line` gives the
/// same address in the same build unstripped; no thread ends truncated.
fn stripped_cgo_case(pie: bool) {
    if !require_tool("go") || !require_tool("readelf") || !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let build = |output, ldflags| {
        build_go_variant(
            dir.path(),
            output,
            &GoBuild {
                ldflags,
                cgo: true,
                pie,
            },
        )
    };
    let binary = build("stripped", "-s -w");
    let unstripped = build("unstripped", "");
    assert!(
        !readelf("-SW", &binary).contains(".symtab"),
        "binary not stripped"
    );
    assert!(
        readelf("--dyn-syms", &binary).contains("_cgo_"),
        "no cgo symbols"
    );
    assert_eq!(
        readelf("-hW", &binary).contains("DYN (Position-Independent"),
        pie
    );
    let target = start_go_workers(&binary);
    let pid = target.pid();
    let threads = healthtop_stacks_json(pid);
    assert_not_stopped(pid);
    let bias = load_bias(pid, &binary);
    let module = binary.to_str().expect("utf-8 path");
    let mut ours = Vec::new();
    let mut addresses = Vec::new();
    for thread in &threads {
        assert!(!thread.truncated, "truncated: {thread:?}");
        for (index, frame) in thread.frames.iter().enumerate() {
            if frame.module.as_deref() != Some(module) {
                continue;
            }
            // Return addresses are looked up inside the call.
            let lookup = frame.address - bias - u64::from(index > 0);
            ours.push(frame.function.clone().unwrap_or_default());
            addresses.push(lookup);
        }
    }
    let theirs = names_from_addr2line(&unstripped, &addresses);
    assert_eq!(ours, theirs, "at {addresses:x?}");
    for expected in ["main.levelTwo", "main.workerMain", "runtime.goexit"] {
        assert!(
            ours.iter().any(|f| f == expected),
            "no {expected}: {ours:?}"
        );
    }
    assert!(ours.iter().filter(|f| f.starts_with("runtime.")).count() >= 5);
}

#[test]
fn stripped_cgo_go_binary_is_named_like_addr2line() {
    stripped_cgo_case(false);
}

#[test]
fn stripped_cgo_pie_go_binary_is_named_like_addr2line() {
    stripped_cgo_case(true);
}
