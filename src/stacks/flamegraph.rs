//! Writes folded stacks as an SVG flame graph with `inferno`.
//!
//! May import: `stacks::folded`, `safe_file`.

use super::folded::FoldedStacks;
use crate::safe_file::{NewFile, SafeFileError};
use inferno::flamegraph::{from_lines, Options};
use std::io::{BufWriter, Write};

/// Writes `folded` into `destination` as an SVG flame graph titled `title`, and links it
/// under its name.
pub fn write_svg(
    folded: &FoldedStacks,
    title: &str,
    mut destination: NewFile,
) -> Result<(), SafeFileError> {
    let mut writer = BufWriter::new(destination.file());
    let written = render_svg(folded, title, &mut writer).and_then(|()| writer.flush());
    drop(writer);
    written.map_err(|e| destination.error(e))?;
    destination.commit()
}

/// Renders `folded` as an SVG flame graph titled `title` into `out` (a file, a bundle entry).
pub fn render_svg(
    folded: &FoldedStacks,
    title: &str,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut options = Options::default();
    // The stacks are display-safe already (see `folded`); the title may quote a thread name.
    options.title = crate::safe_text::line(title).into_owned();
    options.count_name = folded.unit().name().to_string();
    options.deterministic = true;
    let lines: Vec<String> = folded
        .iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect();
    from_lines(&mut options, lines.iter().map(String::as_str), out).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stacks::{Frame, ThreadStack, ThreadState};

    /// Whatever the names hold, the SVG is well-formed XML and shows them escaped.
    #[test]
    fn hostile_names_give_well_formed_xml() {
        let frame = |name: &str| Frame {
            address: 0x10,
            function: Some(name.to_string()),
            module: None,
            file: None,
            line: None,
            inlined: false,
        };
        let thread = ThreadStack {
            tid: 1,
            name: "\u{1b}]52;c;eA==\u{7}\u{202e}\u{10ffff}".to_string(),
            frames: vec![frame("a<b>&c\"'"), frame("\u{0}\u{8}\u{fffe}\u{9b}")],
            truncated: false,
            state: ThreadState::Reused,
        };
        let mut folded = FoldedStacks::new();
        folded.add_thread(&thread, 3);
        let mut svg = Vec::new();
        render_svg(&folded, "pid 1 \u{1b}[2J", &mut svg).expect("render");
        let svg = String::from_utf8(svg).expect("UTF-8");
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        let document = roxmltree::Document::parse_with_options(&svg, options).expect("XML");
        let titles: Vec<&str> = document
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .filter_map(|n| n.text())
            .collect();
        for expected in [
            "\\x1b]52\\x3bc\\x3beA==\\x07\\u202e\\xff (",
            "a<b>&c\"' (",
            "\\x00\\x08\\ufffe\\u009b (",
        ] {
            assert!(
                titles.iter().any(|t| t.starts_with(expected)),
                "{expected} not in {titles:?}"
            );
        }
        assert!(svg.contains("pid 1 \\x1b[2J"), "the title is escaped too");
    }
}
