//! The help overlay: every binding of the keymap, generated from the same table that
//! resolves keys, so it cannot go stale. The view keys share one line, and so do the four
//! time keys of the bundle view, so the whole list fits an 80×24 terminal.

use super::theme;
use crate::keymap::BINDINGS;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// `(keys, doc)` per help line.
pub fn lines() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for binding in BINDINGS {
        let keys = binding
            .keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(group) = binding.command.help_group() {
            if let Some(&(_, at)) = groups.iter().find(|(g, _)| *g == group) {
                let (k, d) = &mut out[at];
                k.push(' ');
                k.push_str(&keys);
                d.push_str(if group == "views" { " " } else { " / " });
                d.push_str(binding.doc);
                continue;
            }
            groups.push((group, out.len()));
            // The view keys need no heading: their names say it, and all eight fit 80 columns.
            let doc = match group {
                "views" => binding.doc.to_string(),
                _ => format!("{group}: {}", binding.doc),
            };
            out.push((keys, doc));
            continue;
        }
        out.push((keys, binding.doc.to_string()));
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect) {
    let entries = lines();
    let height = (entries.len() as u16 + 2).min(area.height);
    let width = 80.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let lines: Vec<Line> = entries
        .into_iter()
        .map(|(keys, doc)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<18}"), theme::title()),
                Span::raw(doc),
            ])
        })
        .collect();
    let block = Block::bordered().title(Span::styled(" keys · ? or Esc closes ", theme::title()));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
