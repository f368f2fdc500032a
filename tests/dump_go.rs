//! `healthtop dump` on a real Go service (tests/targets/dump_goleak.go, built with `go build`,
//! standard library only) that leaks goroutines parked in `main.parkedForever`: totals
//! against the service's own pprof endpoint, the leaked goroutines listed with their function,
//! SIGQUIT refused (and shown to be deadly with --force).

mod dump_support;

use dump_support::*;
use healthtop::runtimes::go::{endpoint, goroutine_count};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const INITIAL_LEAK: u64 = 25;

/// Builds the service once per test binary, in cargo's per-target scratch dir; GOCACHE lives
/// there too, so repeated runs reuse the compiled standard library and leave nothing in /tmp.
fn service_binary() -> Option<PathBuf> {
    static BINARY: OnceLock<Option<PathBuf>> = OnceLock::new();
    BINARY
        .get_or_init(|| go_build("dump_goleak.go", "goleak"))
        .clone()
}

/// A running service and its port (read from its "port N" readiness line).
fn start_service() -> Option<(Target, u16)> {
    let binary = service_binary()?;
    let mut command = Command::new(binary);
    command
        .args(["-leak", &INITIAL_LEAK.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut service = Target::spawn(command);
    let line = service.read_line();
    let port = line
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("readiness line {line:?}"));
    Some((service, port))
}

/// The group in healthtop's JSON whose stack contains `function`.
fn group_count(dump: &serde_json::Value, function: &str) -> u64 {
    dump["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| {
            g["frames"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["function"] == function))
        })
        .filter_map(|g| g["count"].as_u64())
        .sum()
}

/// Every HTTP request leaves its connection goroutine alive for ~500 ms after the answer (Go's
/// `closeWriteAndWait`), so one request sees the previous one's goroutine only if it came
/// soon enough. Rather than compare with a tolerance, repeat truth / healthtop / truth until
/// the endpoint gives the same total on both sides of healthtop's reading: then the state was
/// stable across the reading and healthtop's total must equal it exactly.
fn settled<T>(port: u16, mut read: impl FnMut() -> (u64, T)) -> (u64, u64, T) {
    let mut last = None;
    for _ in 0..20 {
        let before = profile_total(&http_get(port, "/debug/pprof/goroutine?debug=1"));
        let (ours, extra) = read();
        let after = profile_total(&http_get(port, "/debug/pprof/goroutine?debug=1"));
        // A finished HTTP connection keeps its goroutine for ~500 ms, so any of the three
        // readings can carry a straggler; a moment when all three agree is the settled truth.
        // A healthtop that misread the total would never agree and fail below.
        if before == after && ours == before {
            return (before, ours, extra);
        }
        last = Some((before, ours, after));
    }
    panic!("healthtop and the endpoint never agreed across 20 readings (last before/ours/after: {last:?})");
}

#[test]
fn goroutine_totals_match_the_endpoint_and_leaks_are_listed() {
    let Some((mut service, port)) = start_service() else {
        return;
    };
    let pid = service.upid().to_string();

    let (truth, ours, dump) = settled(port, || {
        let dump = healthtop_json(&["dump", "-p", &pid, "--json"]);
        (dump["total"].as_u64().expect("total"), dump)
    });
    assert_eq!(ours, truth, "healthtop total vs pprof's own header");
    assert_eq!(dump["runtime"], "go");
    assert_eq!(dump["method"], "pprof");
    assert_eq!(group_count(&dump, "main.parkedForever"), INITIAL_LEAK);
    // Truth for the group: the endpoint's own debug=1 text lists the same count.
    let own = http_get(port, "/debug/pprof/goroutine?debug=1");
    let own_group = own
        .split("\n\n")
        .find(|block| block.contains("main.parkedForever+"))
        .and_then(|block| block.lines().find(|l| l.contains(" @ ")))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok());
    assert_eq!(own_group, Some(INITIAL_LEAK));

    // The library's cheap count for the leak rule, against the same truth.
    let found = endpoint(service.upid(), None).expect("endpoint discovered");
    assert_eq!(found.address.port(), port);
    let (truth, ours, ()) = settled(port, || {
        (
            goroutine_count(&found, Duration::from_secs(10)).expect("count"),
            (),
        )
    });
    assert_eq!(ours, truth);

    // Leak 10 more: the service answers once they are parked.
    assert_eq!(http_get(port, "/leak?n=10").trim(), "leaked 35");

    // debug=2: every goroutine, with state; the 35 leaked ones in chan receive, created by
    // main.leak. The cost is said on stderr.
    let output = healthtop(&["dump", "-p", &pid, "--debug", "2", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("stops the world"),
        "{}",
        stderr(&output)
    );
    let dump: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let goroutines = dump["goroutines"].as_array().expect("goroutines");
    assert_eq!(dump["total"].as_u64(), Some(goroutines.len() as u64));
    let leaked: Vec<&serde_json::Value> = goroutines
        .iter()
        .filter(|g| g["frames"][0]["function"] == "main.parkedForever")
        .collect();
    assert_eq!(leaked.len(), 35);
    for g in &leaked {
        assert_eq!(g["state"], "chan receive", "{g}");
        assert_eq!(g["created_by"]["function"], "main.leak", "{g}");
        assert!(g["id"].as_u64().is_some());
    }
    assert_eq!(group_count(&dump, "main.parkedForever"), 35);

    // Text and folded forms.
    let text = healthtop(&["dump", "-p", &pid]);
    assert!(stdout(&text).starts_with("goroutine profile: total "));
    let folded = stdout(&healthtop(&["dump", "-p", &pid, "--folded"]));
    assert!(
        folded.lines().any(|l| l == "main.parkedForever 35"),
        "{folded}"
    );
    assert!(service.alive());
}

#[test]
fn sigquit_to_go_is_refused_unless_forced() {
    let Some((mut service, port)) = start_service() else {
        return;
    };
    let pid = service.upid().to_string();
    for args in [
        vec!["dump", "-p", &pid, "--signal", "QUIT"],
        vec![
            "dump", "-p", &pid, "--method", "signal", "--signal", "SIGQUIT",
        ],
    ] {
        let output = healthtop(&args);
        assert_eq!(
            output.status.code(),
            Some(7),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("exits with status 2"),
            "{}",
            stderr(&output)
        );
    }
    // Still alive and serving.
    assert!(service.alive());
    assert!(http_get(port, "/debug/pprof/goroutine?debug=1").starts_with("goroutine profile:"));

    // And the reason is true: forced, the service dies with Go's status 2 after printing its
    // goroutines on stderr.
    let mut stderr_pipe = service.child.stderr.take().expect("stderr piped");
    let output = healthtop(&["dump", "-p", &pid, "--signal", "QUIT", "--force"]);
    assert_ne!(output.status.code(), Some(7), "{}", stderr(&output));
    let status = service.child.wait().expect("wait");
    assert_eq!(status.code(), Some(2));
    let mut printed = String::new();
    std::io::Read::read_to_string(&mut stderr_pipe, &mut printed).expect("stderr");
    assert!(printed.contains("SIGQUIT"), "{printed}");
    assert!(printed.contains("main.parkedForever"), "{printed}");
}

/// A service in its own network namespace (as in a container): its 127.0.0.1 is not ours, so
/// healthtop must find the port in the target's net/tcp and connect from inside that
/// namespace. Needs CAP_SYS_ADMIN for `unshare --net`; skipped with a reason without.
#[test]
fn pprof_is_reached_inside_the_targets_network_namespace() {
    let (Some(binary), Some(unshare), Some(_ip)) = (service_binary(), tool("unshare"), tool("ip"))
    else {
        return;
    };
    let probe = Command::new(&unshare)
        .args(["--net", "ip", "link", "set", "lo", "up"])
        .output()
        .expect("unshare runs");
    if !probe.status.success() {
        eprintln!(
            "SKIP: cannot create a network namespace with a loopback here ({})",
            String::from_utf8_lossy(&probe.stderr).trim()
        );
        return;
    }
    let mut command = Command::new(unshare);
    command
        .args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec \"$0\" \"$@\"",
        ])
        .arg(binary)
        .args(["-leak", "7"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut service = Target::spawn(command);
    let line = service.read_line();
    assert!(line.starts_with("port "), "{line}");
    let pid = service.upid().to_string();
    assert_ne!(
        std::fs::read_link(format!("/proc/{pid}/ns/net")).expect("netns"),
        std::fs::read_link("/proc/self/ns/net").expect("own netns"),
        "the service is in another network namespace"
    );
    let output = healthtop(&["dump", "-p", &pid, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("network namespace"),
        "{}",
        stderr(&output)
    );
    let dump: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(group_count(&dump, "main.parkedForever"), 7);
    assert!(service.alive());
}
