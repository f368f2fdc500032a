//! Names for JIT-compiled code from a perf map (`/tmp/perf-PID.map`, one `START SIZE name`
//! line per compiled method), which HotSpot writes on `jcmd PID Compiler.perfmap` (JDK 17+) or
//! at exit with `-XX:+DumpPerfMapAtExit`, and V8/.NET write with their perf flags.
//!
//! The file is the target's, inside its mount namespace (`/proc/PID/root/tmp/perf-NSPID.map`),
//! so it is hostile input: opened without following a final symlink and without blocking on a
//! FIFO, accepted only as a regular file owned by the target's user, read up to a size cap,
//! parsed up to an entry cap, control bytes replaced; a malformed line is skipped.
//!
//! May import: `collect::ProcessDir`.

use crate::collect::ProcessDir;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Bytes read at most (a JVM with 100,000 compiled methods writes about 10 MB).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Entries kept at most.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Longest name kept, in characters.
const MAX_NAME: usize = 512;

/// A parsed perf map: address ranges with names, sorted by start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerfMap {
    entries: Vec<(u64, u64, String)>,
    /// The file was longer than the caps allow; later entries were not read.
    pub truncated: bool,
}

impl PerfMap {
    /// Where the target's perf map is, as healthtop sees it.
    pub fn path(pid: i32) -> PathBuf {
        ProcessDir::live(pid).path(format!("root/tmp/perf-{}.map", namespace_pid(pid)))
    }

    /// Reads the target's perf map: `Ok(None)` when there is none, `Err` with why when one is
    /// there but refused or unreadable.
    pub fn load(pid: i32) -> Result<Option<PerfMap>, String> {
        let path = PerfMap::path(pid);
        let file = match crate::safe_file::open_target_file(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let meta = file
            .metadata()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if !meta.file_type().is_file() {
            return Err(format!("{}: not a regular file", path.display()));
        }
        let dir = ProcessDir::live(pid).path("");
        let owner = std::fs::metadata(&dir)
            .map(|m| m.uid())
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        if meta.uid() != owner {
            return Err(format!(
                "{}: owned by uid {}, not by the target's uid {owner}",
                path.display(),
                meta.uid()
            ));
        }
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let over = bytes.len() as u64 > MAX_BYTES;
        bytes.truncate(MAX_BYTES as usize);
        let mut map = PerfMap::parse(&String::from_utf8_lossy(&bytes));
        map.truncated |= over;
        Ok(Some(map))
    }

    /// Parses `START SIZE name` lines (hex, `0x` optional); other lines are skipped.
    pub fn parse(text: &str) -> PerfMap {
        let mut map = PerfMap::default();
        for line in text.lines() {
            if map.entries.len() >= MAX_ENTRIES {
                map.truncated = true;
                break;
            }
            let mut parts = line.splitn(3, ' ');
            let (Some(start), Some(size), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
            let (Some(start), Some(size)) = (hex(start), hex(size)) else {
                continue;
            };
            let Some(end) = start.checked_add(size).filter(|_| size > 0) else {
                continue;
            };
            let name: String = name
                .trim()
                .chars()
                .take(MAX_NAME)
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            if !name.is_empty() {
                map.entries.push((start, end, name));
            }
        }
        // Later lines describe newer code at a reused address: keep the last one.
        map.entries.sort_by_key(|(start, _, _)| *start);
        map
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The name of the code at `address`.
    pub fn lookup(&self, address: u64) -> Option<&str> {
        let index = self
            .entries
            .partition_point(|(start, _, _)| *start <= address)
            .checked_sub(1)?;
        let (_, end, name) = &self.entries[index];
        (address < *end).then_some(name.as_str())
    }
}

/// The target's pid in its own pid namespace (last `NSpid` field), which names the file.
fn namespace_pid(pid: i32) -> i32 {
    ProcessDir::live(pid)
        .status()
        .ok()
        .and_then(|status| status.get("NSpid")?.split_whitespace().last()?.parse().ok())
        .unwrap_or(pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hotspot_and_plain_lines_and_skips_garbage() {
        let map = PerfMap::parse(
            "0x00007f0000001000 0x0000000000000100 void Spin.loop(int)\n\
             7f0000002000 80 Interpreter\n\
             not a line\n\
             zz 10 bad start\n\
             7f0000003000 0 empty size\n\
             ffffffffffffffff 10 overflows\n\
             7f0000004000 10 bell\u{7}name\n",
        );
        assert_eq!(map.len(), 3);
        assert_eq!(map.lookup(0x7f00_0000_1000), Some("void Spin.loop(int)"));
        assert_eq!(map.lookup(0x7f00_0000_10ff), Some("void Spin.loop(int)"));
        assert_eq!(map.lookup(0x7f00_0000_1100), None);
        assert_eq!(map.lookup(0x7f00_0000_207f), Some("Interpreter"));
        assert_eq!(map.lookup(0x7f00_0000_3000), None);
        assert_eq!(map.lookup(0x7f00_0000_4000), Some("bell?name"));
        assert_eq!(map.lookup(0), None);
        assert!(!map.truncated);
    }

    /// Target-written bytes: random text made of the characters the format uses.
    #[test]
    fn random_input_never_panics() {
        let alphabet = b"0123456789abcdefxX \n\t\r\x07;ffffffffffffffff";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200 {
            let text: String = (0..2000)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from(alphabet[(state >> 33) as usize % alphabet.len()])
                })
                .collect();
            let map = PerfMap::parse(&text);
            for probe in [0, 1, u64::MAX, state] {
                let _ = map.lookup(probe);
            }
        }
    }

    #[test]
    fn caps_entries_and_name_length() {
        let long = "x".repeat(10_000);
        let map = PerfMap::parse(&format!("1000 10 {long}\n"));
        assert_eq!(map.lookup(0x1000).map(str::len), Some(MAX_NAME));
        let many: String = (0..MAX_ENTRIES + 5)
            .map(|i| format!("{:x} 1 f\n", i * 2 + 1))
            .collect();
        let map = PerfMap::parse(&many);
        assert_eq!(map.len(), MAX_ENTRIES);
        assert!(map.truncated);
    }
}
