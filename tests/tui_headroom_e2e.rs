//! The headroom model in the live TUI (the real binary in tmux against rules_target): a fast
//! fd leak is in the Findings panel with an ETA within 30 s, and when the leak stops the ETA
//! leaves the finding and the gauge within 30 s.

mod rules_support;
mod tmux_support;

use rules_support::live::{have_gcc, require_tool, start_target, Target};
use std::time::{Duration, Instant};
use tmux_support::Tmux;

const HEALTHTOP: &str = env!("CARGO_BIN_EXE_healthtop");

/// The screen line of the `fd-leak` finding, if shown.
fn fd_leak_line(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains("fd-leak "))
}

/// The fds gauge row of the headroom panel.
fn fds_gauge(screen: &str) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains("│ fds ") && l.contains("RLIMIT_NOFILE"))
}

fn raised_with_eta(screen: &str) -> bool {
    fd_leak_line(screen)
        .is_some_and(|l| (l.contains("WARN") || l.contains("CRIT")) && l.contains("EMFILE in ~"))
}

/// healthtop watching `target` in tmux, its Overview drawn.
fn watch(target: &Target) -> Tmux {
    let tmux = Tmux::start();
    tmux.line(&format!("{HEALTHTOP} -p {}", target.pid()));
    tmux.wait_for(&["headroom", "findings"]);
    tmux
}

#[test]
fn a_fast_fd_leak_is_in_the_findings_panel_with_an_eta_within_30_s() {
    if !have_gcc() || !require_tool("tmux") {
        return;
    }
    // 4 fds/s from 3 toward a soft limit of 284: EMFILE about 70 s after the start.
    let mut target = start_target(&["fdburst", "284", "4", "1000"]);
    let tmux = watch(&target);
    target.close_stdin();
    let start = Instant::now();
    let line = target.next_line();
    assert!(line.starts_with("start "), "the child said {line:?}");
    let screen = tmux.wait_until("a WARN/CRIT fd-leak with an ETA", raised_with_eta);
    let waited = start.elapsed();
    assert!(
        waited <= Duration::from_secs(30),
        "shown after {waited:?}:\n{screen}"
    );
    // The gauge reads the same model: an ETA there too.
    let gauge = fds_gauge(&screen).unwrap_or_else(|| panic!("no fds gauge:\n{screen}"));
    assert!(gauge.contains("ETA"), "{gauge}");
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}

#[test]
fn a_leak_that_stops_loses_its_eta_in_the_tui_within_30_s() {
    if !have_gcc() || !require_tool("tmux") {
        return;
    }
    // 10 fds/s for 25 s toward 600, then the fds are held and nothing more is opened.
    let mut target = start_target(&["fdburst", "600", "10", "250"]);
    let tmux = watch(&target);
    target.close_stdin();
    let line = target.next_line();
    assert!(line.starts_with("start "), "the child said {line:?}");
    tmux.wait_until("a WARN/CRIT fd-leak with an ETA", raised_with_eta);
    let line = target.next_line();
    assert!(line.starts_with("stopped "), "the child said {line:?}");
    let stopped = Instant::now();
    let screen = tmux.wait_until("the fd-leak ETA withdrawn", |screen| {
        let finding =
            fd_leak_line(screen).is_some_and(|l| l.contains("INFO") && l.contains("flat since"));
        let gauge = fds_gauge(screen).is_some_and(|g| !g.contains("ETA"));
        finding && gauge
    });
    let waited = stopped.elapsed();
    assert!(
        waited <= Duration::from_secs(30),
        "withdrawn {waited:?} after the stop:\n{screen}"
    );
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}
