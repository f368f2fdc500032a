//! Must-show 2: a thread spinning in a known function dominates the recorded folded stacks,
//! idle threads are not stopped again, and the SVG is a flame graph naming that function.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;
use std::process::Command;

fn parse_folded(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .map(|line| {
            let (stack, count) = line.rsplit_once(' ').expect("`stack count` line");
            (stack.to_string(), count.parse().expect("count is a number"))
        })
        .collect()
}

#[test]
fn spinning_function_dominates_and_svg_is_valid() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "spin", &["-O2"]);
    let mut command = Command::new(&binary);
    command.args(["2", "--spin"]);
    let target = Target::start(command);
    let pid = target.pid();
    wait_parked(pid, |n| n != "spinner", &[libc::SYS_pause], 3);

    let svg = dir.path().join("flame.svg");
    let output = run({
        let mut c = healthtop();
        c.args([
            "record",
            "-p",
            &pid.to_string(),
            "--duration",
            "4s",
            "--hz",
            "50",
            "-o",
        ])
        .arg(&svg);
        c
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "record failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_not_stopped(pid);
    assert!(stdout.contains("per-thread stop time: median"), "{stdout}");

    let folded = parse_folded(
        &std::fs::read_to_string(dir.path().join("flame.folded")).expect("folded file written"),
    );
    let spinner: Vec<&(String, u64)> = folded
        .iter()
        .filter(|(stack, _)| stack.starts_with("spinner;"))
        .collect();
    let total: u64 = spinner.iter().map(|(_, n)| n).sum();
    let leaf = |name: &str| -> u64 {
        spinner
            .iter()
            .filter(|(stack, _)| stack.ends_with(&format!(";{name}")))
            .map(|(_, n)| n)
            .sum()
    };
    let (hot, cold) = (leaf("spin_here"), leaf("cold_here"));
    // The spinner spends 19 parts in spin_here for 1 in cold_here.
    assert!(
        total >= 10,
        "too few spinner samples ({stdout}): {folded:?}"
    );
    assert!(
        hot * 10 >= total * 7,
        "spin_here {hot} of {total}: {folded:?}"
    );
    assert!(hot >= 3 * cold, "spin_here {hot} vs cold_here {cold}");
    for (stack, _) in &spinner {
        assert!(
            stack.contains(";spinner_main;"),
            "root-first order broken: {stack}"
        );
    }
    // Parked threads: root first, the known chain in order.
    let parked: Vec<&(String, u64)> = folded
        .iter()
        .filter(|(stack, _)| stack.starts_with("parked-1;"))
        .collect();
    assert!(
        parked
            .iter()
            .any(|(stack, _)| stack.contains(";parked_main;level_one;level_two;")),
        "{parked:?}"
    );
    // Idle threads were reused, not stopped again.
    let reused: u64 = stdout
        .split(" thread stops, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("summary names reused stacks");
    assert!(reused > 0, "no idle thread reused: {stdout}");

    let svg_text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        svg_text.starts_with("<?xml"),
        "not XML: {}",
        &svg_text[..80.min(svg_text.len())]
    );
    assert!(svg_text.contains("<svg"));
    assert!(svg_text.trim_end().ends_with("</svg>"));
    assert!(svg_text.contains("spin_here"));
}

#[test]
fn sigint_ends_recording_cleanly() {
    if !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = build_c(dir.path(), "spin", &["-O2"]);
    let mut command = Command::new(&binary);
    command.args(["1", "--spin"]);
    let target = Target::start(command);
    let pid = target.pid();
    let svg = dir.path().join("flame.svg");
    let recorder = healthtop()
        .args(["record", "-p", &pid.to_string(), "--duration", "60s", "-o"])
        .arg(&svg)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("record starts");
    // Readiness: the first capture has seized the target (TracerPid seen or time passed in
    // samples); wait until healthtop has its tracer thread running.
    let recorder_pid = recorder.id() as i32;
    wait_until("healthtop's tracer thread", || {
        tids(recorder_pid)
            .into_iter()
            .any(|t| thread_name(recorder_pid, t) == "healthtop-trace")
    });
    let status = Command::new("kill")
        .args(["-INT", &recorder_pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = recorder.wait_with_output().expect("record exits");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("stopped by signal 2"), "{stdout}");
    assert!(svg.exists() && dir.path().join("flame.folded").exists());
    assert_not_stopped(pid);
}
