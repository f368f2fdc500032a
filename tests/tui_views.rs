//! Snapshot tests of every view at 160×48, 80×24, 60×20 and 40×12, from Samples built here (deterministic),
//! plus the states that change the frame: drill-down, grouping, help, filter, exited target,
//! reused PID, missing data, tiny terminals.

mod tui_fixture;

use healthtop::app::{update, AppState, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tui_fixture::{draw, press, screens_after_keys, state, T0_MS};

fn text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

const SIZES: [(u16, u16); 4] = [(80, 24), (60, 20), (40, 12), (160, 48)];
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
            if name == "threads" {
                let screen = text(&terminal);
                assert!(
                    screen.contains("│TID") && screen.contains(" NAME "),
                    "{screen}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
        }
    }
}

#[test]
fn thread_drill_down_grouping_and_help() {
    for (width, height) in SIZES {
        let cases = [
            ("thread_detail", "2 s j Enter"),
            ("threads_grouped", "2 t"),
            ("help", "?"),
        ];
        for (name, screen) in screens_after_keys(&cases, width, height, || state(20, width, height))
        {
            insta::assert_snapshot!(name, screen);
        }
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
    assert!(
        screen.contains("descriptors 10 · sort fd · filter \"chunk-001\""),
        "the table title says the filter: {screen}"
    );
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
    let screen = text(&draw(&state, 31, 12));
    assert!(
        screen.contains("terminal too small (need") && screen.contains("32×10)"),
        "{screen}"
    );
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
            sample.memory.maps = Default::default();
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

/// Every view draws names the target chose — ESC, OSC 52, C1, U+202E, a byte that is not UTF-8
/// (carried as U+10FF00 + byte, see `safe_text`) — escaped: no cell of the frame holds a
/// control or bidi character, and the escaped forms are what shows.
#[test]
fn hostile_names_are_drawn_escaped_in_every_view() {
    const OSC52: &str = "\u{1b}]52;c;aGk=\u{7}";
    let hostile = |i: u64| {
        let mut sample = tui_fixture::sample(i);
        sample.identity.comm = format!("\u{10ffff}{OSC52}");
        sample.identity.cmdline = vec!["./x\u{202e}".to_string(), "\u{9b}2J".to_string()];
        for thread in std::sync::Arc::make_mut(&mut sample.threads.items) {
            thread.name = format!("{OSC52}\u{202e}");
        }
        for fd in std::sync::Arc::make_mut(&mut sample.fds.items) {
            fd.target = "/tmp/\u{1b}[2J\u{10ff9b}".to_string();
        }
        for mapping in std::sync::Arc::make_mut(&mut sample.memory.maps) {
            mapping.path = "/lib/\u{2066}\u{7}".to_string();
        }
        sample
    };
    let (width, height) = (160, 48);
    let mut state = AppState::new(tui_fixture::PID, std::time::Duration::from_secs(1), T0_MS);
    update(&mut state, Msg::Resize { width, height });
    for i in 0..5 {
        update(&mut state, Msg::Sample(Box::new(hostile(i))));
    }
    let forbidden = |c: char| {
        matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{10ff80}'..)
    };
    let mut shown = String::new();
    for (_, key) in VIEWS {
        press(&mut state, key);
        let terminal = draw(&state, width, height);
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(forbidden),
                "view {key} drew {:?}",
                cell.symbol()
            );
        }
        shown.push_str(&text(&terminal));
    }
    for escaped in [
        "\\xff\\x1b]52",
        "\\x1b]52;c;aGk=\\x07\\u202e",
        "./x\\u202e \\u009b2J",
        "/tmp/\\x1b[2J\\x9b",
        "/lib/\\u2066\\x07",
    ] {
        assert!(shown.contains(escaped), "{escaped} not shown:\n{shown}");
    }
}

/// The text after `marker` on `line`, up to the next run of two spaces or a border.
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = &line[line.find(marker)? + marker.len()..];
    let end = rest
        .find("  ")
        .or_else(|| rest.find('│'))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end_matches('?').trim())
}

#[test]
fn as_root_the_gauge_and_the_finding_name_the_same_limit_and_eta() {
    // Root with a tiny RLIMIT_NPROC (not enforced for root) and a cgroup pids.max of 100:
    // the binding limit is pids.max, in the gauge and in the finding, at every reading.
    let mut state = AppState::new(tui_fixture::PID, std::time::Duration::from_secs(1), T0_MS);
    update(
        &mut state,
        Msg::Resize {
            width: 160,
            height: 48,
        },
    );
    let mut compared = 0;
    for i in 0..25 {
        let mut sample = tui_fixture::sample(i);
        let uid = &mut sample.identity.uid;
        (uid.real, uid.effective, uid.saved, uid.fs) = (0, 0, 0, 0);
        sample.limits.get_mut("nproc").expect("nproc row").soft = Some(40);
        update(&mut state, Msg::Sample(Box::new(sample)));
        let screen = text(&draw(&state, 160, 48));
        let gauge = screen
            .lines()
            .find(|l| l.contains("│ threads "))
            .unwrap_or_else(|| panic!("no threads gauge:\n{screen}"));
        assert!(gauge.contains("pids.max"), "{gauge}");
        assert!(!gauge.contains("RLIMIT_NPROC"), "{gauge}");
        let Some(finding) = screen.lines().find(|l| l.contains("thread-leak ")) else {
            continue;
        };
        assert!(finding.contains("(pids.max)"), "{finding}");
        let gauge_eta = after(gauge, "ETA ").unwrap_or_else(|| panic!("no ETA: {gauge}"));
        let finding_eta = after(finding, " in ~").expect("finding ETA");
        let finding_eta = finding_eta.trim_end_matches(" (provisional)");
        assert_eq!(gauge_eta, finding_eta, "\n{gauge}\n{finding}");
        // Both show the same usage over the same limit.
        let limit = after(finding, "threads ").and_then(|t| t.split(' ').next());
        let limit = limit.expect("threads N/M").trim_end_matches(',');
        assert!(gauge.contains(limit), "{limit} not in {gauge}");
        compared += 1;
    }
    assert!(
        compared >= 10,
        "the finding showed at only {compared} readings"
    );
}
