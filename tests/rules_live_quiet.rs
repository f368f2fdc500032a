//! Must-show 2: real steady children produce no trend or leak finding over a 30 s watch:
//! an idle server with a connected client, a malloc/free sawtooth, fds opened and closed.

mod rules_support;

use rules_support::live::{findings, have_gcc, report, start_target, Target};
use std::net::TcpStream;

/// Rules that judge growth or progress: none may fire on a steady process.
const TREND_RULES: [&str; 11] = [
    "fd-headroom",
    "fd-leak",
    "close-wait",
    "thread-headroom",
    "thread-leak",
    "memory-growth",
    "map-count",
    "cpu-limit",
    "zombie-children",
    "d-state",
    "stall",
];

fn assert_quiet(target: &Target) {
    let r = report(target.pid(), &["--watch", "30s"]);
    let fired: Vec<_> = findings(&r)
        .into_iter()
        .filter(|f| TREND_RULES.iter().any(|rule| f["rule"] == *rule))
        .collect();
    assert!(fired.is_empty(), "steady target raised {fired:#?}");
}

#[test]
fn idle_server_with_an_open_connection_is_quiet() {
    if !have_gcc() {
        return;
    }
    let target = start_target(&["server"]);
    let _client = TcpStream::connect(("127.0.0.1", target.ready_arg.parse::<u16>().expect("port")))
        .expect("connect");
    assert_quiet(&target);
}

#[test]
fn malloc_free_sawtooth_is_quiet() {
    if !have_gcc() {
        return;
    }
    assert_quiet(&start_target(&["sawtooth"]));
}

#[test]
fn fds_opened_and_closed_are_quiet() {
    if !have_gcc() {
        return;
    }
    assert_quiet(&start_target(&["fdchurn"]));
}
