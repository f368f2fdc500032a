//! Keys in, state out: navigation, drill-down, filter, sort, pause and interval through
//! `app::update` alone (no terminal), from Samples built in the test.

mod tui_fixture;

use healthtop::app::{rows, update, Effect, Msg, TargetStatus, View};
use std::time::Duration;
use tui_fixture::{press, state, T0_MS};

#[test]
fn number_keys_tab_and_shift_tab_reach_every_view() {
    let mut state = state(3, 80, 24);
    for (key, view) in ["1", "2", "3", "4", "5", "6"].iter().zip(View::ALL) {
        press(&mut state, key);
        assert_eq!(state.ui.view, view, "key {key}");
    }
    press(&mut state, "Tab");
    assert_eq!(state.ui.view, View::Overview, "Tab wraps around");
    press(&mut state, "BackTab");
    assert_eq!(state.ui.view, View::Findings, "Shift-Tab wraps back");
}

#[test]
fn movement_is_clamped_and_paged() {
    let mut state = state(20, 80, 24); // 28 threads
    press(&mut state, "2 j j k");
    assert_eq!(state.ui.table().selected, 1);
    press(&mut state, "Up Up Up");
    assert_eq!(state.ui.table().selected, 0);
    press(&mut state, "PgDn");
    assert_eq!(state.ui.table().selected, state.page_rows());
    press(&mut state, "End");
    assert_eq!(state.ui.table().selected, 27);
    press(&mut state, "j Down PgDn");
    assert_eq!(state.ui.table().selected, 27);
    press(&mut state, "Home");
    assert_eq!(state.ui.table().selected, 0);
    press(&mut state, "3 G");
    assert_eq!(state.ui.table().selected, rows::fds(&state).len() - 1);
    press(&mut state, "2");
    assert_eq!(
        state.ui.table().selected,
        0,
        "each view keeps its own selection"
    );
}

#[test]
fn enter_drills_into_the_selected_thread_and_esc_comes_back() {
    let mut state = state(20, 80, 24);
    press(&mut state, "2 s"); // sort by TID
    assert_eq!(state.ui.table().sort, 1);
    press(&mut state, "j j Enter");
    assert_eq!(state.ui.thread_detail, Some(tui_fixture::PID + 2));
    press(&mut state, "Esc");
    assert_eq!(state.ui.thread_detail, None);
    press(&mut state, "l");
    assert_eq!(
        state.ui.thread_detail,
        Some(tui_fixture::PID + 2),
        "l opens too"
    );
    press(&mut state, "Backspace");
    assert_eq!(state.ui.thread_detail, None);
}

#[test]
fn grouping_folds_pools_and_enter_opens_one_as_a_filter() {
    let mut state = state(20, 80, 24);
    press(&mut state, "2 t");
    let groups = rows::thread_groups(&state);
    assert_eq!(groups[0].prefix, "worker-");
    assert_eq!(groups[0].count, 25);
    assert_eq!(groups[1].prefix, "io-");
    press(&mut state, "Enter");
    assert!(!state.ui.group_threads);
    assert_eq!(state.ui.table().filter, "worker-");
    assert_eq!(rows::threads(&state).len(), 25);
    press(&mut state, "Esc");
    assert_eq!(state.ui.table().filter, "", "Esc clears the filter");
}

#[test]
fn filter_takes_text_until_enter_and_esc_clears_it() {
    let mut state = state(20, 80, 24);
    press(&mut state, "2 / i o");
    assert!(state.ui.editing_filter);
    assert_eq!(rows::threads(&state).len(), 2);
    press(&mut state, "q"); // typed into the filter, not quit
    assert_eq!(state.ui.table().filter, "ioq");
    press(&mut state, "Backspace Enter");
    assert!(!state.ui.editing_filter);
    assert_eq!(state.ui.table().filter, "io");
    press(&mut state, "/ Esc");
    assert_eq!(state.ui.table().filter, "");
}

#[test]
fn sort_cycles_through_the_views_orders() {
    let mut state = state(20, 80, 24);
    press(&mut state, "4");
    let sizes: Vec<u64> = rows::maps(&state).iter().map(|r| r.size).collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "size order: {sizes:?}"
    );
    press(&mut state, "s");
    let starts: Vec<u64> = rows::maps(&state).iter().map(|r| r.mapping.start).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "address order");
    press(&mut state, "s s");
    assert_eq!(state.ui.table().sort, 0, "wraps back to size");
}

#[test]
fn help_opens_with_question_mark_or_f1_and_swallows_other_keys() {
    let mut state = state(3, 80, 24);
    press(&mut state, "?");
    assert!(state.ui.help);
    press(&mut state, "3");
    assert_eq!(
        state.ui.view,
        View::Overview,
        "keys do not leak through help"
    );
    press(&mut state, "Esc F1");
    assert!(state.ui.help);
    press(&mut state, "?");
    assert!(!state.ui.help);
}

#[test]
fn pause_interval_and_quit_are_effects() {
    let mut state = state(3, 80, 24);
    assert_eq!(press(&mut state, "p"), vec![Effect::SetPaused(true)]);
    let before = state.trail.len();
    update(&mut state, Msg::Sample(Box::new(tui_fixture::sample(3))));
    assert_eq!(
        state.trail.len(),
        before,
        "paused: samples are not taken in"
    );
    assert_eq!(press(&mut state, "p"), vec![Effect::SetPaused(false)]);
    assert_eq!(
        press(&mut state, "+"),
        vec![Effect::SetInterval(Duration::from_secs(2))]
    );
    assert_eq!(
        press(&mut state, "- -"),
        vec![
            Effect::SetInterval(Duration::from_secs(1)),
            Effect::SetInterval(Duration::from_millis(500))
        ]
    );
    assert_eq!(
        press(&mut state, "- -").len(),
        1,
        "stops at the shortest step"
    );
    assert_eq!(press(&mut state, "F10"), vec![Effect::Quit]);
    assert_eq!(press(&mut state, "q"), vec![Effect::Quit]);
}

#[test]
fn exit_freezes_data_but_keys_still_work() {
    let mut state = state(5, 80, 24);
    update(
        &mut state,
        Msg::TargetExited {
            at_ms: T0_MS + 6000,
            how: "exited with status 1".into(),
        },
    );
    update(&mut state, Msg::Sample(Box::new(tui_fixture::sample(6))));
    assert_eq!(state.trail.len(), 5, "no sample accepted after exit");
    assert!(matches!(state.status, TargetStatus::Exited { .. }));
    press(&mut state, "2 j Enter");
    assert!(state.ui.thread_detail.is_some());
}

#[test]
fn resize_keeps_the_selection_in_range() {
    let mut state = state(20, 160, 48);
    press(&mut state, "2 End");
    update(
        &mut state,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    assert_eq!(state.ui.width, 80);
    assert_eq!(state.ui.table().selected, 27);
    // Fewer rows after a filter: the selection follows.
    press(&mut state, "/ i o Enter");
    assert_eq!(state.ui.table().selected, 0);
}

#[test]
fn thread_cpu_percent_comes_from_tick_deltas_between_censuses() {
    // io-0 gains 90 ticks per one-second census at 100 Hz: 90 % of a core.
    let state = state(5, 80, 24);
    assert_eq!(state.thread_cpu.percent(tui_fixture::PID + 1), Some(90.0));
    assert_eq!(state.thread_cpu.history(tui_fixture::PID + 1).len(), 4);
    // A thread seen in one census only has no rate yet.
    let newest = tui_fixture::PID + 3 + 6 + 4;
    assert_eq!(state.thread_cpu.percent(newest), None);
}

#[test]
fn a_selection_past_the_end_is_pulled_back_when_its_view_returns() {
    let mut state = state(20, 80, 24);
    press(&mut state, "3 End"); // the last of 59 descriptors
    assert_eq!(state.ui.table().selected, 58);
    press(&mut state, "2");
    // The next census lists only 10 descriptors.
    let mut fewer = tui_fixture::sample(21);
    fewer.fds.items.truncate(10);
    update(&mut state, Msg::Sample(Box::new(fewer)));
    press(&mut state, "3");
    assert_eq!(state.ui.table().selected, 9);
}
