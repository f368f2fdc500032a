//! Limits and levels for the rules: the limits come from the headroom model's resolution
//! ([`crate::headroom::limits`]); the level check with hysteresis is the rules' own.
//!
//! May import: `headroom`, `config`.

pub use crate::headroom::limits::{fds_above_limit, percent, rlimit_soft, tightest, NamedLimit};

/// What happens when the threads reach `limit`: at Go's limit the runtime does not fail one
/// thread creation, it aborts the whole program.
pub fn at_thread_limit(limit: &NamedLimit) -> &'static str {
    if limit.name == "Go 10000" {
        "the Go runtime aborts the whole program (`runtime: program exceeds 10000-thread limit`)"
    } else {
        "thread creation fails (EAGAIN)"
    }
}

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

/// The thresholds a headroom rule reports, named by `keys` (warn, crit, clear margin).
pub fn headroom_thresholds(
    c: &crate::config::HeadroomConfig,
    [warn, crit, margin]: [&'static str; 3],
) -> Vec<super::Threshold> {
    vec![
        super::Threshold::new(warn, c.warn_percent),
        super::Threshold::new(crit, c.crit_percent),
        super::Threshold::new(margin, c.clear_margin_percent),
    ]
}

/// [`level`] with a headroom rule's configured percentages.
pub fn headroom_level(
    percent: f64,
    c: &crate::config::HeadroomConfig,
    active: Option<super::Severity>,
) -> Option<super::Severity> {
    level(
        percent,
        c.warn_percent,
        c.crit_percent,
        c.clear_margin_percent,
        active,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaching_go_s_thread_limit_aborts_the_program() {
        let go = NamedLimit {
            name: "Go 10000".to_string(),
            value: 10_000.0,
            detail: String::new(),
        };
        assert!(at_thread_limit(&go).contains("program exceeds 10000-thread limit"));
        let pids = NamedLimit {
            name: "pids.max".to_string(),
            value: 100.0,
            detail: String::new(),
        };
        assert_eq!(at_thread_limit(&pids), "thread creation fails (EAGAIN)");
    }
}
