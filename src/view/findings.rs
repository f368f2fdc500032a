//! Findings: every finding, most severe first, and the selected one's evidence and advice.

use super::text::window_start;
use super::theme;
use crate::app::rows;
use crate::app::{AppState, View};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let list = rows::findings(state);
    let table = &state.ui.tables[View::Findings.index()];
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(6)]).areas(area);
    let block = Block::bordered().title(Span::styled(
        format!(" findings {} · most severe first ", list.len()),
        theme::title(),
    ));
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if list.is_empty() {
        frame.render_widget(Paragraph::new(" none: no rule fired"), inner);
    } else {
        let body_rows = usize::from(inner.height.saturating_sub(1));
        let start = window_start(table.selected, body_rows);
        let rows = list
            .iter()
            .enumerate()
            .skip(start)
            .take(body_rows)
            .map(|(i, f)| {
                let row = Row::new(vec![
                    f.severity.tag().to_string(),
                    f.rule.clone(),
                    f.summary.clone(),
                ])
                .style(theme::severity(f.severity));
                if i == table.selected {
                    row.style(theme::selected())
                } else {
                    row
                }
            });
        let header = Row::new(vec!["LEVEL", "RULE", "SUMMARY"]).style(theme::header_row());
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(7),
                    Constraint::Length(22),
                    Constraint::Min(10),
                ],
            )
            .header(header),
            inner,
        );
    }
    let block = Block::bordered().title(Span::styled(" detail ", theme::title()));
    let detail = list
        .get(table.selected)
        .map_or_else(String::new, |f| f.detail.clone());
    frame.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: true })
            .block(block),
        detail_area,
    );
}
