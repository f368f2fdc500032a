//! End to end, the real binary in tmux: the Stacks view against a real C target with a thread
//! spinning in `spin_here` (tests/targets/stacks_threads.c): the on-CPU graph, search and zoom,
//! the cpu/wall toggle, the top table and its Enter-to-zoom, the thread picker and the export;
//! and the dump key against a real
//! Go service (tests/targets/dump_goleak.go). Keys go in with `send-keys`; the screen comes
//! back with `capture-pane`, polled until the expected text shows (no sleeps as
//! synchronisation). After quitting, no thread of the target is left stopped (/proc).

mod stacks_support;
mod tmux_support;

use stacks_support::{
    assert_not_stopped, build_c, go_build, require_tool, start_goleak, thread_state, tids, Target,
};
use std::process::Command;
use tmux_support::Tmux;

const HEALTHTOP: &str = env!("CARGO_BIN_EXE_healthtop");

#[test]
fn stacks_view_modes_top_table_thread_picker_and_the_target_left_running() {
    if !require_tool("tmux") || !require_tool("gcc") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = build_c(
        dir.path(),
        "stacks_threads",
        &["-O0", "-fno-omit-frame-pointer"],
    );
    let mut command = Command::new(exe);
    command.args(["2", "--spin"]);
    let target = Target::start(command, "ready");
    let pid = target.pid();

    let tmux = Tmux::start();
    tmux.text(&format!(
        "cd {} && {HEALTHTOP} -p {pid}",
        dir.path().display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["[1 Overview]", "stacks_threads"]);
    // Before any sampling: the spinner's drill-down captures once and shows its stack.
    tmux.keys(&["2", "/"]);
    tmux.text("spinner");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["[2 Threads]", "spinner", "filter \"spinner\""]);
    tmux.keys(&["Enter"]);
    let detail = tmux.wait_for(&["stack, captured", "spinner_main", "stacks_threads.c:"]);
    assert!(
        detail.contains("start_thread"),
        "the stack goes up to the thread's start:\n{detail}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for(&["TID", "NAME"]);
    tmux.keys(&["7"]);
    // The on-CPU graph (the default) is the spinner's: its function shows up, merged (no
    // thread name as root).
    let screen = tmux.wait_for(&[
        "[7 Stacks]",
        "stacks · cpu: on-CPU time",
        "spin_here",
        "cost:",
    ]);
    assert!(screen.contains("threads stopped/capture"), "{screen}");
    assert!(screen.contains("all threads merged"), "{screen}");
    // Search selects the biggest matching frame; Enter zooms into it.
    tmux.text("/spin_here");
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["search \"spin_here\":", "▶ spin_here"]);
    tmux.keys(&["Enter"]);
    let zoomed = tmux.wait_until("the zoom into spin_here", |s| {
        s.lines()
            .any(|l| l.contains("zoom: all › ") && l.contains("› spin_here"))
    });
    assert!(
        zoomed.contains("spinner_main"),
        "zoom path names the caller:\n{zoomed}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_until("the zoom back out", |s| {
        s.lines()
            .any(|l| l.trim_end_matches([' ', '│']).ends_with("zoom: all"))
    });
    tmux.keys(&["Escape"]);
    tmux.wait_until("the search cleared", |s| {
        !s.contains("search \"spin_here\"")
    });
    // m: the wall-clock graph shows where the parked threads wait; m again: back to CPU.
    tmux.keys(&["m"]);
    tmux.wait_for(&[
        "stacks · wall: every thread",
        "level_two",
        " samples · all threads",
    ]);
    tmux.keys(&["m"]);
    tmux.wait_for(&["stacks · cpu: on-CPU time"]);
    // o: the cursor goes to the top table; ↓ to spin_here, Enter zooms the graph to every
    // call of it.
    tmux.keys(&["o"]);
    tmux.wait_for(&["▶ top by self"]);
    let mut screen = tmux.screen();
    for _ in 0..20 {
        if cursor_row(&screen).is_some_and(|row| row.contains("spin_here")) {
            break;
        }
        let before = cursor_row(&screen).unwrap_or_default();
        tmux.keys(&["j"]);
        screen = tmux.wait_until("the cursor moves down the top table", |s| {
            cursor_row(s).is_some_and(|row| row != before)
        });
    }
    let row = cursor_row(&screen).unwrap_or_default();
    assert!(
        row.contains("spin_here"),
        "spin_here in the top table:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    let zoomed = tmux.wait_for(&["zoom: every call of spin_here", "▶ spin_here"]);
    assert!(
        zoomed.lines().any(|l| l.starts_with("│▶spin_here")),
        "the graph starts at the function, callers merged away:\n{zoomed}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_until("the function zoom left", |s| !s.contains("every call of"));
    // f: the thread picker lists the spinner first (most CPU); Enter shows it alone.
    let spinner = tids(pid)
        .into_iter()
        .find(|&t| stacks_support::thread_name(pid, t) == "spinner")
        .expect("the spinner thread");
    tmux.keys(&["f"]);
    let picker = tmux.wait_for(&["pick a thread · most CPU first", "all threads ("]);
    let first = picker
        .lines()
        .skip_while(|l| !l.contains("all threads ("))
        .nth(1)
        .unwrap_or_default();
    assert!(
        first.contains(&spinner.to_string()) && first.contains("spinner"),
        "the spinner first:\n{picker}"
    );
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for(&[&format!("thread {spinner} spinner"), "spin_here"]);
    // The export key writes the SVG and the folded stacks of what is shown into the cwd.
    tmux.keys(&["e"]);
    let screen = tmux.wait_for(&["flame graph written to"]);
    let svg = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "svg"))
        .unwrap_or_else(|| panic!("no SVG in the cwd:\n{screen}"));
    let svg_text = std::fs::read_to_string(&svg).expect("svg");
    assert!(
        svg_text.starts_with("<?xml") && svg_text.contains("spin_here"),
        "{svg:?}"
    );
    assert!(
        svg_text.contains("cpu: on-CPU time"),
        "the title says the mode"
    );
    let folded = std::fs::read_to_string(svg.with_extension("folded")).expect("folded beside it");
    assert!(
        folded.lines().all(|l| l.contains("spinner_main")),
        "only the picked thread:\n{folded}"
    );
    assert!(folded.lines().any(|l| l.contains("spinner_main;spin_here")));
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    // Nothing of the target is left stopped, and it still runs.
    assert_not_stopped(pid);
    for tid in tids(pid) {
        assert!(
            !matches!(thread_state(pid, tid), Some('t' | 'T')),
            "thread {tid} left stopped"
        );
    }
    drop(target);
}

/// The top table's line under the cursor (marked `▶`), if the table has the cursor.
fn cursor_row(screen: &str) -> Option<String> {
    screen
        .lines()
        .find_map(|l| l.split_once("│▶").map(|(_, row)| row.to_string()))
        .filter(|row| !row.starts_with("all"))
}

#[test]
fn dump_key_on_a_go_service_says_the_get_then_shows_the_goroutines() {
    if !require_tool("tmux") {
        return;
    }
    let Some(binary) = go_build("dump_goleak.go", "tui_goleak") else {
        return;
    };
    let mut service = start_goleak(&binary, "25");
    let line = service.next_line();
    let port: u16 = line
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("readiness line {line:?}"));
    let pid = service.pid();

    let tmux = Tmux::start();
    tmux.text(&format!("{HEALTHTOP} -p {pid}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for(&["[1 Overview]", "· go"]);
    tmux.keys(&["D"]);
    let get = format!("GET http://127.0.0.1:{port}/debug/pprof/goroutine?debug=1 — no signal");
    tmux.wait_for(&[get.as_str(), "y: send"]);
    tmux.keys(&["y"]);
    let screen = tmux.wait_for(&["goroutines: ", " total · Esc closes", "main.parkedForever"]);
    let total: u64 = screen
        .split("goroutines: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total:\n{screen}"));
    assert!(
        total > 25,
        "25 leaked goroutines and the service's own:\n{screen}"
    );
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    assert!(
        std::fs::metadata(format!("/proc/{pid}")).is_ok(),
        "the service is alive after the dump"
    );
    drop(service);
}
