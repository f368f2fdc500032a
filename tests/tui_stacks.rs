//! The Stacks view and the dump key without a terminal: snapshots of the flame graph (from a
//! FoldedStacks built here) at 80×24 and 160×48, zoomed and searched; the dump dialog for Go,
//! a JVM and a refusal; and keys in, state out (zoom, search, thread filter, dialog y/n).

mod tui_fixture;

use healthtop::app::dump::{plan, Dialog, DumpEffect, DumpMsg, Facts};
use healthtop::app::stacks::{Sampling, StacksMsg};
use healthtop::app::{stacks, update, AppState, Effect, Msg, View};
use healthtop::runtimes::target::Disposition;
use healthtop::runtimes::Runtime;
use healthtop::stacks::folded::FoldedStacks;
use healthtop::stacks::{Capture, Frame, ThreadStack, ThreadState};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::time::Duration;
use tui_fixture::{press, state};

fn draw(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| healthtop::view::render(state, frame))
        .expect("draw");
    terminal
}

fn text(state: &AppState, width: u16, height: u16) -> String {
    draw(state, width, height).backend().to_string()
}

/// A service: the worker spends 3/4 of its samples in `compress`, the rest in `checksum`;
/// the main thread waits in `poll`; a logger thread writes.
fn folded() -> FoldedStacks {
    let mut folded = FoldedStacks::new();
    for (stack, count) in [
        (
            "worker;start_thread;worker_main;handle_request;compress;deflate_slow",
            45,
        ),
        (
            "worker;start_thread;worker_main;handle_request;compress;longest_match",
            15,
        ),
        (
            "worker;start_thread;worker_main;handle_request;checksum",
            20,
        ),
        ("main;__libc_start_main;main;event_loop;poll", 30),
        ("logger;start_thread;log_main;write", 10),
    ] {
        folded.add_folded(stack, count);
    }
    folded
}

fn stacks_state(width: u16, height: u16) -> AppState {
    let mut state = state(3, width, height);
    state.stacks.load(folded());
    press(&mut state, "7");
    state
}

#[test]
fn stacks_view_snapshots_plain_zoomed_and_searched() {
    for (width, height) in [(80, 24), (160, 48)] {
        let plain = stacks_state(width, height);
        insta::assert_snapshot!(
            format!("stacks_{width}x{height}"),
            draw(&plain, width, height).backend()
        );

        let mut zoomed = stacks_state(width, height);
        // all → worker (biggest) → start_thread → worker_main → handle_request → compress
        press(&mut zoomed, "j j j j j Enter");
        insta::assert_snapshot!(
            format!("stacks_zoomed_{width}x{height}"),
            draw(&zoomed, width, height).backend()
        );

        let mut searched = stacks_state(width, height);
        press(&mut searched, "/ c o m p Enter");
        insta::assert_snapshot!(
            format!("stacks_search_{width}x{height}"),
            draw(&searched, width, height).backend()
        );
    }
}

#[test]
fn flame_widths_follow_samples_and_names_are_cut_to_fit() {
    let state = stacks_state(80, 24);
    let screen = text(&state, 80, 24);
    // 120 samples: worker 80 (2/3 of 78 columns = 52), main 30, logger 10.
    let row = screen
        .lines()
        .find(|l| l.contains("worker") && l.contains("main") && !l.contains("zoom"))
        .expect("thread row");
    let worker_at = row.find("worker").expect("worker");
    let main_at = row.find("main").expect("main");
    assert_eq!(
        row[worker_at..main_at].chars().count(),
        52,
        "worker's width:\n{screen}"
    );
    assert!(
        screen.contains("cost:") || screen.contains("sampling 10 Hz"),
        "{screen}"
    );
}

#[test]
fn zoom_in_and_out_and_move_along_the_graph() {
    let mut state = stacks_state(80, 24);
    assert_eq!(state.ui.view, View::Stacks);
    press(&mut state, "j");
    assert_eq!(state.stacks.selected, vec!["worker"]);
    press(&mut state, "l");
    assert_eq!(
        state.stacks.selected,
        vec!["main"],
        "→ next frame on the row"
    );
    press(&mut state, "h");
    assert_eq!(state.stacks.selected, vec!["worker"], "← back");
    press(&mut state, "Enter");
    assert_eq!(state.stacks.zoom, vec![vec!["worker".to_string()]]);
    assert_eq!(state.stacks.top(), state.stacks.selected_node());
    press(&mut state, "j j j j Enter");
    assert_eq!(state.stacks.zoom.len(), 2);
    let top = state.stacks.top();
    assert_eq!(state.stacks.tree.nodes[top].name, "compress");
    assert_eq!(state.stacks.tree.nodes[top].total, 60);
    press(&mut state, "k k k k k k k k");
    assert_eq!(
        state.stacks.selected_node(),
        top,
        "the selection stays inside the zoom"
    );
    press(&mut state, "Esc");
    assert_eq!(state.stacks.zoom.len(), 1);
    press(&mut state, "Backspace");
    assert!(state.stacks.zoom.is_empty());
    assert_eq!(state.ui.view, View::Stacks, "Esc did not leave the view");
}

#[test]
fn search_marks_frames_and_reports_the_share() {
    let mut state = stacks_state(80, 24);
    press(&mut state, "/ c o m p r e s s Enter");
    assert!(!state.ui.editing_filter);
    assert_eq!(state.stacks.matched_share("compress"), Some(50.0));
    let screen = text(&state, 80, 24);
    assert!(
        screen.contains("search \"compress\": 50.0% of samples"),
        "{screen}"
    );
    assert!(
        screen.contains("*compress"),
        "marked by a character:\n{screen}"
    );
    assert_eq!(
        state.stacks.selected.last().map(String::as_str),
        Some("compress"),
        "Enter selects the biggest match"
    );
    press(&mut state, "Enter");
    assert_eq!(state.stacks.tree.nodes[state.stacks.top()].name, "compress");
    press(&mut state, "Esc");
    assert!(state.stacks.zoom.is_empty());
    assert_eq!(
        state.ui.table().filter,
        "compress",
        "the first Esc zooms out"
    );
    press(&mut state, "Esc");
    assert_eq!(state.ui.table().filter, "", "Esc clears the search");
}

#[test]
fn thread_filter_cycles_by_samples_then_back_to_all() {
    let mut state = stacks_state(80, 24);
    press(&mut state, "f");
    assert_eq!(state.stacks.thread.as_deref(), Some("worker"));
    assert_eq!(state.stacks.tree.total(), 80);
    press(&mut state, "f f");
    assert_eq!(state.stacks.thread.as_deref(), Some("logger"));
    press(&mut state, "f");
    assert_eq!(state.stacks.thread, None);
    assert_eq!(state.stacks.tree.total(), 120);
}

#[test]
fn export_asks_the_shell_with_what_the_view_shows() {
    let mut state = stacks_state(80, 24);
    press(&mut state, "f");
    let effects = press(&mut state, "e");
    let [Effect::Stacks(stacks::StacksEffect::Export { folded, title })] = effects.as_slice()
    else {
        panic!("no export effect: {effects:?}");
    };
    assert_eq!(folded.total(), 80, "only the filtered thread");
    assert!(title.contains("worker"), "{title}");
    update(
        &mut state,
        Msg::Stacks(StacksMsg::Exported(Ok(
            "flame graph written to /x/a.svg".into()
        ))),
    );
    assert!(text(&state, 80, 24).contains("flame graph written to /x/a.svg"));
}

fn frame(function: &str, file: &str, line: u32) -> Frame {
    Frame {
        address: 0x401000,
        function: Some(function.into()),
        module: Some("/usr/bin/svc".into()),
        file: Some(format!("/src/{file}")),
        line: Some(line),
        inlined: false,
    }
}

#[test]
fn sampling_only_while_someone_looks_and_the_drill_down_shows_the_stack() {
    let mut state = state(3, 80, 24);
    assert_eq!(
        stacks::wanted(&state),
        Sampling::Off,
        "nothing stopped on start"
    );
    press(&mut state, "7");
    assert_eq!(stacks::wanted(&state), Sampling::Continuous);
    press(&mut state, "2 s Enter");
    let tid = state.ui.thread_detail.expect("drilled in");
    assert_eq!(
        stacks::wanted(&state),
        Sampling::Once(tid),
        "one capture for it"
    );
    let capture = Capture {
        pid: tui_fixture::PID,
        threads: vec![ThreadStack {
            tid,
            name: "svc".into(),
            frames: vec![frame("spin_here", "spin.c", 42), frame("main", "main.c", 7)],
            truncated: false,
            state: ThreadState::Captured {
                stop_time: Duration::from_micros(40),
                group_stopped_by: None,
            },
        }],
        stop_times: vec![Duration::from_micros(40)],
        ..Capture::default()
    };
    let at_ms = state.now_ms;
    update(
        &mut state,
        Msg::Stacks(StacksMsg::Captured {
            capture: Box::new(capture),
            at_ms,
            round: Duration::from_millis(2),
            interval: Duration::from_millis(100),
        }),
    );
    assert_eq!(stacks::wanted(&state), Sampling::Off, "once is once");
    let screen = text(&state, 80, 24);
    assert!(screen.contains("spin_here  svc spin.c:42"), "{screen}");
    press(&mut state, "Esc 1");
    assert_eq!(stacks::wanted(&state), Sampling::Off);
    update(
        &mut state,
        Msg::Stacks(StacksMsg::Failed(
            "cannot trace PID 4242: ptrace_scope is 3".into(),
        )),
    );
    press(&mut state, "7");
    assert_eq!(
        stacks::wanted(&state),
        Sampling::Off,
        "no retry loop on EPERM"
    );
    let screen = text(&state, 80, 24);
    assert!(
        screen.contains("cannot sample stacks: cannot trace PID 4242: ptrace_scope is 3"),
        "{screen}"
    );
}

fn caught() -> Disposition {
    Disposition {
        caught: true,
        ignored: false,
        blocked: false,
    }
}

fn facts(runtime: Runtime) -> Facts {
    Facts {
        pid: 4242,
        runtime,
        sigquit: caught(),
        python_signal: Disposition {
            caught: false,
            ..caught()
        },
        nspid: 4242,
        attach_socket: None,
        listeners: vec!["127.0.0.1:6060".parse().expect("addr")],
        other_netns: false,
    }
}

/// The state after `D` and the shell's plan for `facts`.
fn dialog(facts: &Facts) -> AppState {
    let mut state = state(3, 80, 24);
    let effects = press(&mut state, "D");
    assert_eq!(effects, vec![Effect::Dump(DumpEffect::Plan)]);
    update(&mut state, Msg::Dump(DumpMsg::Planned(Ok(plan(facts)))));
    state
}

#[test]
fn dump_dialog_snapshots_go_jvm_and_refusal() {
    let go = dialog(&facts(Runtime::Go));
    let screen = text(&go, 80, 24);
    assert!(
        screen.contains("GET http://127.0.0.1:6060/debug/pprof/goroutine?debug=1 — no signal"),
        "{screen}"
    );
    insta::assert_snapshot!("dump_dialog_go_80x24", draw(&go, 80, 24).backend());

    let jvm = dialog(&facts(Runtime::Jvm));
    let screen = text(&jvm, 80, 24);
    assert!(screen.contains(".attach_pid4242"), "{screen}");
    assert!(screen.contains("SigCgt has SIGQUIT"), "{screen}");
    insta::assert_snapshot!("dump_dialog_jvm_80x24", draw(&jvm, 80, 24).backend());

    let mut no_pprof = facts(Runtime::Go);
    no_pprof.listeners.clear();
    let mut refused = dialog(&no_pprof);
    let screen = text(&refused, 80, 24);
    assert!(screen.contains("REFUSED: nothing will be sent"), "{screen}");
    assert!(screen.contains("exits with status 2"), "{screen}");
    insta::assert_snapshot!(
        "dump_dialog_refused_80x24",
        draw(&refused, 80, 24).backend()
    );
    assert!(
        press(&mut refused, "y").is_empty(),
        "y cannot force a refusal"
    );
    assert!(matches!(refused.dump.dialog, Some(Dialog::Ask(_))));
}

#[test]
fn dump_dialog_y_sends_n_and_esc_cancel() {
    let mut state = dialog(&facts(Runtime::Go));
    assert!(
        press(&mut state, "j q").is_empty(),
        "other keys do nothing while asking"
    );
    press(&mut state, "n");
    assert_eq!(state.dump.dialog, None);
    let mut state = dialog(&facts(Runtime::Go));
    press(&mut state, "Esc");
    assert_eq!(state.dump.dialog, None);
    let mut state = dialog(&facts(Runtime::Go));
    assert_eq!(press(&mut state, "y"), vec![Effect::Dump(DumpEffect::Run)]);
    assert!(matches!(state.dump.dialog, Some(Dialog::Running(_))));
    update(
        &mut state,
        Msg::Dump(DumpMsg::Done(Err(
            "pprof at 127.0.0.1:6060: timed out".into()
        ))),
    );
    assert_eq!(state.dump.dialog, None);
    assert!(state.dump.panel);
    assert!(text(&state, 80, 24).contains("pprof at 127.0.0.1:6060: timed out"));
    press(&mut state, "Esc");
    assert!(!state.dump.panel);
}

#[test]
fn help_lists_the_new_keys_at_80x24() {
    let mut state = stacks_state(80, 24);
    press(&mut state, "?");
    let screen = text(&state, 80, 24);
    for needle in [
        "7",
        "Stacks",
        "D ",
        "f e",
        "next thread",
        "export SVG",
        "zoom",
    ] {
        assert!(screen.contains(needle), "help lacks {needle:?}:\n{screen}");
    }
}

#[test]
fn a_jvm_dump_joins_the_thread_table_by_tid() {
    let tid = tui_fixture::PID + 3;
    let text = format!(
        "\"order-worker-7\" #15 prio=5 os_prio=0 cpu=1.00ms elapsed=10.00s \
         tid=0x00007f0000001000 nid=0x{tid:x} waiting on condition  [0x00007f0000002000]\n   \
         java.lang.Thread.State: WAITING (parking)\n\
         \tat jdk.internal.misc.Unsafe.park(java.base@17/Native Method)\n\
         \tat com.example.Orders.take(Orders.java:42)\n\n"
    );
    let threads = healthtop::runtimes::jvm::parse_thread_dump(&text);
    assert_eq!(threads.threads[0].tid, Some(tid as u32), "nid is the tid");
    let dump = healthtop::runtimes::Dump {
        pid: tui_fixture::PID as u32,
        runtime: Runtime::Jvm,
        method: healthtop::runtimes::DumpMethod::JvmAttach,
        total: Some(1),
        detail: healthtop::runtimes::Detail::Jvm(threads),
        text,
        notes: Vec::new(),
    };
    let mut state = state(3, 160, 48);
    update(&mut state, Msg::Dump(DumpMsg::Done(Ok(Box::new(dump)))));
    let panel = text_of(&state);
    assert!(panel.contains("JVM threads: 1"), "{panel}");
    assert!(panel.contains("order-worker-7"), "{panel}");
    assert!(panel.contains("jdk.internal.misc.Unsafe.park"), "{panel}");
    press(&mut state, "Esc 2 s");
    let screen = text_of(&state);
    let row = screen
        .lines()
        .find(|l| l.contains(&format!("│{tid} ")) || l.contains(&format!(" {tid} ")))
        .unwrap_or_else(|| panic!("no row for {tid}:\n{screen}"));
    assert!(
        row.contains("java \"order-worker-7\" WAITING"),
        "the Java name and state in the row:\n{row}"
    );
}

fn text_of(state: &AppState) -> String {
    text(state, 160, 48)
}

#[test]
fn a_go_dump_shows_goroutine_groups_with_counts_and_top_frames() {
    let text = "goroutine profile: total 28\n\
        25 @ 0x43e4ce 0x40a25c 0x6b2f05 0x471e81\n\
        #\t0x6b2f04\tmain.parkedForever+0x44\t/tmp/main.go:31\n\
        #\t0x6b2f80\tmain.leak.func1+0x20\t/tmp/main.go:40\n\
        \n\
        3 @ 0x43e4ce 0x437a37 0x46bf25\n\
        #\t0x46bf24\tinternal/poll.runtime_pollWait+0x84\t/usr/lib/go/src/runtime/netpoll.go:343\n\
        \n";
    let goroutines = healthtop::runtimes::go::parse_goroutines(text);
    let dump = healthtop::runtimes::Dump {
        pid: tui_fixture::PID as u32,
        runtime: Runtime::Go,
        method: healthtop::runtimes::DumpMethod::Pprof,
        total: Some(28),
        detail: healthtop::runtimes::Detail::Go(goroutines),
        text: text.to_string(),
        notes: Vec::new(),
    };
    let mut state = state(3, 80, 24);
    update(&mut state, Msg::Dump(DumpMsg::Done(Ok(Box::new(dump)))));
    let screen = text_of(&state);
    assert!(screen.contains("goroutines: 28 total"), "{screen}");
    assert!(
        screen.contains("    25  main.parkedForever ← main.leak.func1"),
        "{screen}"
    );
    assert!(
        screen.contains("     3  internal/poll.runtime_pollWait"),
        "{screen}"
    );
    assert!(state.message.as_deref() == Some("dump: 28 in total"));
}

/// At 10,000 threads a capture takes seconds: the sampler lowers its rate and the cost line
/// says the rate it really keeps and why, instead of the nominal 10 Hz.
#[test]
fn cost_line_says_the_real_rate_when_the_sampler_slows_down() {
    let mut state = stacks_state(160, 48);
    let capture = |stop_us| Capture {
        pid: tui_fixture::PID,
        stop_times: vec![Duration::from_micros(stop_us)],
        ..Capture::default()
    };
    let at_ms = state.now_ms;
    update(
        &mut state,
        Msg::Stacks(StacksMsg::Captured {
            capture: Box::new(capture(40)),
            at_ms,
            round: Duration::from_millis(3),
            interval: Duration::from_millis(100),
        }),
    );
    let screen = text(&state, 160, 48);
    assert!(screen.contains("1 captures at 10 Hz ·"), "{screen}");
    update(
        &mut state,
        Msg::Stacks(StacksMsg::Captured {
            capture: Box::new(capture(40)),
            at_ms,
            round: Duration::from_secs(25),
            interval: Duration::from_secs(100),
        }),
    );
    let screen = text(&state, 160, 48);
    assert!(
        screen.contains(
            "2 captures at 0.01 Hz (lowered from 10 Hz to keep stops within budget, a capture takes 25.0 s)"
        ),
        "{screen}"
    );
}

/// The interval the sampler keeps: each thread stopped at most 1% of the time, a capture at
/// most 25% of the interval, never faster than asked.
#[test]
fn sustainable_interval_follows_stops_and_rounds() {
    use healthtop::stacks::sustainable_interval;
    let fastest = Duration::from_millis(100);
    let ms = Duration::from_millis;
    assert_eq!(
        sustainable_interval(Duration::from_micros(50), ms(2), fastest),
        fastest
    );
    assert_eq!(sustainable_interval(ms(2), ms(2), fastest), ms(200));
    assert_eq!(
        sustainable_interval(Duration::from_micros(50), Duration::from_secs(25), fastest),
        Duration::from_secs(100)
    );
}
