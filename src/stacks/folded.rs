//! Folded stacks (`root;…;leaf COUNT`, the input of flamegraph.pl and inferno): the shared
//! aggregate of `record`, the SVG writer and the TUI's flame view.
//!
//! May import: `stacks` (the `ThreadStack` type only).

use super::{Frame, ThreadStack};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Sample counts per distinct stack, root first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldedStacks {
    counts: BTreeMap<String, u64>,
}

/// The name a frame gets in folded output: `;` separates frames and a newline ends a line, so
/// neither may appear in a name.
pub fn frame_label(frame: &Frame) -> String {
    let name = match (&frame.function, &frame.module) {
        (Some(function), _) => function.clone(),
        (None, Some(module)) => format!("{module}+{:#x}", frame.address),
        (None, None) => "[unknown]".to_string(),
    };
    name.replace(';', ":").replace(['\n', '\r'], " ")
}

impl FoldedStacks {
    pub fn new() -> FoldedStacks {
        FoldedStacks::default()
    }

    /// Adds one sample of a thread: its name as the root frame, `[truncated]` under it when the
    /// unwinder stopped early, then its frames from outermost to innermost. Threads with no
    /// frames (skipped, gone) add nothing.
    pub fn add_thread(&mut self, thread: &ThreadStack, count: u64) {
        if thread.frames.is_empty() || count == 0 {
            return;
        }
        let mut line = thread.name.replace(';', ":").replace(['\n', '\r'], " ");
        if thread.truncated {
            line.push_str(";[truncated]");
        }
        for frame in thread.frames.iter().rev() {
            line.push(';');
            line.push_str(&frame_label(frame));
        }
        *self.counts.entry(line).or_insert(0) += count;
    }

    /// Adds `count` to an already folded stack (`a;b;c`).
    pub fn add_folded(&mut self, stack: &str, count: u64) {
        *self.counts.entry(stack.to_string()).or_insert(0) += count;
    }

    /// Sum of all counts.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// `(stack, count)` pairs in stack order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts
            .iter()
            .map(|(stack, count)| (stack.as_str(), *count))
    }

    /// Count of samples whose stack contains a frame named exactly `function`.
    pub fn samples_containing(&self, function: &str) -> u64 {
        self.iter()
            .filter(|(stack, _)| stack.split(';').any(|f| f == function))
            .map(|(_, count)| count)
            .sum()
    }

    /// The text form: one `stack count` line per distinct stack.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (stack, count) in self.iter() {
            let _ = writeln!(text, "{stack} {count}");
        }
        text
    }

    /// Parses the text form; lines that do not end in a count are ignored.
    pub fn parse(text: &str) -> FoldedStacks {
        let mut folded = FoldedStacks::new();
        for line in text.lines() {
            if let Some((stack, count)) = line.rsplit_once(' ') {
                if let Ok(count) = count.parse() {
                    folded.add_folded(stack, count);
                }
            }
        }
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stacks::ThreadState;

    fn frame(name: &str) -> Frame {
        Frame {
            address: 0x10,
            function: Some(name.to_string()),
            module: Some("/bin/x".to_string()),
            file: None,
            line: None,
            inlined: false,
        }
    }

    #[test]
    fn root_first_with_thread_name_and_merged_counts() {
        let thread = ThreadStack {
            tid: 7,
            name: "worker".to_string(),
            frames: vec![frame("leaf"), frame("mid;dle"), frame("main")],
            truncated: false,
            state: ThreadState::Reused,
        };
        let mut folded = FoldedStacks::new();
        folded.add_thread(&thread, 2);
        folded.add_thread(&thread, 1);
        assert_eq!(folded.to_text(), "worker;main;mid:dle;leaf 3\n");
        assert_eq!(folded.samples_containing("leaf"), 3);
        assert_eq!(FoldedStacks::parse(&folded.to_text()), folded);
    }
}
