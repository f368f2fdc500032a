//! Must-show 1: real leaking children raise a warn or crit finding within a 20 s
//! `report --watch`, and the fd ETA matches the moment the child really hits EMFILE.

mod rules_support;

use rules_support::live::{finding, have_gcc, report, start_target};

fn severity_is_warn_or_crit(f: &serde_json::Value) -> bool {
    f["severity"] == "warn" || f["severity"] == "crit"
}

#[test]
fn fd_leak_is_forecast_within_25_percent_of_the_real_emfile() {
    if !have_gcc() {
        return;
    }
    // 10 fds/s under a limit of 400: EMFILE about 40 s after start, ~20 s after the watch.
    let mut target = start_target(&["fdleak", "400", "10"]);
    let r = report(target.pid(), &["--watch", "20s"]);
    let f = finding(&r, "fd-leak").unwrap_or_else(|| panic!("no fd-leak finding: {r:#}"));
    assert!(severity_is_warn_or_crit(f), "{f}");
    let eta = f["eta_seconds"].as_f64().expect("fd-leak has an ETA");
    let last_sample_ms = r["taken_at_ms"].as_u64().expect("taken_at_ms");

    let line = target.next_line();
    let emfile_ms: u64 = line
        .strip_prefix("emfile ")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("child said {line:?}"));
    let real_left = (emfile_ms - last_sample_ms) as f64 / 1000.0;
    assert!(
        (eta - real_left).abs() <= 0.25 * real_left,
        "ETA {eta:.1}s but EMFILE came {real_left:.1}s after the last sample"
    );
}

#[test]
fn thread_leak_raises_a_finding() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["threadleak", "5"]);
    let r = report(target.pid(), &["--watch", "20s"]);
    let f = finding(&r, "thread-leak").unwrap_or_else(|| panic!("no thread-leak finding: {r:#}"));
    assert!(severity_is_warn_or_crit(f), "{f}");
    let eta = f["eta_seconds"].as_f64().expect("thread-leak has an ETA");
    // Truth: the child adds exactly 5 threads a second, each costing 2 mappings (stack and
    // guard page); the limits are the kernel's own files, each counted the kernel's way
    // (threads-max and pid_max over every task on the host, RLIMIT_NPROC over every task of
    // the real user and not for root). The ETA is the time until the first of them runs out.
    let sysctl = |name: &str| -> f64 {
        std::fs::read_to_string(format!("/proc/sys/{name}"))
            .expect("sysctl readable")
            .trim()
            .parse()
            .expect("number")
    };
    let host_tasks: f64 = std::fs::read_to_string("/proc/loadavg")
        .expect("loadavg")
        .split_whitespace()
        .nth(3)
        .and_then(|f| f.split('/').nth(1))
        .and_then(|t| t.parse().ok())
        .expect("task total");
    let maps = r["memory"]["map_count"].as_f64().expect("map_count");
    let mut headroom = vec![
        sysctl("kernel/threads-max") - host_tasks,
        sysctl("kernel/pid_max") - host_tasks,
        (sysctl("vm/max_map_count") - maps) / 2.0,
    ];
    if let (Some(max), Some(current)) = (
        r["threads"]["cgroup_pids_max"].as_f64(),
        r["threads"]["cgroup_pids_current"].as_f64(),
    ) {
        headroom.push(max - current);
    }
    if r["uid"]["real"].as_u64() != Some(0) {
        if let (Some(nproc), Some(tasks)) = (
            r["limits"]["nproc"]["soft"].as_f64(),
            r["threads"]["user_tasks"].as_f64(),
        ) {
            headroom.push(nproc - tasks);
        }
    }
    let expected = headroom.into_iter().fold(f64::INFINITY, f64::min) / 5.0;
    assert!(
        (eta - expected).abs() <= 0.25 * expected,
        "ETA {eta:.0}s, expected {expected:.0}s from the kernel's limits: {f:#}"
    );
}

#[test]
fn memory_growth_under_rlimit_as_raises_a_finding() {
    if !have_gcc() {
        return;
    }
    // 4 MiB mapped 5 times a second under a 1 GiB address-space limit: ENOMEM in ~50 s.
    let mut target = start_target(&["memleak", "1024", "5"]);
    let r = report(target.pid(), &["--watch", "20s"]);
    let f =
        finding(&r, "memory-growth").unwrap_or_else(|| panic!("no memory-growth finding: {r:#}"));
    assert!(severity_is_warn_or_crit(f), "{f}");
    let message = f["message"].as_str().expect("message");
    assert!(message.contains("RLIMIT_AS"), "{message}");
    let eta = f["eta_seconds"].as_f64().expect("memory-growth has an ETA");
    let last_sample_ms = r["taken_at_ms"].as_u64().expect("taken_at_ms");
    let line = target.next_line();
    let enomem_ms: u64 = line
        .strip_prefix("enomem ")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("child said {line:?}"));
    let real_left = (enomem_ms - last_sample_ms) as f64 / 1000.0;
    assert!(
        (eta - real_left).abs() <= 0.25 * real_left,
        "ETA {eta:.1}s but ENOMEM came {real_left:.1}s after the last sample"
    );
}

#[test]
fn a_child_that_dies_during_the_watch_is_reported_with_what_led_to_it() {
    if !have_gcc() {
        return;
    }
    // Leaks 10 fds/s under a limit of 100 and exits at EMFILE, about 10 s into a 20 s watch.
    let target = start_target(&["fdleak", "100", "10", "exit"]);
    let r = report(target.pid(), &["--watch", "20s"]);
    let exited = finding(&r, "exited").unwrap_or_else(|| panic!("no exited: {r:#}"));
    assert_eq!(exited["severity"], "crit");
    // The last sample shows the descriptors it was running out of, and the leak was forecast.
    assert!(r["fds"]["open"].as_u64() >= Some(80), "{:#}", r["fds"]);
    let leak = finding(&r, "fd-leak").unwrap_or_else(|| panic!("no fd-leak: {r:#}"));
    assert!(severity_is_warn_or_crit(leak), "{leak}");
}
