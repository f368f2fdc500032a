//! Shared helpers for the `rules_*` integration tests: a Sample fixture and series builders.
#![allow(dead_code)]

pub mod live;

use healthtop::sample::Sample;

/// A Sample of a healthy idle native process (`rules_target healthy`: SIGPIPE ignored, SIGTERM
/// caught, core dumps on, one socket), captured with `healthtop report --json` from the live
/// kernel; the tests edit copies of it to make each rule fire or stay quiet.
pub fn base_sample() -> Sample {
    serde_json::from_str(include_str!("../targets/rules_base_sample.json"))
        .expect("fixture parses as a Sample")
}

/// `n` samples one second apart starting at the fixture's time, each edited by `edit(i, s)`.
pub fn series(n: usize, mut edit: impl FnMut(usize, &mut Sample)) -> Vec<Sample> {
    let base = base_sample();
    (0..n)
        .map(|i| {
            let mut sample = base.clone();
            sample.taken_at_ms = base.taken_at_ms + i as u64 * 1000;
            sample.threads.census_taken_at_ms = Some(sample.taken_at_ms);
            sample.fds.census_taken_at_ms = Some(sample.taken_at_ms);
            sample.memory.maps_taken_at_ms = Some(sample.taken_at_ms);
            edit(i, &mut sample);
            sample
        })
        .collect()
}
