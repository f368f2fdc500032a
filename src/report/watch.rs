//! `report --watch`: sample a target for a window the user chose, then judge it with every
//! rule over exactly that window. For a Go target the goroutine count is read from its pprof
//! endpoint on the same schedule ([`GoroutineProbe`]), beside the /proc samples.
//!
//! May import: `collect`, `history`, `rules`, `config`, `sample`, `runtimes::go::probe`.

use crate::collect::{CollectError, Collector, Tiers};
use crate::config::Config;
use crate::headroom::Headroom;
use crate::history::History;
use crate::rules::{self, Finding, RuleEngine, Window};
use crate::runtimes::go::{GoroutineCount, GoroutineProbe};
use crate::sample::Sample;
use std::time::{Duration, Instant};

/// The newest sample and the findings after watching.
pub struct Watched {
    /// The newest sample; for a Go target whose goroutines could not be counted, its
    /// `unavailable` list has an entry `goroutines` with the reason.
    pub sample: Sample,
    /// The newest goroutine count of a Go target; `None` for other runtimes.
    pub goroutines: Option<GoroutineCount>,
    pub findings: Vec<Finding>,
    /// The headroom model of the last evaluation.
    pub headroom: Headroom,
    /// Samples taken.
    pub samples: usize,
    /// How long the watch ran, from the first sample to the last reading (shorter than asked
    /// when the process ended).
    pub watched: Duration,
}

/// Findings and the headroom model they were judged with.
pub struct Judged {
    pub findings: Vec<Finding>,
    pub headroom: Headroom,
}

/// Samples every `interval` (every tier, every time) for `window`, evaluating the rules after
/// each sample so persistence works as it does live; returns the last evaluation. If the
/// process ends after the first sample, the watch stops there and the findings include
/// `exited` (the first sample failing is an error, as for a one-shot report).
///
/// Go targets (or any target when `pprof` names an endpoint): the endpoint is found once after
/// the first sample, then the goroutine count is read after every sample, each reading bounded
/// by half the interval (at most 1 s) so a hanging endpoint leaves gaps, not a slower watch;
/// readings that are slow are spaced out to stay within the probe's cost budget.
pub fn watch(
    collector: &mut Collector,
    window: Duration,
    interval: Duration,
    config: Config,
    pprof: Option<&str>,
) -> Result<Watched, CollectError> {
    let start = Instant::now();
    let horizon = window.max(Duration::from_secs(3600));
    let mut history = History::new(horizon, interval);
    let first = collector.sample(Tiers::ALL)?;
    let mut engine = RuleEngine::with_window(
        config,
        Window::Explicit {
            since_ms: first.taken_at_ms,
        },
    );
    history.push(&first);
    let timeout = (interval / 2).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let mut probe = GoroutineProbe::for_sample(&first, pprof, timeout);
    if let Some(probe) = &mut probe {
        let _ = probe.tick(&mut history);
    }
    let mut findings = engine.evaluate(&history);
    let mut sample = first;
    let mut samples = 1;
    for tick in 1_u32.. {
        let due = interval * tick;
        if due > window {
            break;
        }
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        match collector.sample(Tiers::ALL) {
            Ok(next) => {
                sample = next;
                history.push(&sample);
                if let Some(probe) = &mut probe {
                    // A failed reading is a gap in the series, with its reason kept.
                    let _ = probe.tick(&mut history);
                }
                findings = engine.evaluate(&history);
                samples += 1;
            }
            // The end of the process is what the watch is for: report it with what led to it.
            Err(
                error @ (CollectError::Gone { .. }
                | CollectError::NoSuchProcess { .. }
                | CollectError::Zombie { .. }
                | CollectError::PidReused { .. }),
            ) => {
                let now_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(sample.taken_at_ms, |d| d.as_millis() as u64);
                // How it ended, in the TUI banner's words; a reused PID says that instead.
                let how = match error {
                    CollectError::PidReused { .. } => error.to_string(),
                    _ => collector.how_it_ended(),
                };
                history.mark_gone(now_ms, how);
                findings = engine.evaluate(&history);
                break;
            }
            Err(error) => return Err(error),
        }
    }
    if let Some(gap) = probe.as_ref().and_then(GoroutineProbe::unavailable) {
        sample.unavailable.push(gap);
    }
    Ok(Watched {
        sample,
        goroutines: probe.as_ref().map(GoroutineProbe::summary),
        findings,
        headroom: engine.headroom().clone(),
        samples,
        watched: start.elapsed(),
    })
}

/// Findings over samples already taken (a bundle's watch), judged as `report --watch` would:
/// the rules run after each sample over the window from the first one.
pub fn judge_series(samples: &[Sample], interval: Duration, config: Config) -> Judged {
    let Some(first) = samples.first() else {
        return Judged {
            findings: Vec::new(),
            headroom: Headroom::default(),
        };
    };
    let mut history = History::new(Duration::from_secs(3600), interval);
    let mut engine = RuleEngine::with_window(
        config,
        Window::Explicit {
            since_ms: first.taken_at_ms,
        },
    );
    let mut findings = Vec::new();
    for sample in samples {
        history.push(sample);
        findings = engine.evaluate(&history);
    }
    Judged {
        findings,
        headroom: engine.headroom().clone(),
    }
}

/// Findings on one sample (a one-shot report): static checks and facts; no forecast can be
/// made from one reading, but the headroom model resolves every limit.
pub fn judge_once(sample: &Sample, config: &Config) -> Judged {
    let mut history = History::default();
    history.push(sample);
    let window = Window::Explicit {
        since_ms: sample.taken_at_ms,
    };
    Judged {
        findings: rules::evaluate(&history, config, window),
        headroom: Headroom::assess(&history, config, window, None),
    }
}
