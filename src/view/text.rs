//! Small text helpers shared by the views: missing values with their reason, clock times,
//! ages, the scroll window of a table.

use crate::sample::Sample;

/// `n/a (reason)` for a field the collector could not read. Looks the field up in
/// `sample.unavailable` by exact name, then by the nearest enclosing or enclosed name.
pub fn na(sample: &Sample, field: &str) -> String {
    let text = crate::format::not_available(sample.unavailable_reason(field));
    crate::safe_text::line(&text).into_owned()
}

/// A count over a list, or `n/a (reason)` when the list could not be read.
pub fn count(counted: Result<usize, &str>) -> String {
    crate::safe_text::line(&crate::format::count(counted)).into_owned()
}

/// `14:03:12 UTC` from ms since the Unix epoch.
pub fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// `3s ago`, `just now`.
pub fn ago(now_ms: u64, then_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1000;
    if secs == 0 {
        "just now".to_string()
    } else {
        format!(
            "{} ago",
            crate::format::duration(std::time::Duration::from_secs(secs))
        )
    }
}

/// First row to show so that `selected` is visible in `rows` lines.
pub fn window_start(selected: usize, rows: usize) -> usize {
    if rows == 0 {
        return selected;
    }
    (selected + 1).saturating_sub(rows)
}

/// Truncates to `width` characters with an ellipsis, never inside a number.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let chars: Vec<char> = text.chars().collect();
        let mut keep = width - 1;
        // Never cut a number: `ETA 16m 3…` would read as three seconds.
        if chars[keep].is_ascii_digit() {
            while keep > 0 && (chars[keep - 1].is_ascii_digit() || chars[keep - 1] == '.') {
                keep -= 1;
            }
        }
        let mut out: String = chars[..keep].iter().collect();
        out.push('…');
        out
    }
}

/// Shortens to `width` characters by cutting the middle and keeping the file name:
/// `/usr/lib/x86_64-linux-gnu/libc.so.6` → `/usr/lib/…/libc.so.6`.
pub fn fit_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_string();
    }
    if width < 3 {
        return fit(text, width);
    }
    let name_len = chars
        .iter()
        .rev()
        .position(|&c| c == '/')
        .map_or(chars.len(), |p| p + 1);
    let tail = if name_len + 4 <= width {
        name_len
    } else {
        (width - 1) / 2
    };
    let head = width - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// A slope as `+2.0/s`, `+12/min`, or `+1.5 MiB/min` with `bytes`.
pub fn rate(per_sec: f64, bytes: bool) -> String {
    let (value, unit) = if per_sec.abs() >= 1.0 {
        (per_sec, "s")
    } else {
        (per_sec * 60.0, "min")
    };
    let sign = if value >= 0.0 { "+" } else { "-" };
    if bytes {
        format!("{sign}{}/{unit}", crate::format::bytes(value.abs() as u64))
    } else {
        format!("{sign}{:.1}/{unit}", value.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(clock(3_723_000), "01:02:03 UTC");
        assert_eq!(ago(10_000, 7_000), "3s ago");
        assert_eq!(window_start(0, 10), 0);
        assert_eq!(window_start(12, 10), 3);
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ETA 16m 30s", 10), "ETA 16m …");
        assert_eq!(fit("used 12.5 MiB", 9), "used …");
        assert_eq!(
            fit_middle("/usr/lib/x86_64-linux-gnu/libc.so.6", 20),
            "/usr/lib/…/libc.so.6"
        );
        assert_eq!(fit_middle("/a/b", 4), "/a/b");
        assert_eq!(fit_middle("abcdefghij", 5).chars().count(), 5);
        assert_eq!(rate(2.0, false), "+2.0/s");
        assert_eq!(rate(0.5, false), "+30.0/min");
    }
}
