//! The picker from rankings built here: snapshots at 80×24 and 40×12 (nothing cut mid-number,
//! the names there), the filter by name or user, the sort, Enter (watch), Esc back to the
//! picker from the watched process, and a picker restricted to the processes a name answered.

mod tui_fixture;

use healthtop::app::picker::Scanned;
use healthtop::app::{update, AppState, Effect, Msg};
use healthtop::config::Config;
use healthtop::headroom::ResourceKind;
use healthtop::scan::{Ranked, ResourceUse};
use std::time::Duration;
use tui_fixture::{press, screen, T0_MS};

fn usage(resource: ResourceKind, used: f64, limit: f64, name: &str) -> ResourceUse {
    ResourceUse {
        resource,
        used: Some(used),
        limit: Some(limit),
        limit_name: Some(name.to_string()),
        ratio: Some(used / limit),
        eta_seconds: None,
        reason: None,
    }
}

/// A readable process with `fds` of 1024, `threads` of 4096 and `rss` bytes of 8 GiB.
fn process(pid: i32, comm: &str, user: &str, fds: f64, threads: f64, rss: f64) -> Ranked {
    let resources = vec![
        usage(ResourceKind::Fds, fds, 1024.0, "RLIMIT_NOFILE"),
        usage(ResourceKind::Threads, threads, 4096.0, "RLIMIT_NPROC"),
        usage(
            ResourceKind::Memory,
            rss,
            8.0 * 1024.0 * 1024.0 * 1024.0,
            "host memory",
        ),
    ];
    let worst = resources
        .iter()
        .max_by(|a, b| a.ratio.unwrap_or(0.0).total_cmp(&b.ratio.unwrap_or(0.0)))
        .cloned();
    Ranked {
        pid,
        comm: Some(comm.to_string()),
        user: Some(user.to_string()),
        worst,
        resources,
        eta_seconds: None,
        error: None,
        uid: Some(1000),
        start_time: Some(100),
        ppid: Some(1),
        cmdline: vec![comm.to_string()],
    }
}

fn ranking() -> Vec<Ranked> {
    let mut rows = vec![
        process(4242, "postgres", "postgres", 990.0, 12.0, 2e9),
        process(4243, "postgres", "postgres", 40.0, 3900.0, 1e8),
        process(17, "nginx", "www-data", 300.0, 4.0, 5e7),
        process(18, "nginx", "www-data", 12.0, 4.0, 5e7),
        process(
            99999,
            "a-very-long-process-name",
            "a-long-user-name",
            7.0,
            1.0,
            6e9,
        ),
    ];
    rows.push(Ranked {
        pid: 31337,
        comm: Some("secretd".into()),
        user: Some("root".into()),
        worst: None,
        resources: Vec::new(),
        eta_seconds: None,
        error: Some("permission denied reading /proc/31337/status".into()),
        uid: Some(0),
        start_time: None,
        ppid: None,
        cmdline: Vec::new(),
    });
    healthtop::scan::sort_by_ratio(&mut rows);
    rows
}

fn picker(width: u16, height: u16, only: Option<(Vec<i32>, String)>) -> AppState {
    let mut state = AppState::picking(Duration::from_secs(1), T0_MS, Config::default(), only);
    update(&mut state, Msg::Resize { width, height });
    let scanned = Scanned {
        taken_at_ms: T0_MS,
        ranked: Ok(ranking()),
        took: Duration::from_millis(40),
    };
    update(&mut state, Msg::Scanned(Box::new(scanned)));
    state
}

#[test]
fn the_picker_at_80x24_and_40x12() {
    for (width, height) in [(80, 24), (40, 12)] {
        let screen = screen(&picker(width, height, None), width, height);
        for needle in ["4242", "postgres", "97%", "nginx", "31337", "secretd"] {
            assert!(
                screen.contains(needle),
                "{needle} at {width}x{height}:\n{screen}"
            );
        }
        insta::assert_snapshot!(format!("picker_{width}x{height}"), screen);
    }
    let screen = screen(&picker(80, 24, None), 80, 24);
    assert!(screen.contains("990/1024"), "used/limit whole:\n{screen}");
}

#[test]
fn filter_by_name_or_user_sort_and_enter_watches() {
    let mut state = picker(80, 24, None);
    let first = state.picker.row_at(0).map(|r| r.pid);
    assert_eq!(first, Some(4242), "nearest a limit first");
    press(&mut state, "/ w w w Enter");
    let shown: Vec<i32> = (0..state.picker.table.order.len())
        .filter_map(|i| state.picker.row_at(i).map(|r| r.pid))
        .collect();
    assert_eq!(shown, [17, 18], "by user www-data");
    // `s` cycles to the fds column, then the threads one: 4243 has most of its threads.
    press(&mut state, "Esc / p o s t Enter s s");
    assert_eq!(state.picker.row_at(0).map(|r| r.pid), Some(4243));
    assert_eq!(
        press(&mut state, "j Enter"),
        [Effect::Watch {
            pid: 4242,
            came_from: vec![]
        }]
    );
    // The shell starts over on 4242; Esc there comes back to the picker as it was left.
    let mut watched = state.switched_to(4242, Vec::new(), T0_MS);
    assert!(!watched.picker.active);
    assert_eq!(press(&mut watched, "Esc"), [Effect::Pick]);
    let back = watched.back_to_picker(T0_MS);
    assert!(back.picker.active);
    assert_eq!(back.picker.table.filter, "post");
    assert_eq!(
        back.picker
            .row_at(back.picker.table.selected)
            .map(|r| r.pid),
        Some(4242)
    );
    // An unreadable process says why instead of opening.
    let mut state = picker(80, 24, None);
    assert!(press(&mut state, "End Enter").is_empty());
    assert!(state
        .message
        .as_deref()
        .is_some_and(|m| m.contains("permission denied")));
}

#[test]
fn a_name_several_processes_answer_opens_the_picker_on_them() {
    let only = Some((vec![17, 18], "named \"nginx\"".to_string()));
    let mut state = picker(80, 24, only);
    assert_eq!(state.picker.table.order.len(), 2);
    let screen = screen(&state, 80, 24);
    assert!(screen.contains("2 processes named \"nginx\""), "{screen}");
    // Esc lifts the restriction: every process again.
    press(&mut state, "Esc");
    assert_eq!(state.picker.table.order.len(), 6);
}
