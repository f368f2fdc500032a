//! Threads that exit while they are being captured (ESRCH, EPERM of an exiting thread, a
//! waitpid that reports an exit) are skipped without failing the capture; and a spinner inside
//! the vDSO is unwound through it and named.
#![cfg(target_arch = "x86_64")]

mod stacks_support;

use stacks_support::*;

#[test]
fn threads_exiting_during_capture_are_skipped() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let target = start_threads(dir.path(), "churn", &["2", "--churn"]);
    let pid = target.pid();
    let svg = dir.path().join("flame.svg");
    let stdout = record_ok(pid, "2s", "200", &["--per-thread"], &svg);
    let folded = std::fs::read_to_string(dir.path().join("flame.folded")).expect("folded");
    assert!(folded.contains("churner;"), "{folded}");
    // Many threads came and went during the recording.
    let seen: u64 = stdout
        .split("threads: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("summary names threads seen");
    assert!(seen > 4, "no short-lived thread was seen: {stdout}");
    // One-shot captures during the churn succeed too.
    for _ in 0..20 {
        let output = run({
            let mut c = healthtop();
            c.args(["stacks", "-p", &pid.to_string()]);
            c
        });
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_not_stopped(pid);
}

#[test]
fn vdso_frames_are_unwound_and_named() {
    let Some(dir) = gcc_tempdir() else {
        return;
    };
    let target = start_threads(dir.path(), "vdso", &["1", "--spin", "--vdso"]);
    let pid = target.pid();
    // The spinner spends most of its time inside the vDSO; a few captures find it there.
    for _ in 0..50 {
        let json = stacks_json(pid);
        let spinner = json["threads"]
            .as_array()
            .expect("threads")
            .iter()
            .find(|t| t["name"] == "spinner")
            .expect("spinner thread")
            .clone();
        let frames = spinner["frames"].as_array().expect("frames");
        if frames.first().is_some_and(|f| f["module"] == "[vdso]") {
            assert!(
                frames[0]["function"]
                    .as_str()
                    .is_some_and(|f| f.contains("clock_gettime")),
                "vDSO frame not named: {spinner}"
            );
            let names: Vec<&str> = frames
                .iter()
                .filter_map(|f| f["function"].as_str())
                .collect();
            let spin = names.iter().position(|n| *n == "spin_here");
            assert!(
                spin.is_some_and(|i| names.get(i + 1) == Some(&"spinner_main")),
                "not unwound through the vDSO: {names:?}"
            );
            assert_not_stopped(pid);
            return;
        }
    }
    panic!("the spinner was never caught inside the vDSO");
}
