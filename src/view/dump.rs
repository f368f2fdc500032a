//! The dump key's overlays: the confirmation dialog (exactly what `y` sends, or why nothing
//! will be sent) and the result panel (Go goroutines grouped with counts and top frames, JVM
//! threads with their kernel tid and state). Everything the target's runtime wrote is shown
//! escaped (`safe_text`).

use super::text::fit;
use super::theme;
use crate::app::dump::{Dialog, Plan};
use crate::app::AppState;
use crate::runtimes::{Detail, Dump};
use crate::safe_text::line;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};
use ratatui::Frame;

fn popup(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The dialog, if it is up.
pub fn render_dialog(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(dialog) = &state.dump.dialog else {
        return;
    };
    let (title, lines): (String, Vec<Line>) = match dialog {
        Dialog::Planning => (
            " dump · reading /proc ".into(),
            vec![Line::from(
                "checking the runtime and its signals; nothing sent yet",
            )],
        ),
        Dialog::Failed(reason) => (
            " dump · cannot ask ".into(),
            vec![
                Line::from(line(reason).into_owned()),
                Line::from(""),
                Line::from(Span::styled("n/Esc: close", theme::title())),
            ],
        ),
        Dialog::Ask(plan) => (
            format!(" dump pid {} · {} ", state.pid, plan.runtime.as_str()),
            plan_lines(plan, true),
        ),
        Dialog::Running(plan) => (
            format!(" dump pid {} · running ", state.pid),
            plan_lines(plan, false),
        ),
    };
    let rect = popup(area, 76, 12);
    let block = Block::bordered()
        .padding(Padding::horizontal(1))
        .title(Span::styled(title, theme::title()));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn plan_lines(plan: &Plan, asking: bool) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &plan.refusal {
        Some(reason) => {
            lines.push(Line::from(Span::styled(
                "✗ REFUSED: nothing will be sent",
                theme::banner(),
            )));
            lines.push(Line::from(line(reason).into_owned()));
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "n/Esc: close (the TUI cannot force this)",
                theme::title(),
            )));
        }
        None => {
            lines.push(Line::from(if asking {
                "y will do exactly this, and nothing before:"
            } else {
                "asked; waiting for the answer:"
            }));
            for step in &plan.steps {
                lines.push(Line::from(format!("→ {}", line(step))));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                if asking {
                    "y: send   n/Esc: cancel"
                } else {
                    "Esc: hide (the result still shows when it comes)"
                },
                theme::title(),
            )));
        }
    }
    lines
}

/// The result panel, if it is up.
pub fn render_panel(state: &AppState, frame: &mut Frame, area: Rect) {
    if !state.dump.panel || state.dump.dialog.is_some() {
        return;
    }
    let Some(result) = &state.dump.result else {
        return;
    };
    let rect = Rect {
        x: area.x + 2,
        y: area.y + 2,
        width: area.width.saturating_sub(4),
        height: area.height.saturating_sub(3),
    };
    let width = usize::from(rect.width.saturating_sub(2));
    let (title, lines) = match result {
        Err(reason) => (
            " dump failed · Esc closes ".to_string(),
            vec![Line::from(fit(&format!(" {}", line(reason)), width))],
        ),
        Ok(dump) => dump_lines(dump, width),
    };
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// The goroutine groups, most goroutines first: count, state (debug=2 only), top frames.
fn goroutine_lines(
    goroutines: &crate::runtimes::go::Goroutines,
    width: usize,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut groups: Vec<_> = goroutines.groups.iter().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.count));
    // debug=1 groups carry no state: no empty column then.
    let states = groups.iter().any(|g| g.state.is_some());
    let state_of = |state: Option<&str>| {
        if states {
            format!("{:<14} ", state.unwrap_or("-"))
        } else {
            String::new()
        }
    };
    lines.push(Line::from(Span::styled(
        format!(
            " {:>6}  {}top frames (innermost first)",
            "COUNT",
            state_of(Some("STATE"))
        ),
        theme::header_row(),
    )));
    for group in groups {
        let frames: Vec<&str> = group
            .frames
            .iter()
            .take(3)
            .map(|f| f.function.as_str())
            .collect();
        lines.push(Line::from(fit(
            &line(&format!(
                " {:>6}  {}{}",
                group.count,
                state_of(group.state.as_deref()),
                frames.join(" ← ")
            )),
            width,
        )));
    }
    lines
}

fn dump_lines(dump: &Dump, width: usize) -> (String, Vec<Line<'static>>) {
    let mut lines = Vec::new();
    let title = match (&dump.detail, dump.total) {
        (Detail::Go(_), Some(total)) => format!(" goroutines: {total} total · Esc closes "),
        (Detail::Jvm(_), Some(total)) => format!(" JVM threads: {total} · Esc closes "),
        _ => format!(" dump of pid {} · Esc closes ", dump.pid),
    };
    match &dump.detail {
        Detail::Go(goroutines) => lines.extend(goroutine_lines(goroutines, width)),
        Detail::Jvm(threads) => {
            lines.push(Line::from(Span::styled(
                format!(
                    " {:>7}  {:<28} {:<14} top frame",
                    "TID", "JAVA THREAD", "STATE"
                ),
                theme::header_row(),
            )));
            for thread in &threads.threads {
                lines.push(Line::from(fit(
                    &format!(
                        " {:>7}  {:<28} {:<14} {}",
                        thread
                            .tid
                            .map_or_else(|| "-".to_string(), |t| t.to_string()),
                        fit(&line(&thread.name), 28),
                        line(thread.state.as_deref().unwrap_or("-")),
                        line(thread.frames.first().map_or("", |f| f.method.as_str()))
                    ),
                    width,
                )));
            }
        }
        Detail::Captured(_) => {
            for text in dump.text.lines() {
                let text = text.replace('\t', "    ");
                lines.push(Line::from(fit(&format!(" {}", line(&text)), width)));
            }
        }
    }
    for note in &dump.notes {
        lines.push(Line::from(Span::styled(
            fit(&format!(" note: {}", line(note)), width),
            theme::dim(),
        )));
    }
    (title, lines)
}
