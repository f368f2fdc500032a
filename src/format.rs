//! Units for humans: bytes, durations, counts. Shared by the report, the views and the bundle.
//!
//! May import: nothing else in the crate.

use std::time::Duration;

/// `1536` → `1.5 KiB`; exact below 1 KiB.
pub fn bytes(value: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if value < 1024 {
        return format!("{value} B");
    }
    let mut scaled = value as f64;
    let mut unit = 0;
    while scaled >= 1024.0 && unit < UNITS.len() - 1 {
        scaled /= 1024.0;
        unit += 1;
    }
    format!("{scaled:.1} {}", UNITS[unit])
}

/// `3725s` → `1h 2m`; `59s` → `59s`; short and stable for a tired reader.
pub fn duration(value: Duration) -> String {
    let secs = value.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {}s", secs / 60, secs % 60),
        3600..=86_399 => format!("{}h {}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// [`duration`] of a number of seconds computed from data (a bundle's figures, a fitted
/// trend): negative or NaN is 0, too large to be a `Duration` is the largest one.
pub fn duration_secs(secs: f64) -> String {
    let secs = if secs.is_nan() { 0.0 } else { secs.max(0.0) };
    duration(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

/// `Some(5)` → `5`, `None` → the given word for "no limit" (`unlimited`).
pub fn limit(value: Option<u64>, none: &str) -> String {
    value.map_or_else(|| none.to_string(), |v| v.to_string())
}

/// `n/a (reason)`: the one wording for a value that could not be read, in every view and
/// report. (The caller escapes it for display: a reason may quote a target's path.)
pub fn not_available(reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("n/a ({reason})"),
        None => "n/a (not read yet)".to_string(),
    }
}

/// A count, or `n/a (reason)` when the list it counts could not be read.
pub fn count(counted: Result<usize, &str>) -> String {
    counted.map_or_else(|reason| not_available(Some(reason)), |n| n.to_string())
}

/// `used/limit` as a percentage with one decimal; `None` when the limit is unknown or zero.
pub fn percent(used: u64, limit: Option<u64>) -> Option<f64> {
    let limit = limit.filter(|&l| l > 0)?;
    Some(used as f64 * 100.0 / limit as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humans() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(duration(Duration::from_secs(59)), "59s");
        assert_eq!(duration(Duration::from_secs(3725)), "1h 2m");
        assert_eq!(duration(Duration::from_secs(90_000)), "1d 1h");
        assert_eq!(limit(None, "unlimited"), "unlimited");
        assert_eq!(percent(50, Some(200)), Some(25.0));
        assert_eq!(percent(1, Some(0)), None);
        assert_eq!(not_available(Some("denied")), "n/a (denied)");
        assert_eq!(count(Ok(0)), "0");
        assert_eq!(count(Err("denied")), "n/a (denied)");
    }

    /// Seconds computed from a bundle's figures never panic (`from_secs_f64` did on -1e300).
    #[test]
    fn seconds_from_data() {
        assert_eq!(duration_secs(90.0), "1m 30s");
        assert_eq!(duration_secs(-1e300), "0s");
        assert_eq!(duration_secs(f64::NAN), "0s");
        assert_eq!(duration_secs(f64::INFINITY), duration(Duration::MAX));
        assert_eq!(duration_secs(1e300), duration(Duration::MAX));
    }
}
