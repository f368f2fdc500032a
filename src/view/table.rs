//! The drawing half of the one table component (state in `app::table`): a bordered table
//! whose title says its sort and filter, that builds only the rows it shows, and whose
//! columns degrade by priority. Numbers are never cut (a number column is as wide as its
//! widest shown value); when the width runs out the least important columns go first, so TID
//! and NAME stay; text shortens with an ellipsis, paths lose their middle.

use super::text::{fit, fit_middle, window_start};
use super::theme;
use crate::app::TableUi;
use crate::safe_text::line;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

/// How a column takes width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// As wide as its widest shown value; never cut.
    Number,
    /// Between `min` and `max` (or its widest value, if less); cut at the end.
    Text { min: u16, max: u16 },
    /// Takes what is left (at least `min`); cut at the end.
    Fill { min: u16 },
    /// Takes what is left (at least `min`); cut in the middle, keeping the file name.
    Path { min: u16 },
}

/// One column: header, width rule, and how long it stays as the width shrinks (higher stays
/// longer; identity columns use [`KEEP_ALWAYS`]).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub fit: Fit,
    pub keep: u8,
}

/// The priority of a table's identity columns (TID, NAME, FD): dropped last.
pub const KEEP_ALWAYS: u8 = u8::MAX;

impl Column {
    pub const fn new(header: &'static str, fit: Fit, keep: u8) -> Column {
        Column { header, fit, keep }
    }
}

/// One row's cells (already made safe) and style.
#[derive(Clone)]
pub struct Cells {
    pub cells: Vec<String>,
    pub style: Style,
}

impl Cells {
    pub fn plain(cells: Vec<String>) -> Cells {
        Cells {
            cells,
            style: Style::default(),
        }
    }
}

/// What a view passes to [`draw`].
pub struct Props<'a> {
    /// What the table holds (`threads 28`); its sort and filter follow, then `note`.
    pub title: String,
    /// Less important title text (the data's age), cut first.
    pub note: String,
    pub columns: &'a [Column],
    /// The view's sort names (`View::sorts`), empty when it has none.
    pub sorts: &'a [&'a str],
    /// Shown when there are no rows.
    pub empty: &'a str,
}

/// Draws the table into `area`, asking `row` only for the positions on screen.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    props: &Props,
    table: &TableUi,
    row: impl Fn(usize) -> Option<Cells>,
) {
    let block = Block::bordered().title(Span::styled(
        fit(
            &title(props, table),
            usize::from(area.width.saturating_sub(2)),
        ),
        theme::title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let body_rows = usize::from(inner.height.saturating_sub(1));
    let start = window_start(table.selected, body_rows);
    let shown: Vec<(usize, Cells)> = (start..start + body_rows)
        .map_while(|i| row(i).map(|cells| (i, cells)))
        .collect();
    if table.order.is_empty() {
        frame.render_widget(Paragraph::new(format!(" {}", props.empty)), inner);
        return;
    }
    draw_rows(frame, inner, props.columns, &shown, Some(table.selected));
}

/// A table without the view state of [`draw`] (a summary such as the fds by kind, the Stacks
/// top table, the thread picker): the same columns, widths and header, no border; the rows on
/// screen follow `cursor`, which is in reverse video when `highlight` is set. `row` is asked
/// only for the positions shown, of `count`.
pub fn draw_list(
    frame: &mut Frame,
    area: Rect,
    columns: &[Column],
    (count, cursor, highlight): (usize, usize, bool),
    row: impl Fn(usize) -> Cells,
) {
    let body_rows = usize::from(area.height.saturating_sub(1));
    let start = window_start(cursor, body_rows);
    let shown: Vec<(usize, Cells)> = (start..count.min(start + body_rows))
        .map(|i| (i, row(i)))
        .collect();
    draw_rows(frame, area, columns, &shown, highlight.then_some(cursor));
}

/// The header and the `shown` rows (position, cells), columns fitted to `area`; the row at
/// `selected` in reverse video.
fn draw_rows(
    frame: &mut Frame,
    area: Rect,
    columns: &[Column],
    shown: &[(usize, Cells)],
    selected: Option<usize>,
) {
    let widths = column_widths(columns, shown, area.width);
    let kept: Vec<usize> = (0..columns.len()).filter(|&c| widths[c] > 0).collect();
    let header = Row::new(kept.iter().map(|&c| columns[c].header)).style(theme::header_row());
    let rows = shown.iter().map(|(i, cells)| {
        let texts = kept.iter().map(|&c| {
            let text = cells.cells.get(c).map_or("", String::as_str);
            let width = usize::from(widths[c]);
            match columns[c].fit {
                Fit::Path { .. } => fit_middle(text, width),
                _ => fit(text, width),
            }
        });
        let style = if Some(*i) == selected {
            theme::selected()
        } else {
            cells.style
        };
        Row::new(texts.collect::<Vec<_>>()).style(style)
    });
    let constraints = kept.iter().map(|&c| Constraint::Length(widths[c]));
    frame.render_widget(Table::new(rows, constraints).header(header), area);
}

/// `title · sort X · filter "y" · note`, the filter made safe to print.
fn title(props: &Props, table: &TableUi) -> String {
    let mut title = format!(" {}", props.title);
    if let Some(sort) = props.sorts.get(table.sort) {
        title.push_str(&format!(" · sort {sort}"));
    }
    if !table.filter.is_empty() {
        title.push_str(&format!(" · filter \"{}\"", line(&table.filter)));
    }
    if !props.note.is_empty() {
        title.push_str(&format!(" · {}", props.note));
    }
    title.push(' ');
    title
}

/// Width of each column (0 = dropped) for the shown rows in `width` cells.
fn column_widths(columns: &[Column], shown: &[(usize, Cells)], width: u16) -> Vec<u16> {
    let widest = |c: usize| -> u16 {
        shown
            .iter()
            .filter_map(|(_, r)| r.cells.get(c))
            .map(|t| t.chars().count())
            .chain([columns[c].header.chars().count()])
            .max()
            .map_or(0, |w| u16::try_from(w).unwrap_or(u16::MAX))
    };
    let (mut low, high): (Vec<u16>, Vec<u16>) = (0..columns.len())
        .map(|c| match columns[c].fit {
            Fit::Number => (widest(c), widest(c)),
            Fit::Text { min, max } => (min, widest(c).clamp(min, max.max(min))),
            Fit::Fill { min } | Fit::Path { min } => (min, u16::MAX),
        })
        .unzip();
    let mut alive: Vec<usize> = (0..columns.len()).collect();
    let need = |alive: &[usize], low: &[u16]| -> u32 {
        alive.iter().map(|&c| u32::from(low[c])).sum::<u32>() + alive.len().saturating_sub(1) as u32
    };
    while alive.len() > 1 && need(&alive, &low) > u32::from(width) {
        // The least kept column goes; among equals, the rightmost.
        if let Some(pos) = (0..alive.len())
            .rev()
            .min_by_key(|&p| columns[alive[p]].keep)
        {
            alive.remove(pos);
        }
    }
    for (c, width) in low.iter_mut().enumerate() {
        if !alive.contains(&c) {
            *width = 0;
        }
    }
    let mut spare = u32::from(width).saturating_sub(need(&alive, &low));
    let mut widths = low.clone();
    for &c in &alive {
        if let Fit::Text { .. } = columns[c].fit {
            let grow = u32::from(high[c].saturating_sub(low[c])).min(spare);
            widths[c] += grow as u16;
            spare -= grow;
        }
    }
    if let Some(&c) = alive
        .iter()
        .find(|&&c| matches!(columns[c].fit, Fit::Fill { .. } | Fit::Path { .. }))
    {
        widths[c] = widths[c].saturating_add(u16::try_from(spare).unwrap_or(u16::MAX));
    }
    if let [only] = alive[..] {
        widths[only] = widths[only].min(width);
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(rows: &[&[&str]]) -> Vec<(usize, Cells)> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| (i, Cells::plain(r.iter().map(|s| s.to_string()).collect())))
            .collect()
    }

    const COLUMNS: [Column; 4] = [
        Column::new("TID", Fit::Number, KEEP_ALWAYS),
        Column::new("NAME", Fit::Text { min: 6, max: 16 }, KEEP_ALWAYS),
        Column::new("WCHAN", Fit::Fill { min: 8 }, 3),
        Column::new("VOLCSW", Fit::Number, 1),
    ];

    #[test]
    fn counters_go_first_and_numbers_keep_their_width() {
        let rows = shown(&[&["4242", "demo-leak-10", "futex_wait_queue", "123456789"]]);
        let wide = column_widths(&COLUMNS, &rows, 60);
        assert_eq!(wide[0], 4);
        assert_eq!(wide[1], 12);
        assert_eq!(wide[3], 9, "the counter is never cut");
        assert_eq!(wide.iter().sum::<u16>() + 3, 60);
        let narrow = column_widths(&COLUMNS, &rows, 24);
        assert_eq!(narrow[3], 0, "the counter went first");
        assert!(narrow[2] >= 8);
        let tiny = column_widths(&COLUMNS, &rows, 12);
        assert_eq!((tiny[0], tiny[2], tiny[3]), (4, 0, 0));
        assert!(tiny[1] >= 6, "TID and NAME stay: {tiny:?}");
    }
}
