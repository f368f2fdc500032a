//! The samples the user has seen in the live view, kept so the bundle key can hand the same
//! history to a bundle. Bounded, maps left out (the newest sample keeps its own), and a thread
//! or fd census carried over unchanged between samples is stored once.

use crate::sample::Sample;
use std::collections::VecDeque;

/// Samples kept: 5 minutes at the default 1 s interval.
pub const SEEN_CAPACITY: usize = 300;

/// Bounded ring of samples, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    samples: VecDeque<Sample>,
}

/// Whether `b` repeats `a`'s thread census (the collector carries a census over between
/// census ticks, with the time it was read).
fn same_threads(a: &Sample, b: &Sample) -> bool {
    a.threads.census_taken_at_ms.is_some()
        && a.threads.census_taken_at_ms == b.threads.census_taken_at_ms
}

fn same_fds(a: &Sample, b: &Sample) -> bool {
    a.fds.census_taken_at_ms.is_some() && a.fds.census_taken_at_ms == b.fds.census_taken_at_ms
}

impl Seen {
    pub fn push(&mut self, sample: &Sample) {
        let mut slim = sample.clone();
        slim.memory.maps.clear();
        if let Some(previous) = self.samples.back() {
            if same_threads(previous, &slim) {
                slim.threads.items = Vec::new();
            }
            if same_fds(previous, &slim) {
                slim.fds.items = Vec::new();
                slim.fds.tcp = None;
            }
        }
        if self.samples.len() == SEEN_CAPACITY {
            if let Some(mut oldest) = self.samples.pop_front() {
                // The new oldest may lean on the dropped one's census: hand it over.
                if let Some(front) = self.samples.front_mut() {
                    if same_threads(&oldest, front) {
                        front.threads.items = std::mem::take(&mut oldest.threads.items);
                    }
                    if same_fds(&oldest, front) {
                        front.fds.items = std::mem::take(&mut oldest.fds.items);
                        front.fds.tcp = oldest.fds.tcp.take();
                    }
                }
            }
        }
        self.samples.push_back(slim);
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Every sample kept, oldest first, each with its census filled in again.
    pub fn samples(&self) -> Vec<Sample> {
        let mut out: Vec<Sample> = Vec::with_capacity(self.samples.len());
        for sample in &self.samples {
            let mut full = sample.clone();
            if let Some(previous) = out.last() {
                if same_threads(previous, &full) {
                    full.threads.items = previous.threads.items.clone();
                }
                if same_fds(previous, &full) {
                    full.fds.items = previous.fds.items.clone();
                    full.fds.tcp = previous.fds.tcp.clone();
                }
            }
            out.push(full);
        }
        out
    }
}
