//! The picker: every process of the host ranked by how close it is to a limit (the worst
//! resource of the one headroom model, used/limit and %), one row per process, with the
//! per-resource percentages to sort by. Only the rows on screen are built.

use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::text::{ago, fit};
use super::theme;
use crate::app::picker::{ratio, PickerUi, SCAN_SHARE, SORTS};
use crate::app::AppState;
use crate::format;
use crate::headroom::ResourceKind;
use crate::safe_text::line;
use crate::scan::{Ranked, ResourceUse};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const COLUMNS: [Column; 10] = [
    Column::new("PID", Fit::Number, KEEP_ALWAYS),
    Column::new("NAME", Fit::Text { min: 10, max: 16 }, KEEP_ALWAYS),
    Column::new("WORST", Fit::Text { min: 7, max: 7 }, 8),
    Column::new("%", Fit::Number, 9),
    Column::new("USED/LIMIT", Fit::Number, 6),
    Column::new("USER", Fit::Text { min: 8, max: 12 }, 7),
    Column::new("FD%", Fit::Number, 5),
    Column::new("THR%", Fit::Number, 4),
    Column::new("MEM%", Fit::Number, 4),
    Column::new("LIMIT", Fit::Fill { min: 8 }, 2),
];

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let picker = &state.picker;
    let scanned = picker.taken_at_ms.map_or_else(
        || "scanning the host…".to_string(),
        |at| format!("scanned {}", ago(state.now_ms, at)),
    );
    // Slow passes are spaced wider (see the shell's scanner): say how often it really is.
    let every = state.interval.max(picker.took * SCAN_SHARE);
    let pace = if every > state.interval {
        format!(
            "every {} (a pass takes {})",
            format::duration(every),
            format::duration_secs(picker.took.as_secs_f64())
        )
    } else {
        format!("every {}", humantime::format_duration(state.interval))
    };
    let head = format!(
        "pick a process · {} processes · {scanned} · {pace}",
        picker.rows.len()
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" healthtop ", theme::title()),
            Span::raw(fit(&head, usize::from(area.width.saturating_sub(11)))),
        ])),
        header,
    );
    let title = match &picker.only {
        Some((pids, named)) => format!("{} processes {}", pids.len(), line(named)),
        None => format!("processes {}", picker.table.order.len()),
    };
    let empty = match (&picker.error, picker.taken_at_ms) {
        (Some(error), _) => format!("the scan failed: {}", line(error)),
        (None, None) => "scanning the host…".to_string(),
        (None, Some(_)) => "no process matches".to_string(),
    };
    let props = Props {
        title,
        note: "nearest a limit first".into(),
        columns: &COLUMNS,
        sorts: SORTS,
        empty: &empty,
    };
    draw(frame, body, &props, &picker.table, |i| {
        picker.row_at(i).map(cells)
    });
    render_footer(state, picker, frame, footer);
}

fn cells(row: &Ranked) -> Cells {
    let percent = |kind| match ratio(row, kind) {
        r if r < 0.0 => "n/a".to_string(),
        r => format!("{:.0}%", r * 100.0),
    };
    let worst = row.worst.as_ref();
    let (resource, used, limit) = match worst {
        Some(w) => (
            w.resource.label().to_string(),
            used_of(w),
            w.limit_name.clone().unwrap_or_default(),
        ),
        None => (
            "n/a".to_string(),
            String::new(),
            row.error.clone().unwrap_or_default(),
        ),
    };
    Cells::plain(vec![
        row.pid.to_string(),
        line(row.comm.as_deref().unwrap_or("?")).into_owned(),
        resource,
        percent(None),
        used,
        line(row.user.as_deref().unwrap_or("?")).into_owned(),
        percent(Some(ResourceKind::Fds)),
        percent(Some(ResourceKind::Threads)),
        percent(Some(ResourceKind::Memory)),
        line(&limit).into_owned(),
    ])
}

/// `90/100`, or in bytes for memory.
fn used_of(usage: &ResourceUse) -> String {
    let amount = |v: f64| {
        if usage.resource.is_bytes() {
            format::bytes(v.max(0.0) as u64)
        } else {
            format!("{:.0}", v.max(0.0))
        }
    };
    match (usage.used, usage.limit) {
        (Some(used), Some(limit)) => format!("{}/{}", amount(used), amount(limit)),
        (Some(used), None) => amount(used),
        _ => "n/a".to_string(),
    }
}

fn render_footer(state: &AppState, picker: &PickerUi, frame: &mut Frame, area: Rect) {
    let width = usize::from(area.width);
    if picker.editing_filter {
        let text = format!(
            " filter by name or user, #PID: {}▏  (Enter keeps, Esc clears)",
            line(&picker.table.filter)
        );
        frame.render_widget(
            Paragraph::new(fit(&text, width)).style(theme::notice()),
            area,
        );
        return;
    }
    if let Some(message) = &state.message {
        let text = fit(&format!(" {}", line(message)), width);
        frame.render_widget(Paragraph::new(text).style(theme::notice()), area);
        return;
    }
    let sort = SORTS.get(picker.table.sort).copied().unwrap_or_default();
    let text = format!(
        " Enter:watch  /:filter  s:sort({sort})  Esc:clear  ?:help q:quit  p:{}",
        if state.paused { "resume" } else { "pause" }
    );
    frame.render_widget(Paragraph::new(fit(&text, width)).style(theme::dim()), area);
}
