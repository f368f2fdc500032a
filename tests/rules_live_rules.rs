//! Must-show 3 on real processes: each rule fires on a C child built to trip it (ground truth
//! checked in /proc where it matters) and stays quiet on a healthy child.

mod rules_support;

use rules_support::live::{
    config_file, finding, findings, have_gcc, proc_state, report, start_target, wait_until, Target,
};
use serde_json::Value;
use std::io::Write;
use std::net::TcpStream;

/// Thresholds short enough for a 10 s watch; everything else stays at its default.
const FAST: &str = "[d_state]\nwarn_secs = 5\ncrit_secs = 600\n[pending_signals]\nwarn_secs = 5\n";

fn watch(target: &Target, seconds: u32) -> Value {
    let (_dir, path) = config_file(FAST);
    report(
        target.pid(),
        &["--watch", &format!("{seconds}s"), "--config", &path],
    )
}

fn expect(r: &Value, rule: &str, severity: &str) -> Value {
    let f = finding(r, rule).unwrap_or_else(|| panic!("{rule} did not fire: {:#}", r["findings"]));
    assert_eq!(f["severity"], severity, "{f:#}");
    f.clone()
}

fn absent(r: &Value, rule: &str) {
    assert!(
        finding(r, rule).is_none(),
        "{rule} fired: {:#}",
        r["findings"]
    );
}

fn wchan(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default()
}

/// Children of `pid` in state Z, from /proc (the truth the collector is compared with).
fn zombie_children(pid: i32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            let Some(close) = stat.rfind(')') else {
                return false;
            };
            let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
            fields.first() == Some(&"Z") && fields.get(1) == Some(&pid.to_string().as_str())
        })
        .count()
}

#[test]
fn healthy_child_raises_nothing_once_or_over_a_watch() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["healthy"]);
    let limits =
        std::fs::read_to_string(format!("/proc/{}/limits", target.pid())).unwrap_or_default();
    let cores_off = limits
        .lines()
        .any(|l| l.starts_with("Max core file size") && l.split_whitespace().nth(4) == Some("0"));
    for r in [report(target.pid(), &[]), watch(&target, 10)] {
        let unexpected: Vec<Value> = findings(&r)
            .into_iter()
            .filter(|f| !(cores_off && f["rule"] == "core-dumps"))
            .collect();
        assert!(
            unexpected.is_empty(),
            "healthy child raised {unexpected:#?}"
        );
    }
}

#[test]
fn stall_fires_on_a_deadlocked_server_with_unread_input() {
    if !have_gcc() {
        return;
    }
    let mut target = start_target(&["stall"]);
    let port: u16 = target.ready_arg.parse().expect("port");
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    assert_eq!(target.next_line(), "stuck");
    client.write_all(&[b'x'; 100]).expect("send");
    let pid = target.pid();
    wait_until("the server blocks on its own mutex", || {
        wchan(pid).contains("futex")
    });
    let r = watch(&target, 10);
    let f = expect(&r, "stall", "crit");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("100 bytes"),
        "{f:#}"
    );
}

#[test]
fn stall_is_quiet_on_a_server_that_reads_its_input() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["server"]);
    let port: u16 = target.ready_arg.parse().expect("port");
    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    client.write_all(&[b'x'; 100]).expect("send");
    let r = watch(&target, 10);
    absent(&r, "stall");
}

#[test]
fn d_state_fires_on_a_vfork_parent() {
    if !have_gcc() {
        return;
    }
    let mut target = start_target(&["vfork"]);
    let pid = target.pid();
    wait_until("the vfork parent sleeps in D", || proc_state(pid) == "D");
    let r = watch(&target, 8);
    let f = expect(&r, "d-state", "warn");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains(&pid.to_string()),
        "{f:#}"
    );
    target.close_stdin();
}

#[test]
fn pending_signal_fires_when_blocked_everywhere() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["pending"]);
    let r = watch(&target, 8);
    let f = expect(&r, "pending-signals", "warn");
    assert!(
        f["message"].as_str().expect("message").contains("SIGUSR1"),
        "{f:#}"
    );
}

/// utime + stime of `pid` in clock ticks, from /proc/PID/stat (fields 14 and 15).
fn cpu_ticks(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let close = stat.rfind(')').expect("comm");
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    let field = |i: usize| fields[i].parse::<f64>().expect("number");
    field(11) + field(12)
}

#[test]
fn cpu_limit_fires_on_a_spinning_child_with_rlimit_cpu() {
    if !have_gcc() {
        return;
    }
    let limited = start_target(&["cpuspin", "120"]);
    // The truth is the CPU rate the spinner really got during the watch, whatever share of a
    // CPU this machine gave it: the ETA must match it, not a fixed bound.
    let (start, ticks_before) = (std::time::Instant::now(), cpu_ticks(limited.pid()));
    let r = watch(&limited, 10);
    let (elapsed, ticks_after) = (start.elapsed(), cpu_ticks(limited.pid()));
    let hz = r["system"]["clock_ticks_per_sec"].as_f64().expect("hz");
    let cpu_per_sec = (ticks_after - ticks_before) / hz / elapsed.as_secs_f64();
    let expected = (120.0 - ticks_after / hz) / cpu_per_sec;
    let f = finding(&r, "cpu-limit")
        .unwrap_or_else(|| panic!("cpu-limit did not fire: {:#}", r["findings"]));
    let eta = f["eta_seconds"].as_f64().expect("eta");
    assert!(
        (eta - expected).abs() <= 0.35 * expected,
        "ETA {eta:.0}s, but at the {:.0}% of a CPU the spinner got, SIGXCPU is {expected:.0}s away: {f:#}",
        cpu_per_sec * 100.0
    );
    // Ten samples that all rise are confirmed: crit when the limit is within the hour.
    let crit = eta <= 3600.0;
    assert_eq!(f["severity"], if crit { "crit" } else { "warn" }, "{f:#}");
    drop(limited);
    let free = start_target(&["cpuspin", "0"]);
    absent(&watch(&free, 10), "cpu-limit");
}

#[test]
fn sigbus_risk_fires_on_a_truncated_shared_mapping() {
    if !have_gcc() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("mapped.bin");
    let file = file.to_str().expect("utf-8");
    let truncated = start_target(&["sigbus", file]);
    let f = expect(&report(truncated.pid(), &[]), "sigbus-risk", "crit");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .contains("mapped.bin"),
        "{f:#}"
    );
    drop(truncated);
    let whole = start_target(&["mapped", file]);
    absent(&report(whole.pid(), &[]), "sigbus-risk");
}

#[test]
fn signal_rules_fire_on_their_children() {
    if !have_gcc() {
        return;
    }
    let blocksegv = start_target(&["blocksegv"]);
    let f = expect(&report(blocksegv.pid(), &[]), "fault-signals", "warn");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("SIGSEGV") && evidence.contains("SIGBUS"),
        "{f:#}"
    );
    for mode in ["ignoreterm", "blockterm"] {
        let t = start_target(&[mode]);
        let f = expect(&report(t.pid(), &[]), "sigterm", "warn");
        // Its parent is this test, another program: nobody else will stop it.
        assert!(!f["message"].to_string().contains("supervis"), "{f:#}");
    }
    // A worker whose master runs the same program ignores SIGTERM by design: said, not warned.
    let master = start_target(&["worker"]);
    let worker: i32 = master.ready_arg.parse().expect("worker pid");
    let r = report(worker, &[]);
    assert_eq!(r["parent"]["pid"], master.pid(), "{:#}", r["parent"]);
    let f = expect(&r, "sigterm", "info");
    assert!(
        f["message"].to_string().contains(&format!(
            "supervising parent {} (pid {})",
            r["parent"]["comm"].as_str().expect("comm"),
            master.pid()
        )),
        "{f:#}"
    );
    let socket = start_target(&["socket"]);
    expect(&report(socket.pid(), &[]), "sigpipe", "warn");
    let seccomp = start_target(&["seccomp"]);
    let f = expect(&report(seccomp.pid(), &[]), "seccomp", "info");
    assert!(
        f["message"]
            .as_str()
            .expect("message")
            .starts_with("2 seccomp"),
        "{f:#}"
    );
    let nocore = start_target(&["nocore"]);
    expect(&report(nocore.pid(), &[]), "core-dumps", "info");
}

#[test]
fn zombie_children_fire_when_not_reaped() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["zombies", "6"]);
    let pid = target.pid();
    wait_until("six zombie children", || zombie_children(pid) == 6);
    let r = report(pid, &[]);
    assert_eq!(r["threads"]["zombie_children"], 6);
    expect(&r, "zombie-children", "warn");
}

#[test]
fn close_wait_fires_on_a_server_that_never_closes() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["acceptor"]);
    let port: u16 = target.ready_arg.parse().expect("port");
    for _ in 0..70 {
        drop(TcpStream::connect(("127.0.0.1", port)).expect("connect"));
    }
    let pid = target.pid();
    let port_hex = format!(":{port:04X} ");
    wait_until("70 sockets in CLOSE_WAIT", || {
        std::fs::read_to_string(format!("/proc/{pid}/net/tcp"))
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.get(1)
                    .is_some_and(|local| format!("{local} ").contains(&port_hex))
                    && cols.get(3) == Some(&"08")
            })
            .count()
            >= 70
    });
    let r = report(pid, &[]);
    assert_eq!(r["fds"]["tcp"]["close_wait"], 70);
    expect(&r, "close-wait", "warn");
}

#[test]
fn fd_headroom_fires_at_the_limit() {
    if !have_gcc() {
        return;
    }
    let mut target = start_target(&["fdleak", "100", "1000"]);
    assert!(target.next_line().starts_with("emfile "));
    // Every number below 100 is taken (fds the child inherited above 100 do not count).
    let f = expect(&report(target.pid(), &[]), "fd-headroom", "crit");
    let message = f["message"].as_str().expect("message");
    assert!(message.starts_with("100 of 100 file descriptors"), "{f:#}");
}
