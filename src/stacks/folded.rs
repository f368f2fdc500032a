//! Folded stacks (`root;…;leaf COUNT`, the input of flamegraph.pl and inferno): the shared
//! aggregate of `record`, the SVG writer and the TUI's flame view.
//!
//! Every stack held here is display-safe (no control, bidi or non-UTF-8 character; see
//! `safe_text`), so the `.folded` file, the SVG and the TUI can show it as it is: names from the
//! target are escaped as they come in, and so is any folded text read from elsewhere.
//!
//! May import: `stacks` (the `ThreadStack` type only), `safe_text`.

use super::{Frame, ThreadStack};
use crate::safe_text;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Sample counts per distinct stack, root first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldedStacks {
    counts: BTreeMap<String, u64>,
}

/// The name a frame gets in folded output.
pub fn frame_label(frame: &Frame) -> String {
    let name = match (&frame.function, &frame.module) {
        (Some(function), _) => function.clone(),
        (None, Some(module)) => format!("{module}+{:#x}", frame.address),
        (None, None) => "[unknown]".to_string(),
    };
    safe_text::folded_frame(&name)
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
        let mut line = safe_text::folded_frame(&thread.name);
        if thread.truncated {
            line.push_str(";[truncated]");
        }
        for frame in thread.frames.iter().rev() {
            line.push(';');
            line.push_str(&frame_label(frame));
        }
        *self.counts.entry(line).or_insert(0) += count;
    }

    /// Adds `count` to an already folded stack (`a;b;c`); one read from elsewhere that holds a
    /// control character is escaped first.
    pub fn add_folded(&mut self, stack: &str, count: u64) {
        let stack = if safe_text::is_displayable(stack) {
            stack.to_string()
        } else {
            safe_text::line(stack).into_owned()
        };
        *self.counts.entry(stack).or_insert(0) += count;
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
        assert_eq!(folded.to_text(), "worker;main;mid\\x3bdle;leaf 3\n");
        assert_eq!(folded.samples_containing("leaf"), 3);
        assert_eq!(FoldedStacks::parse(&folded.to_text()), folded);
    }

    #[test]
    fn hostile_names_stay_on_one_line_and_one_frame() {
        let thread = ThreadStack {
            tid: 7,
            name: "evil\n;\x1b]52;c;eA==\x07\u{202e}".to_string(),
            frames: vec![frame("f\r\nfake 99")],
            truncated: false,
            state: ThreadState::Reused,
        };
        let mut folded = FoldedStacks::new();
        folded.add_thread(&thread, 1);
        let text = folded.to_text();
        assert_eq!(
            text,
            "evil\\x0a\\x3b\\x1b]52\\x3bc\\x3beA==\\x07\\u202e;f\\x0d\\x0afake 99 1\n"
        );
        assert_eq!(FoldedStacks::parse(&text), folded);
        // Folded text from elsewhere (a bundle) is escaped too.
        let mut read = FoldedStacks::new();
        read.add_folded("a\x1bb;c", 2);
        assert_eq!(read.to_text(), "a\\x1bb;c 2\n");
    }
}
