//! `healthtop report --json` against real processes, compared key by key with the kernel and
//! truth tools (`/proc`, `prlimit`, `ps -T`, `kill -l`), read independently here.

mod live_support;

use live_support::{
    build_c, healthtop, proc_text, require_tool, sh, wait_parked, wait_until, Target,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

fn report(pid: i32) -> Value {
    let output = healthtop()
        .args(["report", "-p", &pid.to_string(), "--json"])
        .output()
        .expect("healthtop runs");
    assert!(
        output.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("valid JSON")
}

fn status_field(pid: i32, key: &str) -> String {
    proc_text(&format!("{pid}/status"))
        .lines()
        .find_map(|l| {
            l.strip_prefix(&format!("{key}:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// Signal names for a status mask, by `kill -l` (glibc numbering, SIGRTMIN = 34).
fn truth_signal_names(mask_hex: &str) -> Vec<String> {
    let mask = u64::from_str_radix(mask_hex, 16).expect("hex mask");
    (1..=64u32)
        .filter(|n| mask >> (n - 1) & 1 == 1)
        .map(|n| match n {
            1..=31 | 34 => format!("SIG{}", sh(&format!("bash -c 'kill -l {n}'")).trim()),
            32 | 33 => format!("SIG{n}"),
            _ => format!("SIGRTMIN+{}", n - 34),
        })
        .collect()
}

fn names(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

/// Every listed key of the report against the kernel. Holds for any idle target.
fn assert_matches_kernel(pid: i32, r: &Value) {
    let stat = proc_text(&format!("{pid}/stat"));
    let after_comm: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..]
        .split(' ')
        .collect();
    assert_eq!(r["schema"], "healthtop.report/1");
    assert_eq!(r["pid"], pid);
    assert_eq!(r["comm"], proc_text(&format!("{pid}/comm")).trim());
    assert_eq!(
        r["start_time"].as_u64(),
        after_comm[19].parse::<u64>().ok(),
        "start_time = stat field 22"
    );
    assert!(["go", "jvm", "python", "native"].contains(&r["runtime"].as_str().expect("runtime")));

    // Threads: count and per-thread rows against ps -T and /proc/PID/task.
    let tasks: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    assert_eq!(r["threads"]["count"].as_u64(), Some(tasks.len() as u64));
    let ps: BTreeMap<i32, (String, String)> = sh(&format!("ps -T -p {pid} -o spid=,stat=,comm="))
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let tid = parts.next()?.parse().ok()?;
            let state = parts.next()?.chars().next()?.to_string();
            Some((tid, (state, parts.collect::<Vec<_>>().join(" "))))
        })
        .collect();
    let items = r["threads"]["items"].as_array().expect("items");
    assert_eq!(items.len(), ps.len(), "one row per thread, as ps -T");
    for item in items {
        let tid = item["tid"].as_i64().expect("tid") as i32;
        let (state, name) = &ps[&tid];
        assert_eq!(
            item["state"].as_str(),
            Some(state.as_str()),
            "state of {tid}"
        );
        assert_eq!(item["name"].as_str(), Some(name.as_str()), "name of {tid}");
        let wchan = proc_text(&format!("{pid}/task/{tid}/wchan"));
        let expected_wchan = Some(wchan.trim()).filter(|w| !w.is_empty() && *w != "0");
        assert_eq!(item["wchan"].as_str(), expected_wchan, "wchan of {tid}");
        let syscall = proc_text(&format!("{pid}/task/{tid}/syscall"));
        let first = syscall.split_whitespace().next().unwrap_or("");
        if let Ok(nr) = first.parse::<i64>() {
            if nr >= 0 {
                assert_eq!(item["syscall_nr"].as_i64(), Some(nr), "syscall of {tid}");
                assert!(item["syscall"].as_str().is_some_and(|s| !s.is_empty()));
            }
        }
    }

    // Fds against ls /proc/PID/fd and prlimit.
    let open = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd dir")
        .count() as u64;
    assert_eq!(r["fds"]["open"].as_u64(), Some(open));
    let by_kind_total: u64 = r["fds"]["by_kind"]
        .as_object()
        .expect("by_kind")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(by_kind_total, open, "by_kind covers every fd");
    let prlimit: BTreeMap<String, (String, String)> = sh(&format!(
        "prlimit --pid {pid} --raw --noheadings --output RESOURCE,SOFT,HARD"
    ))
    .lines()
    .filter_map(|line| {
        let mut p = line.split_whitespace();
        Some((
            p.next()?.to_ascii_lowercase(),
            (p.next()?.to_string(), p.next()?.to_string()),
        ))
    })
    .collect();
    assert_eq!(prlimit.len(), 16, "prlimit lists 16 resources");
    let as_limit = |v: &Value| {
        v.as_u64()
            .map_or_else(|| "unlimited".to_string(), |n| n.to_string())
    };
    assert_eq!(as_limit(&r["fds"]["soft_limit"]), prlimit["nofile"].0);
    assert_eq!(as_limit(&r["fds"]["hard_limit"]), prlimit["nofile"].1);
    for (resource, (soft, hard)) in &prlimit {
        let row = &r["limits"][resource.as_str()];
        assert_eq!(as_limit(&row["soft"]), *soft, "{resource} soft");
        assert_eq!(as_limit(&row["hard"]), *hard, "{resource} hard");
    }
    assert_eq!(as_limit(&r["core"]["rlimit_bytes"]), prlimit["core"].0);
    assert_eq!(
        r["core"]["pattern"].as_str(),
        Some(proc_text("sys/kernel/core_pattern").trim_end_matches('\n'))
    );

    // Memory against status and maps.
    let kib = |key: &str| {
        status_field(pid, key)
            .trim_end_matches("kB")
            .trim()
            .parse::<u64>()
            .ok()
            .map(|k| k * 1024)
    };
    assert_eq!(r["memory"]["rss_bytes"].as_u64(), kib("VmRSS"));
    assert_eq!(r["memory"]["swap_bytes"].as_u64(), kib("VmSwap"));
    let maps = proc_text(&format!("{pid}/maps"));
    let vmas = maps.lines().filter(|l| !l.ends_with("[vsyscall]")).count() as u64;
    assert_eq!(r["memory"]["map_count"].as_u64(), Some(vmas));
    assert_eq!(
        r["memory"]["max_map_count"].as_u64(),
        proc_text("sys/vm/max_map_count").trim().parse().ok()
    );
    let deleted_in_maps = maps
        .lines()
        .filter(|l| {
            l.ends_with(" (deleted)")
                && !l.contains("/memfd:")
                && !l.contains("/SYSV")
                && !l.contains("/dev/zero")
        })
        .count();
    assert_eq!(
        r["memory"]["deleted_mappings"].as_array().map(Vec::len),
        Some(deleted_in_maps)
    );
    assert!(r["memory"]["mappings_past_eof"].is_array());

    // Seccomp and signals against status, decoded by kill -l.
    let mode = match status_field(pid, "Seccomp").as_str() {
        "0" => "disabled",
        "1" => "strict",
        _ => "filter",
    };
    assert_eq!(r["seccomp"]["mode"], mode);
    assert_eq!(
        r["seccomp"]["filters"].as_u64(),
        status_field(pid, "Seccomp_filters").parse().ok()
    );
    assert_eq!(
        r["seccomp"]["no_new_privs"].as_bool(),
        Some(status_field(pid, "NoNewPrivs") == "1")
    );
    assert_eq!(
        names(&r["signals"]["blocked"]),
        truth_signal_names(&status_field(pid, "SigBlk"))
    );
    assert_eq!(
        names(&r["signals"]["ignored"]),
        truth_signal_names(&status_field(pid, "SigIgn"))
    );
    assert_eq!(
        names(&r["signals"]["caught"]),
        truth_signal_names(&status_field(pid, "SigCgt"))
    );
    let pending = u64::from_str_radix(&status_field(pid, "SigPnd"), 16).expect("SigPnd")
        | u64::from_str_radix(&status_field(pid, "ShdPnd"), 16).expect("ShdPnd");
    assert_eq!(
        names(&r["signals"]["pending"]),
        truth_signal_names(&format!("{pending:x}"))
    );
    assert!(r["unavailable"].is_array());
}

/// Reports on `pid` and compares with the kernel. A parked thread can still be woken for a
/// moment between healthtop's reading and the test's (state R, no wchan), so a disagreement
/// is retried with fresh readings; a real mismatch fails every time.
fn report_matching_kernel(pid: i32) -> Value {
    for _ in 0..4 {
        let r = report(pid);
        if std::panic::catch_unwind(|| assert_matches_kernel(pid, &r)).is_ok() {
            return r;
        }
    }
    let r = report(pid);
    assert_matches_kernel(pid, &r);
    r
}

#[test]
fn report_of_the_truth_target_matches_the_kernel() {
    if !require_tool("gcc") || !require_tool("prlimit") {
        return;
    }
    let scratch = tempfile::tempdir().expect("tempdir");
    let binary = build_c("truth_target", scratch.path(), &["-O0", "-g"]);
    let mut command = Command::new(&binary);
    command.arg(scratch.path());
    let target = Target::start(command, "ready");
    let pid = target.pid();
    // Readiness from the kernel: all five workers parked in their system calls.
    wait_until("workers parked", || {
        let tids = sh(&format!("ls /proc/{pid}/task")).lines().count();
        let parked = sh(&format!("cat /proc/{pid}/task/*/syscall"))
            .lines()
            .filter(|l| !l.starts_with("running"))
            .count();
        tids == 6 && parked == 6
    });
    let status = Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            "--nofile=777:888",
            "--core=4096:unlimited",
        ])
        .status()
        .expect("prlimit runs");
    assert!(status.success());
    assert!(Command::new("kill")
        .args(["-USR2", &pid.to_string()])
        .status()
        .expect("kill")
        .success());
    wait_until("SIGUSR2 pending", || {
        status_field(pid, "ShdPnd") != "0000000000000000"
    });

    let r = report_matching_kernel(pid);

    // The known ground truth of this target.
    assert_eq!(r["threads"]["count"], 6);
    let thread = |name: &str| {
        r["threads"]["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .expect(name)
    };
    assert_eq!(thread("worker-pause")["syscall"], "pause");
    assert_eq!(thread("worker-futex")["syscall"], "futex");
    assert_eq!(thread("worker-sleep")["syscall"], "clock_nanosleep");
    assert_eq!(thread("worker-read")["syscall"], "read");
    assert_eq!(thread("worker-accept")["syscall"], "accept");
    assert!(thread("worker-futex")["wchan"]
        .as_str()
        .is_some_and(|w| w.contains("futex")));
    let sleep_mask = names(&thread("worker-sleep")["blocked_signals"]);
    assert_eq!(
        sleep_mask,
        vec!["SIGUSR1", "SIGUSR2", "SIGTERM", "SIGRTMIN+2"]
    );
    assert_eq!(names(&r["signals"]["blocked"]), vec!["SIGUSR2", "SIGTERM"]);
    assert!(names(&r["signals"]["ignored"]).contains(&"SIGPIPE".to_string()));
    assert!(names(&r["signals"]["caught"]).contains(&"SIGSEGV".to_string()));
    assert_eq!(names(&r["signals"]["pending"]), vec!["SIGUSR2"]);
    assert_eq!(r["seccomp"]["mode"], "filter");
    assert_eq!(r["seccomp"]["filters"], 1);
    assert_eq!(r["seccomp"]["no_new_privs"], true);
    assert_eq!(r["fds"]["soft_limit"], 777);
    assert_eq!(r["fds"]["hard_limit"], 888);
    assert_eq!(r["core"]["rlimit_bytes"], 4096);
    let kinds = &r["fds"]["by_kind"];
    assert_eq!(kinds["anon_inode:eventfd"], 1);
    assert_eq!(
        kinds["anon_inode:[eventpoll]"]
            .as_u64()
            .or(kinds["anon_inode:eventpoll"].as_u64()),
        Some(1)
    );
    assert_eq!(
        kinds["anon_inode:[timerfd]"]
            .as_u64()
            .or(kinds["anon_inode:timerfd"].as_u64()),
        Some(1)
    );
    assert_eq!(kinds["directory"], 1);
    assert_eq!(kinds["socket"], 2, "listener + accepted");
    assert!(kinds["pipe"].as_u64() >= Some(2));
    assert!(kinds["file"].as_u64() >= Some(2));
    let deleted = r["fds"]["deleted_files"].as_array().expect("deleted files");
    assert!(deleted.iter().any(|f| f["target"]
        .as_str()
        .is_some_and(|t| t.ends_with("held-deleted.log (deleted)"))));
    assert_eq!(r["fds"]["tcp"]["close_wait"], 1);
    assert_eq!(r["fds"]["tcp"]["listen"], 1);
    let past = r["memory"]["mappings_past_eof"]
        .as_array()
        .expect("past eof");
    assert_eq!(past.len(), 1, "{past:?}");
    assert!(past[0]["mapping"]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("truncated.dat")));
    assert_eq!(past[0]["pages_past_eof"], 3);
    let deleted_maps = r["memory"]["deleted_mappings"]
        .as_array()
        .expect("deleted maps");
    assert!(deleted_maps.iter().any(|m| m["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("mapped-deleted.dat"))));
    assert_eq!(r["runtime"], "native");
}

#[test]
fn report_of_other_processes_matches_the_kernel() {
    // The comparison holds for any target, not only the one built for it.
    let sleeper = Target::sleeper();
    wait_until("sleep exec'd", || {
        proc_text(&format!("{}/comm", sleeper.pid())).trim() == "sleep"
    });
    wait_parked(sleeper.pid(), 1, &["clock_nanosleep", "nanosleep"]);
    report_matching_kernel(sleeper.pid());

    let python = Target::start(
        {
            let mut c = Command::new("python3");
            c.args(["-c", "import threading,sys,time\nev=threading.Event()\nfor i in range(3): threading.Thread(target=ev.wait,daemon=True).start()\nprint('ready',flush=True)\nev.wait()"]);
            c
        },
        "ready",
    );
    let pid = python.pid();
    wait_parked(pid, 4, &["futex"]);
    let r = report_matching_kernel(pid);
    assert_eq!(r["runtime"], "python");
}
