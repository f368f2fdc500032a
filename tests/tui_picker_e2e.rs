//! End to end in tmux: the Family view of a real parent with real children (their fds as
//! `/proc` counts them), Enter on a child watches it, Esc comes back to the parent.

#[path = "common/mod.rs"]
mod common;
mod tmux_support;

use tmux_support::Tmux;

const HEALTHTOP: &str = env!("CARGO_BIN_EXE_healthtop");

fn have_tools() -> bool {
    common::require_tool("tmux") && common::require_tool("gcc")
}

/// `/proc/PID/task/PID/children` of a process, sorted.
fn children_of(pid: i32) -> Vec<i32> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let mut pids: Vec<i32> = text
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    pids.sort_unstable();
    pids
}

#[test]
fn a_parent_shows_its_children_and_enter_switches_to_one_and_esc_back() {
    if !have_tools() {
        return;
    }
    // Bound whole: its family must live until the end of the test.
    let scene = scene(|parent| format!("-p {parent}"));
    let (tmux, parent, children) = (&scene.tmux, scene.parent, &scene.children);
    tmux.wait_for(&["[1 Overview]", &format!("pid {parent} family-parent")]);
    tmux.keys(&["8"]);
    // Each child with its fds against its soft RLIMIT_NOFILE, as /proc has them.
    let rows: Vec<(String, String)> = children
        .iter()
        .map(|&child| {
            let open = std::fs::read_dir(format!("/proc/{child}/fd"))
                .expect("fd")
                .count();
            let limits = std::fs::read_to_string(format!("/proc/{child}/limits")).expect("limits");
            let soft = limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .expect("soft NOFILE")
                .to_string();
            (
                format!("{child} child family-child"),
                format!(" {open}/{soft} "),
            )
        })
        .collect();
    let screen = tmux.wait_until("both children with their fds", |screen| {
        rows.iter().all(|(who, fds)| {
            screen
                .lines()
                .any(|l| squeeze(l).contains(who) && l.contains(fds.as_str()))
        })
    });
    assert!(screen.contains("watched"), "{screen}");
    let child = children[1];
    tmux.keys(&["/"]);
    tmux.text(&format!("#{child}"));
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for(&[&format!("pid {child} family-child"), "[8 Family]"]);
    // The child's family: its parent is the process watched before.
    tmux.wait_until("the parent listed as the child's parent", |screen| {
        squeeze(screen).contains(&squeeze(&format!("{parent} parent family-parent")))
    });
    tmux.keys(&["Escape"]);
    tmux.wait_for(&[&format!("pid {parent} family-parent")]);
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}

/// Runs of spaces as one, so a row matches whatever width its columns took.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A family target with two children (kept alive by the returned guard), and healthtop
/// started in tmux with the arguments `args` makes of the parent's PID.
struct Scene {
    tmux: Tmux,
    parent: i32,
    children: Vec<i32>,
    _family: common::Target,
}

fn scene(args: impl FnOnce(i32) -> String) -> Scene {
    let family = common::family(2);
    let parent = family.pid();
    let children = children_of(parent);
    assert_eq!(children.len(), 2, "the target forked two children");
    let tmux = Tmux::start();
    tmux.line(&format!("{HEALTHTOP} {}", args(parent)));
    Scene {
        tmux,
        parent,
        children,
        _family: family,
    }
}

/// Waits until every table row on screen is a `family-child` and `children` are among them.
/// The whole condition is the wait's: a capture can catch a frame half drawn (the title
/// already filtered, rows below it not yet), so no row is judged on a single capture.
fn only_children_shown(tmux: &Tmux, children: &[i32], title: &str) {
    tmux.wait_until(&format!("{title}: only family-child rows"), |screen| {
        let shown = row_pids(screen);
        screen.contains(title)
            && children.iter().all(|c| shown.contains(c))
            && screen
                .lines()
                .filter(|l| !row_pids(l).is_empty())
                .all(|l| l.contains("family-child"))
    });
}

/// The PIDs of the table rows on screen (lines that start `│PID`).
fn row_pids(screen: &str) -> Vec<i32> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│')?.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn no_arguments_open_the_picker_filter_enter_watches_esc_comes_back() {
    if !have_tools() {
        return;
    }
    let scene = scene(|_| String::new());
    let (tmux, children) = (&scene.tmux, &scene.children);
    tmux.wait_for(&["pick a process", "nearest a limit first", "scanned"]);
    tmux.keys(&["/"]);
    tmux.text("family-child");
    tmux.keys(&["Enter"]);
    only_children_shown(tmux, children, "filter \"family-child\"");
    let child = children[0];
    // Esc clears the kept filter (alone: Esc then a key at once reads as Alt-key); `/`
    // starts a new one.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the filter cleared", |screen| !screen.contains("filter \""));
    tmux.keys(&["/"]);
    tmux.text(&format!("#{child}"));
    tmux.keys(&["Enter"]);
    tmux.wait_until("only the child", |screen| row_pids(screen) == [child]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(&[&format!("pid {child} family-child"), "[1 Overview]"]);
    tmux.keys(&["Escape"]);
    let kept = format!("filter \"#{child}\"");
    tmux.wait_until("the picker as it was left", |screen| {
        screen.contains("pick a process") && screen.contains(&kept) && row_pids(screen) == [child]
    });
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
    tmux.assert_terminal_restored(1);
}

#[test]
fn a_name_several_processes_answer_opens_the_picker_on_them() {
    if !have_tools() {
        return;
    }
    let scene = scene(|_| "-p family-child".into());
    let (tmux, children) = (&scene.tmux, &scene.children);
    only_children_shown(tmux, children, "processes named \"family-child\"");
    tmux.keys(&["q"]);
    tmux.wait_healthtop_gone();
}
