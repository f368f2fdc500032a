//! `record --goroutines` on a real Go service (tests/targets/goroutines_svc.go, a pool of 60
//! workers): the folded stacks are the pprof endpoint's own stacks with its counts, and the
//! widths add up to the total the endpoint reports.

mod dump_support;

use dump_support::*;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};

/// `?debug=1` parsed independently of healthtop: root-first `a;b;c` → goroutine count.
fn profile_stacks(text: &str) -> BTreeMap<String, u64> {
    let mut stacks = BTreeMap::new();
    let mut current: Option<(u64, Vec<String>)> = None;
    let mut finish = |current: &mut Option<(u64, Vec<String>)>| {
        if let Some((count, mut frames)) = current.take() {
            frames.reverse();
            *stacks.entry(frames.join(";")).or_insert(0) += count;
        }
    };
    for line in text.lines().skip(1) {
        if let Some((count, _)) = line.split_once(" @ ") {
            finish(&mut current);
            current = Some((count.parse().expect("count"), Vec::new()));
        } else if let (Some((_, frames)), Some(rest)) = (current.as_mut(), line.strip_prefix("#\t"))
        {
            // `#\t0xPC\tfunction+0xOFF\tfile:line`
            if let Some(function) = rest.split('\t').nth(1) {
                let name = function.rsplit_once("+0x").map_or(function, |(f, _)| f);
                frames.push(name.trim().to_string());
            }
        }
    }
    finish(&mut current);
    stacks
}

#[test]
fn goroutine_flame_graph_has_the_endpoints_stacks_and_counts() {
    let Some(binary) = go_build("goroutines_svc.go", "goroutines_svc_flame") else {
        return;
    };
    let mut command = Command::new(binary);
    command
        .arg("pool")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut service = Target::spawn(command);
    let line = service.read_line();
    let port: u16 = line
        .strip_prefix("ready ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("readiness line {line:?}"));
    let dir = tempfile::tempdir().expect("tempdir");
    let svg = dir.path().join("goroutines.svg");
    let url = format!("http://127.0.0.1:{port}");
    let pid = service.upid().to_string();
    // Every HTTP request leaves its connection goroutine for ~500 ms, and the pool's workers
    // take work every 10 ms: compare only when the endpoint gave the same stacks just before
    // and just after healthtop's reading. Tries go on for a while, not a count: back-to-back
    // tries each leave connections closing, and a fast machine can spend 20 tries inside one
    // such window.
    let mut last = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut tries = 0;
    while std::time::Instant::now() < deadline {
        tries += 1;
        let before_text = http_get(port, "/debug/pprof/goroutine?debug=1");
        let output = healthtop(&[
            "record",
            "--goroutines",
            "-p",
            &pid,
            "--pprof",
            &url,
            "-o",
            svg.to_str().expect("utf-8"),
            // Each try replaces the last one's files.
            "--force",
        ]);
        assert!(output.status.success(), "record: {}", stderr(&output));
        let after_text = http_get(port, "/debug/pprof/goroutine?debug=1");
        let before = profile_stacks(&before_text);
        let after = profile_stacks(&after_text);
        let folded = std::fs::read_to_string(dir.path().join("goroutines.folded")).expect("folded");
        let ours: BTreeMap<String, u64> = folded
            .lines()
            .map(|l| {
                let (stack, count) = l.rsplit_once(' ').expect("stack count");
                (stack.to_string(), count.parse().expect("count"))
            })
            .collect();
        if before == after && ours == before {
            let total = profile_total(&before_text);
            assert_eq!(ours.values().sum::<u64>(), total);
            assert!(total >= 60, "the pool has 60 workers: {total}");
            let svg_text = std::fs::read_to_string(&svg).expect("svg");
            assert!(svg_text.contains("main.pool.func1"), "workers in the SVG");
            assert!(
                stdout(&output).contains(&format!("total {total}")),
                "{}",
                stdout(&output)
            );
            return;
        }
        last = Some((before, ours, after));
    }
    panic!("healthtop and the endpoint never agreed across {tries} readings: {last:#?}");
}
