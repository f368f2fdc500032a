//! `/proc/PID/status`: `Key:\tvalue` lines.

use std::collections::BTreeMap;

/// The lines of a status file, by key. Values keep their text; typed getters convert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    fields: BTreeMap<String, String>,
}

impl Status {
    pub fn parse(text: &str) -> Status {
        let fields = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
            .collect();
        Status { fields }
    }

    /// Only the lines of `keys`: a thread's status has some 60 lines, and a census of 10,000
    /// threads needs four of them each.
    pub fn parse_only(text: &str, keys: &[&str]) -> Status {
        let fields = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .filter(|(key, _)| keys.contains(&key.trim()))
            .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
            .collect();
        Status { fields }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A plain decimal field (`Threads`, `voluntary_ctxt_switches`).
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key)?.parse().ok()
    }

    /// A signed decimal field (`TracerPid`, `Seccomp`).
    pub fn signed(&self, key: &str) -> Option<i64> {
        self.get(key)?.parse().ok()
    }

    /// A `kB` field (`VmRSS:  1234 kB`), in bytes.
    pub fn kib_as_bytes(&self, key: &str) -> Option<u64> {
        let value = self.get(key)?;
        let number: u64 = value.trim_end_matches("kB").trim().parse().ok()?;
        number.checked_mul(1024)
    }

    /// A 64-bit hex mask (`SigBlk`, `CapEff`).
    pub fn hex_mask(&self, key: &str) -> Option<u64> {
        u64::from_str_radix(self.get(key)?, 16).ok()
    }

    /// The four ids of `Uid:`/`Gid:` (real, effective, saved, filesystem).
    pub fn ids(&self, key: &str) -> Option<[u32; 4]> {
        let mut parts = self
            .get(key)?
            .split_whitespace()
            .map(|p| p.parse::<u32>().ok());
        Some([
            parts.next()??,
            parts.next()??,
            parts.next()??,
            parts.next()??,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_fields() {
        let status = Status::parse(
            "Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nVmRSS:\t    1234 kB\nSigBlk:\t0000000000004000\nThreads:\t3\nbroken line\n",
        );
        assert_eq!(status.get("Name"), Some("cat"));
        assert_eq!(status.ids("Uid"), Some([1000; 4]));
        assert_eq!(status.kib_as_bytes("VmRSS"), Some(1234 * 1024));
        assert_eq!(status.hex_mask("SigBlk"), Some(0x4000));
        assert_eq!(status.number("Threads"), Some(3));
        assert_eq!(status.number("Nope"), None);
        let only = Status::parse_only(
            "Name:\tcat\nThreads:\t3\nSigBlk:\t0\n",
            &["Threads", "SigBlk"],
        );
        assert_eq!(only.number("Threads"), Some(3));
        assert_eq!(only.hex_mask("SigBlk"), Some(0));
        assert_eq!(only.get("Name"), None);
    }
}
