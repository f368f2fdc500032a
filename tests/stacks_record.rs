//! Must-show 2: a thread spinning in a known function dominates the recorded folded stacks,
//! idle threads are not stopped again, and the SVG is a flame graph naming that function.
//! Issue 11: the default on-CPU graph of a 20-thread idle pool beside one spinner is the
//! spinner's, merged under at most 3 root frames; `--mode wall` shows the pool.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;

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
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let target = start_threads(dir.path(), "spin", &["2", "--spin"]);
    let pid = target.pid();
    wait_parked(pid, |n| n != "spinner", &[libc::SYS_pause], 3);

    let svg = dir.path().join("flame.svg");
    let stdout = record_ok(pid, "4s", "50", &["--mode", "wall", "--per-thread"], &svg);
    assert!(stdout.contains("per-thread stop time: median"), "{stdout}");
    assert!(stdout.contains("mode wall: every thread"), "{stdout}");

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
    // Parked threads, folded into their pool: root first, the known chain in order.
    let parked: Vec<&(String, u64)> = folded
        .iter()
        .filter(|(stack, _)| stack.starts_with("parked-N;"))
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

/// `healthtop record` of `pid` for 3 s at 20 Hz with `extra` arguments: the folded stacks
/// and stdout.
fn record(
    dir: &std::path::Path,
    pid: i32,
    name: &str,
    extra: &[&str],
) -> (Vec<(String, u64)>, String) {
    let svg = dir.join(format!("{name}.svg"));
    let stdout = record_ok(pid, "3s", "20", extra, &svg);
    let svg_text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(svg_text.trim_end().ends_with("</svg>"));
    let folded = parse_folded(
        &std::fs::read_to_string(svg.with_extension("folded")).expect("folded file written"),
    );
    (folded, stdout)
}

/// Share of the counts in stacks whose innermost frame is `leaf`.
fn leaf_share(folded: &[(String, u64)], leaf: &str) -> (u64, u64) {
    let total = folded.iter().map(|(_, n)| n).sum();
    let at_leaf = folded
        .iter()
        .filter(|(stack, _)| stack.rsplit(';').next() == Some(leaf))
        .map(|(_, n)| n)
        .sum();
    (at_leaf, total)
}

#[test]
fn default_record_is_on_cpu_and_merged_and_wall_mode_shows_the_idle_pool() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let target = start_threads(dir.path(), "pool", &["20", "--spin"]);
    let pid = target.pid();
    wait_parked(pid, |n| n != "spinner", &[libc::SYS_pause], 21);

    let (cpu, stdout) = record(dir.path(), pid, "cpu", &[]);
    assert!(stdout.contains("mode cpu: on-CPU time"), "{stdout}");
    let (spin, total) = leaf_share(&cpu, "spin_here");
    assert!(
        total > 0 && spin * 2 >= total,
        "spin_here holds {spin} of {total} µs on CPU: {cpu:?}"
    );
    let roots: std::collections::BTreeSet<&str> = cpu
        .iter()
        .filter_map(|(stack, _)| stack.split(';').next())
        .collect();
    assert!(roots.len() <= 3, "root frames {roots:?}");
    assert!(
        !roots
            .iter()
            .any(|r| r.starts_with("parked") || *r == "spinner"),
        "no thread names at the root: {roots:?}"
    );

    let (wall, stdout) = record(dir.path(), pid, "wall", &["--mode", "wall"]);
    assert!(stdout.contains("mode wall"), "{stdout}");
    // The pool and the main thread park in pause() under level_two.
    let parked: u64 = wall
        .iter()
        .filter(|(stack, _)| stack.contains(";level_two"))
        .map(|(_, n)| n)
        .sum();
    let (_, total) = leaf_share(&wall, "spin_here");
    assert!(
        parked * 2 > total,
        "the parked function holds {parked} of {total} samples: {wall:?}"
    );
    drop(target);
}

#[test]
fn sigint_ends_recording_cleanly() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let target = start_threads(dir.path(), "spin", &["1", "--spin"]);
    let pid = target.pid();
    let svg = dir.path().join("flame.svg");
    let recorder = healthtop()
        // Wall mode: however early the signal comes, the first capture has stacks to draw.
        .args(["record", "-p", &pid.to_string(), "--duration", "60s"])
        .args(["--mode", "wall", "-o"])
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
    send_signal(recorder_pid, "INT");
    let output = recorder.wait_with_output().expect("record exits");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("stopped by signal 2"), "{stdout}");
    assert!(svg.exists() && dir.path().join("flame.folded").exists());
    assert_not_stopped(pid);
}
