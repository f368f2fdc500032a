//! Writes folded stacks as an SVG flame graph with `inferno`.
//!
//! May import: `stacks::{folded, error}`.

use super::error::StacksError;
use super::folded::FoldedStacks;
use inferno::flamegraph::{from_lines, Options};
use std::io::BufWriter;
use std::path::Path;

/// Writes `folded` to `path` as an SVG flame graph titled `title`.
pub fn write_svg(folded: &FoldedStacks, title: &str, path: &Path) -> Result<(), StacksError> {
    let write_error = |source: std::io::Error| StacksError::Write {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::create(path).map_err(write_error)?;
    let mut writer = BufWriter::new(file);
    render_svg(folded, title, &mut writer).map_err(write_error)?;
    std::io::Write::flush(&mut writer).map_err(write_error)
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
    options.count_name = "samples".to_string();
    options.deterministic = true;
    let lines: Vec<String> = folded
        .iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect();
    from_lines(&mut options, lines.iter().map(String::as_str), out).map_err(std::io::Error::other)
}
