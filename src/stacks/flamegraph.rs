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
    let mut options = Options::default();
    options.title = title.to_string();
    options.count_name = "samples".to_string();
    options.deterministic = true;
    let lines: Vec<String> = folded
        .iter()
        .map(|(stack, count)| format!("{stack} {count}"))
        .collect();
    let mut writer = BufWriter::new(file);
    from_lines(&mut options, lines.iter().map(String::as_str), &mut writer).map_err(write_error)?;
    std::io::Write::flush(&mut writer).map_err(write_error)
}
