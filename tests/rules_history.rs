//! History: bounded series, explicit gaps, identity reset, census tiers, GC floor fitting.

mod rules_support;

use healthtop::history::{History, Metric, Pushed, TrendGate};
use healthtop::sample::Runtime;
use rules_support::series;
use std::time::Duration;

#[test]
fn series_follow_the_samples_and_stay_bounded() {
    let mut history = History::new(Duration::from_secs(10), Duration::from_secs(1));
    for sample in series(30, |i, s| s.fds.open = Some(10 + i as u64)) {
        history.push(&sample);
    }
    let fds = history.series(Metric::FdsOpen);
    assert!(fds.len() <= 11, "kept {} points", fds.len());
    assert_eq!(fds.last_value().map(|(_, v)| v), Some(39.0));
    assert_eq!(history.samples(), 30);
    assert_eq!(
        history.series_bound_bytes(),
        Metric::ALL.len() * 11 * std::mem::size_of::<healthtop::history::Point>()
    );
}

#[test]
fn unreadable_values_and_silences_are_explicit_gaps() {
    let mut history = History::default();
    let samples = series(6, |i, s| {
        s.fds.open = Some(12);
        if i == 2 {
            s.fds.open = None;
        }
        if i >= 4 {
            // Five seconds without samples after sample 3.
            s.taken_at_ms += 5000;
        }
    });
    for sample in &samples {
        history.push(sample);
    }
    let values: Vec<Option<f64>> = history
        .series(Metric::FdsOpen)
        .points()
        .map(|p| p.value)
        .collect();
    assert_eq!(
        values,
        vec![
            Some(12.0),
            Some(12.0),
            None,
            Some(12.0),
            None,
            Some(12.0),
            Some(12.0)
        ]
    );
}

#[test]
fn a_new_start_time_resets_every_series() {
    let mut history = History::default();
    let samples = series(10, |i, s| {
        s.fds.open = Some(100 + i as u64);
        if i >= 7 {
            s.identity.start_time += 1;
        }
    });
    let outcomes: Vec<Pushed> = samples.iter().map(|s| history.push(s)).collect();
    assert_eq!(outcomes[7], Pushed::Reset);
    assert_eq!(outcomes[8], Pushed::Appended);
    assert_eq!(history.series(Metric::FdsOpen).len(), 3);
    assert_eq!(history.samples(), 3);
    assert_eq!(history.resets(), 1);
    let reset = history.last_reset().expect("recorded");
    assert_eq!(reset.to.start_time, reset.from.start_time + 1);
}

#[test]
fn census_metrics_get_a_point_only_when_the_census_is_new() {
    let mut history = History::default();
    let samples = series(9, |i, s| {
        if i % 3 != 0 {
            s.threads.items = Default::default();
            s.threads.census_taken_at_ms = None;
        }
    });
    for sample in &samples {
        history.push(sample);
    }
    assert_eq!(history.series(Metric::CpuTicks).len(), 3);
    assert_eq!(history.series(Metric::Threads).len(), 9);
    // The last census is carried into the latest sample.
    assert_eq!(history.latest().map(|s| s.threads.items.len()), Some(1));
}

#[test]
fn gc_runtimes_are_fitted_to_the_floor_not_the_sawtooth() {
    // A Go heap: 100 MB floor rising 1 MB/s, plus a GC sawtooth of up to 200 MB every 7 s.
    let samples = |runtime| {
        series(120, move |i, s| {
            s.identity.runtime = runtime;
            let floor = 100e6 + 1e6 * i as f64;
            let saw = 200e6 * ((i % 7) as f64 / 6.0);
            s.memory.rss_bytes = Some((floor + saw) as u64);
        })
    };
    let mut go = History::default();
    samples(Runtime::Go).iter().for_each(|s| {
        go.push(s);
    });
    let since = go.first_at_ms().expect("samples");
    let trend = go
        .trend(Metric::RssBytes, since, TrendGate::default())
        .expect("trend");
    assert!((trend.slope_per_sec - 1e6).abs() < 0.1e6, "{trend:?}");
    // The floor now is about 219 MB; the raw fit would sit mid-sawtooth (~320 MB).
    assert!((trend.level_now - 219e6).abs() < 15e6, "{trend:?}");

    let mut native = History::default();
    samples(Runtime::Native).iter().for_each(|s| {
        native.push(s);
    });
    let raw = native
        .trend(Metric::RssBytes, since, TrendGate::default())
        .expect("trend");
    assert!(raw.level_now > 280e6, "{raw:?}");
}

#[test]
fn d_state_and_pending_clocks_start_when_first_seen() {
    let mut history = History::default();
    let samples = series(10, |i, s| {
        let mut worker = s.threads.items[0].clone();
        worker.tid = 4243;
        std::sync::Arc::make_mut(&mut s.threads.items).push(worker);
        if i >= 4 {
            std::sync::Arc::make_mut(&mut s.threads.items)[1].state = "D".into();
        }
        if (2..8).contains(&i) {
            s.signals.pending = vec!["SIGTERM".into()];
        }
    });
    for sample in &samples[..8] {
        history.push(sample);
    }
    let t0 = samples[0].taken_at_ms;
    assert_eq!(history.d_state_since().get(&4243), Some(&(t0 + 4000)));
    assert_eq!(history.pending_since().get("SIGTERM"), Some(&(t0 + 2000)));
    history.push(&samples[8]);
    assert!(history.pending_since().is_empty());
}

#[test]
fn goroutines_are_recorded_beside_the_samples_with_gaps_and_reasons() {
    let mut history = History::default();
    let samples = series(5, |_, s| s.identity.runtime = Runtime::Go);
    for (i, sample) in samples.iter().enumerate() {
        history.push(sample);
        // Pushing samples alone never feeds the external series.
        assert_eq!(history.series(Metric::Goroutines).len(), i);
        let reading = if i == 2 {
            Err("pprof at 127.0.0.1:6060: no complete answer within 500ms".to_string())
        } else {
            Ok(100.0 + i as f64)
        };
        assert!(history.record(Metric::Goroutines, sample.taken_at_ms + 3, reading));
    }
    let values: Vec<Option<f64>> = history
        .series(Metric::Goroutines)
        .points()
        .map(|p| p.value)
        .collect();
    assert_eq!(
        values,
        vec![Some(100.0), Some(101.0), None, Some(103.0), Some(104.0)]
    );
    let unread = history.unread(Metric::Goroutines).expect("reason kept");
    assert_eq!(unread.at_ms, samples[2].taken_at_ms + 3);
    assert!(unread.reason.contains("no complete answer"), "{unread:?}");
    // Metrics read from samples cannot be recorded from outside, nor can the past be rewritten.
    assert!(!history.record(Metric::FdsOpen, samples[4].taken_at_ms + 10, Ok(1.0)));
    assert!(!history.record(Metric::Goroutines, samples[0].taken_at_ms, Ok(1.0)));
    // A restart clears the series and the reason.
    let mut restarted = samples[4].clone();
    restarted.identity.start_time += 1;
    restarted.taken_at_ms += 1000;
    assert_eq!(history.push(&restarted), Pushed::Reset);
    assert!(history.series(Metric::Goroutines).is_empty());
    assert!(history.unread(Metric::Goroutines).is_none());
}
