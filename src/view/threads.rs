//! Threads: the sortable per-thread table, the same folded by name prefix, and the drill-down
//! into one thread (details, signal mask, CPU history).

use super::text::{ago, fit, na, window_start};
use super::theme;
use crate::app::rows::{self, ThreadRow};
use crate::app::{AppState, View};
use crate::decode::wchan::classify;
use crate::safe_text::line;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    if let Some(tid) = state.ui.thread_detail {
        render_detail(state, tid, frame, area);
        return;
    }
    let table = &state.ui.tables[View::Threads.index()];
    let census = sample.threads.census_taken_at_ms.map_or_else(
        || na(sample, "threads.items"),
        |at| format!("census {}", ago(state.now_ms, at)),
    );
    let sort = View::Threads.sorts().get(table.sort).copied().unwrap_or("");
    let title = format!(
        " threads {} · {census} · sort {sort}{} ",
        sample.threads.count,
        if state.ui.group_threads {
            " · grouped by name"
        } else {
            ""
        }
    );
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let body_rows = usize::from(inner.height.saturating_sub(1));
    let start = window_start(table.selected, body_rows);
    if state.ui.group_threads {
        let groups = rows::thread_groups(state);
        let rows = groups
            .iter()
            .enumerate()
            .skip(start)
            .take(body_rows)
            .map(|(i, g)| {
                let states = g
                    .states
                    .iter()
                    .map(|(s, n)| format!("{s}:{n}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let row = Row::new(vec![
                    line(&g.prefix).into_owned(),
                    g.count.to_string(),
                    format!("{:.1}", g.cpu_percent),
                    states,
                ]);
                if i == table.selected {
                    row.style(theme::selected())
                } else {
                    row
                }
            });
        let widths = [
            Constraint::Length(20),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Min(10),
        ];
        let header =
            Row::new(vec!["NAME PREFIX", "THREADS", "CPU%", "STATES"]).style(theme::header_row());
        frame.render_widget(Table::new(rows, widths).header(header), inner);
        return;
    }
    let list = rows::threads(state);
    let rows = list
        .iter()
        .enumerate()
        .skip(start)
        .take(body_rows)
        .map(|(i, t)| {
            let row = thread_row(
                t,
                crate::app::dump::java_thread(state, t.tid),
                sample.unavailable_reason("threads.items[].wchan"),
            );
            if i == table.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let wide = inner.width >= 120;
    let widths = [
        Constraint::Length(7),
        Constraint::Length(NAME_WIDTH as u16),
        Constraint::Length(1),
        Constraint::Length(6),
        Constraint::Length(if wide { 18 } else { 12 }),
        Constraint::Min(10),
        Constraint::Length(9),
        Constraint::Length(8),
    ];
    let header = Row::new(vec![
        "TID", "NAME", "S", "CPU%", "SYSCALL", "WCHAN", "VOLCSW", "INVCSW",
    ])
    .style(theme::header_row());
    frame.render_widget(Table::new(rows, widths).header(header), inner);
}

fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| v.to_string())
}

/// Width of the NAME column: a longer name (a JVM's) is cut with `…`, never spilled over.
const NAME_WIDTH: usize = 16;

/// A row; with a JVM dump, the NAME cell shows the Java thread's name (cut to the column) and
/// the WCHAN cell its Java state. `wchan_hidden` is why wchan could not be read, if so.
fn thread_row(
    t: &ThreadRow,
    java: Option<&crate::runtimes::jvm::JvmThread>,
    wchan_hidden: Option<&str>,
) -> Row<'static> {
    let wchan = match (&t.wchan, wchan_hidden) {
        (Some(w), _) => line(w).into_owned(),
        (None, Some(_)) => "n/a".to_string(),
        (None, None) => "-".to_string(),
    };
    let (name, wchan) = match java {
        Some(j) => (
            fit(&line(&j.name), NAME_WIDTH),
            format!("{wchan} · java {}", line(j.state.as_deref().unwrap_or("-"))),
        ),
        None => (fit(&line(&t.name), NAME_WIDTH), wchan),
    };
    Row::new(vec![
        t.tid.to_string(),
        name,
        line(&t.state).into_owned(),
        t.cpu_percent
            .map_or_else(|| "-".to_string(), |c| format!("{c:.1}")),
        line(t.syscall.as_deref().unwrap_or("n/a")).into_owned(),
        wchan,
        opt(t.voluntary),
        opt(t.nonvoluntary),
    ])
}

fn render_detail(state: &AppState, tid: i32, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        return;
    };
    let block = Block::bordered().title(Span::styled(
        format!(" thread {tid} · Esc to go back "),
        theme::title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(thread) = sample.threads.items.iter().find(|t| t.tid == tid) else {
        frame.render_widget(
            Paragraph::new(format!(" thread {tid} is gone (not in the latest census)")),
            inner,
        );
        return;
    };
    let history = state.thread_cpu.history(tid);
    // The thread's last captured stack: beside the details when there is room, else below.
    let (inner, stack_area) = if inner.width >= 120 {
        let [left, right] =
            Layout::horizontal([Constraint::Length(72), Constraint::Min(20)]).areas(inner);
        (left, right)
    } else {
        let [top, bottom] =
            Layout::vertical([Constraint::Length(15), Constraint::Min(0)]).areas(inner);
        (top, bottom)
    };
    frame.render_widget(
        Paragraph::new(super::stacks::thread_stack_lines(
            state,
            tid,
            usize::from(stack_area.width),
        )),
        stack_area,
    );
    let [text_area, spark_title, spark_area, _] = Layout::vertical([
        Constraint::Length(10),
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Min(0),
    ])
    .areas(inner);
    let width = usize::from(inner.width).saturating_sub(16);
    let list = |names: &[String]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            fit(&names.join(" "), width)
        }
    };
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {name:<14}"), theme::title()),
            Span::raw(line(&value).into_owned()),
        ])
    };
    let wchan = match &thread.wchan {
        Some(w) => format!("{w} ({:?})", classify(w)).to_lowercase(),
        None => "- (running, or not permitted)".to_string(),
    };
    let syscall = match (&thread.syscall, thread.syscall_nr) {
        (Some(s), Some(nr)) => format!("{s} (nr {nr})"),
        (Some(s), None) => s.clone(),
        (None, _) => na(sample, "threads.items.syscall"),
    };
    let cpu_now = state.thread_cpu.percent(tid).map_or_else(
        || "- (needs two censuses)".to_string(),
        |c| format!("{c:.1}%"),
    );
    let hz = sample.system.clock_ticks_per_sec.max(1);
    let lines = vec![
        field("name", thread.name.clone()),
        field("state", thread.state.clone()),
        field(
            "CPU",
            format!(
                "{cpu_now} now · {:.2}s total",
                thread.cpu_ticks as f64 / hz as f64
            ),
        ),
        field("syscall", syscall),
        field("wchan", wchan),
        field(
            "ctx switches",
            format!(
                "{} voluntary · {} involuntary",
                opt(thread.voluntary_ctxt_switches),
                opt(thread.nonvoluntary_ctxt_switches)
            ),
        ),
        field("started", format!("{} ticks after boot", thread.start_time)),
        field("blocked sigs", list(&thread.blocked_signals)),
        field("pending sigs", list(&thread.pending_signals)),
    ];
    frame.render_widget(Paragraph::new(lines), text_area);
    let peak = history.iter().copied().fold(0.0_f64, f64::max);
    frame.render_widget(
        Paragraph::new(format!(
            " CPU% per census, {} readings, peak {peak:.1}% (chart top = max(peak, 1%))",
            history.len()
        ))
        .style(theme::title()),
        spark_title,
    );
    // Tenths of a percent; the chart's top is the peak (at least 1 %), so a mostly idle
    // thread's small bursts still show.
    let data: Vec<u64> = history.iter().map(|c| (c * 10.0).round() as u64).collect();
    let shown = &data[data.len().saturating_sub(usize::from(spark_area.width))..];
    frame.render_widget(
        Sparkline::default()
            .data(shown)
            .max(10.max(data.iter().copied().max().unwrap_or(0))),
        spark_area,
    );
}
