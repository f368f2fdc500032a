//! The one-shot report: a [`Sample`] wrapped with its schema, as JSON or as aligned text.
//!
//! The JSON form is documented in `docs/report-schema.md` (schema `healthtop.report/1`).
//!
//! May import: `sample`, `format`, `decode`.

pub mod text;

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
}

impl Report {
    pub fn new(sample: Sample) -> Self {
        Report {
            schema: SCHEMA.to_string(),
            healthtop_version: env!("CARGO_PKG_VERSION").to_string(),
            sample,
        }
    }

    /// Pretty JSON; serialising plain data cannot fail, but say so rather than panic.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
