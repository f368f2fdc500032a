//! `healthtop view` shows what a bundle holds as the live view showed it: the bundled flame
//! graph in the Stacks view, the bundled runtime dump behind `D`, the goroutine counts of a Go
//! bundle, and the death of a target killed during `bundle --duration` (banner and finding).
//! The real binary, real targets (a Go service with pprof, a shell's sleep), driven in tmux.

mod dump_support;
mod tmux_support;

use dump_support::{go_build, healthtop, start_goleak, stderr, Target};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use tmux_support::Tmux;

const HEALTHTOP: &str = env!("CARGO_BIN_EXE_healthtop");

/// Every member of a bundle, by path.
fn members(path: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(path).expect("bundle exists");
    dump_support::archive_members(&bytes).into_iter().collect()
}

#[test]
fn view_shows_the_bundled_flame_graph_dump_and_goroutines() {
    let Some(binary) = go_build("dump_goleak.go", "bundleview") else {
        return;
    };
    let mut service = start_goleak(&binary, "25");
    let ready = service.read_line();
    assert!(ready.starts_with("port "), "{ready}");
    let pid = service.upid();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("go.tar.gz");
    let output = healthtop(&[
        "bundle",
        "-p",
        &pid.to_string(),
        "--duration",
        "2s",
        "--interval",
        "500ms",
        "-o",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    drop(service);

    let files = members(&file);
    let folded = String::from_utf8_lossy(&files["stacks.folded"]).into_owned();
    // The widest cell of the flame graph: the thread name most samples start with.
    let mut roots = std::collections::BTreeMap::<String, u64>::new();
    for line in folded.lines() {
        if let Some((stack, count)) = line.rsplit_once(' ') {
            let root = stack.split(';').next().unwrap_or_default().to_string();
            *roots.entry(root).or_default() += count.parse::<u64>().unwrap_or(0);
        }
    }
    let (root, _) = roots
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("stacks were sampled");
    let dump: serde_json::Value =
        serde_json::from_slice(&files["dumps/go.json"]).expect("dumps/go.json");
    let total = dump["total"].as_u64().expect("goroutine total");
    assert!(total >= 25, "{total}");

    // report --from of a Go bundle has the goroutine count, and every sample carries one.
    let from = healthtop(&["report", "--json", "--from", file.to_str().expect("path")]);
    assert!(from.status.success(), "{}", stderr(&from));
    let report: serde_json::Value = serde_json::from_slice(&from.stdout).expect("JSON");
    assert!(
        report["goroutines"]["count"].as_u64() >= Some(25),
        "{}",
        report["goroutines"]
    );
    let stored: serde_json::Value =
        serde_json::from_slice(&files["report.json"]).expect("report.json");
    let history = stored["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .all(|s| s["goroutines"]["count"].as_u64() >= Some(25)),
        "{history:?}"
    );

    let tmux = Tmux::start();
    tmux.line(&format!("{HEALTHTOP} view {}", file.display()));
    tmux.wait_for(&["[1 Overview]", "read-only"]);
    tmux.keys(&["7"]);
    let screen = tmux.wait_for(&[
        "[7 Stacks]",
        "the stacks sampled when the bundle was written",
        &root,
    ]);
    assert!(!screen.contains("holds no stacks"), "{screen}");
    tmux.keys(&["D"]);
    let screen = tmux.wait_for(&[&format!("goroutines: {total} total")]);
    assert!(screen.contains("main.parkedForever"), "{screen}");
    assert!(!screen.contains("need a live process"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    tmux.assert_terminal_restored(300);
}

#[test]
fn view_of_a_target_killed_during_the_watch_shows_its_death() {
    let target = Target::sleeper();
    let pid = target.upid();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("killed.tar.gz");
    let mut bundle = Command::new(HEALTHTOP)
        .args(["bundle", "-p", &pid.to_string(), "-o"])
        .arg(&file)
        .args(["--duration", "30s", "--interval", "500ms"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bundle runs");
    // Its first progress line means the first sample is taken: kill the target then.
    let mut progress = bundle.stderr.take().expect("stderr");
    let mut first = [0u8; 1];
    progress.read_exact(&mut first).expect("progress begins");
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert!(bundle.wait().expect("bundle ends").success());
    drop(target);

    let tmux = Tmux::start();
    tmux.line(&format!("{HEALTHTOP} view {}", file.display()));
    let screen = tmux.wait_for(&["TARGET EXITED", "killed by SIGKILL", "read-only"]);
    assert!(screen.contains("■ TARGET EXITED"), "{screen}");
    tmux.keys(&["6"]);
    tmux.wait_for(&["[6 Findings]", "exited", "killed by SIGKILL"]);
    // Before the last sample the target was alive: no banner (when it lived past one).
    let samples = healthtop::bundle::read::open_bundle(&file)
        .expect("open")
        .report
        .history
        .len();
    if samples > 1 {
        tmux.keys(&["{"]);
        tmux.wait_until("the first sample shows no death", |s| {
            s.contains("sample 1/") && !s.contains("TARGET EXITED")
        });
    }
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    tmux.assert_terminal_restored(310);
}
