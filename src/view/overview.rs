//! Overview: who the target is, how close it is to each limit (gauge, sparkline, trend and
//! ETA), and the findings, most severe first.

use super::text::{clock, count, fit, na, rate};
use super::theme;
use crate::app::AppState;
use crate::format;
use crate::headroom::{Confidence, Outlook, Resource, ResourceKind};
use crate::safe_text::line;
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use ratatui::Frame;
use std::time::Duration;

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    // Tall terminals get a "now" panel: the other views' headlines on one screen.
    let now_height = if area.height >= 30 { 6 } else { 0 };
    let [identity, gauges, now, findings] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(7),
        Constraint::Length(now_height),
        Constraint::Min(3),
    ])
    .areas(area);
    render_identity(state, sample, frame, identity);
    render_gauges(state, sample, frame, gauges);
    if now_height > 0 {
        render_now(state, sample, frame, now);
    }
    render_findings(state, frame, findings);
}

/// Thread states and CPU, descriptor kinds and TCP states, memory in one line each.
fn render_now(state: &AppState, sample: &Sample, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(" now ", theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width).saturating_sub(10);
    let label = |name: &str| Span::styled(format!(" {name:<8}"), theme::title());
    let threads = &sample.threads;
    let threads_line = threads_line(state, sample);
    // Threads seen in one census only have no rate yet; they are left out of the sum.
    let rates: Vec<f64> = threads
        .items
        .iter()
        .filter_map(|t| state.thread_cpu.percent(t.tid))
        .collect();
    let cpu_line = if rates.is_empty() {
        "- (needs two thread censuses)".to_string()
    } else {
        format!(
            "{:.1}% of one core (sum over {} threads, last census interval)",
            rates.iter().sum::<f64>(),
            rates.len()
        )
    };
    let memory = &sample.memory;
    let memory_line = format!(
        "RSS {} (anon {}) · swap {} · mappings: {} deleted, {} past EOF",
        memory
            .rss_bytes
            .map_or_else(|| na(sample, "memory.rss_bytes"), format::bytes),
        memory
            .rss_anon_bytes
            .map_or_else(|| "n/a".to_string(), format::bytes),
        memory
            .swap_bytes
            .map_or_else(|| "n/a".to_string(), format::bytes),
        count(sample.maps_count(memory.deleted_mappings.len())),
        count(sample.maps_count(memory.mappings_past_eof.len())),
    );
    let lines = vec![
        Line::from(vec![label("threads"), Span::raw(fit(&threads_line, width))]),
        Line::from(vec![label("CPU"), Span::raw(fit(&cpu_line, width))]),
        Line::from(vec![label("fds"), Span::raw(fit(&fds_line(sample), width))]),
        Line::from(vec![label("memory"), Span::raw(fit(&memory_line, width))]),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `28 in states R 1, S 27 · busiest worker (4242) 97.0%`, or why the census is missing.
fn threads_line(state: &AppState, sample: &Sample) -> String {
    let threads = &sample.threads;
    if threads.census_taken_at_ms.is_none() {
        na(sample, "threads.items")
    } else {
        let mut states: std::collections::BTreeMap<&str, usize> = Default::default();
        for t in threads.items.iter() {
            *states.entry(t.state.as_str()).or_default() += 1;
        }
        let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let busiest = threads
            .items
            .iter()
            .filter_map(|t| state.thread_cpu.percent(t.tid).map(|c| (c, t)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map_or_else(String::new, |(c, t)| {
                format!(" · busiest {} ({}) {c:.1}%", line(&t.name), t.tid)
            });
        format!(
            "{} in states {}{busiest}",
            threads.items.len(),
            states.join(", ")
        )
    }
}

/// Descriptors by kind and TCP sockets by state, or why the census is missing.
fn fds_line(sample: &Sample) -> String {
    let kinds: Vec<String> = sample
        .fds
        .by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let tcp = sample.fds.tcp.as_ref().map_or_else(String::new, |t| {
        let states: Vec<String> = t.by_state.iter().map(|(s, n)| format!("{s} {n}")).collect();
        if states.is_empty() {
            String::new()
        } else {
            format!(" · TCP {}", states.join(", "))
        }
    });
    let fd_kinds = if sample.fds.census_taken_at_ms.is_some() {
        kinds.join(" · ")
    } else {
        na(sample, "fds.by_kind")
    };
    format!("{fd_kinds}{tcp}")
}

fn render_identity(state: &AppState, sample: &Sample, frame: &mut Frame, area: Rect) {
    let id = &sample.identity;
    let user = id
        .user
        .clone()
        .unwrap_or_else(|| format!("uid {}", id.uid.real));
    let started = id.started_at_unix.map_or_else(
        || na(sample, "started_at_unix"),
        |s| clock((s * 1000.0) as u64),
    );
    let cmd = if id.cmdline.is_empty() {
        id.exe.clone().unwrap_or_else(|| na(sample, "exe"))
    } else {
        id.cmdline.join(" ")
    };
    let width = usize::from(area.width);
    let lines = vec![
        Line::from(vec![
            Span::styled(" process ", theme::title()),
            Span::raw(format!(
                "{} (pid {}, ppid {}) state {} · {}{} · user {user}",
                line(&id.comm),
                id.pid,
                id.ppid,
                line(&id.state),
                line(&sample.runtime_label()),
                goroutines(state),
            )),
        ]),
        Line::from(vec![
            Span::styled(" command ", theme::title()),
            Span::raw(fit(&line(&cmd), width.saturating_sub(9))),
        ]),
        Line::from(vec![
            Span::styled(" started ", theme::title()),
            Span::raw(format!(
                "{started} · kernel {}",
                sample
                    .system
                    .kernel
                    .clone()
                    .unwrap_or_else(|| na(sample, "system.kernel"))
            )),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

/// What to call a resource's limit when none applies.
fn unlimited(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Fds => "RLIMIT_NOFILE",
        ResourceKind::AddressSpace => "RLIMIT_AS",
        ResourceKind::Maps => "max_map_count",
        ResourceKind::CpuTime => "RLIMIT_CPU",
        ResourceKind::Threads | ResourceKind::Memory => "no limit",
    }
}

/// The gauges: one row per resource of the rules' headroom model, so a gauge names the same
/// binding limit and the same ETA as the finding about it.
const GAUGES: [ResourceKind; 5] = [
    ResourceKind::Fds,
    ResourceKind::Threads,
    ResourceKind::Memory,
    ResourceKind::AddressSpace,
    ResourceKind::Maps,
];

fn render_gauges(state: &AppState, sample: &Sample, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(" headroom ", theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 120;
    let rows = Layout::vertical([Constraint::Length(1); 5]).split(inner);
    let headroom = state.headroom();
    let resources: Vec<&Resource> = GAUGES.iter().filter_map(|k| headroom.get(*k)).collect();
    // One set of column widths for every row, from the widest value and trend, so the
    // columns line up and no figure is cut.
    let (value_len, trend_len) = resources
        .iter()
        .filter_map(|r| Some((value_text(r, r.usage?), trend_text(state, r))))
        .fold((0, 0), |(v, t), (value, trend)| {
            (v.max(value.chars().count()), t.max(trend.chars().count()))
        });
    let widths = gauge_widths(inner.width, wide, value_len, trend_len);
    for (resource, row) in resources.iter().zip(rows.iter()) {
        render_gauge(state, sample, resource, widths, frame, *row);
    }
}

/// `used/limit` of a gauge.
fn value_text(resource: &Resource, value: f64) -> String {
    let show = |v: f64| {
        let v = v.max(0.0) as u64;
        if resource.kind.is_bytes() {
            format::bytes(v)
        } else {
            v.to_string()
        }
    };
    match &resource.binding {
        Some(l) => format!("{}/{}", show(value), show(l.value)),
        None => format!("{}/unlimited", show(value)),
    }
}

fn render_gauge(
    state: &AppState,
    sample: &Sample,
    resource: &Resource,
    widths: [u16; 7],
    frame: &mut Frame,
    area: Rect,
) {
    let limit_name = resource
        .binding
        .as_ref()
        .map_or_else(|| unlimited(resource.kind).to_string(), |l| l.name.clone());
    let name = resource.kind.label();
    let Some(value) = resource.usage else {
        let line = Line::from(vec![
            Span::styled(format!(" {name:<8}"), theme::title()),
            Span::raw(format!("{limit_name:<14} ")),
            Span::styled(na(sample, resource.source_field()), theme::notice()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let percent = resource.percent();
    let value_text = value_text(resource, value);
    let percent_text = percent.map_or_else(|| "    -  ".to_string(), |p| format!("{p:5.1}%"));
    let trend = trend_text(state, resource);
    let [name_area, limit, value_area, pct, bar, spark, trend_area] =
        Layout::horizontal(widths.map(Constraint::Length)).areas(area);
    let style = theme::level(percent);
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {name}"), theme::title())),
        name_area,
    );
    frame.render_widget(Paragraph::new(limit_name), limit);
    // A space before the percentage, so `101/100` never reads as `101/100101.0%`.
    frame.render_widget(
        Paragraph::new(format!("{value_text} ")).right_aligned(),
        value_area,
    );
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{percent_text} {}", theme::level_mark(percent)),
            style,
        )),
        pct,
    );
    if bar.width > 0 {
        let filled = percent.map_or(0, |p| {
            ((p / 100.0) * 18.0).round().clamp(0.0, 18.0) as usize
        });
        let text = format!("▕{}{}▏", "█".repeat(filled), "░".repeat(18 - filled));
        frame.render_widget(Paragraph::new(Span::styled(text, style)), bar);
    }
    render_sparkline(state, resource, style, frame, spark);
    frame.render_widget(Paragraph::new(format!(" {trend}")), trend_area);
}

/// The resource's recent readings as a sparkline, relative to the window's minimum.
fn render_sparkline(
    state: &AppState,
    resource: &Resource,
    style: ratatui::style::Style,
    frame: &mut Frame,
    spark: Rect,
) {
    let series = state.history.series(resource.metric);
    let points: Vec<u64> = series
        .points()
        .rev()
        .filter_map(|p| p.value)
        .take(usize::from(spark.width))
        .map(|v| v.max(0.0) as u64)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let low = points.iter().copied().min().unwrap_or(0);
    // Relative to the window's minimum, so small growth on a large base is visible.
    let relative: Vec<u64> = points.iter().map(|v| v - low + 1).collect();
    // Newest reading at the right edge, like a strip chart.
    let used = u16::try_from(relative.len())
        .unwrap_or(spark.width)
        .min(spark.width);
    let spark = Rect {
        x: spark.x + spark.width - used,
        width: used,
        ..spark
    };
    // A flat series is drawn as a low line, not as a wall of full blocks.
    let top = relative.iter().copied().max().unwrap_or(1);
    let max = if top <= 1 { 8 } else { top };
    frame.render_widget(
        Sparkline::default().data(&relative).max(max).style(style),
        spark,
    );
}

/// Widths of a gauge row's columns (name, limit, value, percent, bar, sparkline, trend) in
/// `width` cells. Value, percent and trend are as wide as their text, so no figure is cut
/// (`ETA 16m 30s`, not `ETA 16m 3`); as the width shrinks the bar goes first, then the
/// limit's name, then the trend, and the sparkline takes what is left.
fn gauge_widths(width: u16, wide: bool, value_len: usize, trend_len: usize) -> [u16; 7] {
    let cells = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let (name, value, pct, trend) = (9, cells(value_len + 1), 10, cells(trend_len + 1));
    let mut limit = 14;
    let mut bar = if wide { 20 } else { 0 };
    let mut trend_width = trend.max(if wide { 30 } else { 20 });
    let fixed = |limit: u16, bar: u16, trend: u16| name + limit + value + pct + bar + trend;
    if fixed(limit, bar, trend_width) + 4 > width {
        (bar, trend_width) = (0, trend);
    }
    if fixed(limit, bar, trend_width) + 4 > width {
        limit = 0;
    }
    if fixed(limit, bar, trend_width) > width {
        trend_width = 0;
    }
    let spark = width.saturating_sub(fixed(limit, bar, trend_width));
    [name, limit, value, pct, bar, spark, trend_width]
}

/// The outlook of the headroom model in a few words: rate and ETA (`?` while provisional),
/// `flat Ns` once growth stopped, `steady`, or `warming up`.
fn trend_text(state: &AppState, resource: &Resource) -> String {
    let bytes = resource.kind.is_bytes();
    match &resource.outlook {
        Outlook::WarmingUp => "trend: warming up".to_string(),
        Outlook::Steady => "steady".to_string(),
        Outlook::Stopped(stop) => format!(
            "flat {} (+{})",
            format::duration(Duration::from_millis(
                state.headroom().at_ms.saturating_sub(stop.flat_since_ms)
            )),
            if bytes {
                format::bytes(stop.grew_by.max(0.0) as u64)
            } else {
                format!("{:.0}", stop.grew_by)
            }
        ),
        Outlook::Rising(rise) => {
            let mark = match rise.confidence {
                Confidence::Provisional => "?",
                Confidence::Confirmed => "",
            };
            match rise.eta_secs {
                Some(secs) => format!(
                    "{} ETA {}{mark}",
                    rate(rise.trend.slope_per_sec, bytes),
                    format::duration_secs(secs.clamp(0.0, 1e9))
                ),
                None => rate(rise.trend.slope_per_sec, bytes),
            }
        }
    }
}

fn render_findings(state: &AppState, frame: &mut Frame, area: Rect) {
    let title = format!(" findings ({}) ", state.findings.len());
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.findings.is_empty() {
        frame.render_widget(Paragraph::new(" none: no rule fired"), inner);
        return;
    }
    let width = usize::from(inner.width);
    let lines: Vec<Line> = state
        .findings
        .iter()
        .take(usize::from(inner.height))
        .map(|f| {
            Line::from(vec![
                Span::styled(
                    format!(" {} ", theme::severity_tag(f.severity)),
                    theme::severity(f.severity),
                ),
                Span::styled(format!("{:<20} ", f.rule), theme::title()),
                Span::raw(fit(&line(&f.message), width.saturating_sub(30))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// ` · 1234 goroutines` for a Go target (with the pace when slow readings are spaced out), or
/// why the count is missing and the last count read; empty otherwise.
fn goroutines(state: &AppState) -> String {
    let Some(g) = state.goroutines.as_ref() else {
        return String::new();
    };
    match (&g.count, g.pace, g.last_count) {
        (Ok(count), None, _) => format!(" · {count} goroutines"),
        (Ok(count), Some(pace), _) => format!(" · {count} goroutines ({pace})"),
        (Err(reason), _, Some(last)) => {
            format!(" · goroutines n/a ({reason}; {last} at the last reading)")
        }
        (Err(reason), _, None) => format!(" · goroutines n/a ({reason})"),
    }
}
