//! JIT frames of a JVM: without a perf map they are `[jit]` (never dropped); `record
//! --jvm-perfmap` asks the JVM for its perf map (`Compiler.perfmap`) and names them, and every
//! named frame's address lies in the map entry of that name.

mod dump_support;

use dump_support::*;
use std::process::Command;

/// `START SIZE name` entries of a perf map, parsed independently of healthtop.
fn read_perf_map(path: &std::path::Path) -> Vec<(u64, u64, String)> {
    let text = std::fs::read_to_string(path).expect("perf map");
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
            let start = hex(parts.next()?)?;
            let size = hex(parts.next()?)?;
            Some((start, start + size, parts.next()?.to_string()))
        })
        .collect()
}

/// The spinner thread's frames from `healthtop stacks --json`: (address, function, module).
fn spinner_frames(pid: u32) -> Vec<(u64, String, Option<String>)> {
    let json = healthtop_json(&["stacks", "--json", "-p", &pid.to_string()]);
    let threads = json["threads"].as_array().expect("threads");
    let spinner = threads
        .iter()
        .find(|t| t["name"] == "jit-spinner")
        .expect("a jit-spinner thread");
    spinner["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|f| {
            let address = f["address"].as_str().expect("address");
            (
                u64::from_str_radix(address.trim_start_matches("0x"), 16).expect("hex"),
                f["function"].as_str().unwrap_or("").to_string(),
                f["module"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Removes the perf map the JVM wrote (it does not on exit).
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn record_names_java_methods_from_the_perf_map() {
    let (Some(javac), Some(java)) = (tool("javac"), tool("java")) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    compile_java(&javac, dir.path(), "jit_spin.java");
    let mut jvm_cmd = Command::new(java);
    jvm_cmd
        .args(["-XX:+PreserveFramePointer", "-cp"])
        .arg(dir.path())
        .arg("JitSpin");
    let mut jvm = start_java(jvm_cmd);
    let pid = jvm.upid();
    let map_path = std::path::PathBuf::from(format!("/tmp/perf-{pid}.map"));
    // A map left by an earlier process with this PID would name frames wrongly.
    let _ = std::fs::remove_file(&map_path);
    let _cleanup = RemoveOnDrop(map_path.clone());

    // No perf map: the spinner runs generated code (interpreter or compiled), shown as [jit].
    wait_until("the spinner in generated code, shown as [jit]", || {
        spinner_frames(pid)
            .first()
            .is_some_and(|(_, function, module)| function == "[jit]" && module.is_none())
    });

    // Wait until HotSpot has compiled JitSpin.spin (the map it writes on request names it).
    wait_until("JitSpin.spin compiled", || {
        let output = healthtop(&["stacks", "--jvm-perfmap", "-p", &pid.to_string()]);
        output.status.success()
            && read_perf_map(&map_path)
                .iter()
                .any(|(_, _, name)| name.contains("JitSpin.spin"))
    });
    let _ = std::fs::remove_file(&map_path);

    let svg = dir.path().join("flame.svg");
    let output = healthtop(&[
        "record",
        "-p",
        &pid.to_string(),
        "-d",
        "2s",
        "--jvm-perfmap",
        "-o",
        svg.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "record: {}", stderr(&output));
    let map = read_perf_map(&map_path);
    let names: std::collections::BTreeSet<&str> =
        map.iter().map(|(_, _, name)| name.as_str()).collect();
    let folded = std::fs::read_to_string(dir.path().join("flame.folded")).expect("folded");
    let spin = "long JitSpin.spin(long)";
    assert!(names.contains(spin), "map lacks {spin}");
    // Frames are `;`-separated and the count follows the last one after a space.
    let has_spin = folded.lines().any(|line| {
        line.rsplit_once(' ')
            .is_some_and(|(stack, _)| stack.split(';').any(|frame| frame == spin))
    });
    assert!(has_spin, "no {spin} frame in the folded stacks:\n{folded}");

    // By address: every frame in generated code carries the name of the map entry that
    // covers it (looked up inside the call for return addresses), else [jit].
    let frames = spinner_frames(pid);
    let mut named = 0;
    for (index, (address, function, module)) in frames.iter().enumerate() {
        if module.is_some() {
            continue;
        }
        let lookup = address - u64::from(index > 0);
        let expected = map
            .iter()
            .rev()
            .find(|(start, end, _)| (*start..*end).contains(&lookup))
            .map_or("[jit]", |(_, _, name)| name.as_str());
        assert_eq!(
            function, expected,
            "frame {index} at {address:#x}: {frames:x?}"
        );
        named += usize::from(expected != "[jit]");
    }
    assert!(named >= 1, "no frame named from the map: {frames:x?}");
    assert!(jvm.alive());
}
