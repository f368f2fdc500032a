//! The Stacks view: the sampling cost, the scope (thread filter, zoom, search share), the
//! selected frame, and the flame graph as an icicle (root on top, one row per depth, widths
//! proportional to samples). Also the stack lines of the thread drill-down.
//!
//! Colour is a hash of the frame's name (flamegraph.pl's warm palette) and carries no meaning:
//! the selection is reverse video and marked `▶`, search matches are bold and marked `*`.

use super::text::{ago, fit};
use super::theme;
use crate::app::flame::Cell;
use crate::app::stacks::{StacksUi, SAMPLE_HZ};
use crate::app::{AppState, View};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use std::time::Duration;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let ui = &state.stacks;
    let search = &state.ui.tables[View::Stacks.index()].filter;
    let title = format!(
        " stacks · {} samples · thread {} ",
        ui.tree.total(),
        ui.thread.as_deref().unwrap_or("all")
    );
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [cost_area, scope_area, selected_area, graph_area, keys_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let width = usize::from(inner.width);
    let line = |text: String| Paragraph::new(fit(&text, width));
    frame.render_widget(line(cost_line(state)), cost_area);
    frame.render_widget(
        line(format!(" {}", keys_line())).style(theme::dim()),
        keys_area,
    );
    if state.replay().is_some() {
        frame.render_widget(
            Paragraph::new(" stacks need a live process: a bundle holds no stacks"),
            graph_area,
        );
        return;
    }
    if let Some(error) = &ui.error {
        frame.render_widget(
            Paragraph::new(format!(" cannot sample stacks: {error}"))
                .style(theme::notice())
                .wrap(Wrap { trim: false }),
            graph_area,
        );
        return;
    }
    if ui.tree.total() == 0 {
        frame.render_widget(
            Paragraph::new(" waiting for the first capture…"),
            graph_area,
        );
        return;
    }
    frame.render_widget(line(scope_line(ui, search)), scope_area);
    let selected = ui.selected_node();
    let node = &ui.tree.nodes[selected];
    let parent_total = node
        .parent
        .map_or(node.total, |p| ui.tree.nodes[p].total)
        .max(1);
    frame.render_widget(
        line(format!(
            " ▶ {} · {} samples · {:.1}% of all · {:.1}% of its caller",
            node.name,
            node.total,
            node.total as f64 * 100.0 / ui.tree.total().max(1) as f64,
            node.total as f64 * 100.0 / parent_total as f64
        ))
        .style(theme::title()),
        selected_area,
    );
    draw_graph(ui, search, selected, frame.buffer_mut(), graph_area);
}

fn keys_line() -> &'static str {
    "Enter:zoom Esc:out ←→/hl:frame ↑↓/kj:depth /:search f:thread e:export D:dump"
}

fn micros(d: Duration) -> String {
    let us = d.as_micros();
    if us >= 10_000 {
        format!("{:.1}ms", us as f64 / 1000.0)
    } else {
        format!("{us}µs")
    }
}

/// The sampling cost line: what watching costs the target.
fn cost_line(state: &AppState) -> String {
    let cost = &state.stacks.cost;
    if cost.captures == 0 {
        return format!(
            " sampling {SAMPLE_HZ} Hz while this view is open (threads idle since the last \
             capture are not stopped)"
        );
    }
    let per = |n: u64| n as f64 / cost.captures as f64;
    let stops = cost
        .percentiles()
        .map_or_else(String::new, |(median, p99)| {
            format!(" · stop median {} p99 {}", micros(median), micros(p99))
        });
    format!(
        " cost: {} captures at {} · {:.1} threads stopped/capture{stops} · {:.1} idle reused/capture",
        cost.captures,
        rate(cost),
        per(cost.threads_stopped),
        per(cost.threads_reused)
    )
}

/// The rate the sampler keeps, and why when it is below `SAMPLE_HZ`.
fn rate(cost: &crate::app::stacks::Cost) -> String {
    let Some(interval) = cost.interval else {
        return format!("{SAMPLE_HZ} Hz");
    };
    let hz = 1.0 / interval.as_secs_f64().max(1e-9);
    if hz >= f64::from(SAMPLE_HZ) - 0.01 {
        return format!("{SAMPLE_HZ} Hz");
    }
    let took = cost.round.map_or_else(String::new, |r| {
        format!(", a capture takes {:.1} s", r.as_secs_f64())
    });
    format!("{hz:.2} Hz (lowered from {SAMPLE_HZ} Hz to keep stops within budget{took})")
}

fn scope_line(ui: &StacksUi, search: &str) -> String {
    let top = ui.top();
    let mut zoom = vec!["all".to_string()];
    zoom.extend(ui.tree.path(top));
    let mut text = format!(" zoom: {}", zoom.join(" › "));
    if let Some(share) = ui.matched_share(search) {
        text = format!(" search \"{search}\": {share:.1}% of samples (* marks)  ·{text}");
    }
    text
}

/// flamegraph.pl's warm colours from a hash of the name (FNV-1a), so a frame keeps its colour.
fn colour(name: &str) -> Color {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    let v = (hash % 1000) as f64 / 1000.0;
    let w = ((hash / 1000) % 1000) as f64 / 1000.0;
    Color::Rgb(
        205 + (50.0 * w) as u8,
        (230.0 * v) as u8,
        (55.0 * (1.0 - w)) as u8,
    )
}

fn draw_graph(ui: &StacksUi, search: &str, selected: usize, buf: &mut Buffer, area: Rect) {
    let top = ui.top();
    let rows = ui.tree.layout(top, area.width);
    let height = usize::from(area.height);
    let selected_depth = ui.tree.depth_below(top, selected).unwrap_or(0);
    // Scroll so the selected row is visible.
    let first = (selected_depth + 1).saturating_sub(height);
    for (line, row) in rows.iter().skip(first).take(height).enumerate() {
        let y = area.y + line as u16;
        for cell in row {
            draw_cell(ui, search, selected, cell, buf, area.x, y);
        }
    }
}

fn draw_cell(
    ui: &StacksUi,
    search: &str,
    selected: usize,
    cell: &Cell,
    buf: &mut Buffer,
    x0: u16,
    y: u16,
) {
    let name = &ui.tree.nodes[cell.node].name;
    let matched = StacksUi::matches(name, search);
    let is_selected = cell.node == selected;
    let mark = match (is_selected, matched) {
        (true, true) => "▶*",
        (true, false) => "▶",
        (false, true) => "*",
        (false, false) => "",
    };
    // The last column stays blank: frames stay apart without colour.
    let text_width = usize::from(cell.width.saturating_sub(1));
    let label = fit(&format!("{mark}{name}"), text_width);
    let mut style = Style::new().fg(Color::Black).bg(colour(name));
    if matched {
        style = style
            .bg(Color::Magenta)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    }
    if is_selected {
        style = style.add_modifier(Modifier::REVERSED);
    }
    let padded = format!("{label:<text_width$}");
    buf.set_stringn(x0 + cell.x, y, &padded, text_width, style);
}

/// The drill-down's stack lines for `tid`: innermost first, `function  module  file:line`.
pub fn thread_stack_lines(state: &AppState, tid: i32, width: usize) -> Vec<Line<'static>> {
    let ui = &state.stacks;
    let Some((stack, at_ms)) = ui.last.get(&tid) else {
        let why = match (&ui.error, ui.pending_once) {
            (Some(error), _) => format!(" no stack: {error}"),
            (None, Some(_)) => " capturing this thread's stack…".to_string(),
            (None, None) => " no stack captured yet".to_string(),
        };
        return vec![Line::from(Span::styled(why, theme::dim()))];
    };
    let mut lines = vec![Line::from(Span::styled(
        format!(
            " stack, captured {}{}",
            ago(state.now_ms, *at_ms),
            if stack.truncated { " (truncated)" } else { "" }
        ),
        theme::title(),
    ))];
    for frame in &stack.frames {
        let function = frame.function.as_deref().unwrap_or("??");
        let module = frame
            .module
            .as_deref()
            .map(|m| m.rsplit('/').next().unwrap_or(m))
            .unwrap_or("?");
        let place = match (&frame.file, frame.line) {
            (Some(file), Some(line)) => {
                format!(" {}:{line}", file.rsplit('/').next().unwrap_or(file))
            }
            (Some(file), None) => format!(" {file}"),
            _ => String::new(),
        };
        let inlined = if frame.inlined { " (inlined)" } else { "" };
        lines.push(Line::from(fit(
            &format!("  {function}{inlined}  {module}{place}"),
            width,
        )));
    }
    if stack.frames.is_empty() {
        lines.push(Line::from("  (no frames)"));
    }
    lines
}
