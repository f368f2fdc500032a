//! The frame around every view: header (who, how long, how often), tab bar, the banner for
//! an exited or replaced target, and the footer (keys, filter prompt, data age).

use super::text::{ago, clock, fit};
use super::theme;
use crate::app::{AppState, TargetStatus, View};
use crate::safe_text::line;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn too_small(frame: &mut Frame, area: Rect, width: u16, height: u16) {
    let text = format!("terminal too small (need {width}×{height})");
    frame.render_widget(
        Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
        area,
    );
}

pub fn header(state: &AppState, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::styled(" healthtop ", theme::title())];
    match &state.current {
        Some(sample) => {
            let id = &sample.identity;
            spans.push(Span::raw(format!(
                "pid {} {} · {}",
                id.pid,
                line(&id.comm),
                id.runtime.as_str()
            )));
            if let Some(started) = id.started_at_unix {
                let end_ms = match state.status {
                    TargetStatus::Exited { at_ms, .. } | TargetStatus::Replaced { at_ms } => at_ms,
                    _ => sample.taken_at_ms,
                };
                let up = (end_ms as f64 / 1000.0 - started).max(0.0);
                spans.push(Span::raw(format!(
                    " · up {}",
                    crate::format::duration_secs(up)
                )));
            }
        }
        None => spans.push(Span::raw(format!(
            "pid {} · waiting for the first sample",
            state.pid
        ))),
    }
    spans.push(Span::raw(format!(
        " · every {}",
        humantime::format_duration(state.interval)
    )));
    if state.paused {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(" PAUSED ", theme::selected()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The view tabs; when they do not all fit, the others shrink to their number (the key that
/// opens them) and only the current one keeps its name.
pub fn tabs(state: &AppState, frame: &mut Frame, area: Rect) {
    let label = |view: View| format!(" {} {} ", view.index() + 1, view.title());
    let full: usize = View::ALL.iter().map(|&v| label(v).chars().count()).sum();
    let compact = full > usize::from(area.width);
    let mut spans = Vec::new();
    for view in View::ALL {
        if view == state.ui.view {
            spans.push(Span::styled(
                format!("[{}]", label(view).trim()),
                theme::selected(),
            ));
        } else if compact {
            spans.push(Span::raw(format!(" {} ", view.index() + 1)));
        } else {
            spans.push(Span::raw(label(view)));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn banner(state: &AppState, frame: &mut Frame, area: Rect) {
    let (text, style) = match &state.status {
        TargetStatus::Exited { at_ms, how } => (
            format!(
                "■ TARGET EXITED at {} ({how}) · data frozen, browsable",
                clock(*at_ms)
            ),
            theme::banner(),
        ),
        TargetStatus::Replaced { at_ms } => (
            format!(
                "■ PID {} REUSED at {}: another process has it now; showing the old one's last data, frozen",
                state.pid,
                clock(*at_ms)
            ),
            theme::banner(),
        ),
        TargetStatus::Waiting => (
            format!("… waiting for the first sample of pid {}", state.pid),
            theme::notice(),
        ),
        TargetStatus::Live => (
            format!("! {}", state.notice.as_deref().unwrap_or_default()),
            theme::notice(),
        ),
    };
    // The notice may quote an error that names the target's files.
    let text = fit(&line(&text), usize::from(area.width));
    frame.render_widget(Paragraph::new(text).style(style), area);
}

pub fn footer(state: &AppState, frame: &mut Frame, area: Rect) {
    let table = state.ui.table();
    if state.ui.editing_filter {
        let what = if state.ui.view == View::Stacks {
            "search frames"
        } else {
            "filter"
        };
        let line = format!(" {what}: {}▏  (Enter keeps, Esc clears)", table.filter);
        frame.render_widget(Paragraph::new(line).style(theme::notice()), area);
        return;
    }
    // In a bundle the status line starts with where in time the views stand.
    let position = state.replay().map(|replay| {
        let at = state
            .current
            .as_ref()
            .map_or_else(|| "no sample".to_string(), |s| clock(s.taken_at_ms));
        format!(
            "bundle: {}, read-only · sample {}/{}, {at}",
            line(&replay.file),
            (replay.index + 1).min(replay.samples.len()),
            replay.samples.len()
        )
    });
    if let Some(message) = &state.message {
        let text = match &position {
            Some(position) => format!(" {} · {position}", line(message)),
            None => format!(" {}", line(message)),
        };
        let text = fit(&text, usize::from(area.width));
        frame.render_widget(Paragraph::new(text).style(theme::notice()), area);
        return;
    }
    let mut parts = Vec::new();
    if let Some(position) = position {
        parts.push(position);
        parts.push("[ ]:step { }:first/last".to_string());
    }
    parts.push("?:help q:quit".to_string());
    if state.ui.view != View::Overview {
        parts.push("/:filter".to_string());
    }
    if let Some(sort) = state.ui.view.sorts().get(table.sort) {
        parts.push(format!("s:sort({sort})"));
    }
    if state.ui.view == View::Threads {
        parts.push("t:group Enter:open".to_string());
    }
    if state.replay().is_none() {
        parts.push(format!(
            "p:{}",
            if state.paused { "resume" } else { "pause" }
        ));
        parts.push("+/-:interval b:bundle".to_string());
    }
    if !table.filter.is_empty() {
        parts.push(format!("filter \"{}\"", table.filter));
    }
    if let (Some(sample), None) = (&state.current, state.replay()) {
        parts.push(format!("sample {}", ago(state.now_ms, sample.taken_at_ms)));
    }
    let line = fit(&format!(" {}", parts.join("  ")), usize::from(area.width));
    frame.render_widget(Paragraph::new(line).style(theme::dim()), area);
}
