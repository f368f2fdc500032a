//! The Stacks view: the mode, thread and roots in the title, the sampling cost, the scope
//! (zoom, search share), the selected frame, the flame graph as an icicle (root on top, one
//! row per depth, widths proportional to CPU time or samples) with the top table beside it,
//! and the thread picker over it. Also the stack lines of the thread drill-down.
//!
//! Colour is a hash of the frame's name (flamegraph.pl's warm palette) and carries no meaning:
//! the selection is reverse video and marked `▶`, search matches are bold and marked `*`,
//! frames too narrow to draw are one grey `+N more` block.

use super::table::{draw_list, Cells, Column, Fit, KEEP_ALWAYS};
use super::text::{ago, fit};
use super::theme;
use crate::app::flame::Cell;
use crate::app::stacks::{top_table_width, Pane, StacksUi, SAMPLE_HZ};
use crate::app::{AppState, View};
use crate::safe_text;
use crate::stacks::folded::{CountUnit, FlameMode};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use std::time::Duration;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let ui = &state.stacks;
    let search = &state.ui.tables[View::Stacks.index()].filter;
    let title = format!(
        " stacks · {} · {} · {}{} ",
        ui.mode.label(),
        amount(ui.folded.unit(), ui.tree.total()),
        safe_text::line(&ui.thread_label()),
        if ui.per_thread { " by pool" } else { " merged" }
    );
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [cost_area, scope_area, selected_area, body_area, keys_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [graph_area, top_area] = Layout::horizontal([
        Constraint::Min(1),
        Constraint::Length(top_table_width(inner.width)),
    ])
    .areas(body_area);
    let width = usize::from(inner.width);
    let line = |text: String| Paragraph::new(fit(&text, width));
    frame.render_widget(line(cost_line(state)), cost_area);
    frame.render_widget(
        line(format!(" {}", keys_line(ui.pane))).style(theme::dim()),
        keys_area,
    );
    if let Some(why) = no_graph(state) {
        frame.render_widget(why, body_area);
        return;
    }
    frame.render_widget(line(scope_line(ui, search)), scope_area);
    draw_top(ui, frame, top_area);
    if ui.tree.total() == 0 {
        frame.render_widget(
            Paragraph::new(empty_reason(ui)).wrap(Wrap { trim: false }),
            graph_area,
        );
    } else {
        let selected = ui.selected_node();
        let node = &ui.tree.nodes[selected];
        let parent_total = node
            .parent
            .map_or(node.total, |p| ui.tree.nodes[p].total)
            .max(1);
        frame.render_widget(
            line(format!(
                " ▶ {} · {} · {:.1}% of all · {:.1}% of its caller",
                node.name,
                amount(ui.folded.unit(), node.total),
                node.total as f64 * 100.0 / ui.tree.total().max(1) as f64,
                node.total as f64 * 100.0 / parent_total as f64
            ))
            .style(theme::title()),
            selected_area,
        );
        draw_graph(ui, search, selected, frame.buffer_mut(), graph_area);
    }
    if let Some(at) = ui.picker {
        draw_picker(ui, at, frame, body_area);
    }
}

/// What the body shows instead of a graph: an error (a bundle's says why it holds no stacks),
/// or that no capture came yet.
fn no_graph(state: &AppState) -> Option<Paragraph<'static>> {
    let ui = &state.stacks;
    if let (Some(error), Some(_)) = (&ui.error, state.replay()) {
        let text = format!(" {}", safe_text::line(error));
        return Some(Paragraph::new(text).wrap(Wrap { trim: false }));
    }
    if let Some(error) = &ui.error {
        let text = format!(" cannot sample stacks: {}", safe_text::line(error));
        return Some(
            Paragraph::new(text)
                .style(theme::notice())
                .wrap(Wrap { trim: false }),
        );
    }
    if ui.recording.is_empty() {
        return Some(Paragraph::new(" waiting for the first capture…"));
    }
    None
}

/// Why the graph is empty although captures came.
fn empty_reason(ui: &StacksUi) -> String {
    if let Some(function) = &ui.function {
        return format!(
            " no {} samples through {function} (Esc: back to all)",
            ui.mode.as_str()
        );
    }
    match ui.mode {
        FlameMode::Cpu => format!(
            " no thread used CPU in {} captures: the process is idle. m shows the wall-clock \
             graph: where every thread waits.",
            ui.recording.captures()
        ),
        FlameMode::Wall => " no thread had a stack to count".to_string(),
    }
}

/// `120 samples`, or CPU time as `850 µs CPU`, `12.3 ms CPU`, `1.23 s CPU`.
fn amount(unit: CountUnit, count: u64) -> String {
    match unit {
        CountUnit::Samples => format!("{count} samples"),
        CountUnit::CpuMicros => format!("{} CPU", cpu_time(count)),
    }
}

fn cpu_time(micros: u64) -> String {
    if micros < 1000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", micros as f64 / 1000.0)
    } else {
        format!("{:.2} s", micros as f64 / 1_000_000.0)
    }
}

fn keys_line(pane: Pane) -> &'static str {
    match pane {
        Pane::Graph => {
            "Enter:zoom Esc:out m:cpu/wall t:pools f:thread o:top s:sort /:find e:export"
        }
        Pane::Top => "↑↓:function Enter:zoom to it Esc/o:graph s:sort m:cpu/wall f:thread",
    }
}

/// The top table: functions by self and total share of what the graph shows.
fn draw_top(ui: &StacksUi, frame: &mut Frame, area: Rect) {
    let focused = ui.pane == Pane::Top;
    let title = if focused {
        format!(" ▶ top by {} ", ui.top_sort.label())
    } else {
        format!(" top by {} · o ", ui.top_sort.label())
    };
    let block = Block::new()
        .borders(Borders::LEFT)
        .title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let total = ui.folded.total().max(1) as f64;
    // Right-aligned to the header's width, so the decimal points line up.
    let share = |count: u64, width: usize| format!("{:>width$.1}", count as f64 * 100.0 / total);
    let rows = (ui.top.len(), ui.top_selected, focused);
    draw_list(frame, inner, &TOP_COLUMNS, rows, |index| {
        let function = &ui.top[index];
        let cursor = focused && index == ui.top_selected;
        let zoomed = ui.function.as_deref() == Some(function.name.as_str());
        // Marked by a character too: colour carries nothing.
        let mark = match (cursor, zoomed) {
            (true, _) => "▶",
            (false, true) => "»",
            (false, false) => " ",
        };
        let cells = vec![
            mark.to_string(),
            share(function.self_count, "SELF%".len()),
            share(function.total, "TOTAL%".len()),
            function.name.clone(),
        ];
        let style = if zoomed { theme::title() } else { Style::new() };
        Cells { cells, style }
    });
}

/// The top table's columns: the cursor mark, self and total share in %, the function.
const TOP_COLUMNS: [Column; 4] = [
    Column::new(" ", Fit::Number, KEEP_ALWAYS),
    Column::new("SELF%", Fit::Number, KEEP_ALWAYS),
    Column::new("TOTAL%", Fit::Number, 2),
    Column::new("FUNCTION", Fit::Fill { min: 8 }, KEEP_ALWAYS),
];

/// The thread picker's columns: the first row is "all threads".
const PICKER_COLUMNS: [Column; 4] = [
    Column::new("TID", Fit::Number, KEEP_ALWAYS),
    Column::new("NAME", Fit::Fill { min: 8 }, KEEP_ALWAYS),
    Column::new("CPU", Fit::Number, 2),
    Column::new("SEEN", Fit::Number, 1),
];

/// The thread picker over the graph: every sampled thread, most CPU first.
fn draw_picker(ui: &StacksUi, at: usize, frame: &mut Frame, area: Rect) {
    let choices = ui.thread_choices();
    let width = 72.min(area.width);
    let height = (choices.len() as u16 + 4).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let block = Block::bordered().title(Span::styled(
        " pick a thread · most CPU first · Enter shows it, Esc closes ",
        theme::title(),
    ));
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let rows = (choices.len() + 1, at, true);
    draw_list(frame, inner, &PICKER_COLUMNS, rows, |index| {
        let cells = match index.checked_sub(1).and_then(|i| choices.get(i)) {
            None => vec![
                String::new(),
                format!("all threads ({})", choices.len()),
                String::new(),
                String::new(),
            ],
            Some(c) => vec![
                c.tid.to_string(),
                safe_text::line(&c.name).into_owned(),
                cpu_time(u64::try_from(c.cpu.as_micros()).unwrap_or(u64::MAX)),
                format!("{} samples", c.samples),
            ],
        };
        Cells::plain(cells)
    });
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
    if state.replay().is_some() {
        return format!(
            " the stacks sampled when the bundle was written: {} samples (read-only)",
            state.stacks.folded.total()
        );
    }
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
    let mut zoom = vec![match &ui.function {
        Some(function) => format!("every call of {function}"),
        None => "all".to_string(),
    }];
    let path = ui.tree.path(top);
    // Under a function zoom the tree's first frame is the function itself.
    let skip = usize::from(ui.function.is_some() && !path.is_empty());
    zoom.extend(path.into_iter().skip(skip));
    let mut text = format!(" zoom: {}", zoom.join(" › "));
    if let Some(share) = ui.matched_share(search) {
        text = format!(" search \"{search}\": {share:.1}% of the graph (* marks)  ·{text}");
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
    if cell.is_more() {
        draw_more(cell, buf, x0, y);
        return;
    }
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

/// A `+N more` block: frames too narrow to draw, merged so that they stay visible.
fn draw_more(cell: &Cell, buf: &mut Buffer, x0: u16, y: u16) {
    // A one-column block uses its column; wider ones keep the last blank like frames.
    let text_width = usize::from(if cell.width == 1 { 1 } else { cell.width - 1 });
    let label = [
        format!("+{} more", cell.hidden),
        format!("+{}", cell.hidden),
    ]
    .into_iter()
    .find(|l| l.chars().count() <= text_width)
    .unwrap_or_else(|| "+".to_string());
    let padded = format!("{label:<text_width$}");
    let style = Style::new().fg(Color::White).bg(Color::DarkGray);
    buf.set_stringn(x0 + cell.x, y, &padded, text_width, style);
}

/// The drill-down's stack lines for `tid`: innermost first, `function  module  file:line`.
pub fn thread_stack_lines(state: &AppState, tid: i32, width: usize) -> Vec<Line<'static>> {
    let ui = &state.stacks;
    let Some((stack, at_ms)) = ui.last.get(&tid) else {
        let why = match (&ui.error, ui.pending_once) {
            (Some(error), _) => format!(" no stack: {}", safe_text::line(error)),
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
            &safe_text::line(&format!("  {function}{inlined}  {module}{place}")),
            width,
        )));
    }
    if stack.frames.is_empty() {
        lines.push(Line::from("  (no frames)"));
    }
    lines
}
