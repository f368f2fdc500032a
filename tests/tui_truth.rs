//! The small lies on screen, each drawn into a TestBackend from Samples built here: a gauge
//! past its limit, the map count (one definition, `[vsyscall]` excluded), a long cgroup line,
//! a count over a list that could not be read, JVM thread names in their column, and keys
//! that must not act behind the dump panel.

mod tui_fixture;

use healthtop::app::dump::DumpMsg;
use healthtop::app::{update, AppState, Msg, View};
use healthtop::runtimes::jvm::{JvmThread, JvmThreads};
use healthtop::runtimes::{Detail, Dump, DumpMethod, Runtime};
use healthtop::sample::{Mapping, Sample, Unavailable};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_fixture::{press, sample, state, PID};

fn screen(state: &AppState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| healthtop::view::render(state, frame))
        .expect("draw");
    terminal.backend().to_string()
}

/// The fixture's state with one more reading, changed by `edit`.
fn with_sample(width: u16, height: u16, edit: impl FnOnce(&mut Sample)) -> AppState {
    let mut state = state(20, width, height);
    let mut next = sample(20);
    edit(&mut next);
    update(&mut state, Msg::Sample(Box::new(next)));
    state
}

#[test]
fn a_gauge_past_its_limit_keeps_value_and_percentage_apart() {
    let state = with_sample(160, 48, |s| {
        s.fds.open = Some(101);
        s.fds.soft_limit = Some(100);
    });
    let text = screen(&state, 160, 48);
    assert!(text.contains("101/100 101.0% !!"), "{text}");
    assert!(!text.contains("101/100101"), "{text}");
}

#[test]
fn the_map_count_is_one_figure_on_every_screen() {
    let state = with_sample(160, 48, |s| {
        std::sync::Arc::make_mut(&mut s.memory.maps).push(Mapping {
            start: 0xffff_ffff_ff60_0000,
            end: 0xffff_ffff_ff60_1000,
            perms: "--xp".to_string(),
            offset: 0,
            dev: "00:00".to_string(),
            inode: 0,
            path: "[vsyscall]".to_string(),
            deleted: false,
        });
        s.memory.map_count = Some(
            s.memory
                .maps
                .iter()
                .filter(|m| m.path != "[vsyscall]")
                .count() as u64,
        );
    });
    let count = state
        .current
        .as_ref()
        .and_then(|s| s.memory.map_count)
        .expect("count");
    let mut state = state;
    press(&mut state, "4");
    let text = screen(&state, 160, 48);
    assert!(text.contains(&format!("maps    {count} of ")), "{text}");
    assert!(
        text.contains(&format!(" mappings {count} · sort")),
        "{text}"
    );
    assert!(
        !text.contains("[vsyscall]"),
        "not a VMA, not listed: {text}"
    );
}

#[test]
fn a_long_cgroup_line_wraps_inside_the_memory_box() {
    let long = format!(
        "/kubepods.slice/{}",
        "kubepods-burstable-pod0123456789abcdef.slice/".repeat(4)
    );
    let mut state = with_sample(80, 24, |s| {
        if let Some(cgroup) = s.memory.cgroup.as_mut() {
            cgroup.path = long.clone();
        }
    });
    press(&mut state, "4");
    let text = screen(&state, 80, 24);
    // Every summary line is there, the last one too, above the box's bottom border.
    assert!(text.contains("(vm.max_map_count)"), "{text}");
    assert!(text.contains("events "), "{text}");
    let rows: Vec<&str> = text.lines().collect();
    let maps_row = rows
        .iter()
        .position(|r| r.contains("(vm.max_map_count)"))
        .expect("maps row");
    let bottom = maps_row
        + rows[maps_row..]
            .iter()
            .position(|r| r.contains('└'))
            .expect("the box's bottom border");
    let tail: String = rows[maps_row..bottom].concat();
    assert!(tail.contains("read") && tail.contains("now"), "{text}");
}

#[test]
fn counts_over_lists_not_read_are_n_a_with_the_reason() {
    let reason = "permission denied reading /proc/4242/maps: need CAP_SYS_PTRACE";
    let fd_reason = "permission denied reading /proc/4242/fd: need CAP_SYS_PTRACE";
    let mut state = with_sample(160, 48, |s| {
        s.memory.maps = Default::default();
        s.memory.deleted_mappings.clear();
        s.memory.mappings_past_eof.clear();
        s.memory.map_count = None;
        s.memory.pss_bytes = None;
        s.memory.maps_taken_at_ms = None;
        s.fds.items = Default::default();
        s.fds.by_kind.clear();
        s.fds.census_taken_at_ms = None;
        for field in [
            "memory.map_count",
            "memory.maps",
            "memory.pss_bytes",
            "memory.deleted_mappings",
            "memory.mappings_past_eof",
        ] {
            s.unavailable.push(Unavailable {
                field: field.to_string(),
                reason: reason.to_string(),
            });
        }
        for field in ["fds.items", "fds.by_kind"] {
            s.unavailable.push(Unavailable {
                field: field.to_string(),
                reason: fd_reason.to_string(),
            });
        }
    });
    let overview = screen(&state, 160, 48);
    assert!(
        overview.contains(&format!("mappings: n/a ({reason}) deleted")),
        "{overview}"
    );
    assert!(!overview.contains("0 deleted"), "{overview}");
    press(&mut state, "3");
    let fds = screen(&state, 160, 48);
    assert!(fds.contains(" descriptors n/a (permission denied"), "{fds}");
    press(&mut state, "4");
    let memory = screen(&state, 160, 48);
    assert!(memory.contains("PSS n/a (permission denied"), "{memory}");
    assert!(
        memory.contains(" mappings n/a (permission denied"),
        "{memory}"
    );
    assert!(!memory.contains("not reported"), "{memory}");
}

fn jvm_dump(name: &str, tid: i32) -> Dump {
    let thread = JvmThread {
        name: name.to_string(),
        java_id: Some(12),
        daemon: false,
        nid: u32::try_from(tid).ok(),
        tid: u32::try_from(tid).ok(),
        state: Some("WAITING".to_string()),
        state_detail: Some("parking".to_string()),
        frames: Vec::new(),
        locks: Vec::new(),
        task_comm: None,
    };
    Dump {
        pid: PID as u32,
        runtime: Runtime::Jvm,
        method: DumpMethod::JvmAttach,
        total: Some(1),
        detail: Detail::Jvm(JvmThreads {
            threads: vec![thread],
            deadlocked: Vec::new(),
        }),
        text: String::new(),
        notes: Vec::new(),
    }
}

#[test]
fn jvm_thread_names_stay_in_the_name_column() {
    let name = "pool-12-thread-3456-with-a-very-long-name";
    let mut state = state(20, 160, 48);
    update(
        &mut state,
        Msg::Dump(DumpMsg::Done(Ok(Box::new(jvm_dump(name, PID))))),
    );
    press(&mut state, "Esc 2");
    let text = screen(&state, 160, 48);
    let row = text
        .lines()
        .find(|l| l.contains("java WAITING"))
        .expect("the main thread's row");
    // Cut to the NAME column with an ellipsis; the WCHAN column keeps the wait channel.
    assert!(row.contains("pool-12-thread-…"), "{row}");
    assert!(!row.contains("long-name"), "{row}");
    assert!(row.contains("do_epoll_wait · java WAITING"), "{row}");
}

#[test]
fn keys_do_not_act_behind_the_dump_panel() {
    let mut state = state(20, 160, 48);
    press(&mut state, "2");
    update(
        &mut state,
        Msg::Dump(DumpMsg::Done(Ok(Box::new(jvm_dump("main", PID))))),
    );
    assert!(state.dump.panel);
    press(&mut state, "Enter j 4");
    assert_eq!(
        state.ui.thread_detail, None,
        "Enter opened nothing behind the panel"
    );
    assert_eq!(
        state.ui.view,
        View::Threads,
        "4 did not switch views behind it"
    );
    assert_eq!(state.ui.table().selected, 0);
    assert!(state.dump.panel, "the panel is still up");
    assert!(screen(&state, 160, 48).contains("Esc closes it"));
    press(&mut state, "Esc Enter");
    assert!(!state.dump.panel);
    assert!(
        state.ui.thread_detail.is_some(),
        "after Esc, Enter is for the view"
    );
}
