//! Threads: the sortable per-thread table, the same folded by name prefix, and the drill-down
//! into one thread (details, signal mask, CPU history).

use super::pane::{draw_lines, layout, Item};
use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::text::{ago, fit, na};
use super::theme;
use crate::app::rows::{self, ThreadGroup, ThreadRow};
use crate::app::{AppState, View};
use crate::decode::wchan::classify;
use crate::safe_text::line;
use crate::sample::{Sample, ThreadInfo};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Sparkline};
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
    let grouped = if state.ui.group_threads {
        " · grouped by name"
    } else {
        ""
    };
    let props = Props {
        title: format!("threads {}{grouped}", sample.threads.count),
        note: census,
        columns: if state.ui.group_threads {
            &GROUP_COLUMNS
        } else {
            &THREAD_COLUMNS
        },
        sorts: if state.ui.group_threads {
            &[]
        } else {
            View::Threads.sorts()
        },
        empty: "no thread matches",
    };
    if state.ui.group_threads {
        draw(frame, area, &props, table, |i| {
            state.thread_groups.get(i).map(group_cells)
        });
    } else {
        draw(frame, area, &props, table, |i| {
            let t = rows::thread_at(state, i)?;
            Some(thread_cells(
                &t,
                crate::app::dump::java_thread(state, t.tid),
                sample.unavailable_reason("threads.items[].wchan"),
                state.now_ms,
            ))
        });
    }
}

/// Identity first; the switch counters are the first to go when the width runs out.
const THREAD_COLUMNS: [Column; 8] = [
    Column::new("TID", Fit::Number, KEEP_ALWAYS),
    Column::new("NAME", Fit::Text { min: 8, max: 16 }, KEEP_ALWAYS),
    Column::new("S", Fit::Text { min: 1, max: 1 }, 6),
    Column::new("CPU%", Fit::Number, 5),
    Column::new("SYSCALL", Fit::Text { min: 8, max: 24 }, 4),
    Column::new("WCHAN", Fit::Fill { min: 10 }, 3),
    Column::new("VOLCSW", Fit::Number, 2),
    Column::new("INVCSW", Fit::Number, 1),
];

const GROUP_COLUMNS: [Column; 4] = [
    Column::new("NAME PREFIX", Fit::Text { min: 8, max: 24 }, KEEP_ALWAYS),
    Column::new("THREADS", Fit::Number, KEEP_ALWAYS),
    Column::new("CPU%", Fit::Number, 2),
    Column::new("STATES", Fit::Fill { min: 8 }, 1),
];

fn group_cells(g: &ThreadGroup) -> Cells {
    let states = g
        .states
        .iter()
        .map(|(s, n)| format!("{}:{n}", line(s)))
        .collect::<Vec<_>>()
        .join(" ");
    Cells::plain(vec![
        line(&g.prefix).into_owned(),
        g.count.to_string(),
        format!("{:.1}", g.cpu_percent),
        states,
    ])
}

fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| v.to_string())
}

/// A row; with a JVM dump, the NAME cell shows the Java thread's name (the table cuts it to
/// the column) and the WCHAN cell its Java state. `wchan_hidden` is why wchan could not be
/// read, if so. A row whose details were read before the census (it just scrolled into
/// view) says how old its system call is.
fn thread_cells(
    t: &ThreadRow,
    java: Option<&crate::runtimes::jvm::JvmThread>,
    wchan_hidden: Option<&str>,
    now_ms: u64,
) -> Cells {
    let wchan = match (&t.wchan, wchan_hidden) {
        (Some(w), _) => line(w).into_owned(),
        (None, Some(_)) => "n/a".to_string(),
        (None, None) => "-".to_string(),
    };
    let (name, wchan) = match java {
        Some(j) => (
            line(&j.name).into_owned(),
            format!("{wchan} · java {}", line(j.state.as_deref().unwrap_or("-"))),
        ),
        None => (line(&t.name).into_owned(), wchan),
    };
    Cells::plain(vec![
        t.tid.to_string(),
        name,
        line(&t.state).into_owned(),
        t.cpu_percent
            .map_or_else(|| "-".to_string(), |c| format!("{c:.1}")),
        syscall_cell(t, now_ms),
        wchan,
        opt(t.voluntary),
        opt(t.nonvoluntary),
    ])
}

fn syscall_cell(t: &ThreadRow, now_ms: u64) -> String {
    let syscall = line(t.syscall.as_deref().unwrap_or("n/a"));
    match t.detail_at_ms {
        Some(at) => format!("{syscall} · {}", ago(now_ms, at)),
        None => syscall.into_owned(),
    }
}

/// The drill-down: one scrollable pane of details and the last stack (the stack in its own
/// pane beside them on a wide terminal), with the CPU history below when there is room.
fn render_detail(state: &AppState, tid: i32, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        return;
    };
    let title = format!(" thread {tid} · Esc to go back ");
    let Some(thread) = sample.threads.items.iter().find(|t| t.tid == tid) else {
        let gone = vec![Line::from(format!(
            " thread {tid} is gone (not in the latest census)"
        ))];
        draw_lines(frame, area, &title, gone, None);
        return;
    };
    let scroll = state.ui.detail_scroll;
    let (main, spark) = if area.height >= 16 {
        let [main, spark] =
            Layout::vertical([Constraint::Min(8), Constraint::Length(5)]).areas(area);
        (main, Some(spark))
    } else {
        (area, None)
    };
    let width = usize::from(main.width.saturating_sub(2));
    if main.width >= 120 {
        let [left, right] =
            Layout::horizontal([Constraint::Length(72), Constraint::Min(20)]).areas(main);
        let fields = layout(detail_items(state, sample, thread), 70);
        draw_lines(frame, left, &title, fields, None);
        let stack = super::stacks::thread_stack_lines(state, tid, usize::from(right.width));
        draw_lines(frame, right, " stack ", stack, Some(scroll));
    } else {
        let mut lines = layout(detail_items(state, sample, thread), width);
        lines.extend(super::stacks::thread_stack_lines(state, tid, width));
        draw_lines(frame, main, &title, lines, Some(scroll));
    }
    if let Some(spark) = spark {
        cpu_history(state, tid, frame, spark);
    }
}

fn detail_items(state: &AppState, sample: &Sample, thread: &ThreadInfo) -> Vec<Item> {
    let names = |names: &[String]| {
        if names.is_empty() {
            "none".to_string()
        } else {
            line(&names.join(" ")).into_owned()
        }
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
    let cpu_now = state.thread_cpu.percent(thread.tid).map_or_else(
        || "- (needs two censuses)".to_string(),
        |c| format!("{c:.1}%"),
    );
    let hz = sample.system.clock_ticks_per_sec.max(1);
    let cpu = format!(
        "{cpu_now} now · {:.2}s total",
        thread.cpu_ticks as f64 / hz as f64
    );
    let switches = format!(
        "{} voluntary · {} involuntary",
        opt(thread.voluntary_ctxt_switches),
        opt(thread.nonvoluntary_ctxt_switches)
    );
    let mut items = vec![
        Item::field("name", line(&thread.name)),
        Item::field("state", line(&thread.state)),
        Item::field("CPU", cpu),
    ];
    // The fields below come from status, wchan and syscall: say when, if before the census.
    if let Some(at) = thread.detail_at_ms {
        let read = format!("{} (re-read at the next census)", ago(state.now_ms, at));
        items.push(Item::field("details read", read));
    }
    items.extend([
        Item::field("syscall", line(&syscall)),
        Item::field("wchan", line(&wchan)),
        Item::field("ctx switches", switches),
        Item::field("started", format!("{} ticks after boot", thread.start_time)),
        Item::field("blocked sigs", names(&thread.blocked_signals)),
        Item::field("pending sigs", names(&thread.pending_signals)),
    ]);
    items
}

fn cpu_history(state: &AppState, tid: i32, frame: &mut Frame, area: Rect) {
    let history = state.thread_cpu.history(tid);
    let [spark_title, spark_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let peak = history.iter().copied().fold(0.0_f64, f64::max);
    let caption = format!(
        " CPU% per census, {} readings, peak {peak:.1}% (chart top = max(peak, 1%))",
        history.len()
    );
    frame.render_widget(
        Paragraph::new(fit(&caption, usize::from(area.width))).style(theme::title()),
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
