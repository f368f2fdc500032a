//! Limits and levels for the rules: the limits come from the headroom model's resolution
//! ([`crate::headroom::limits`]); the level check with hysteresis is the rules' own.
//!
//! May import: `headroom`.

pub use crate::headroom::limits::{fds_above_limit, percent, rlimit_soft, tightest, NamedLimit};

/// Level severity with hysteresis: raise at `warn`/`crit` percent, clear `margin` points lower.
pub fn level(
    percent: f64,
    warn: f64,
    crit: f64,
    margin: f64,
    active: Option<super::Severity>,
) -> Option<super::Severity> {
    use super::Severity::{Crit, Warn};
    let was_crit = active == Some(Crit);
    let was_raised = matches!(active, Some(Warn | Crit));
    if percent >= crit || (was_crit && percent >= crit - margin) {
        Some(Crit)
    } else if percent >= warn || (was_raised && percent >= warn - margin) {
        Some(Warn)
    } else {
        None
    }
}
