//! Findings: every finding, most severe first, and the selected one's evidence, what it means
//! and what to do (from the rule's own documentation).

use super::text::window_start;
use super::theme;
use crate::app::rows;
use crate::app::{AppState, View};
use crate::format;
use crate::rules::{Finding, REGISTRY};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let list = rows::findings(state);
    let table = &state.ui.tables[View::Findings.index()];
    let detail_height = (area.height / 2).max(6);
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_height)]).areas(area);
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
                    theme::severity_tag(f.severity).to_string(),
                    f.rule.clone(),
                    f.message.clone(),
                ])
                .style(theme::severity(f.severity));
                if i == table.selected {
                    row.style(theme::selected())
                } else {
                    row
                }
            });
        let header = Row::new(vec!["LEVEL", "RULE", "MESSAGE"]).style(theme::header_row());
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(7),
                    Constraint::Length(20),
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
        .map_or_else(Vec::new, |f| detail_lines(f));
    frame.render_widget(
        Paragraph::new(detail)
            .wrap(Wrap { trim: true })
            .block(block),
        detail_area,
    );
}

fn detail_lines(finding: &Finding) -> Vec<Line<'static>> {
    let label = |name: &str| Span::styled(format!("{name}: "), theme::title());
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} ", theme::severity_tag(finding.severity).trim()),
            theme::severity(finding.severity),
        ),
        Span::raw(finding.message.clone()),
    ])];
    if let Some(eta) = finding.eta_seconds {
        lines.push(Line::from(vec![
            label("time to limit"),
            Span::raw(format::duration_secs(eta.clamp(0.0, 1e9))),
        ]));
    }
    for evidence in &finding.evidence {
        lines.push(Line::from(format!("· {evidence}")));
    }
    if let Some(rule) = REGISTRY.iter().find(|r| r.doc().id == finding.rule) {
        let doc = rule.doc();
        lines.push(Line::from(vec![label("means"), Span::raw(doc.meaning)]));
        lines.push(Line::from(vec![label("do"), Span::raw(doc.action)]));
    }
    lines
}
