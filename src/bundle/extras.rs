//! The optional parts of a bundle: thread stacks (`stacks.txt`, `stacks.json`, `stacks.folded`,
//! `flamegraph.svg`) and runtime dumps (`dumps/`). The caller captures them (the command with
//! ptrace and the runtime's own protocol, the TUI from what it already sampled); this turns
//! them into files.

use super::write::Entry;
use super::MissingEntry;
use crate::runtimes::Dump;
use crate::stacks::flamegraph::render_svg;
use crate::stacks::folded::FoldedStacks;
use crate::stacks::ThreadStack;

/// Paths of the stack files, for `missing` entries when there are none.
pub const STACK_FILES: [&str; 4] = [
    "stacks.txt",
    "stacks.json",
    "stacks.folded",
    "flamegraph.svg",
];

/// `stacks.folded` and `flamegraph.svg` from sampled stacks, `stacks.json` (each thread's
/// newest stack, for `view`'s thread drill-down) and `stacks.txt` (the same as `healthtop
/// stacks` prints it) when given.
pub fn stack_entries(
    folded: &FoldedStacks,
    text: Option<String>,
    threads: &[ThreadStack],
    title: &str,
) -> (Vec<Entry>, Vec<MissingEntry>) {
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    match serde_json::to_vec(threads) {
        Ok(json) if !threads.is_empty() => entries.push(Entry {
            path: "stacks.json".into(),
            data: json,
        }),
        Ok(_) => missing.push(MissingEntry {
            path: "stacks.json".into(),
            reason: "no thread's stack was captured".into(),
        }),
        Err(e) => missing.push(MissingEntry {
            path: "stacks.json".into(),
            reason: e.to_string(),
        }),
    }
    match text {
        Some(text) => entries.push(Entry {
            path: "stacks.txt".into(),
            data: text.into_bytes(),
        }),
        None => missing.push(MissingEntry {
            path: "stacks.txt".into(),
            reason: "no all-thread capture was taken".into(),
        }),
    }
    if folded.is_empty() {
        for path in &STACK_FILES[2..] {
            missing.push(MissingEntry {
                path: (*path).into(),
                reason: "no stacks were sampled".into(),
            });
        }
        return (entries, missing);
    }
    entries.push(Entry {
        path: "stacks.folded".into(),
        data: folded.to_text().into_bytes(),
    });
    let mut svg = Vec::new();
    match render_svg(folded, title, &mut svg) {
        Ok(()) => entries.push(Entry {
            path: "flamegraph.svg".into(),
            data: svg,
        }),
        Err(e) => missing.push(MissingEntry {
            path: "flamegraph.svg".into(),
            reason: e.to_string(),
        }),
    }
    (entries, missing)
}

/// `dumps/<runtime>.txt` (the dump as the runtime wrote it, its controls escaped as on the
/// terminal, since it is read with `cat` and `less`) and `dumps/<runtime>.json` (parsed, exact).
pub fn dump_entries(dump: &Dump) -> Vec<Entry> {
    let name = dump.runtime.as_str();
    let mut entries = vec![Entry {
        path: format!("dumps/{name}.txt"),
        data: crate::safe_text::lines(&dump.text)
            .into_owned()
            .into_bytes(),
    }];
    if let Ok(json) = serde_json::to_vec_pretty(dump) {
        entries.push(Entry {
            path: format!("dumps/{name}.json"),
            data: json,
        });
    }
    entries
}
