//! FDs: open descriptors against the limit, counts per kind with their trend over the
//! watched window, TCP states, then every descriptor (sockets with their endpoints).

use super::table::{draw, draw_list, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::text::{ago, count, fit, na};
use super::theme;
use crate::app::rows;
use crate::app::{AppState, View};
use crate::format;
use crate::safe_text::line;
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use std::time::Duration;

/// The summary's descriptors by kind, with their change over the watch.
const KIND_COLUMNS: [Column; 3] = [
    Column::new("KIND", Fit::Text { min: 6, max: 24 }, KEEP_ALWAYS),
    Column::new("COUNT", Fit::Number, KEEP_ALWAYS),
    Column::new("TREND", Fit::Fill { min: 10 }, 1),
];

const FD_COLUMNS: [Column; 3] = [
    Column::new("FD", Fit::Number, KEEP_ALWAYS),
    Column::new("KIND", Fit::Text { min: 6, max: 20 }, 1),
    Column::new("TARGET", Fit::Path { min: 12 }, KEEP_ALWAYS),
];

/// `TCP: ESTABLISHED 3, LISTEN 1`, or why not known.
fn tcp_summary(sample: &crate::sample::Sample) -> String {
    sample.fds.tcp.as_ref().map_or_else(
        || na(sample, "fds.tcp"),
        |t| {
            let states: Vec<String> = t.by_state.iter().map(|(s, n)| format!("{s} {n}")).collect();
            if states.is_empty() {
                "no TCP sockets".to_string()
            } else {
                format!("TCP: {}", states.join(", "))
            }
        },
    )
}

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    let fds = &sample.fds;
    let kinds = fds.by_kind.len().max(1) as u16;
    let summary_height = (kinds + 4).min(area.height / 2).max(5);
    let [summary, list] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(3)]).areas(area);

    let open = fds
        .open
        .map_or_else(|| na(sample, "fds.open"), |o| o.to_string());
    let limit = format::limit(fds.soft_limit, "unlimited");
    let census = fds.census_taken_at_ms.map_or_else(
        || na(sample, "fds.items"),
        |at| format!("census {}", ago(state.now_ms, at)),
    );
    let tcp = tcp_summary(sample);
    let title = format!(
        " fds {open} of {limit} (RLIMIT_NOFILE) · highest {} · {census} ",
        fds.highest_fd
            .map_or_else(|| na(sample, "fds.highest_fd"), |h| h.to_string())
    );
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(summary);
    frame.render_widget(block, summary);

    // Trend per kind: first and last point of the trail that had a census.
    let first = state.trail.points().find(|p| !p.fd_kinds.is_empty());
    let span = first
        .map(|f| sample.taken_at_ms.saturating_sub(f.at_ms))
        .unwrap_or(0);
    let rows: Vec<Cells> = fds
        .by_kind
        .iter()
        .map(|(kind, count)| {
            let trend = match first {
                Some(f) if span >= 1000 => {
                    let was = f.fd_kinds.get(kind).copied().unwrap_or(0);
                    let delta = *count as i64 - was as i64;
                    let arrow = match delta.signum() {
                        1 => "▲",
                        -1 => "▼",
                        _ => "=",
                    };
                    format!(
                        "{arrow} {delta:+} in {}",
                        format::duration(Duration::from_millis(span))
                    )
                }
                _ => "= (one reading so far)".to_string(),
            };
            Cells::plain(vec![line(kind).into_owned(), count.to_string(), trend])
        })
        .collect();
    let [kinds_area, tcp_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let kinds = (rows.len(), 0, false);
    draw_list(frame, kinds_area, &KIND_COLUMNS, kinds, |i| rows[i].clone());
    frame.render_widget(
        Paragraph::new(fit(&format!(" {tcp}"), usize::from(tcp_area.width))),
        tcp_area,
    );

    descriptors(state, sample, frame, list);
}

/// Every descriptor, sockets with their TCP endpoints.
fn descriptors(state: &AppState, sample: &Sample, frame: &mut Frame, list: Rect) {
    let table = &state.ui.tables[View::Fds.index()];
    let props = Props {
        title: format!(
            "descriptors {}",
            count(sample.fd_census_count(table.order.len()))
        ),
        note: String::new(),
        columns: &FD_COLUMNS,
        sorts: View::Fds.sorts(),
        empty: "no descriptor matches",
    };
    draw(frame, list, &props, table, |i| {
        let r = rows::fd_at(state, i)?;
        let target = match &r.tcp {
            Some(tcp) => format!("{} {}", line(&r.target), line(tcp)),
            None => line(&r.target).into_owned(),
        };
        Some(Cells::plain(vec![
            r.fd.to_string(),
            line(&r.kind).into_owned(),
            target,
        ]))
    });
}
