//! The one-shot report: a [`Sample`] wrapped with its schema, as JSON or as aligned text.
//!
//! The JSON form is documented in `docs/report-schema.md` (schema `healthtop.report/1`).
//!
//! May import: `sample`, `format`, `decode`, `headroom`, `rules`, `history`, `config`, `collect` (watch),
//! `runtimes::go::probe` (the goroutine count of Go targets).

pub mod findings;
pub mod headroom;
pub mod text;
pub mod watch;

use crate::headroom::Headroom;
use crate::rules::Finding;
use crate::runtimes::go::GoroutineCount;
use crate::sample::Sample;
use serde::{Deserialize, Serialize};

/// Schema identifier written into every JSON report.
pub const SCHEMA: &str = "healthtop.report/1";

/// A report: the schema, the version of healthtop that wrote it, and the sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub healthtop_version: String,
    #[serde(flatten)]
    pub sample: Sample,
    /// What the health rules found (see `docs/rules.md`), worst first.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The newest goroutine count of a Go target read from its pprof endpoint (`report
    /// --watch`); absent for other runtimes and one-shot reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goroutines: Option<GoroutineCount>,
    /// The headroom model the findings were judged with: per resource the binding limit,
    /// usage, trend and ETA (absent in reports written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headroom: Option<Headroom>,
    /// How the findings were judged over time (`report --watch`); absent for one-shot reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchSpan>,
}

/// What a `report --watch` looked at: how long, how many samples, how often.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WatchSpan {
    /// From the first sample to the end of the watch, in seconds.
    pub watched_secs: f64,
    pub samples: usize,
    pub interval_secs: f64,
}

impl WatchSpan {
    /// `watched 30s: 31 samples, one every 1s` (`500ms` below a second, never `0s`).
    pub fn describe(&self) -> String {
        let span = |secs: f64| {
            let secs = secs.max(0.0);
            if secs < 1.0 {
                format!("{}ms", (secs * 1000.0).round())
            } else {
                crate::format::duration_secs(secs)
            }
        };
        format!(
            "watched {}: {} sample{}, one every {}",
            span(self.watched_secs),
            self.samples,
            if self.samples == 1 { "" } else { "s" },
            span(self.interval_secs),
        )
    }
}

impl Report {
    pub fn new(sample: Sample) -> Self {
        Report {
            schema: SCHEMA.to_string(),
            healthtop_version: env!("CARGO_PKG_VERSION").to_string(),
            sample,
            findings: Vec::new(),
            goroutines: None,
            headroom: None,
            watch: None,
        }
    }

    pub fn with_headroom(mut self, headroom: Headroom) -> Self {
        self.headroom = Some(headroom);
        self
    }

    pub fn with_findings(mut self, findings: Vec<Finding>) -> Self {
        self.findings = findings;
        self
    }

    pub fn with_watch(mut self, watch: WatchSpan) -> Self {
        self.watch = Some(watch);
        self
    }

    pub fn with_goroutines(mut self, goroutines: Option<GoroutineCount>) -> Self {
        self.goroutines = goroutines;
        self
    }
}
