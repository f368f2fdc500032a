//! The TUI's memory at the size issue 14 names: the real binary in tmux watching a C target
//! with 10,000 idle threads, 15,000 open fds and 50,000 mappings (`tests/targets/poll_big.c`),
//! its memory read from the kernel once a second. The bound is 48 MiB: on VmRSS for an
//! optimised build (`cargo test --release`); a debug build maps a far bigger binary, so there
//! the bound holds the anonymous memory (`RssAnon`: heap and stacks, what the watch allocates)
//! and VmRSS is only reported.
//!
//! `rss_stays_under_the_bound_at_ten_thousand_threads` watches for 60 s (20 censuses, 6 maps
//! reads, a fifth of the bundle history filled); `rss_stays_under_the_bound_for_ten_minutes`
//! (ignored by default: `cargo test --test tui_scale -- --ignored`) watches for 10 minutes,
//! long enough for the history to fill and start dropping its oldest samples.

mod tmux_support;

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};
use tmux_support::Tmux;

const HEALTHTOP: &str = env!("CARGO_BIN_EXE_healthtop");
const THREADS: u64 = 10_000;
const FDS: u64 = 15_000;
const BOUND_KIB: u64 = 48 * 1024;

/// `(VmRSS, RssAnon)` in KiB.
fn rss_kib(pid: i32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("a memory figure in status")
    };
    (field("VmRSS:"), field("RssAnon:"))
}

/// Watches the big target for `seconds` and returns `(VmRSS, RssAnon)` once a second, in KiB.
fn watch(seconds: u64) -> Vec<(u64, u64)> {
    if !["tmux", "gcc"].iter().all(|t| common::require_tool(t)) {
        return Vec::new();
    }
    let target = common::poll_big(THREADS, FDS, THREADS * 5);
    let pid = target.upid();
    let tmux = Tmux::start();
    tmux.line(&format!("{HEALTHTOP} -p {pid} --interval 1s"));
    // Drawn with the census of all threads in the title count.
    tmux.wait_for(&[&format!("pid {pid} poll_big")]);
    let healthtop = tmux.healthtop_pid().expect("healthtop running");
    let start = Instant::now();
    let mut rss = Vec::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        std::thread::sleep(Duration::from_secs(1));
        rss.push(rss_kib(healthtop));
    }
    assert!(
        tmux.healthtop_pid().is_some(),
        "healthtop exited:\n{}",
        tmux.screen()
    );
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    rss
}

fn assert_bounded(rss: &[(u64, u64)]) {
    let Some(&(vm_max, _)) = rss.iter().max_by_key(|r| r.0) else {
        return;
    };
    let anon_max = rss.iter().map(|r| r.1).max().unwrap_or(0);
    let (first, last) = (rss[0], rss[rss.len() - 1]);
    eprintln!(
        "healthtop over {} s at {THREADS} threads / {FDS} fds: VmRSS first {} KiB, last {} KiB, \
         max {vm_max} KiB; RssAnon first {} KiB, last {} KiB, max {anon_max} KiB",
        rss.len(),
        first.0,
        last.0,
        first.1,
        last.1
    );
    let (what, max) = if cfg!(debug_assertions) {
        ("RssAnon", anon_max)
    } else {
        ("VmRSS", vm_max)
    };
    assert!(
        max < BOUND_KIB,
        "{what} reached {max} KiB, bound {BOUND_KIB} KiB: {rss:?}"
    );
}

#[test]
fn rss_stays_under_the_bound_at_ten_thousand_threads() {
    assert_bounded(&watch(60));
}

#[test]
#[ignore = "ten minutes long: run with --ignored"]
fn rss_stays_under_the_bound_for_ten_minutes() {
    assert_bounded(&watch(600));
}
