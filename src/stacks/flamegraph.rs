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
    options.title = title.to_string();
    options.count_name = folded.unit().name().to_string();
    options.deterministic = true;
    let lines: Vec<String> = folded
        .iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect();
    from_lines(&mut options, lines.iter().map(String::as_str), out).map_err(std::io::Error::other)
}
