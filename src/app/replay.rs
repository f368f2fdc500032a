//! Stepping through a bundle without judging it per key. The rules judge the whole history
//! once, incrementally and off the UI thread ([`Judge`], run by the shell), leaving the
//! findings after every sample. When the bundle is opened, what the views derive from the
//! samples (sparkline trail, the rules' history, per-thread CPU) is built once, a copy kept
//! every [`CHECKPOINT_EVERY`] samples ([`Timeline::checkpoints`]). A key then costs at most
//! one copy and [`CHECKPOINT_EVERY`] cheap pushes, never a rule run.
//!
//! Pure. May import: siblings, `history`, `rules`, `sample`, `bundle` (data types).

use super::trail::{ThreadCpu, Trail, TrailPoint};
use super::Goroutines;
use crate::bundle::{GoroutineReading, TargetExit};
use crate::config::Config;
use crate::headroom::Headroom;
use crate::history::{History, Metric};
use crate::rules::{Finding, RuleEngine, Window};
use crate::sample::Sample;
use std::sync::Arc;
use std::time::Duration;

/// Samples between two kept copies of the derived state.
pub const CHECKPOINT_EVERY: usize = 128;

/// What the views derive from the samples up to one of them.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Samples taken in (the shown one is `taken - 1`).
    pub taken: usize,
    pub trail: Trail,
    pub history: History,
    pub thread_cpu: ThreadCpu,
    pub goroutines: Option<Goroutines>,
}

impl Derived {
    pub fn new(interval: Duration) -> Derived {
        Derived {
            taken: 0,
            trail: Trail::default(),
            history: History::new(Duration::from_secs(3600), interval),
            thread_cpu: ThreadCpu::default(),
            goroutines: None,
        }
    }

    /// Takes in the next sample and the goroutine reading made with it.
    pub fn push(&mut self, sample: &Sample, reading: Option<&GoroutineReading>) {
        self.trail.push(TrailPoint::of(sample));
        self.history.push(sample);
        if let Some(reading) = reading {
            self.history.record(
                Metric::Goroutines,
                reading.at_ms,
                reading.result().map(|c| c as f64),
            );
            let count = reading.result();
            let last_count = count
                .as_ref()
                .ok()
                .copied()
                .or_else(|| self.goroutines.as_ref().and_then(|g| g.last_count));
            self.goroutines = Some(Goroutines {
                count,
                endpoint: reading.endpoint.clone(),
                pace: None,
                last_count,
            });
        }
        self.thread_cpu.observe(sample);
        self.taken += 1;
    }
}

/// A bundle's samples and what goes with them, shared with the judging thread.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub samples: Arc<Vec<Sample>>,
    /// By sample index (may be shorter than `samples`).
    pub goroutines: Arc<Vec<Option<GoroutineReading>>>,
    pub exit: Option<TargetExit>,
    pub interval: Duration,
}

impl Timeline {
    fn reading(&self, index: usize) -> Option<&GoroutineReading> {
        self.goroutines.get(index).and_then(Option::as_ref)
    }

    /// Takes in every sample once, keeping a copy of the derived state every
    /// [`CHECKPOINT_EVERY`] samples (no rule runs: this is cheap beside the judging).
    pub fn checkpoints(&self) -> Vec<Derived> {
        let mut derived = Derived::new(self.interval);
        let mut kept = Vec::with_capacity(self.samples.len() / CHECKPOINT_EVERY);
        for (index, sample) in self.samples.iter().enumerate() {
            derived.push(sample, self.reading(index));
            if derived.taken % CHECKPOINT_EVERY == 0 {
                kept.push(derived.clone());
            }
        }
        kept
    }

    /// The derived state after samples `0..=index`, from the newest checkpoint at or before
    /// it (or `from`, when that is closer and not past it).
    pub fn derive(&self, index: usize, checkpoints: &[Derived], from: Option<Derived>) -> Derived {
        let wanted = index + 1;
        let checkpoint = checkpoints.iter().rev().find(|c| c.taken <= wanted);
        let from = from.filter(|f| f.taken <= wanted && f.history.gone().is_none());
        let mut derived = match (from, checkpoint) {
            (Some(from), Some(checkpoint)) if checkpoint.taken > from.taken => checkpoint.clone(),
            (Some(from), _) => from,
            (None, Some(checkpoint)) => checkpoint.clone(),
            (None, None) => Derived::new(self.interval),
        };
        while derived.taken < wanted {
            let Some(sample) = self.samples.get(derived.taken) else {
                break;
            };
            let reading = self.reading(derived.taken);
            derived.push(sample, reading);
        }
        derived
    }
}

/// The judging of one more sample (or, with `index == samples.len()`, of the exit).
#[derive(Debug, Clone)]
pub struct Judged {
    pub index: usize,
    pub findings: Vec<Finding>,
    /// The headroom model the findings were judged with, for the gauges.
    pub headroom: Headroom,
}

/// Judges a bundle's history once, sample after sample, as the live view judged it.
pub struct Judge {
    timeline: Timeline,
    engine: RuleEngine,
    derived: Derived,
    exit_judged: bool,
}

impl Judge {
    pub fn new(timeline: Timeline, config: Config) -> Judge {
        let engine = match timeline.samples.first() {
            Some(first) => RuleEngine::with_window(
                config,
                Window::Explicit {
                    since_ms: first.taken_at_ms,
                },
            ),
            None => RuleEngine::new(config),
        };
        let derived = Derived::new(timeline.interval);
        Judge {
            timeline,
            engine,
            derived,
            exit_judged: false,
        }
    }

    /// The next judgement; `None` when the whole history (and the exit) is judged.
    pub fn next_judged(&mut self) -> Option<Judged> {
        let index = self.derived.taken;
        if let Some(sample) = self.timeline.samples.get(index) {
            let reading = self.timeline.reading(index).cloned();
            self.derived.push(sample, reading.as_ref());
            let findings = self.engine.evaluate(&self.derived.history);
            let headroom = self.engine.headroom().clone();
            return Some(Judged {
                index,
                findings,
                headroom,
            });
        }
        if self.exit_judged {
            return None;
        }
        self.exit_judged = true;
        let exit = self.timeline.exit.as_ref()?;
        self.derived.history.mark_gone(exit.at_ms, exit.how.clone());
        let findings = self.engine.evaluate(&self.derived.history);
        Some(Judged {
            index,
            findings,
            headroom: self.engine.headroom().clone(),
        })
    }

    /// Samples in the bundle, for progress.
    pub fn total(&self) -> usize {
        self.timeline.samples.len()
    }
}
