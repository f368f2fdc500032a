//! The headroom model on real children: a leak that stops loses its ETA in `report --watch`,
//! and RLIMIT_NPROC is judged against every task of the real user, with an ETA checked against
//! the moment the child's thread creation really fails.

mod rules_support;

use rules_support::live::{
    finding, have_gcc, report, require_tool, start_target, start_target_under, target_binary,
};
use std::os::unix::fs::PermissionsExt;

/// `word MS` printed by the target: the epoch milliseconds.
fn stamp(line: &str, word: &str) -> u64 {
    line.strip_prefix(word)
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("expected {word:?}, the child said {line:?}"))
}

#[test]
fn a_leak_that_stops_has_no_eta_at_the_end_of_report_watch() {
    if !have_gcc() {
        return;
    }
    // 10 fds/s for 15 s from the moment the watch starts, then flat for the rest of 40 s.
    let mut target = start_target(&["fdburst", "400", "10", "150"]);
    target.close_stdin();
    let r = report(target.pid(), &["--watch", "40s"]);
    let started = stamp(&target.next_line(), "start ");
    let stopped = stamp(&target.next_line(), "stopped ");
    let last_sample = r["taken_at_ms"].as_u64().expect("taken_at_ms");
    let flat_secs = last_sample.saturating_sub(stopped) as f64 / 1000.0;
    // The stop must lie within the watch, and at most 30 s before its end, for the check to
    // mean "withdrawn within 30 s".
    assert!(
        stopped > started && flat_secs > 0.0 && flat_secs <= 30.0,
        "the burst stopped {flat_secs:.1}s before the last sample"
    );
    let f = finding(&r, "fd-leak").unwrap_or_else(|| panic!("no fd-leak: {:#}", r["findings"]));
    assert_eq!(f["severity"], "info", "{f:#}");
    assert!(f["eta_seconds"].is_null(), "{f:#}");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("flat since"), "{message}");
    // Truth: the child opened 150 fds, most of them inside the watch window.
    let grew: f64 = message
        .split("grew by ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'grew by N' in {message}"));
    assert!((120.0..=150.0).contains(&grew), "{message}");
    // The headroom model in the report says the same.
    let fds = &r["headroom"]["resources"][0];
    assert_eq!(fds["kind"], "fds", "{fds:#}");
    assert_eq!(fds["outlook"]["state"], "stopped", "{fds:#}");
}

#[test]
fn rlimit_nproc_counts_every_task_of_the_real_user() {
    if !have_gcc() || !require_tool("setpriv") || !require_tool("prlimit") {
        return;
    }
    // nobody must be able to run the compiled target.
    let dir = target_binary().parent().expect("binary dir");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ];
    // 20 other tasks of the same user: a process with 19 threads besides its main one.
    let _others = start_target_under(&nobody, &["threads", "19"]);
    // The leaker may have 100 tasks of its user, adding 2 threads a second.
    let mut wrapper = nobody.to_vec();
    wrapper.extend(["prlimit", "--nproc=100", "--"]);
    let mut leaker = start_target_under(&wrapper, &["threadleak", "2"]);
    let r = report(leaker.pid(), &["--watch", "20s"]);
    assert_eq!(r["uid"]["real"], 65534, "{:#}", r["uid"]);
    let users_tasks = r["threads"]["user_tasks"].as_u64().expect("user_tasks");
    assert!(
        users_tasks >= 20,
        "only {users_tasks} tasks of nobody counted"
    );
    let f = finding(&r, "thread-leak").unwrap_or_else(|| panic!("{:#}", r["findings"]));
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("RLIMIT_NPROC"), "{f:#}");
    let eta = f["eta_seconds"].as_f64().expect("eta");
    // Truth: the moment pthread_create really failed with EAGAIN.
    let failed = stamp(&leaker.next_line(), "eagain ");
    let last_sample = r["taken_at_ms"].as_u64().expect("taken_at_ms");
    let real_left = failed.saturating_sub(last_sample) as f64 / 1000.0;
    assert!(
        (eta - real_left).abs() <= 0.4 * real_left,
        "ETA {eta:.1}s, but thread creation failed {real_left:.1}s after the last sample: {f:#}"
    );
}

#[test]
fn rlimit_nproc_does_not_bind_root() {
    if !have_gcc() || !require_tool("prlimit") || !nix::unistd::getuid().is_root() {
        return;
    }
    // As root a tiny RLIMIT_NPROC is not enforced: the thread limit must be another one.
    let target = start_target_under(&["prlimit", "--nproc=5", "--"], &["threads", "10"]);
    let r = report(target.pid(), &[]);
    assert_eq!(r["uid"]["real"], 0, "{:#}", r["uid"]);
    let threads = &r["headroom"]["resources"][1];
    assert_eq!(threads["kind"], "threads", "{threads:#}");
    let names: Vec<&str> = threads["limits"]
        .as_array()
        .expect("limits")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(!names.contains(&"RLIMIT_NPROC"), "{names:?}");
    assert_ne!(threads["binding"]["name"], "RLIMIT_NPROC", "{threads:#}");
}
