//! `/proc/PID/limits`: a fixed-width table whose row names contain spaces.

use super::ParseError;
use crate::sample::Limit;
use std::collections::BTreeMap;

/// Row names of `/proc/PID/limits` and prlimit's resource names for them.
pub const RESOURCES: [(&str, &str); 16] = [
    ("Max cpu time", "cpu"),
    ("Max file size", "fsize"),
    ("Max data size", "data"),
    ("Max stack size", "stack"),
    ("Max core file size", "core"),
    ("Max resident set", "rss"),
    ("Max processes", "nproc"),
    ("Max open files", "nofile"),
    ("Max locked memory", "memlock"),
    ("Max address space", "as"),
    ("Max file locks", "locks"),
    ("Max pending signals", "sigpending"),
    ("Max msgqueue size", "msgqueue"),
    ("Max nice priority", "nice"),
    ("Max realtime priority", "rtprio"),
    ("Max realtime timeout", "rttime"),
];

/// Parses every row, keyed by prlimit's lower-case resource name.
pub fn parse_limits(text: &str) -> Result<BTreeMap<String, Limit>, ParseError> {
    let mut limits = BTreeMap::new();
    for line in text.lines().skip(1) {
        let Some((name, key)) = RESOURCES.iter().find(|(name, _)| line.starts_with(name)) else {
            continue;
        };
        let mut values = line[name.len()..].split_whitespace();
        let soft = parse_value(values.next(), name)?;
        let hard = parse_value(values.next(), name)?;
        let unit = values.next().unwrap_or("").to_string();
        limits.insert(
            (*key).to_string(),
            Limit {
                name: (*name).to_string(),
                soft,
                hard,
                unit,
            },
        );
    }
    if limits.is_empty() {
        return Err(ParseError::new("limits", "no known rows"));
    }
    Ok(limits)
}

fn parse_value(value: Option<&str>, row: &str) -> Result<Option<u64>, ParseError> {
    match value {
        Some("unlimited") => Ok(None),
        Some(number) => number
            .parse()
            .map(Some)
            .map_err(|_| ParseError::new("limits", format!("{row}: {number:?} is not a number"))),
        None => Err(ParseError::new("limits", format!("{row}: missing value"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "Limit                     Soft Limit           Hard Limit           Units     \n\
Max cpu time              unlimited            unlimited            seconds   \n\
Max open files            1024                 20000                files     \n\
Max address space         unlimited            unlimited            bytes     \n\
Max nice priority         0                    0                    \n";

    #[test]
    fn rows_and_unlimited() {
        let limits = parse_limits(SAMPLE).expect("parses");
        assert_eq!(limits["nofile"].soft, Some(1024));
        assert_eq!(limits["nofile"].hard, Some(20000));
        assert_eq!(limits["nofile"].unit, "files");
        assert_eq!(limits["cpu"].soft, None);
        assert_eq!(limits["nice"].unit, "");
        assert_eq!(limits.len(), 4);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_limits("").is_err());
        assert!(parse_limits("x\nMax open files   lots  20000 files").is_err());
    }
}
