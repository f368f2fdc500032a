//! Keys in, state out: navigation, drill-down, filter, sort, pause and interval through
//! `app::update` alone (no terminal), from Samples built in the test.

mod tui_fixture;

use healthtop::app::{rows, update, Effect, Msg, TargetStatus, View};
use std::time::Duration;
use tui_fixture::{press, state, T0_MS};

#[test]
fn number_keys_tab_and_shift_tab_reach_every_view() {
    let mut state = state(3, 80, 24);
    for (key, view) in ["1", "2", "3", "4", "5", "6", "7", "8"]
        .iter()
        .zip(View::ALL)
    {
        press(&mut state, key);
        assert_eq!(state.ui.view, view, "key {key}");
    }
    press(&mut state, "Tab");
    assert_eq!(state.ui.view, View::Overview, "Tab wraps around");
    press(&mut state, "BackTab");
    assert_eq!(state.ui.view, View::Family, "Shift-Tab wraps back");
}

#[test]
fn movement_is_clamped_and_paged() {
    let mut state = state(20, 80, 24); // 28 threads
    press(&mut state, "2 Home j j k");
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
        press(&mut state, "- -"),
        Vec::new(),
        "500 ms, the documented minimum, is the shortest step"
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
    let exited = state.findings.iter().find(|f| f.rule == "exited");
    assert!(
        exited.is_some_and(|f| f.evidence.iter().any(|e| e == "exited with status 1")),
        "the exit is a finding: {:?}",
        state.findings
    );
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
fn thread_cpu_history_shortens_per_thread_to_stay_within_its_bound() {
    use healthtop::app::trail::{ThreadCpu, THREAD_CPU_CAPACITY, THREAD_CPU_READINGS};
    use std::sync::Arc;
    let template = tui_fixture::sample(0).threads.items[0].clone();
    let threads = 10_000;
    let mut cpu = ThreadCpu::default();
    for census in 0..THREAD_CPU_CAPACITY as u64 {
        let mut s = tui_fixture::sample(census);
        s.threads.items = Arc::new(
            (0..threads)
                .map(|tid| healthtop::sample::ThreadInfo {
                    tid,
                    cpu_ticks: census * u64::try_from(tid % 3).expect("small"),
                    ..template.clone()
                })
                .collect(),
        );
        cpu.observe(&s);
    }
    let kept = THREAD_CPU_READINGS / threads as usize;
    assert_eq!(cpu.history(2).len(), kept - 1);
    // One tick per one-second census at 100 Hz: 1 % of a core, from the newest two.
    assert_eq!(cpu.percent(1), Some(1.0));
    assert_eq!(cpu.percent(0), Some(0.0));
}

#[test]
fn a_selection_past_the_end_is_pulled_back_when_its_view_returns() {
    let mut state = state(20, 80, 24);
    press(&mut state, "3 End"); // the last of 59 descriptors
    assert_eq!(state.ui.table().selected, 58);
    press(&mut state, "2");
    // The next census lists only 10 descriptors.
    let mut fewer = tui_fixture::sample(21);
    std::sync::Arc::make_mut(&mut fewer.fds.items).truncate(10);
    update(&mut state, Msg::Sample(Box::new(fewer)));
    press(&mut state, "3");
    assert_eq!(state.ui.table().selected, 9);
}

#[test]
fn time_keys_step_through_a_bundle_and_every_figure_follows() {
    let mut state = tui_fixture::bundle_state(20);
    let index = |s: &healthtop::app::AppState| s.replay().map(|r| r.index);
    let shown = |s: &healthtop::app::AppState| s.current.as_ref().map(|c| c.taken_at_ms);
    assert_eq!(index(&state), Some(19), "opens on the newest sample");
    assert_eq!(shown(&state), Some(T0_MS + 19_000));
    assert_eq!(state.trail.len(), 20);

    // The findings at the newest sample are those the bundle's report was judged with.
    let samples: Vec<_> = (0..20).map(tui_fixture::sample).collect();
    let judged = healthtop::report::watch::judge_series(
        &samples,
        Duration::from_secs(1),
        healthtop::config::Config::default(),
    )
    .findings;
    assert_eq!(state.findings, judged);

    press(&mut state, "[");
    assert_eq!(index(&state), Some(18));
    assert_eq!(shown(&state), Some(T0_MS + 18_000));
    assert_eq!(state.trail.len(), 19, "sparklines end at the shown sample");
    assert_eq!(state.now_ms, T0_MS + 18_000, "ages are measured from it");

    press(&mut state, "{");
    assert_eq!(index(&state), Some(0));
    assert_eq!(state.trail.len(), 1);
    let at_first = healthtop::report::watch::judge_series(
        &samples[..1],
        Duration::from_secs(1),
        healthtop::config::Config::default(),
    )
    .findings;
    assert_eq!(
        state.findings, at_first,
        "findings as judged at that moment"
    );
    assert_ne!(state.findings, judged, "the leaks show only later");
    press(&mut state, "[");
    assert_eq!(index(&state), Some(0), "no step before the first sample");

    press(&mut state, "] ]");
    assert_eq!(index(&state), Some(2));
    assert_eq!(shown(&state), Some(T0_MS + 2_000));
    press(&mut state, "}");
    assert_eq!(index(&state), Some(19));
    press(&mut state, "]");
    assert_eq!(index(&state), Some(19), "no step after the last sample");

    // Tables follow too, and a selection past the end is pulled back.
    press(&mut state, "2 End");
    assert_eq!(
        rows::threads(&state).len(),
        tui_fixture::sample(19).threads.items.len()
    );
    press(&mut state, "{");
    let threads_then = tui_fixture::sample(0).threads.items.len();
    assert_eq!(rows::threads(&state).len(), threads_then);
    assert_eq!(state.ui.table().selected, threads_then - 1);
}

/// Stepping across the judging's kept copies (every `CHECKPOINT_EVERY` samples) shows exactly
/// what replaying the samples from the first one shows: same findings, trail and thread CPU.
#[test]
fn stepping_across_checkpoints_equals_a_replay_from_the_start() {
    let n = (2 * healthtop::app::replay::CHECKPOINT_EVERY + 5) as u64;
    let mut state = tui_fixture::bundle_state(n);
    let from_scratch = |i: u64| {
        let samples: Vec<_> = (0..=i).map(tui_fixture::sample).collect();
        healthtop::app::AppState::for_bundle(
            "snap".into(),
            samples,
            healthtop::config::Config::default(),
        )
    };
    let same = |state: &healthtop::app::AppState, i: u64| {
        let fresh = from_scratch(i);
        assert_eq!(state.replay().map(|r| r.index), Some(i as usize));
        assert_eq!(state.findings, fresh.findings, "findings at {i}");
        assert_eq!(state.trail.len(), fresh.trail.len(), "trail at {i}");
        let tid = tui_fixture::sample(i).threads.items[0].tid;
        assert_eq!(
            state.thread_cpu.history(tid),
            fresh.thread_cpu.history(tid),
            "thread CPU at {i}"
        );
    };
    same(&state, n - 1);
    press(&mut state, "{");
    same(&state, 0);
    for _ in 0..130 {
        press(&mut state, "]");
    }
    same(&state, 130);
    press(&mut state, "[ [ [");
    same(&state, 127);
    press(&mut state, "}");
    press(&mut state, "[");
    same(&state, n - 2);
}

/// Before the judging reaches the shown sample the view says so, and shows no findings it has
/// not judged; the judging's results replace that when they arrive.
#[test]
fn findings_wait_for_the_judging_and_say_so() {
    let samples: Vec<_> = (0..30).map(tui_fixture::sample).collect();
    let frozen = healthtop::app::Frozen {
        goroutines: Vec::new(),
        exit: None,
        folded: Err("none".into()),
        threads: Vec::new(),
        dump: None,
    };
    let mut state = healthtop::app::AppState::for_bundle_with(
        "snap".into(),
        samples,
        frozen,
        healthtop::config::Config::default(),
    );
    assert!(state.findings.is_empty());
    assert_eq!(
        state.message.as_deref(),
        Some("judging the history: 0/30 samples…")
    );
    let mut judge = state.judge().expect("bundle mode");
    let mut batch = Vec::new();
    while let Some(judged) = judge.next_judged() {
        batch.push(judged);
    }
    update(&mut state, Msg::Judged(batch));
    assert_eq!(state.message, None);
    assert_eq!(state.findings, tui_fixture::bundle_state(30).findings);
    assert!(!state.findings.is_empty());
}

#[test]
fn a_bundle_is_read_only() {
    let mut state = tui_fixture::bundle_state(5);
    for msg in [
        Msg::Sample(Box::new(tui_fixture::sample(9))),
        Msg::Tick {
            now_ms: T0_MS + 99_000,
        },
        Msg::TargetExited {
            at_ms: T0_MS + 99_000,
            how: "killed by SIGKILL".into(),
        },
    ] {
        update(&mut state, msg);
    }
    assert_eq!(
        state.current.as_ref().map(|c| c.taken_at_ms),
        Some(T0_MS + 4_000)
    );
    assert_eq!(state.now_ms, T0_MS + 4_000);
    assert_eq!(state.status, TargetStatus::Live);
    for key in ["p", "+", "-", "b"] {
        assert_eq!(press(&mut state, key), vec![], "{key} does nothing here");
        let message = state.message.clone().unwrap_or_default();
        assert!(message.contains("read-only"), "{key}: {message}");
    }
    press(&mut state, "j");
    assert_eq!(state.message, None, "the next key clears the message");
    assert_eq!(press(&mut state, "q"), vec![Effect::Quit]);
}

#[test]
fn live_the_time_keys_say_why_not_and_b_asks_the_shell_for_a_bundle() {
    let mut state = state(5, 80, 24);
    let before = state.current.clone();
    assert_eq!(press(&mut state, "["), vec![]);
    assert!(
        state
            .message
            .as_deref()
            .is_some_and(|m| m.contains("only in a bundle")),
        "{:?}",
        state.message
    );
    assert_eq!(state.current, before);

    assert_eq!(press(&mut state, "b"), vec![Effect::WriteBundle]);
    assert!(state.writing_bundle);
    assert_eq!(press(&mut state, "b"), vec![], "one bundle at a time");
    // The writer's progress shows in the status line while it works.
    update(
        &mut state,
        Msg::BundleProgress("5 samples, 0 stack samples; reading /proc…".into()),
    );
    assert_eq!(
        state.message.as_deref(),
        Some("writing a bundle: 5 samples, 0 stack samples; reading /proc…")
    );
    update(
        &mut state,
        Msg::BundleWritten(Ok("bundle written to ./x.tar.gz (9 files)".into())),
    );
    assert!(!state.writing_bundle);
    assert_eq!(
        state.message.as_deref(),
        Some("bundle written to ./x.tar.gz (9 files)")
    );
    assert_eq!(press(&mut state, "b"), vec![Effect::WriteBundle]);
    update(
        &mut state,
        Msg::BundleWritten(Err("cannot write ./x.tar.gz: Permission denied".into())),
    );
    assert_eq!(
        state.message.as_deref(),
        Some("bundle not written: cannot write ./x.tar.gz: Permission denied")
    );

    // The bundle gets every sample taken in, the newest with its memory maps.
    let samples = state.bundle_source().samples();
    assert_eq!(samples.len(), 5);
    for (i, sample) in samples.iter().enumerate() {
        let mut expected = tui_fixture::sample(i as u64);
        if i < 4 {
            expected.memory.maps = Default::default();
        }
        assert_eq!(as_read(&sample.sample), expected, "sample {i}");
    }
    assert!(!samples[4].sample.memory.maps.is_empty());
    assert_eq!(state.raw_copies_unavailable(), None);
    update(
        &mut state,
        Msg::TargetExited {
            at_ms: T0_MS + 6000,
            how: "killed by SIGKILL".into(),
        },
    );
    assert_eq!(
        state.raw_copies_unavailable().as_deref(),
        Some("the target had exited (killed by SIGKILL) when the bundle was written")
    );
    assert_eq!(
        press(&mut state, "b"),
        vec![Effect::WriteBundle],
        "still works from the frozen data"
    );
}

/// A sample as the bundle history gives it back, with the time each thread's details were
/// read put back to "with the census" after checking it is not later than the census: a
/// thread whose details were read again and found the same keeps its first reading's time.
fn as_read(kept: &healthtop::sample::Sample) -> healthtop::sample::Sample {
    let mut sample = kept.clone();
    let census_ms = sample.threads.census_taken_at_ms;
    for thread in std::sync::Arc::make_mut(&mut sample.threads.items) {
        assert!(thread.detail_at_ms.is_none() || thread.detail_at_ms <= census_ms);
        thread.detail_at_ms = None;
    }
    sample
}

#[test]
fn samples_kept_for_bundles_are_bounded_lossless_and_share_their_census() {
    use healthtop::app::seen::{Seen, SEEN_CAPACITY};
    // A census every third sample, carried over (same items, same time) in between, as the
    // collector does.
    let reading = |i: u64| {
        let census = tui_fixture::sample(i - i % 3);
        let mut s = tui_fixture::sample(i);
        s.threads.items = census.threads.items.clone();
        s.threads.census_taken_at_ms = census.threads.census_taken_at_ms;
        s.fds.items = census.fds.items.clone();
        s.fds.tcp = census.fds.tcp.clone();
        s.fds.census_taken_at_ms = census.fds.census_taken_at_ms;
        s
    };
    let total = SEEN_CAPACITY as u64 + 10;
    let mut seen = Seen::default();
    let mut census_bytes = 0;
    for i in 0..total {
        let sample = reading(i);
        census_bytes = serde_json::to_vec(&*sample.threads.items)
            .expect("json")
            .len()
            + serde_json::to_vec(&*sample.fds.items).expect("json").len();
        seen.push(&sample);
    }
    assert_eq!(seen.len(), SEEN_CAPACITY);
    let kept = seen.samples();
    for (sample, i) in kept.iter().zip(total - seen.len() as u64..) {
        let mut expected = reading(i);
        expected.memory.maps = Default::default();
        assert_eq!(as_read(sample), expected, "sample {i}");
    }
    // Samples carrying one census share one copy of it, in the seen ring and in the samples
    // a bundle gets.
    let carried = kept
        .windows(2)
        .filter(|w| std::sync::Arc::ptr_eq(&w[0].threads.items, &w[1].threads.items))
        .count();
    let mut censuses: Vec<_> = kept.iter().map(|s| s.threads.census_taken_at_ms).collect();
    censuses.dedup();
    assert_eq!(carried, kept.len() - censuses.len());
    assert!(
        seen.bytes() < SEEN_CAPACITY * census_bytes / 2,
        "{} bytes held for {SEEN_CAPACITY} samples of a {census_bytes}-byte census",
        seen.bytes()
    );
}

#[test]
fn samples_kept_for_bundles_stay_within_the_memory_budget() {
    use healthtop::app::seen::{Seen, SEEN_BUDGET_BYTES, SEEN_CAPACITY};
    use healthtop::sample::ThreadInfo;
    use std::sync::Arc;
    // 10,000 threads that all change at every census: the worst case for sharing.
    let template = tui_fixture::sample(0).threads.items[0].clone();
    let census = |i: u64| -> Arc<Vec<ThreadInfo>> {
        Arc::new(
            (0..10_000)
                .map(|tid| ThreadInfo {
                    tid,
                    cpu_ticks: i,
                    ..template.clone()
                })
                .collect(),
        )
    };
    let mut seen = Seen::default();
    let mut idle = Seen::default();
    let idle_census = census(0);
    for i in 0..SEEN_CAPACITY as u64 {
        let mut s = tui_fixture::sample(i);
        s.threads.items = census(i);
        seen.push(&s);
        assert!(seen.bytes() <= SEEN_BUDGET_BYTES, "{} held", seen.bytes());
        // The same threads, unchanged, at every census.
        s.threads.items = Arc::new((*idle_census).clone());
        idle.push(&s);
    }
    assert!(
        seen.len() < SEEN_CAPACITY,
        "busy threads shorten the history"
    );
    assert!(seen.len() > 1);
    let newest = seen.samples().pop().expect("kept");
    assert_eq!(newest.threads.items, census(SEEN_CAPACITY as u64 - 1));
    // Unchanged threads are held once: the whole five minutes fit.
    assert_eq!(idle.len(), SEEN_CAPACITY);
    assert!(idle.bytes() <= SEEN_BUDGET_BYTES, "{} held", idle.bytes());
}

/// Issue 14: a census re-reads a rotating twentieth of idle threads' details. Found the same,
/// they keep their first reading in the bundle history (no new heap per census), and a
/// rebuilt sample never claims details fresher than they were read.
#[test]
fn details_read_again_unchanged_cost_the_kept_history_nothing() {
    use healthtop::app::seen::Seen;
    use healthtop::sample::ThreadInfo;
    use std::sync::Arc;
    let template = tui_fixture::sample(0).threads.items[0].clone();
    let at = |census: u64| tui_fixture::sample(census).taken_at_ms;
    let census = |i: u64, rotating: bool| -> Vec<ThreadInfo> {
        (0..10_000_u64)
            .map(|tid| {
                let last_read = (0..=i).rev().find(|j| *j == 0 || (tid + j) % 20 == 0);
                ThreadInfo {
                    tid: i32::try_from(tid).expect("small"),
                    detail_at_ms: last_read.filter(|&j| rotating && j < i).map(at),
                    ..template.clone()
                }
            })
            .collect()
    };
    let (mut rotated, mut fresh) = (Seen::default(), Seen::default());
    let mut truth = Vec::new();
    for i in 0..40 {
        let mut s = tui_fixture::sample(i);
        s.threads.items = Arc::new(census(i, false));
        fresh.push(&s);
        s.threads.items = Arc::new(census(i, true));
        rotated.push(&s);
        truth.push(s);
    }
    assert_eq!(rotated.bytes(), fresh.bytes());
    for (kept, truth) in rotated.samples().iter().zip(&truth) {
        let census_ms = truth.threads.census_taken_at_ms.expect("census");
        for (k, t) in kept.threads.items.iter().zip(truth.threads.items.iter()) {
            assert_eq!(k.tid, t.tid);
            let read = |t: &ThreadInfo| t.detail_at_ms.unwrap_or(census_ms);
            assert!(read(k) <= read(t), "thread {} claims a fresher read", k.tid);
        }
    }
}

#[test]
fn a_bundles_interval_is_the_median_gap_between_its_samples() {
    let samples: Vec<_> = [0, 1002, 2005, 3003, 4001]
        .iter()
        .enumerate()
        .map(|(i, offset)| {
            let mut s = tui_fixture::sample(i as u64);
            s.taken_at_ms = T0_MS + offset;
            s
        })
        .collect();
    let state = healthtop::app::AppState::for_bundle(
        "b.tar.gz".into(),
        samples,
        healthtop::config::Config::default(),
    );
    assert_eq!(state.interval, Duration::from_secs(1));
}

/// A sample `i` of the fixture with `extra` new threads named `aaa-N` (they sort first by
/// name and by TID, so every row below them shifts) and without `gone`.
fn shifted_sample(i: u64, extra: i32, gone: &[i32]) -> healthtop::sample::Sample {
    let mut sample = tui_fixture::sample(i);
    let template = sample.threads.items[0].clone();
    let items = std::sync::Arc::make_mut(&mut sample.threads.items);
    items.retain(|t| !gone.contains(&t.tid));
    for n in 0..extra {
        let mut thread = template.clone();
        thread.tid = 100 + n;
        thread.name = format!("aaa-{n}");
        items.push(thread);
    }
    sample.threads.count = sample.threads.items.len() as u64;
    sample
}

#[test]
fn enter_opens_the_thread_under_the_cursor_while_rows_shift() {
    for sort_presses in ["s", "s s"] {
        // By TID, then by name: new threads sort above the cursor in both.
        let mut state = state(20, 80, 24);
        press(&mut state, "2");
        press(&mut state, sort_presses);
        press(&mut state, "j j j j j");
        let chosen = rows::thread_at(&state, state.ui.table().selected).expect("a row");
        let position = state.ui.table().selected;
        update(
            &mut state,
            Msg::Sample(Box::new(shifted_sample(21, 7, &[tui_fixture::PID]))),
        );
        assert_eq!(
            state.ui.table().selected,
            position + 6,
            "the rows shifted by 7 new threads above and 1 gone above"
        );
        press(&mut state, "Enter");
        assert_eq!(state.ui.thread_detail, Some(chosen.tid), "{chosen:?}");
    }
}

#[test]
fn the_findings_cursor_follows_its_finding() {
    let mut state = state(20, 80, 24);
    press(&mut state, "6");
    // The last finding the filter keeps, so rows above it that it hides move it up.
    let before = rows::findings(&state);
    let at = before
        .iter()
        .rposition(|f| f.rule.contains("sig"))
        .expect("a finding matching `sig`");
    let chosen = before[at].rule.clone();
    for _ in 0..at {
        press(&mut state, "j");
    }
    assert_eq!(
        rows::findings(&state)[state.ui.table().selected].rule,
        chosen
    );
    // A filter that keeps the finding moves it to another row; the cursor goes with it.
    press(&mut state, "/ s i g Enter");
    let now = rows::findings(&state);
    assert_ne!(
        now.get(at).map(|f| f.rule.as_str()),
        Some(chosen.as_str()),
        "the filter moved it"
    );
    assert_eq!(now[state.ui.table().selected].rule, chosen, "{now:?}");
}

#[test]
fn names_sort_naturally_and_hash_filters_one_tid() {
    let mut state = state(20, 80, 24);
    press(&mut state, "2 s s"); // by name
    let names: Vec<String> = rows::threads(&state).into_iter().map(|t| t.name).collect();
    let at = |name: &str| names.iter().position(|n| n == name).expect(name);
    assert!(at("worker-2") < at("worker-10"), "{names:?}");
    let tid = tui_fixture::PID + 3;
    press(
        &mut state,
        &format!(
            "/ # {} Enter",
            tid.to_string()
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );
    let only: Vec<i32> = rows::threads(&state).iter().map(|t| t.tid).collect();
    assert_eq!(only, [tid]);
    // Without `#`, digits match names only: no thread is named after its TID.
    press(&mut state, "Esc / 4 2 4 5 Enter");
    assert!(rows::threads(&state).is_empty());
}

/// Issue 14: the census reads `status`, `wchan` and `syscall` for the Threads rows that can be
/// on screen and the thread opened; every thread's when a view shows something of each.
#[test]
fn the_census_is_asked_for_the_details_a_view_shows() {
    let mut state = state(3, 80, 24);
    let all: Vec<i32> = state
        .current
        .as_ref()
        .expect("sample")
        .threads
        .items
        .iter()
        .map(|t| t.tid)
        .collect();
    assert_eq!(
        rows::detail_wanted(&state),
        Some(Default::default()),
        "Overview shows no thread's details"
    );
    press(&mut state, "2 s");
    let wanted = rows::detail_wanted(&state).expect("some threads");
    let shown: Vec<i32> = rows::threads(&state)
        .iter()
        .take(16)
        .map(|t| t.tid)
        .collect();
    assert!(
        shown.iter().all(|tid| wanted.contains(tid)),
        "{shown:?} not in {wanted:?}"
    );
    assert!(wanted.iter().all(|tid| all.contains(tid)));
    press(&mut state, "Enter 1");
    let opened = state.ui.thread_detail.expect("a thread opened");
    assert_eq!(rows::detail_wanted(&state), Some([opened].into()));
    press(&mut state, "5");
    assert_eq!(
        rows::detail_wanted(&state),
        None,
        "Signals shows every thread's masks"
    );
    state.ui.thread_detail = None;
    press(&mut state, "2 s s s");
    assert_eq!(
        View::Threads.sorts()[state.ui.tables[View::Threads.index()].sort],
        "switches"
    );
    assert_eq!(rows::detail_wanted(&state), None, "sorted by switches");
}
