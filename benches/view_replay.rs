//! Cost of stepping through a one-hour bundle in `healthtop view`: 3,600 samples (what
//! `bundle --duration 1h` holds), judged once as the view does in the background (timed once
//! and printed), then one key (`]` forward, `[` back, `[` just past a kept copy: the worst case) plus the frame it
//! draws (Overview, 160×48, ratatui's TestBackend). The samples are one real reading of this
//! process, replayed a second apart with growing descriptor and CPU figures.
//!
//! Run: `cargo bench --bench view_replay`. Medians land in
//! `target/criterion/view_replay/*/new/estimates.json`.

use criterion::{Criterion, SamplingMode};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use healthtop::app::replay::CHECKPOINT_EVERY;
use healthtop::app::{update, AppState, Frozen, Msg};
use healthtop::collect::{Collector, HostRoot, Tiers};
use healthtop::sample::Sample;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::time::{Duration, Instant};

const SAMPLES: usize = 3_600;

/// One real reading of this process, then `SAMPLES` of it a second apart.
fn hour_of_samples() -> Vec<Sample> {
    let pid = i32::try_from(std::process::id()).expect("pid");
    let mut collector = Collector::new(HostRoot::live(), pid).expect("collector");
    let base = collector
        .sample(Tiers::ALL)
        .expect("a sample of this process");
    (0..SAMPLES as u64)
        .map(|i| {
            let mut sample = base.clone();
            sample.taken_at_ms = base.taken_at_ms + i * 1000;
            sample.threads.census_taken_at_ms = Some(sample.taken_at_ms);
            sample.fds.census_taken_at_ms = Some(sample.taken_at_ms);
            sample.fds.open = base.fds.open.map(|open| open + i % 97);
            for thread in std::sync::Arc::make_mut(&mut sample.threads.items) {
                thread.cpu_ticks += i * 3;
            }
            if i + 1 < SAMPLES as u64 {
                sample.memory.maps = Default::default();
            }
            sample
        })
        .collect()
}

fn bundle_state(samples: Vec<Sample>) -> AppState {
    let frozen = Frozen {
        goroutines: Vec::new(),
        exit: None,
        folded: Err("none".into()),
        threads: Vec::new(),
        dump: None,
    };
    let mut state = AppState::for_bundle_with(
        "bench.tar.gz".into(),
        samples,
        frozen,
        healthtop::config::Config::default(),
    );
    update(
        &mut state,
        Msg::Resize {
            width: 160,
            height: 48,
        },
    );
    state
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn bench(c: &mut Criterion) {
    let samples = hour_of_samples();
    let mut group = c.benchmark_group("view_replay");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    // The background judging, once per bundle opened: timed once (one run takes seconds).
    let mut state = bundle_state(samples);
    let started = Instant::now();
    state.judge_now();
    eprintln!(
        "view_replay/judge_3600_samples_once: {:.1} s (off the UI thread)",
        started.elapsed().as_secs_f64()
    );
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("test backend");
    let mut step = |state: &mut AppState, keys: &[char]| {
        for &k in keys {
            update(state, key(k));
        }
        terminal
            .draw(|frame| healthtop::view::render(state, frame))
            .expect("draw");
    };
    // From the middle: forward and back one sample.
    step(&mut state, &['{']);
    for _ in 0..SAMPLES / 2 {
        update(&mut state, key(']'));
    }
    group.bench_function("key_forward_and_frame", |b| {
        b.iter(|| {
            step(&mut state, &[']']);
            step(&mut state, &['[']);
        })
    });
    // Back to the sample just before a kept copy's next one: the longest rebuild a key can
    // cost (CHECKPOINT_EVERY - 1 samples taken in after copying the kept state).
    let worst = (SAMPLES / 2 / CHECKPOINT_EVERY + 1) * CHECKPOINT_EVERY + CHECKPOINT_EVERY - 1;
    while state.replay().map(|r| r.index) < Some(worst) {
        update(&mut state, key(']'));
    }
    group.bench_function("key_back_worst_case_and_frame", |b| {
        b.iter_with_setup(
            || state.clone(),
            |mut at| {
                step(&mut at, &['[']);
                black_box(at.findings.len())
            },
        )
    });
    group.finish();
}

criterion::criterion_group!(benches, bench);
criterion::criterion_main!(benches);
