//! Overview: who the target is, how close it is to each limit (gauge, sparkline, trend and
//! ETA), and the findings, most severe first.

use super::text::{clock, fit, na, rate};
use super::theme;
use crate::app::trail::TrailPoint;
use crate::app::AppState;
use crate::format;
use crate::history::{Metric, TrendGate};
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use ratatui::Frame;

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
    let threads_line = if threads.census_taken_at_ms.is_none() {
        na(sample, "threads.items")
    } else {
        let mut states: std::collections::BTreeMap<&str, usize> = Default::default();
        for t in &threads.items {
            *states.entry(t.state.as_str()).or_default() += 1;
        }
        let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
        let busiest = threads
            .items
            .iter()
            .filter_map(|t| state.thread_cpu.percent(t.tid).map(|c| (c, t)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map_or_else(String::new, |(c, t)| {
                format!(" · busiest {} ({}) {c:.1}%", t.name, t.tid)
            });
        format!(
            "{} in states {}{busiest}",
            threads.items.len(),
            states.join(", ")
        )
    };
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
    let memory = &sample.memory;
    let memory_line = format!(
        "RSS {} (anon {}) · swap {} · {} deleted, {} past-EOF mappings",
        memory
            .rss_bytes
            .map_or_else(|| na(sample, "memory.rss_bytes"), format::bytes),
        memory
            .rss_anon_bytes
            .map_or_else(|| "n/a".to_string(), format::bytes),
        memory
            .swap_bytes
            .map_or_else(|| "n/a".to_string(), format::bytes),
        memory.deleted_mappings.len(),
        memory.mappings_past_eof.len(),
    );
    let lines = vec![
        Line::from(vec![label("threads"), Span::raw(fit(&threads_line, width))]),
        Line::from(vec![label("CPU"), Span::raw(fit(&cpu_line, width))]),
        Line::from(vec![
            label("fds"),
            Span::raw(fit(&format!("{}{tcp}", kinds.join(" · ")), width)),
        ]),
        Line::from(vec![label("memory"), Span::raw(fit(&memory_line, width))]),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
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
                id.comm,
                id.pid,
                id.ppid,
                id.state,
                id.runtime.as_str(),
                goroutines(state),
            )),
        ]),
        Line::from(vec![
            Span::styled(" command ", theme::title()),
            Span::raw(fit(&cmd, width.saturating_sub(9))),
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

/// One headroom gauge: a figure, its tightest known limit and where it is read from.
struct Gauge {
    name: &'static str,
    field: &'static str,
    value: Option<u64>,
    limit: Option<(u64, String)>,
    /// What to call the limit when there is none (`RLIMIT_AS` → `RLIMIT_AS … unlimited`).
    unlimited: &'static str,
    pick: fn(&TrailPoint) -> Option<u64>,
    metric: Metric,
    bytes: bool,
}

fn gauges(sample: &Sample) -> Vec<Gauge> {
    let threads_limit = [
        sample.threads.cgroup_pids_max.map(|l| (l, "pids.max")),
        sample
            .limits
            .get("nproc")
            .and_then(|l| l.soft)
            .map(|l| (l, "RLIMIT_NPROC")),
        sample.system.threads_max.map(|l| (l, "threads-max")),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|(l, _)| *l)
    .map(|(l, n)| (l, n.to_string()));
    let memory_limit = sample
        .memory
        .cgroup
        .as_ref()
        .and_then(|c| {
            [
                c.max_bytes.map(|m| (m, "memory.max")),
                c.high_bytes.map(|m| (m, "memory.high")),
            ]
            .into_iter()
            .flatten()
            .min_by_key(|(l, _)| *l)
        })
        .or_else(|| sample.memory.host.map(|h| (h.total_bytes, "host RAM")))
        .map(|(l, n)| (l, n.to_string()));
    vec![
        Gauge {
            name: "fds",
            unlimited: "RLIMIT_NOFILE",
            field: "fds.open",
            value: sample.fds.open,
            limit: sample
                .fds
                .soft_limit
                .map(|l| (l, "RLIMIT_NOFILE".to_string())),
            pick: |p| p.fds,
            metric: Metric::FdsOpen,
            bytes: false,
        },
        Gauge {
            name: "threads",
            unlimited: "no limit",
            field: "threads.count",
            value: Some(sample.threads.count),
            limit: threads_limit,
            pick: |p| Some(p.threads),
            metric: Metric::Threads,
            bytes: false,
        },
        Gauge {
            name: "memory",
            unlimited: "no limit",
            field: "memory.rss_bytes",
            value: sample.memory.rss_bytes,
            limit: memory_limit,
            pick: |p| p.rss_bytes,
            metric: Metric::RssBytes,
            bytes: true,
        },
        Gauge {
            name: "address",
            unlimited: "RLIMIT_AS",
            field: "memory.vm_size_bytes",
            value: sample.memory.vm_size_bytes,
            limit: sample
                .limits
                .get("as")
                .and_then(|l| l.soft)
                .map(|l| (l, "RLIMIT_AS".to_string())),
            pick: |p| p.vm_size_bytes,
            metric: Metric::VmSizeBytes,
            bytes: true,
        },
        Gauge {
            name: "maps",
            unlimited: "max_map_count",
            field: "memory.map_count",
            value: sample.memory.map_count,
            limit: sample
                .memory
                .max_map_count
                .map(|l| (l, "max_map_count".to_string())),
            pick: |p| p.maps,
            metric: Metric::MapCount,
            bytes: false,
        },
    ]
}

fn render_gauges(state: &AppState, sample: &Sample, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(Span::styled(" headroom ", theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let wide = inner.width >= 120;
    let rows = Layout::vertical([Constraint::Length(1); 5]).split(inner);
    for (gauge, row) in gauges(sample).iter().zip(rows.iter()) {
        render_gauge(state, sample, gauge, wide, frame, *row);
    }
}

fn render_gauge(
    state: &AppState,
    sample: &Sample,
    gauge: &Gauge,
    wide: bool,
    frame: &mut Frame,
    area: Rect,
) {
    let show = |v: u64| {
        if gauge.bytes {
            format::bytes(v)
        } else {
            v.to_string()
        }
    };
    let limit_name = gauge
        .limit
        .as_ref()
        .map_or_else(|| gauge.unlimited.to_string(), |(_, n)| n.clone());
    let Some(value) = gauge.value else {
        let line = Line::from(vec![
            Span::styled(format!(" {:<8}", gauge.name), theme::title()),
            Span::raw(format!("{:<14} ", limit_name)),
            Span::styled(na(sample, gauge.field), theme::notice()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    };
    let percent = gauge
        .limit
        .as_ref()
        .and_then(|(l, _)| format::percent(value, Some(*l)));
    let value_text = match &gauge.limit {
        Some((l, _)) => format!("{}/{}", show(value), show(*l)),
        None => format!("{}/unlimited", show(value)),
    };
    let percent_text = percent.map_or_else(|| "    -  ".to_string(), |p| format!("{p:5.1}%"));
    let series = state.trail.series(gauge.pick);
    let trend = trend_text(state, sample, gauge, value);
    let bar_width = if wide { 20 } else { 0 };
    let [name, limit, value_area, pct, bar, spark, trend_area] = Layout::horizontal([
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Length(20),
        Constraint::Length(10),
        Constraint::Length(bar_width),
        Constraint::Min(4),
        Constraint::Length(if wide { 30 } else { 20 }),
    ])
    .areas(area);
    let style = theme::level(percent);
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {}", gauge.name), theme::title())),
        name,
    );
    frame.render_widget(Paragraph::new(limit_name), limit);
    frame.render_widget(Paragraph::new(value_text).right_aligned(), value_area);
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!("{percent_text} {}", theme::level_mark(percent)),
            style,
        )),
        pct,
    );
    if wide {
        let filled = percent.map_or(0, |p| {
            ((p / 100.0) * 18.0).round().clamp(0.0, 18.0) as usize
        });
        let text = format!("▕{}{}▏", "█".repeat(filled), "░".repeat(18 - filled));
        frame.render_widget(Paragraph::new(Span::styled(text, style)), bar);
    }
    let points: Vec<u64> = series.iter().map(|&(_, v)| v).collect();
    let shown = &points[points.len().saturating_sub(usize::from(spark.width))..];
    let low = shown.iter().copied().min().unwrap_or(0);
    // Relative to the window's minimum, so small growth on a large base is visible.
    let relative: Vec<u64> = shown.iter().map(|v| v - low + 1).collect();
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
    frame.render_widget(Paragraph::new(format!(" {trend}")), trend_area);
}

/// Slope and time to the limit from the rules' robust trend over their short window, so the
/// gauge and the findings never disagree.
fn trend_text(state: &AppState, sample: &Sample, gauge: &Gauge, value: u64) -> String {
    let config = &state.engine.config().trend;
    let since_ms = sample
        .taken_at_ms
        .saturating_sub(config.short_window_secs * 1000);
    let gate = TrendGate {
        min_tau: config.min_tau,
        min_z: config.min_z,
    };
    let Some(trend) = state.history.trend(gauge.metric, since_ms, gate) else {
        return "trend: warming up".to_string();
    };
    if !trend.significant {
        return "steady".to_string();
    }
    let eta = gauge
        .limit
        .as_ref()
        .filter(|(limit, _)| *limit > value)
        .and_then(|(limit, _)| trend.eta_to(*limit as f64));
    match eta {
        Some(secs) => format!(
            "{} ETA {}",
            rate(trend.slope_per_sec, gauge.bytes),
            format::duration_secs(secs.clamp(0.0, 1e9))
        ),
        None => rate(trend.slope_per_sec, gauge.bytes),
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
                Span::raw(fit(&f.message, width.saturating_sub(30))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// ` · 1,234 goroutines` for a Go target, or why the count is missing; empty otherwise.
fn goroutines(state: &AppState) -> String {
    match state.goroutines.as_ref().map(|g| &g.count) {
        Some(Ok(count)) => format!(" · {count} goroutines"),
        Some(Err(reason)) => format!(" · goroutines n/a ({reason})"),
        None => String::new(),
    }
}
