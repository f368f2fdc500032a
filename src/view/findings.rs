//! Findings: every finding, most severe first, and the selected one's evidence, what it means
//! and what to do (from the rule's own documentation).

use super::pane::{self, Item};
use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::theme;
use crate::app::rows;
use crate::app::{AppState, View};
use crate::format;
use crate::rules::{Finding, REGISTRY};
use crate::safe_text::line;
use ratatui::layout::{Constraint, Layout, Rect};

use ratatui::Frame;

const FINDING_COLUMNS: [Column; 3] = [
    Column::new("LEVEL", Fit::Text { min: 5, max: 7 }, 2),
    Column::new("RULE", Fit::Text { min: 8, max: 20 }, KEEP_ALWAYS),
    Column::new("MESSAGE", Fit::Fill { min: 10 }, KEEP_ALWAYS),
];

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let list = rows::findings(state);
    let table = &state.ui.tables[View::Findings.index()];
    let detail_height = (area.height / 2).max(6);
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_height)]).areas(area);
    let props = Props {
        title: format!("findings {} · most severe first", list.len()),
        note: String::new(),
        columns: &FINDING_COLUMNS,
        sorts: &[],
        empty: "none: no rule fired",
    };
    draw(frame, list_area, &props, table, |i| {
        list.get(i).map(|f| Cells {
            cells: vec![
                theme::severity_tag(f.severity).to_string(),
                line(&f.rule).into_owned(),
                line(&f.message).into_owned(),
            ],
            style: theme::severity(f.severity),
        })
    });
    let detail = list
        .get(table.selected)
        .map_or_else(Vec::new, |f| detail_items(f));
    pane::draw(
        frame,
        detail_area,
        " detail ",
        detail,
        Some(state.ui.detail_scroll),
    );
}

/// The selected finding: what it says, its evidence, what it means and what to do.
fn detail_items(finding: &Finding) -> Vec<Item> {
    let mut items = vec![Item {
        label: theme::severity_tag(finding.severity).trim().to_string(),
        value: line(&finding.message).into_owned(),
        style: theme::severity(finding.severity),
    }];
    if let Some(eta) = finding.eta_seconds {
        let eta = format::duration_secs(eta.clamp(0.0, 1e9));
        items.push(Item::field("time to limit", eta));
    }
    for evidence in &finding.evidence {
        items.push(Item::field("·", line(evidence)));
    }
    if let Some(rule) = REGISTRY.iter().find(|r| r.doc().id == finding.rule) {
        let doc = rule.doc();
        items.push(Item::field("means", doc.meaning));
        items.push(Item::field("do", doc.action));
    }
    items
}
