//! The Stacks view and the dump key without a terminal: snapshots of the flame graph (from
//! captures built here, with the CPU each thread used) at 80×24 and 160×48, zoomed, searched,
//! in wall mode by pool and with the top table; the dump dialog for Go, a JVM and a refusal;
//! and keys in, state out (modes, zoom, search, top table, thread picker, dialog y/n).

mod tui_fixture;

use healthtop::app::dump::{plan, Dialog, DumpEffect, DumpMsg, Facts};
use healthtop::app::stacks::{Sampling, StacksMsg};
use healthtop::app::{stacks, update, AppState, Effect, Msg, View};
use healthtop::runtimes::target::Disposition;
use healthtop::runtimes::Runtime;
use healthtop::stacks::{Capture, Frame, ThreadStack, ThreadState};
use std::time::Duration;
use tui_fixture::{draw, press, screens_after_keys, state, PID};

fn text(state: &AppState, width: u16, height: u16) -> String {
    draw(state, width, height).backend().to_string()
}

fn named(function: &str) -> Frame {
    Frame {
        address: 0x401000,
        function: Some(function.into()),
        module: Some("/usr/bin/svc".into()),
        file: None,
        line: None,
        inlined: false,
    }
}

/// A thread's stack given root first (as folded), stored innermost first.
fn thread(tid: i32, name: &str, root_first: &str, stopped: bool) -> ThreadStack {
    ThreadStack {
        tid,
        name: name.into(),
        frames: root_first.split(';').rev().map(named).collect(),
        truncated: false,
        state: if stopped {
            ThreadState::Captured {
                stop_time: Duration::from_micros(40),
                group_stopped_by: None,
            }
        } else {
            ThreadState::Reused
        },
    }
}

const WORKER: &str = "start_thread;worker_main;handle_request";

/// A service over 20 captures at 10 Hz: two workers of a numbered pool busy on one core each
/// (compress most of the time, checksum now and then), a logger using 10% of a core, the
/// main thread and ten pool threads idle. The first capture has no CPU baseline, as live.
fn captures() -> Vec<Capture> {
    (0..20)
        .map(|i| {
            let worker_1 = match i % 4 {
                3 => format!("{WORKER};checksum"),
                _ => format!("{WORKER};compress;deflate_slow"),
            };
            let worker_2 = match i % 2 {
                1 => format!("{WORKER};compress;longest_match"),
                _ => format!("{WORKER};compress;deflate_slow"),
            };
            let mut threads = vec![
                thread(
                    PID,
                    "service",
                    "__libc_start_main;main;event_loop;poll",
                    i == 0,
                ),
                thread(PID + 1, "worker-1", &worker_1, true),
                thread(PID + 2, "worker-2", &worker_2, true),
                thread(PID + 3, "logger", "start_thread;log_main;write", true),
            ];
            for n in 0..10 {
                threads.push(thread(
                    PID + 10 + n,
                    &format!("pool-{n}"),
                    "start_thread;pool_main;wait_for_work;futex_wait",
                    i == 0,
                ));
            }
            let mut cpu_used = std::collections::HashMap::new();
            if i > 0 {
                for thread in &threads {
                    let used = match thread.tid - PID {
                        1 | 2 => Duration::from_millis(100),
                        3 => Duration::from_millis(10),
                        _ => Duration::ZERO,
                    };
                    cpu_used.insert(thread.tid, used);
                }
            }
            Capture {
                pid: PID,
                stop_times: vec![Duration::from_micros(40); 3],
                threads,
                cpu_used,
                ..Capture::default()
            }
        })
        .collect()
}

fn stacks_state(width: u16, height: u16) -> AppState {
    let mut state = state(3, width, height);
    press(&mut state, "7");
    let at_ms = state.now_ms;
    for capture in captures() {
        deliver(&mut state, capture, at_ms, Duration::from_millis(2));
    }
    state
}

/// The sampler's reply: `capture`, taken at `at_ms` in a round of `round`, at 10 Hz.
fn deliver(state: &mut AppState, capture: Capture, at_ms: u64, round: Duration) {
    deliver_at(state, capture, at_ms, round, Duration::from_millis(100));
}

/// The sampler's reply, sampling every `interval`.
fn deliver_at(
    state: &mut AppState,
    capture: Capture,
    at_ms: u64,
    round: Duration,
    interval: Duration,
) {
    update(
        state,
        Msg::Stacks(StacksMsg::Captured {
            capture: Box::new(capture),
            at_ms,
            round,
            interval,
        }),
    );
}

/// The Stacks view at 80×24 after `keys`.
fn stacks_after(keys: &str) -> AppState {
    let mut state = stacks_state(80, 24);
    press(&mut state, keys);
    state
}

fn top_share(state: &AppState, function: &str) -> (u64, u64) {
    let row = state
        .stacks
        .top
        .iter()
        .find(|f| f.name == function)
        .unwrap_or_else(|| panic!("{function} not in the top table"));
    (row.self_count, row.total)
}

#[test]
fn stacks_view_snapshots_plain_zoomed_searched_wall_and_top() {
    for (width, height) in [(80, 24), (160, 48)] {
        // all → start_thread → worker_main → handle_request → compress, for the zoom.
        let cases = [
            ("stacks", ""),
            ("stacks_zoomed", "j j j j Enter"),
            ("stacks_search", "/ c o m p Enter"),
            ("stacks_wall_per_pool", "m t"),
            ("stacks_top", "o s j"),
        ];
        for (name, screen) in
            screens_after_keys(&cases, width, height, || stacks_state(width, height))
        {
            insta::assert_snapshot!(name, screen);
        }
    }
}

#[test]
fn cpu_mode_weighs_cpu_time_so_idle_threads_add_nothing() {
    let mut state = stacks_state(80, 24);
    let ui = &state.stacks;
    // 19 intervals with a baseline: 100 + 100 + 10 ms each.
    assert_eq!(ui.tree.total(), 19 * 210_000, "µs of CPU");
    assert!(
        ui.folded
            .iter()
            .all(|(stack, _)| !stack.contains("futex_wait")),
        "idle threads weigh nothing: {:?}",
        ui.folded
    );
    let root_frames: Vec<&str> = ui.tree.nodes[0]
        .children
        .iter()
        .map(|&c| ui.tree.nodes[c].name.as_str())
        .collect();
    assert_eq!(root_frames, vec!["start_thread"], "merged: no thread roots");
    let screen = text(&state, 80, 24);
    assert!(screen.contains("stacks · cpu: on-CPU time"), "{screen}");
    assert!(screen.contains("3.99 s CPU"), "{screen}");

    press(&mut state, "m");
    let ui = &state.stacks;
    assert_eq!(
        ui.tree.total(),
        20 * 14,
        "wall: every thread at every capture"
    );
    let (_, futex) = top_share(&state, "futex_wait");
    assert_eq!(futex, 200, "the idle pool dominates the wall-clock graph");
    let screen = text(&state, 80, 24);
    assert!(screen.contains("stacks · wall: every thread"), "{screen}");
    assert!(screen.contains("280 samples"), "{screen}");
}

#[test]
fn per_thread_roots_fold_numbered_pools() {
    let mut state = stacks_after("m t");
    assert!(state.stacks.per_thread);
    let roots: Vec<String> = state.stacks.tree.nodes[0]
        .children
        .iter()
        .map(|&c| state.stacks.tree.nodes[c].name.clone())
        .collect();
    assert_eq!(roots, vec!["pool-N", "worker-N", "logger", "service"]);
    assert!(
        state.stacks.top.iter().all(|f| f.name != "pool-N"),
        "a pool root is not listed as a function"
    );
    press(&mut state, "t");
    assert!(!state.stacks.per_thread);
}

#[test]
fn frames_too_narrow_merge_into_a_visible_block() {
    let mut state = stacks_after("m");
    // Wall, merged: under start_thread the pool (200), the workers (40) and the logger (20)
    // share the row; at 80 columns the logger's 20 of 280 samples still fit, so add a
    // thread too small to draw.
    let mut capture = captures().remove(1);
    capture.threads = vec![thread(
        PID + 99,
        "rare",
        "start_thread;rare_main;rare_leaf",
        true,
    )];
    capture.cpu_used.clear();
    deliver(&mut state, capture, 0, Duration::from_millis(2));
    let ui = &state.stacks;
    let rows = ui.tree.layout(0, stacks::graph_width(&state));
    let block = rows[2]
        .iter()
        .find(|c| c.is_more())
        .unwrap_or_else(|| panic!("no +N more block: {:?}", rows[2]));
    assert_eq!(ui.tree.nodes[block.node].name, "rare_main");
    assert_eq!(
        (block.hidden, block.width),
        (1, 1),
        "one column, however small"
    );
    let screen = text(&state, 80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("pool_main"))
        .expect("the row under start_thread");
    // The backend's lines are quoted: `"│` comes before the graph.
    let graph: String = row.chars().skip(2).take(52).collect();
    assert_eq!(
        graph.chars().nth(usize::from(block.x)),
        Some('+'),
        "drawn as +:\n{screen}"
    );
    assert!(!screen.contains("rare_main"), "{screen}");
}

#[test]
fn zoom_in_and_out_and_move_along_the_graph() {
    let mut state = stacks_state(80, 24);
    assert_eq!(state.ui.view, View::Stacks);
    press(&mut state, "j j j j");
    assert_eq!(
        state.stacks.selected,
        vec!["start_thread", "worker_main", "handle_request", "compress"]
    );
    press(&mut state, "l");
    assert_eq!(
        state.stacks.selected.last().map(String::as_str),
        Some("checksum"),
        "→ next frame on the row"
    );
    press(&mut state, "h");
    assert_eq!(
        state.stacks.selected.last().map(String::as_str),
        Some("compress"),
        "← back"
    );
    press(&mut state, "Enter");
    assert_eq!(state.stacks.zoom.len(), 1);
    assert_eq!(state.stacks.top(), state.stacks.selected_node());
    let top = state.stacks.top();
    assert_eq!(state.stacks.tree.nodes[top].name, "compress");
    press(&mut state, "k k k k k k k k");
    assert_eq!(
        state.stacks.selected_node(),
        top,
        "the selection stays inside the zoom"
    );
    press(&mut state, "j Enter");
    assert_eq!(state.stacks.zoom.len(), 2);
    press(&mut state, "Esc");
    assert_eq!(state.stacks.zoom.len(), 1);
    press(&mut state, "Backspace");
    assert!(state.stacks.zoom.is_empty());
    assert_eq!(state.ui.view, View::Stacks, "Esc did not leave the view");
}

#[test]
fn search_marks_frames_and_reports_the_share() {
    let mut state = stacks_after("/ c o m p r e s s Enter");
    assert!(!state.ui.editing_filter);
    // compress: worker-1 14 of its 19 intervals, worker-2 all 19, 100 ms each, of 3.99 s.
    let expected = 33.0 * 100_000.0 * 100.0 / 3_990_000.0;
    let share = state.stacks.matched_share("compress").expect("a share");
    assert!((share - expected).abs() < 1e-9, "{share} vs {expected}");
    let screen = text(&state, 80, 24);
    assert!(
        screen.contains(&format!("search \"compress\": {expected:.1}% of the graph")),
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
fn top_table_sorts_and_enter_zooms_to_every_call_of_the_function() {
    let mut state = stacks_state(160, 48);
    let names = |state: &AppState| -> Vec<String> {
        state.stacks.top.iter().map(|f| f.name.clone()).collect()
    };
    assert_eq!(
        names(&state)[..3],
        ["deflate_slow", "longest_match", "checksum"],
        "by self share first"
    );
    assert_eq!(top_share(&state, "compress"), (0, 33 * 100_000));
    press(&mut state, "s");
    assert_eq!(names(&state)[0], "start_thread", "then by total");
    press(&mut state, "s");
    assert_eq!(names(&state)[0], "checksum", "then by name");
    press(&mut state, "s");
    // The cursor goes to the table; ↓ to compress (by self: deflate_slow, longest_match,
    // checksum, write, compress…), Enter zooms the graph to it.
    press(&mut state, "o");
    let at = state
        .stacks
        .top
        .iter()
        .position(|f| f.name == "compress")
        .expect("compress listed");
    for _ in 0..at {
        press(&mut state, "j");
    }
    let screen = text(&state, 160, 48);
    assert!(screen.contains("▶ top by self"), "{screen}");
    assert!(screen.contains("▶   0.0   82.7 compress"), "{screen}");
    press(&mut state, "Enter");
    assert_eq!(state.stacks.function.as_deref(), Some("compress"));
    assert_eq!(state.stacks.tree.total(), 33 * 100_000);
    assert_eq!(state.stacks.selected, vec!["compress"]);
    let screen = text(&state, 160, 48);
    assert!(screen.contains("zoom: every call of compress"), "{screen}");
    // Esc leaves the function zoom.
    press(&mut state, "Esc");
    assert_eq!(state.stacks.function, None);
    assert_eq!(state.stacks.tree.total(), 19 * 210_000);
}

#[test]
fn thread_picker_lists_threads_by_cpu_and_shows_one() {
    let mut state = stacks_after("f");
    assert_eq!(state.stacks.picker, Some(0), "on all threads");
    let choices = state.stacks.thread_choices();
    assert_eq!(
        choices
            .iter()
            .take(3)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        vec!["worker-1", "worker-2", "logger"],
        "most CPU first"
    );
    let screen = text(&state, 80, 24);
    assert!(screen.contains("pick a thread"), "{screen}");
    assert!(screen.contains("1.90 s"), "{screen}");
    assert!(
        press(&mut state, "q").is_empty(),
        "other keys do nothing while picking"
    );
    press(&mut state, "j j Enter");
    assert_eq!(state.stacks.picker, None);
    assert_eq!(state.stacks.thread, Some(PID + 2));
    assert_eq!(state.stacks.tree.total(), 19 * 100_000);
    assert!(text(&state, 80, 24).contains("thread 4244 worker-2"));
    press(&mut state, "f Home Enter");
    assert_eq!(state.stacks.thread, None);
    press(&mut state, "f Esc");
    assert_eq!(state.stacks.picker, None);

    // The picked thread exits: back to all threads, its samples kept in its pool.
    press(&mut state, "f j Enter");
    assert_eq!(state.stacks.thread, Some(PID + 1));
    let mut capture = captures().remove(1);
    capture.threads.retain(|t| t.tid != PID + 1);
    let at_ms = state.now_ms;
    deliver(&mut state, capture, at_ms, Duration::from_millis(2));
    assert_eq!(state.stacks.thread, None);
    assert_eq!(
        state.message.as_deref(),
        Some("thread 4243 exited: showing all threads")
    );
    assert!(state
        .stacks
        .folded
        .iter()
        .any(|(s, _)| s.ends_with("checksum")));
}

#[test]
fn export_asks_the_shell_with_what_the_view_shows() {
    let mut state = stacks_after("f j Enter");
    let effects = press(&mut state, "e");
    let [Effect::Stacks(stacks::StacksEffect::Export { folded, title })] = effects.as_slice()
    else {
        panic!("no export effect: {effects:?}");
    };
    assert_eq!(folded.total(), 19 * 100_000, "only the picked thread");
    assert_eq!(folded.unit().name(), "µs on CPU");
    assert!(title.contains("worker-1"), "{title}");
    assert!(title.contains("cpu: on-CPU time"), "{title}");
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
    deliver(&mut state, capture, at_ms, Duration::from_millis(2));
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
        attach_disabled: None,
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
    let state = stacks_after("?");
    let screen = text(&state, 80, 24);
    for needle in [
        "7",
        "Stacks",
        "D ",
        "m o f e",
        "cpu/wall",
        "top table",
        "pick thread",
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
    // The Java name in the NAME column, its state beside the wchan.
    assert!(
        row.contains(" order-worker-7 ") && row.contains("java WAITING"),
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
    let captured = |state: &mut AppState, round: Duration, interval: Duration| {
        deliver_at(state, capture(40), at_ms, round, interval);
        text(state, 160, 48)
    };
    let screen = captured(
        &mut state,
        Duration::from_millis(3),
        Duration::from_millis(100),
    );
    assert!(screen.contains("1 captures at 10 Hz ·"), "{screen}");
    let screen = captured(
        &mut state,
        Duration::from_secs(25),
        Duration::from_secs(100),
    );
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
