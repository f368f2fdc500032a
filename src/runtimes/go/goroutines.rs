//! Parsers for the goroutine profile's two text formats (`runtime/pprof` `?debug=1` and
//! `?debug=2`), grouping by stack identity and folding for flame graphs, and for the goroutine
//! count on pprof's index page. Pure; tolerant of a
//! dump cut anywhere (pprof truncates debug=2 at 64 MiB).
//!
//! May import: nothing outside this module but serde.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Entries kept from one dump (groups for debug=1, goroutines for debug=2): a real service's
/// dump fits (Go cuts a debug=2 rendering at 64 MiB, ~100,000 goroutines), and a hostile one
/// cannot make the parsed form many times its text.
pub const MAX_PARSED: usize = 200_000;

/// Largest goroutine count believed in a debug=1 group line: each goroutine holds at least a
/// 2 KiB stack, so 2^32 of them would need 8 TiB. A larger number is not a group line.
const MAX_GROUP_COUNT: u64 = 1 << 32;

/// The goroutines of one dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goroutines {
    /// Parsing stopped at [`MAX_PARSED`] entries; the text has more.
    #[serde(default)]
    pub cut: bool,
    /// The `debug=` level the text came from.
    pub debug: u8,
    /// Every goroutine with id, state and wait (debug=2); empty for debug=1, which only has
    /// aggregated stacks.
    pub goroutines: Vec<Goroutine>,
    /// Goroutines with the same stack (and state, for debug=2), largest group first.
    pub groups: Vec<GoroutineGroup>,
}

/// One goroutine of a debug=2 dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goroutine {
    pub id: u64,
    /// `chan receive`, `IO wait`, `running`, `select`, …
    pub state: String,
    /// How long it has waited, as Go prints it (`5 minutes`); only shown from 1 minute.
    pub wait: Option<String>,
    pub wait_minutes: Option<u64>,
    pub locked_to_thread: bool,
    /// Leaf first.
    pub frames: Vec<GoFrame>,
    pub created_by: Option<GoFrame>,
    /// Go elided frames in the middle of a deep stack.
    pub frames_elided: bool,
}

/// `function` at `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GoFrame {
    /// `main.parkedForever`, `net/http.(*conn).serve`.
    pub function: String,
    pub file: String,
    pub line: Option<u32>,
}

/// Goroutines sharing one stack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoroutineGroup {
    pub count: u64,
    /// debug=2 only.
    pub state: Option<String>,
    /// Leaf first.
    pub frames: Vec<GoFrame>,
    /// Goroutine ids (debug=2 only).
    pub ids: Vec<u64>,
    /// `# labels: {…}` (debug=1, when pprof labels were set).
    pub labels: Option<String>,
}

impl Goroutines {
    /// Goroutines in the dump: the header's total for debug=1, the goroutines listed for
    /// debug=2.
    pub fn total(&self) -> u64 {
        self.groups
            .iter()
            .fold(0u64, |total, g| total.saturating_add(g.count))
    }

    /// (leaf-first function names, count) per group.
    pub fn folded_stacks(&self) -> Vec<(Vec<String>, u64)> {
        self.groups
            .iter()
            .map(|g| {
                (
                    g.frames.iter().map(|f| f.function.clone()).collect(),
                    g.count,
                )
            })
            .collect()
    }
}

/// Parses either format: `goroutine profile: total N` starts debug=1.
pub fn parse_goroutines(text: &str) -> Goroutines {
    if text.trim_start().starts_with("goroutine profile:") {
        parse_debug1(text)
    } else {
        parse_debug2(text)
    }
}

/// `goroutine profile: total N`, if present: the cheap count.
pub fn debug1_total(text: &str) -> Option<u64> {
    text.lines()
        .next()?
        .trim()
        .strip_prefix("goroutine profile: total ")?
        .trim()
        .parse()
        .ok()
}

/// The `goroutine` row's count on pprof's index page (`/debug/pprof/`): `Profile.Count()`,
/// which for goroutines is `runtime.NumGoroutine()`, read without rendering any stack.
/// net/http/pprof has printed the row three ways, all accepted:
/// - Go 1.16 and later (`indexTmplExecute`, fmt):
///   `<tr><td>42</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>`
/// - Go 1.11 to 1.15 (html/template): `<tr><td>42</td><td><a href=goroutine?debug=1>goroutine</a>…`
/// - Go 1.10 and earlier: `<tr><td align=right>42<td><a href="goroutine?debug=1">goroutine</a>`
///
/// `None` when no row's link text is `goroutine` or its first cell is not a number.
pub fn index_goroutine_count(html: &str) -> Option<u64> {
    html.split("<tr").skip(1).find_map(|row| {
        let row = row.split("</table").next().unwrap_or(row);
        let link = row.split("<a").nth(1)?;
        let text = link.split_once('>')?.1.split("</a>").next()?;
        if text.trim() != "goroutine" {
            return None;
        }
        let cell = row.split("<td").nth(1)?.split_once('>')?.1;
        let digits = cell.trim_start();
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits.get(..end)?.parse().ok()
    })
}

/// debug=1: `count @ pcs`, optional `# labels:`, then `#\tpc\tfunc+0xoff\tfile:line` lines.
pub fn parse_debug1(text: &str) -> Goroutines {
    let mut groups = Vec::new();
    let mut current: Option<GoroutineGroup> = None;
    let mut cut = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some((count, _pcs)) = trimmed.split_once(" @ ") {
            let count = count.trim().parse::<u64>().ok();
            if let Some(count) = count.filter(|&c| c <= MAX_GROUP_COUNT) {
                if groups.len() + usize::from(current.is_some()) >= MAX_PARSED {
                    cut = true;
                    break;
                }
                groups.extend(current.replace(GoroutineGroup {
                    count,
                    state: None,
                    frames: Vec::new(),
                    ids: Vec::new(),
                    labels: None,
                }));
                continue;
            }
        }
        let Some(group) = current.as_mut() else {
            continue;
        };
        if let Some(labels) = trimmed.strip_prefix("# labels:") {
            group.labels = Some(labels.trim().to_string());
        } else if let Some(frame) = trimmed.strip_prefix('#') {
            if let Some(frame) = parse_debug1_frame(frame) {
                group.frames.push(frame);
            }
        } else if trimmed.is_empty() {
            groups.extend(current.take());
        }
    }
    groups.extend(current);
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    Goroutines {
        cut,
        debug: 1,
        goroutines: Vec::new(),
        groups,
    }
}

/// `\t0x673bf2\tmain.parkedForever+0x32\t/tmp/main.go:31` (tabwriter may pad with more tabs).
fn parse_debug1_frame(text: &str) -> Option<GoFrame> {
    let mut parts = text.split_whitespace();
    let _pc = parts.next()?;
    let function = parts.next()?;
    let function = match function.rsplit_once("+0x") {
        Some((name, _)) => name,
        None => function,
    };
    let location = parts.collect::<Vec<_>>().join(" ");
    let (file, line) = split_location(&location);
    Some(GoFrame {
        function: function.to_string(),
        file,
        line,
    })
}

/// `/src/x.go:31` → (`/src/x.go`, 31); anything else → (text, None).
fn split_location(text: &str) -> (String, Option<u32>) {
    match text.rsplit_once(':') {
        Some((file, line)) => match line.parse() {
            Ok(line) => (file.to_string(), Some(line)),
            Err(_) => (text.to_string(), None),
        },
        None => (text.to_string(), None),
    }
}

/// debug=2: `goroutine N [state, M minutes, locked to thread]:` blocks.
pub fn parse_debug2(text: &str) -> Goroutines {
    let mut goroutines = Vec::new();
    let mut current: Option<Goroutine> = None;
    let mut pending_function: Option<String> = None;
    let mut pending_created_by = false;
    let mut cut = false;
    for line in text.lines() {
        if let Some(g) = parse_goroutine_header(line) {
            if goroutines.len() + usize::from(current.is_some()) >= MAX_PARSED {
                cut = true;
                break;
            }
            goroutines.extend(current.replace(g));
            pending_function = None;
            continue;
        }
        let Some(g) = current.as_mut() else {
            continue;
        };
        if line.is_empty() {
            goroutines.extend(current.take());
            continue;
        }
        if let Some(location) = line.strip_prefix('\t') {
            let Some(function) = pending_function.take() else {
                continue;
            };
            // `file:line +0x1f` (or without the offset when inlined).
            let location = location.split(" +0x").next().unwrap_or(location);
            let location = location.split(" fp=").next().unwrap_or(location);
            let (file, line) = split_location(location.trim());
            let frame = GoFrame {
                function,
                file,
                line,
            };
            if pending_created_by {
                g.created_by = Some(frame);
            } else {
                g.frames.push(frame);
            }
            continue;
        }
        if line.starts_with("...") && line.ends_with("elided...") {
            g.frames_elided = true;
            continue;
        }
        if let Some(creator) = line.strip_prefix("created by ") {
            // `created by main.leak` or `created by main.leak in goroutine 1` (Go 1.21+).
            let creator = creator.split(" in goroutine ").next().unwrap_or(creator);
            pending_function = Some(creator.to_string());
            pending_created_by = true;
            continue;
        }
        if line.starts_with("[originating from goroutine") {
            // Ancestor tracebacks (GODEBUG=tracebackancestors): not this goroutine's stack.
            goroutines.extend(current.take());
            continue;
        }
        // A call line: the function name is everything before the last `(`.
        pending_created_by = false;
        pending_function = Some(match line.rfind('(') {
            Some(at) if line.ends_with(')') && at > 0 => line[..at].to_string(),
            _ => line.to_string(),
        });
    }
    goroutines.extend(current);
    let groups = group(&goroutines);
    Goroutines {
        cut,
        debug: 2,
        goroutines,
        groups,
    }
}

/// `goroutine 21 [chan receive, 5 minutes, locked to thread]:`.
fn parse_goroutine_header(line: &str) -> Option<Goroutine> {
    let rest = line.strip_prefix("goroutine ")?;
    let (id, rest) = rest.split_once(" [")?;
    let inner = rest.strip_suffix("]:")?;
    let id = id.parse().ok()?;
    let mut parts = inner.split(", ");
    let state = parts.next()?.to_string();
    let mut goroutine = Goroutine {
        id,
        state,
        wait: None,
        wait_minutes: None,
        locked_to_thread: false,
        frames: Vec::new(),
        created_by: None,
        frames_elided: false,
    };
    for attribute in parts {
        if let Some(minutes) = attribute.strip_suffix(" minutes") {
            goroutine.wait = Some(attribute.to_string());
            goroutine.wait_minutes = minutes.trim().parse().ok();
        } else if attribute == "locked to thread" {
            goroutine.locked_to_thread = true;
        }
    }
    Some(goroutine)
}

/// Groups goroutines by (state, frames, creator); largest first, then by first id.
fn group(goroutines: &[Goroutine]) -> Vec<GoroutineGroup> {
    type Key<'a> = (&'a str, &'a [GoFrame], Option<&'a GoFrame>);
    let mut by_key: BTreeMap<Key<'_>, Vec<u64>> = BTreeMap::new();
    for g in goroutines {
        by_key
            .entry((g.state.as_str(), g.frames.as_slice(), g.created_by.as_ref()))
            .or_default()
            .push(g.id);
    }
    let mut groups: Vec<GoroutineGroup> = by_key
        .into_iter()
        .map(|((state, frames, _), mut ids)| {
            ids.sort_unstable();
            GoroutineGroup {
                count: ids.len() as u64,
                state: Some(state.to_string()),
                frames: frames.to_vec(),
                ids,
                labels: None,
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.ids.first().cmp(&b.ids.first()))
    });
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_attributes() {
        let g = parse_goroutine_header("goroutine 7 [chan receive, 5 minutes, locked to thread]:")
            .expect("header");
        assert_eq!(g.id, 7);
        assert_eq!(g.state, "chan receive");
        assert_eq!(g.wait.as_deref(), Some("5 minutes"));
        assert_eq!(g.wait_minutes, Some(5));
        assert!(g.locked_to_thread);
        let g = parse_goroutine_header("goroutine 1 [select (no cases)]:").expect("header");
        assert_eq!(
            (g.state.as_str(), g.wait_minutes),
            ("select (no cases)", None)
        );
        assert!(parse_goroutine_header("goroutine x [y]:").is_none());
    }

    #[test]
    fn debug2_frames_creator_and_new_style_created_by() {
        let text = "goroutine 21 [chan receive, 2 minutes]:\nmain.parkedForever(0x0?)\n\t/tmp/main.go:31 +0x33\ncreated by main.leak in goroutine 1\n\t/tmp/main.go:59 +0xae\n\ngoroutine 22 [chan receive]:\nmain.parkedForever(...)\n\t/tmp/main.go:31\n...3 frames elided...\ncreated by main.leak\n\t/tmp/main.go:59 +0xae\n\ngoroutine 23 [running]:\nmain.cutHere(0x1";
        let dump = parse_debug2(text);
        assert_eq!(
            dump.goroutines.len(),
            3,
            "a goroutine cut mid-frame still counts"
        );
        let first = &dump.goroutines[0];
        assert_eq!(first.frames[0].function, "main.parkedForever");
        assert_eq!(first.frames[0].line, Some(31));
        assert_eq!(
            first.created_by.as_ref().map(|f| f.function.as_str()),
            Some("main.leak")
        );
        assert!(dump.goroutines[1].frames_elided);
        assert_eq!(dump.groups[0].count, 2);
        assert_eq!(dump.groups[0].ids, vec![21, 22]);
    }

    #[test]
    fn debug1_labels_and_unknown_frames() {
        let text = "goroutine profile: total 4\n3 @ 0x1 0x2\n# labels: {\"k\":\"v\"}\n#\t0x1\tmain.f+0x24\t/x/main.go:20\n#\t0x2\n\n1 @ 0x3\n#\t0x3\tmain.g+0x1\t\t\t/x/main.go:9\n";
        let dump = parse_goroutines(text);
        assert_eq!(dump.debug, 1);
        assert_eq!(debug1_total(text), Some(4));
        assert_eq!(dump.total(), 4);
        assert_eq!(dump.groups[0].labels.as_deref(), Some("{\"k\":\"v\"}"));
        assert_eq!(dump.groups[0].frames.len(), 1, "pc-only line skipped");
        assert_eq!(dump.groups[1].frames[0].file, "/x/main.go");
    }

    #[test]
    fn index_rows_of_every_go_version() {
        let go116 = "<table>\n<thead><td>Count</td><td>Profile</td></thead>\n<tr><td>14</td><td><a href='allocs?debug=1'>allocs</a></td></tr>\n<tr><td>100007</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>\n</table>\n<a href=\"goroutine?debug=2\">full goroutine stack dump</a>";
        assert_eq!(index_goroutine_count(go116), Some(100_007));
        let go111 = "<table>\n<thead><td>Count</td><td>Profile</td></thead>\n<tr><td>7</td><td><a href=goroutine?debug=1>goroutine</a></td></tr>\n</table>";
        assert_eq!(index_goroutine_count(go111), Some(7));
        let go110 = "<table>\n\n<tr><td align=right>3<td><a href=\"block?debug=1\">block</a>\n\n<tr><td align=right>12<td><a href=\"goroutine?debug=1\">goroutine</a>\n\n</table>\n<br>\n<a href=\"goroutine?debug=2\">full goroutine stack dump</a><br>";
        assert_eq!(index_goroutine_count(go110), Some(12));
        for not in [
            "",
            "<tr><td>x</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>",
            "<tr><td>5</td><td><a href='goroutines'>goroutines</a></td></tr>",
            "<table></table><a href=\"goroutine?debug=2\">goroutine</a>",
            "<tr><td>99999999999999999999999</td><td><a>goroutine</a>",
        ] {
            assert_eq!(index_goroutine_count(not), None, "{not}");
        }
    }

    #[test]
    fn parsing_stops_at_max_parsed_entries() {
        let group = "1 @ 0x1\n#\t0x1\tmain.f+0x1\t/x.go:1\n\n";
        let text = format!(
            "goroutine profile: total 9\n{}",
            group.repeat(MAX_PARSED + 5)
        );
        let dump = parse_goroutines(&text);
        assert!(dump.cut);
        assert_eq!(dump.groups.len(), MAX_PARSED);
        let one = "goroutine 1 [select]:\nmain.f()\n\t/x.go:1\n\n";
        let dump = parse_goroutines(&one.repeat(MAX_PARSED + 5));
        assert!(dump.cut);
        assert_eq!(dump.goroutines.len(), MAX_PARSED);
        assert!(!parse_goroutines(group).cut);
    }

    #[test]
    fn garbage_does_not_panic() {
        for text in [
            "",
            "goroutine profile: total",
            "1 @",
            "#\t",
            "goroutine 1 [a]:\n\t",
            "goroutine 1 [a]:\n(",
        ] {
            let _ = parse_goroutines(text);
        }
    }
}
