//! A detail pane that scrolls: labelled fields whose wrapped lines keep their label column,
//! free lines, a scroll offset, and a title that says what is above or below the window.

use super::theme;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// One labelled entry of a pane (text already made safe by the caller): `label value`, the
/// value wrapped under itself.
pub struct Item {
    pub label: String,
    pub value: String,
    pub style: Style,
}

impl Item {
    pub fn field(label: &str, value: impl Into<String>) -> Item {
        Item {
            label: label.to_string(),
            value: value.into(),
            style: Style::default(),
        }
    }
}

/// Lays `items` out in `width` columns, each value wrapped at word boundaries under itself.
pub fn layout(items: Vec<Item>, width: usize) -> Vec<Line<'static>> {
    let label_width = items
        .iter()
        .map(|i| i.label.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .min(width / 2);
    let mut lines = Vec::new();
    for Item {
        label,
        value,
        style,
    } in items
    {
        let text_width = width.saturating_sub(label_width).max(8);
        for (n, part) in wrap(&value, text_width).into_iter().enumerate() {
            let head = if n == 0 {
                format!(" {label:<w$}", w = label_width.saturating_sub(1))
            } else {
                " ".repeat(label_width)
            };
            lines.push(Line::from(vec![
                Span::styled(head, theme::title()),
                Span::styled(part, style),
            ]));
        }
    }
    lines
}

/// Splits at spaces into lines of at most `width` characters (a longer word is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = vec![String::new()];
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let current = out.last_mut().map_or(0, |l| l.chars().count());
            let gap = usize::from(current > 0);
            if current + gap + word.len() <= width {
                if let Some(last) = out.last_mut() {
                    if gap == 1 {
                        last.push(' ');
                    }
                    last.extend(word.iter());
                }
                break;
            }
            if current > 0 {
                out.push(String::new());
                continue;
            }
            let rest = word.split_off(width.min(word.len()));
            if let Some(last) = out.last_mut() {
                last.extend(word.iter());
            }
            out.push(String::new());
            word = rest;
        }
    }
    if out.len() > 1 && out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// Draws `lines` in a bordered pane, from line `scroll` (clamped) when it scrolls; the title
/// of a scrolling pane shows the position when not everything fits.
pub fn draw_lines(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: Option<usize>,
) {
    let rows = usize::from(area.height.saturating_sub(2));
    let top = scroll.unwrap_or(0).min(lines.len().saturating_sub(rows));
    let title = if scroll.is_some() && lines.len() > rows {
        format!(
            "{title}· {}–{}/{} J K ",
            top + 1,
            (top + rows).min(lines.len()),
            lines.len()
        )
    } else {
        title.to_string()
    };
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let shown: Vec<Line> = lines.into_iter().skip(top).take(rows).collect();
    frame.render_widget(Paragraph::new(shown).block(block), area);
}

/// Lays out and draws `items` (see [`layout`] and [`draw_lines`]).
pub fn draw(frame: &mut Frame, area: Rect, title: &str, items: Vec<Item>, scroll: Option<usize>) {
    let lines = layout(items, usize::from(area.width.saturating_sub(2)));
    draw_lines(frame, area, title, lines, scroll);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_cuts_only_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn continuation_lines_keep_the_label_column() {
        let lines = layout(vec![Item::field("wchan", "aaa bbb ccc ddd")], 18);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        let indent = |s: &str| s.len() - s.trim_start().len();
        assert_eq!(text[0].find("aaa"), Some(indent(&text[1])), "{text:?}");
    }
}
