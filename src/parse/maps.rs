//! `/proc/PID/maps`: `start-end perms offset dev inode path`.

use super::ParseError;
use crate::sample::Mapping;

const DELETED_SUFFIX: &str = " (deleted)";

/// Parses one line of maps.
pub fn parse_mapping(line: &str) -> Result<Mapping, ParseError> {
    let mut parts = line.splitn(6, ' ');
    let mut next = |what: &'static str| {
        parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ParseError::new("maps", format!("{what} missing in {line:?}")))
    };
    let range = next("range")?;
    let perms = next("perms")?.to_string();
    let offset = next("offset")?;
    let dev = next("dev")?.to_string();
    let inode = next("inode")?;
    let path = parts.next().unwrap_or("").trim_start();
    let (start, end) = range
        .split_once('-')
        .ok_or_else(|| ParseError::new("maps", format!("bad range {range:?}")))?;
    let hex = |text: &str| {
        u64::from_str_radix(text, 16)
            .map_err(|_| ParseError::new("maps", format!("bad hex {text:?}")))
    };
    let (path, deleted) = match path.strip_suffix(DELETED_SUFFIX) {
        Some(stripped) if path.starts_with('/') => (stripped.to_string(), true),
        _ => (path.to_string(), false),
    };
    Ok(Mapping {
        start: hex(start)?,
        end: hex(end)?,
        perms,
        offset: hex(offset)?,
        dev,
        inode: inode
            .parse()
            .map_err(|_| ParseError::new("maps", format!("bad inode {inode:?}")))?,
        path,
        deleted,
    })
}

/// Parses every line; a malformed line is an error (the kernel never writes one).
pub fn parse_maps(text: &str) -> Result<Vec<Mapping>, ParseError> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(parse_mapping)
        .collect()
}

impl Mapping {
    /// Whether this line is a VMA counted against `vm.max_map_count`. `[vsyscall]` is a fixed
    /// gate page every x86-64 process shows, not a VMA: the one definition of "map count" that
    /// every view, report and rule uses.
    pub fn counts_as_vma(&self) -> bool {
        self.path != "[vsyscall]"
    }

    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A `MAP_SHARED` mapping (the `s` in `rw-s`).
    pub fn is_shared(&self) -> bool {
        self.perms.as_bytes().get(3) == Some(&b's')
    }

    /// Backed by a file (inode non-zero and a path).
    pub fn is_file_backed(&self) -> bool {
        self.inode != 0 && self.path.starts_with('/')
    }

    /// `(major, minor)` parsed from the hex `dev` column.
    pub fn device(&self) -> Option<(u64, u64)> {
        let (major, minor) = self.dev.split_once(':')?;
        Some((
            u64::from_str_radix(major, 16).ok()?,
            u64::from_str_radix(minor, 16).ok()?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_anon_pseudo_and_deleted() {
        let text = "55d0c0000000-55d0c0002000 r--p 00000000 fd:01 1234 /usr/bin/cat\n\
7f0000000000-7f0000004000 rw-s 00001000 00:2a 99 /tmp/data file (deleted)\n\
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]\n\
7f1000000000-7f1000001000 rw-p 00000000 00:00 0 \n";
        let maps = parse_maps(text).expect("parses");
        assert_eq!(maps.len(), 4);
        assert_eq!(maps[0].path, "/usr/bin/cat");
        assert_eq!(maps[0].len(), 0x2000);
        assert!(maps[0].is_file_backed() && !maps[0].is_shared());
        assert_eq!(maps[1].path, "/tmp/data file");
        assert!(maps[1].deleted && maps[1].is_shared());
        assert_eq!(maps[1].offset, 0x1000);
        assert_eq!(maps[1].device(), Some((0, 0x2a)));
        assert_eq!(maps[2].path, "[stack]");
        assert_eq!(maps[3].path, "");
    }

    #[test]
    fn malformed() {
        assert!(parse_mapping("zz-1 r--p 0 0:0 0").is_err());
        assert!(parse_mapping("1-2").is_err());
    }
}
