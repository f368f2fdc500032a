//! Snapshot tests of every view at 80×24 and 160×48, from Samples built here (deterministic),
//! plus the states that change the frame: drill-down, grouping, help, filter, exited target,
//! reused PID, missing data, tiny terminals.

mod tui_fixture;

use healthtop::app::{update, AppState, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_fixture::{press, state, T0_MS};

fn draw(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| healthtop::view::render(state, frame))
        .expect("draw");
    terminal
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
const VIEWS: [(&str, &str); 6] = [
    ("overview", "1"),
    ("threads", "2"),
    ("fds", "3"),
    ("memory", "4"),
    ("signals", "5"),
    ("findings", "6"),
];

#[test]
fn every_view_at_both_sizes() {
    for (width, height) in SIZES {
        for (name, key) in VIEWS {
            let mut state = state(20, width, height);
            press(&mut state, key);
            let terminal = draw(&state, width, height);
            insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
        }
    }
}

#[test]
fn thread_drill_down_grouping_and_help() {
    for (width, height) in SIZES {
        let mut detail = state(20, width, height);
        press(&mut detail, "2 s j Enter");
        insta::assert_snapshot!(
            format!("thread_detail_{width}x{height}"),
            draw(&detail, width, height).backend()
        );

        let mut grouped = state(20, width, height);
        press(&mut grouped, "2 t");
        insta::assert_snapshot!(
            format!("threads_grouped_{width}x{height}"),
            draw(&grouped, width, height).backend()
        );

        let mut help = state(20, width, height);
        press(&mut help, "?");
        insta::assert_snapshot!(
            format!("help_{width}x{height}"),
            draw(&help, width, height).backend()
        );
    }
}

#[test]
fn help_lists_every_key_of_the_keymap_even_at_80x24() {
    let mut help = state(3, 80, 24);
    press(&mut help, "F1");
    let screen = text(&draw(&help, 80, 24));
    for binding in healthtop::keymap::BINDINGS {
        for key in binding.keys {
            assert!(
                screen.contains(&key.label()),
                "help lacks {}:\n{screen}",
                key.label()
            );
        }
        assert!(
            screen.contains(binding.doc),
            "help lacks {:?}:\n{screen}",
            binding.doc
        );
    }
}

#[test]
fn filter_prompt_and_filtered_rows() {
    let mut state = state(20, 80, 24);
    press(&mut state, "3 / c h u n k - 0 0 1");
    let screen = text(&draw(&state, 80, 24));
    assert!(screen.contains("filter: chunk-001"), "{screen}");
    assert!(screen.contains("/srv/data/chunk-0010.bin"), "{screen}");
    assert!(!screen.contains("/dev/null"), "{screen}");
    insta::assert_snapshot!("fds_filtered_80x24", draw(&state, 80, 24).backend());
}

#[test]
fn exited_target_shows_a_banner_and_stays_browsable() {
    let mut state = state(20, 80, 24);
    update(
        &mut state,
        Msg::TargetExited {
            at_ms: T0_MS + 25_000,
            how: "killed by SIGKILL".into(),
        },
    );
    let screen = text(&draw(&state, 80, 24));
    assert!(
        screen.contains("TARGET EXITED at 14:00:25 UTC (killed by SIGKILL)"),
        "{screen}"
    );
    insta::assert_snapshot!("exited_80x24", draw(&state, 80, 24).backend());
    press(&mut state, "2 Enter");
    let screen = text(&draw(&state, 80, 24));
    assert!(screen.contains("TARGET EXITED"), "{screen}");
    assert!(screen.contains("thread 4243 "), "{screen}");
}

#[test]
fn reused_pid_is_said_and_its_sample_never_merged() {
    let mut state = state(20, 80, 24);
    let mut other = tui_fixture::sample(21);
    other.identity.start_time += 1;
    other.identity.comm = "impostor".into();
    update(&mut state, Msg::Sample(Box::new(other)));
    let screen = text(&draw(&state, 80, 24));
    assert!(screen.contains("PID 4242 REUSED"), "{screen}");
    assert!(!screen.contains("impostor"), "{screen}");
    assert_eq!(state.trail.len(), 20);
}

#[test]
fn missing_data_says_why_never_zero() {
    let state = state(20, 160, 48);
    let mut state = state;
    press(&mut state, "4");
    let screen = text(&draw(&state, 160, 48));
    assert!(
        screen.contains("PSS n/a (permission denied reading /proc/4242/smaps_rollup)"),
        "{screen}"
    );
    let mut none = tui_fixture::state(0, 80, 24);
    let mut sample = tui_fixture::sample(0);
    sample.fds.open = None;
    sample.unavailable.push(healthtop::sample::Unavailable {
        field: "fds.open".into(),
        reason: "permission denied".into(),
    });
    update(&mut none, Msg::Sample(Box::new(sample)));
    let screen = text(&draw(&none, 80, 24));
    assert!(screen.contains("n/a (permission denied)"), "{screen}");
}

#[test]
fn tiny_terminals_do_not_panic() {
    let state = state(5, 80, 24);
    for (width, height) in [(0, 0), (1, 1), (10, 3), (20, 6), (40, 10)] {
        draw(&state, width, height);
    }
}

#[test]
fn a_bundle_shows_where_in_time_it_stands() {
    let mut state = tui_fixture::bundle_state(20);
    press(&mut state, "[ [");
    let screen = text(&draw(&state, 80, 24));
    assert!(
        screen.contains("bundle: snap.tar.gz, read-only · sample 18/20, 14:00:17 UTC"),
        "{screen}"
    );
    assert!(!screen.contains("p:pause"), "{screen}");
    insta::assert_snapshot!("bundle_overview_80x24", draw(&state, 80, 24).backend());
    press(&mut state, "2");
    insta::assert_snapshot!("bundle_threads_80x24", draw(&state, 80, 24).backend());
    let mut older = tui_fixture::bundle_state(3);
    for sample in older
        .replay()
        .map(|r| r.samples.to_vec())
        .unwrap_or_default()
    {
        assert!(!sample.memory.maps.is_empty(), "the fixture has maps");
    }
    // As a bundle holds them: maps only in the newest sample.
    if let healthtop::app::Mode::Bundle(replay) = &mut older.mode {
        for sample in std::sync::Arc::make_mut(&mut replay.samples)
            .iter_mut()
            .take(2)
        {
            sample.memory.maps.clear();
        }
    }
    press(&mut older, "4 [");
    let screen = text(&draw(&older, 80, 24));
    assert!(
        screen.contains("mappings: a bundle keeps them for its newest sample only"),
        "{screen}"
    );
    press(&mut older, "}");
    let screen = text(&draw(&older, 80, 24));
    assert!(screen.contains(" mappings 6 · sort size"), "{screen}");

    press(&mut state, "p");
    let screen = text(&draw(&state, 80, 24));
    assert!(
        screen.contains(" read-only: a key of the live view · bundle: snap.tar.gz, read-only"),
        "{screen}"
    );
}

#[test]
fn the_status_line_says_where_a_bundle_went() {
    let mut state = state(5, 80, 24);
    press(&mut state, "b");
    update(
        &mut state,
        Msg::BundleWritten(Ok(
            "bundle written to ./healthtop-service-4242-20251129-140005.tar.gz (40 files)".into(),
        )),
    );
    let screen = text(&draw(&state, 80, 24));
    assert!(
        screen.contains("bundle written to ./healthtop-service-4242-20251129-140005.tar.gz"),
        "{screen}"
    );
}
