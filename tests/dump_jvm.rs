//! `healthtop dump` on a real JVM: 12 named threads parked in `Parker.parkHere`
//! (tests/targets/dump_parker.java), dumped through the attach protocol, checked against
//! `jstack` and the kernel's thread table.

mod dump_support;

use dump_support::*;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};

const WORKERS: usize = 12;

fn worker_names() -> BTreeSet<String> {
    (0..WORKERS)
        .map(|i| format!("parked-worker-{i:02}"))
        .collect()
}

/// Java threads (`#id` in the header) of a jstack dump by name, each with its frame lines.
fn jstack_threads(text: &str) -> Vec<(String, Vec<String>)> {
    let mut threads: Vec<(String, Vec<String>)> = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if line.starts_with('"') && line.contains("\" #") {
            threads.extend(current.take());
            let name = &line[1..line.find("\" #").expect("checked")];
            current = Some((name.to_string(), Vec::new()));
        } else if line.is_empty() {
            threads.extend(current.take());
        } else if let (Some(thread), Some(frame)) =
            (current.as_mut(), line.trim().strip_prefix("at "))
        {
            thread.1.push(frame.to_string());
        }
    }
    threads.extend(current);
    threads
}

#[test]
fn jvm_dump_names_every_parked_thread_like_jstack() {
    let (Some(javac), Some(java), Some(jstack)) = (tool("javac"), tool("java"), tool("jstack"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut compile = Command::new(javac);
    compile
        .arg("-d")
        .arg(dir.path())
        .arg(target_source("dump_parker.java"));
    build(compile);
    let mut jvm_cmd = Command::new(java);
    jvm_cmd
        .arg("-cp")
        .arg(dir.path())
        .arg("Parker")
        .arg(WORKERS.to_string())
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut jvm = Target::spawn(jvm_cmd);
    let pid = jvm.pid();
    assert_eq!(jvm.read_line(), format!("ready {pid}"));

    let dump = healthtop_json(&["dump", "-p", &pid.to_string(), "--json"]);
    assert_eq!(dump["runtime"], "jvm");
    assert_eq!(dump["method"], "jvm-attach");
    let threads = dump["threads"].as_array().expect("threads");
    assert_eq!(dump["total"].as_u64(), Some(threads.len() as u64));

    // All 12 workers, each WAITING with Parker.parkHere on its stack and the right lock line.
    let workers: Vec<&serde_json::Value> = threads
        .iter()
        .filter(|t| worker_names().contains(t["name"].as_str().unwrap_or("")))
        .collect();
    let names: BTreeSet<String> = workers
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, worker_names());
    let tasks = task_comms(pid);
    for worker in &workers {
        let name = worker["name"].as_str().unwrap_or("");
        assert_eq!(worker["state"], "WAITING", "{name}");
        let methods: Vec<&str> = worker["frames"]
            .as_array()
            .expect("frames")
            .iter()
            .filter_map(|f| f["method"].as_str())
            .collect();
        assert!(methods.contains(&"Parker.parkHere"), "{name}: {methods:?}");
        let kinds: Vec<&str> = worker["locks"]
            .as_array()
            .expect("locks")
            .iter()
            .filter_map(|l| l["kind"].as_str())
            .collect();
        let index: usize = name[name.len() - 2..].parse().expect("index");
        if index % 2 == 1 {
            assert_eq!(kinds, vec!["waiting-on", "locked"], "{name}");
        } else {
            assert_eq!(kinds, vec!["parking-for"], "{name}");
        }
        // nid → Linux tid: a task of this JVM whose kernel name is the Java name, truncated to
        // 15 bytes by the kernel (truth: /proc/PID/task/TID/comm).
        let tid = worker["tid"].as_u64().expect("tid") as u32;
        assert_eq!(
            tasks.get(&tid).map(String::as_str),
            Some(&name[..15]),
            "{name}"
        );
        assert_eq!(worker["task_comm"].as_str(), Some(&name[..15]));
    }
    let cwd_trigger = dir.path().join(format!(".attach_pid{pid}"));
    assert!(!cwd_trigger.exists(), "attach trigger file left behind");

    // Truth: jstack sees the same Java threads, and the workers in Parker.parkHere.
    let jstack_out = Command::new(jstack)
        .arg(pid.to_string())
        .output()
        .expect("jstack runs");
    assert!(jstack_out.status.success(), "jstack failed");
    let jstack_threads = jstack_threads(&String::from_utf8_lossy(&jstack_out.stdout));
    let jstack_names: BTreeSet<&str> = jstack_threads.iter().map(|(n, _)| n.as_str()).collect();
    let our_java_names: BTreeSet<&str> = threads
        .iter()
        .filter(|t| t["java_id"].is_u64())
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(our_java_names, jstack_names);
    for (name, frames) in jstack_threads
        .iter()
        .filter(|(n, _)| worker_names().contains(n))
    {
        assert!(
            frames.iter().any(|f| f.starts_with("Parker.parkHere(")),
            "jstack: {name} not in parkHere"
        );
    }

    // Text mode, now through the already running listener: the dump text itself.
    let text = healthtop(&["dump", "-p", &pid.to_string()]);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(text.contains("Full thread dump"), "{text}");
    assert_eq!(text.matches("at Parker.parkHere(").count(), WORKERS);
    assert!(jvm.alive());

    // Closing stdin ends the JVM; everything it printed must be our "ready" line only: the
    // SIGQUIT healthtop sent started the attach listener instead of printing a dump.
    drop(jvm.child.stdin.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(jvm.stdout.as_mut().expect("piped"), &mut rest)
        .expect("read JVM stdout");
    assert!(
        !rest.contains("Full thread dump"),
        "the JVM printed a thread dump on its stdout: {rest}"
    );
}
