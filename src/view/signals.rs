//! Signals & security: seccomp, NoNewPrivs, capabilities, tracer, core-dump readiness, then
//! every signal × blocked / ignored / caught / pending, with threads that differ.

use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::text::{fit, na};
use super::theme;
use crate::app::rows;
use crate::app::{AppState, View};
use crate::format;
use crate::safe_text::line;
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

/// Whether a crash would leave a core, in one sentence.
fn core_verdict(sample: &Sample) -> String {
    let core = &sample.core;
    let piped = core.piped.unwrap_or(false);
    if sample.identity.dumpable == Some(false) {
        return "NO core: the process is not dumpable".to_string();
    }
    if core.rlimit_bytes == Some(0) && !piped {
        return "NO core: RLIMIT_CORE is 0".to_string();
    }
    let limit = format::limit(core.rlimit_bytes.map(|b| b / 1024), "unlimited");
    match (&core.pattern, piped) {
        (Some(p), true) => format!("piped to a helper: {} (RLIMIT_CORE {limit} KiB)", line(p)),
        (Some(p), false) => format!("written as {} (up to {limit} KiB)", line(p)),
        (None, _) => format!("{} (RLIMIT_CORE {limit} KiB)", na(sample, "core.pattern")),
    }
}

const SIGNAL_COLUMNS: [Column; 7] = [
    Column::new("NR", Fit::Number, KEEP_ALWAYS),
    Column::new("SIGNAL", Fit::Text { min: 7, max: 12 }, KEEP_ALWAYS),
    Column::new("BLOCKED", Fit::Text { min: 7, max: 8 }, 5),
    Column::new("IGNORED", Fit::Text { min: 7, max: 8 }, 3),
    Column::new("CAUGHT", Fit::Text { min: 6, max: 7 }, 2),
    Column::new("PENDING", Fit::Text { min: 7, max: 8 }, 6),
    // Counts (`blocked 25/28`): whole or not at all.
    Column::new("THREADS", Fit::Number, 4),
];

fn signal_cells(r: &rows::SignalRow) -> Cells {
    let mark = |on: bool, word: &str| if on { word } else { "·" }.to_string();
    let mut threads = Vec::new();
    if let Some((n, total)) = r.blocked_in_threads {
        threads.push(format!("blocked {n}/{total}"));
    }
    if r.pending_in_threads > 0 {
        threads.push(format!("pending {}", r.pending_in_threads));
    }
    Cells::plain(vec![
        r.number.to_string(),
        r.name.clone(),
        mark(r.blocked, "blocked"),
        mark(r.ignored, "ignored"),
        mark(r.caught, "caught"),
        mark(r.pending, "PENDING"),
        threads.join(", "),
    ])
}

/// Seccomp, capabilities, core dump, tracer: one line each, cut to `width`.
fn security_lines(sample: &Sample, width: usize) -> Vec<Line<'static>> {
    let label = |name: &str| Span::styled(format!(" {name:<13}"), theme::title());
    let sec = &sample.seccomp;
    let seccomp = match &sec.mode {
        Some(mode) => format!(
            "{mode}{}",
            sec.filters
                .map_or_else(String::new, |n| format!(" ({n} filters)"))
        ),
        None => na(sample, "seccomp.mode"),
    };
    let nnp = sec.no_new_privs.map_or_else(
        || na(sample, "seccomp.no_new_privs"),
        |b| {
            if b {
                "yes".to_string()
            } else {
                "no".to_string()
            }
        },
    );
    let caps = match &sample.capabilities {
        Some(c) if c.is_empty() => "none".to_string(),
        Some(c) => format!("{}: {}", c.len(), c.join(" ")),
        None => na(sample, "capabilities"),
    };
    let tracer = match sample.identity.tracer_pid {
        0 => "none".to_string(),
        pid => format!("pid {pid} is tracing it"),
    };
    vec![
        Line::from(vec![
            label("seccomp"),
            Span::raw(format!("{seccomp} · NoNewPrivs {nnp}")),
        ]),
        Line::from(vec![label("capabilities"), Span::raw(fit(&caps, width))]),
        Line::from(vec![
            label("core dump"),
            Span::raw(fit(&core_verdict(sample), width)),
        ]),
        Line::from(vec![
            label("core filter"),
            Span::raw(format!(
                "{} · dumpable {}",
                sample
                    .core
                    .filter
                    .clone()
                    .unwrap_or_else(|| na(sample, "core.filter")),
                sample.identity.dumpable.map_or_else(
                    || na(sample, "dumpable"),
                    |d| if d { "yes" } else { "no" }.to_string()
                )
            )),
        ]),
        Line::from(vec![label("tracer"), Span::raw(tracer)]),
    ]
}

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    let summary_height = 7.min((area.height / 2).max(4));
    let [summary, list] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(3)]).areas(area);
    let lines = security_lines(sample, usize::from(summary.width).saturating_sub(16));
    let block = Block::bordered().title(Span::styled(" security ", theme::title()));
    let inner = block.inner(summary);
    frame.render_widget(block, summary);
    frame.render_widget(Paragraph::new(lines), inner);

    let table = &state.ui.tables[View::Signals.index()];
    let signal_rows = rows::signals(state);
    let props = Props {
        title: "signals · main thread".to_string(),
        note: "THREADS: threads that differ (of all)".to_string(),
        columns: &SIGNAL_COLUMNS,
        sorts: &[],
        empty: "no signal matches",
    };
    draw(frame, list, &props, table, |i| {
        signal_rows.get(i).map(signal_cells)
    });
}
