//! `/proc/PID/cgroup` and the cgroupfs files healthtop reads (v1 and v2).

use std::collections::BTreeMap;

/// One line of `/proc/PID/cgroup`: `id:controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub hierarchy_id: u32,
    /// Controllers of a v1 hierarchy (`memory`, `pids`, `name=systemd`); empty for v2.
    pub controllers: Vec<String>,
    pub path: String,
}

pub fn parse_memberships(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let hierarchy_id = parts.next()?.parse().ok()?;
            let controllers = parts
                .next()?
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            let path = parts.next()?.to_string();
            Some(Membership {
                hierarchy_id,
                controllers,
                path,
            })
        })
        .collect()
}

/// v1 writes "unlimited" as a huge page-rounded number (9223372036854771712); treat anything
/// at or above 2^62 as unlimited, and v2's `max` likewise.
pub fn parse_limit(text: &str) -> Option<Option<u64>> {
    let text = text.trim();
    if text == "max" {
        return Some(None);
    }
    let value: u64 = text.parse().ok()?;
    Some(if value >= 1 << 62 { None } else { Some(value) })
}

/// `key value` lines (`memory.events`, `memory.stat`, v1 `memory.oom_control`).
pub fn parse_flat_keyed(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(' ')?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// A PSI file: `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and optionally `full …`.
/// Returns `(some, full)` as `[avg10, avg60, avg300]`.
pub fn parse_pressure(text: &str) -> Option<([f64; 3], Option<[f64; 3]>)> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let kind = parts.next()?;
        let mut averages = [0.0; 3];
        let mut found = 0;
        for part in parts {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let slot = match key {
                "avg10" => 0,
                "avg60" => 1,
                "avg300" => 2,
                _ => continue,
            };
            averages[slot] = value.parse().ok()?;
            found += 1;
        }
        if found != 3 {
            return None;
        }
        match kind {
            "some" => some = Some(averages),
            "full" => full = Some(averages),
            _ => {}
        }
    }
    Some((some?, full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_memberships() {
        let text =
            "12:pids:/user.slice\n4:memory:/user.slice/x\n1:name=systemd:/init.scope\n0::/\n";
        let m = parse_memberships(text);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].controllers, vec!["memory"]);
        assert_eq!(m[1].path, "/user.slice/x");
        assert!(m[3].controllers.is_empty());
    }

    #[test]
    fn limits_and_pressure() {
        assert_eq!(parse_limit("max\n"), Some(None));
        assert_eq!(parse_limit("9223372036854771712"), Some(None));
        assert_eq!(parse_limit("1048576"), Some(Some(1_048_576)));
        assert_eq!(parse_limit("junk"), None);
        let psi = "some avg10=1.50 avg60=0.20 avg300=0.00 total=12\nfull avg10=0.50 avg60=0.00 avg300=0.00 total=3\n";
        let (some, full) = parse_pressure(psi).expect("psi");
        assert_eq!(some, [1.5, 0.2, 0.0]);
        assert_eq!(full, Some([0.5, 0.0, 0.0]));
        assert_eq!(parse_pressure(""), None);
        assert_eq!(parse_flat_keyed("oom 1\noom_kill 2\n")["oom_kill"], 2);
    }
}
