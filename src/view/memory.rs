//! Memory: totals, the cgroup and its limits, host and pressure, then the maps table with
//! deleted and past-EOF mappings flagged in words.

use super::text::{ago, count, na, window_start};
use super::theme;
use crate::app::rows::{self, map_flags};
use crate::app::{AppState, View};
use crate::format;
use crate::safe_text::line;
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

fn b(sample: &Sample, field: &str, value: Option<u64>) -> String {
    value.map_or_else(|| na(sample, field), format::bytes)
}

fn limit_bytes(value: Option<u64>) -> String {
    value.map_or_else(|| "unlimited".to_string(), format::bytes)
}

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    let m = &sample.memory;
    let label = |name: &str| Span::styled(format!(" {name:<8}"), theme::title());
    let cgroup = match &m.cgroup {
        Some(c) => {
            let events: Vec<String> = c.events.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "{} {} · current {} · max {} · high {} · events {}",
                c.version,
                line(&c.path),
                c.current_bytes
                    .map_or_else(|| "n/a".to_string(), format::bytes),
                limit_bytes(c.max_bytes),
                limit_bytes(c.high_bytes),
                if events.is_empty() {
                    "none".to_string()
                } else {
                    events.join(" ")
                }
            )
        }
        None => na(sample, "memory.cgroup"),
    };
    let rlimit = |name: &str| {
        sample
            .limits
            .get(name)
            .map_or_else(|| na(sample, "limits"), |l| limit_bytes(l.soft))
    };
    let host = match (&m.host, &m.pressure) {
        (Some(h), p) => format!(
            "{} total, {} available{}",
            format::bytes(h.total_bytes),
            format::bytes(h.available_bytes),
            p.as_ref().map_or_else(String::new, |p| format!(
                " · PSI ({}) some avg10 {:.2}{}",
                p.scope,
                p.some_avg10,
                p.full_avg10
                    .map_or_else(String::new, |f| format!(" full avg10 {f:.2}"))
            ))
        ),
        (None, _) => na(sample, "memory.host"),
    };
    let maps_age = m.maps_taken_at_ms.map_or_else(
        || na(sample, "memory.maps"),
        |at| format!("read {}", ago(state.now_ms, at)),
    );
    let lines = vec![
        Line::from(vec![
            label("RSS"),
            Span::raw(format!(
                "{} (anon {}, file {}, shmem {}) · PSS {} · swap {}",
                b(sample, "memory.rss_bytes", m.rss_bytes),
                b(sample, "memory.rss_anon_bytes", m.rss_anon_bytes),
                b(sample, "memory.rss_file_bytes", m.rss_file_bytes),
                b(sample, "memory.rss_shmem_bytes", m.rss_shmem_bytes),
                b(sample, "memory.pss_bytes", m.pss_bytes),
                b(sample, "memory.swap_bytes", m.swap_bytes),
            )),
        ]),
        Line::from(vec![
            label("virtual"),
            Span::raw(format!(
                "size {} · data {} · peak RSS {} · oom_score {} (adj {})",
                b(sample, "memory.vm_size_bytes", m.vm_size_bytes),
                b(sample, "memory.vm_data_bytes", m.vm_data_bytes),
                b(sample, "memory.vm_hwm_bytes", m.vm_hwm_bytes),
                m.oom_score
                    .map_or_else(|| na(sample, "memory.oom_score"), |s| s.to_string()),
                m.oom_score_adj
                    .map_or_else(|| na(sample, "memory.oom_score_adj"), |s| s.to_string()),
            )),
        ]),
        Line::from(vec![label("cgroup"), Span::raw(cgroup)]),
        Line::from(vec![
            label("rlimits"),
            Span::raw(format!(
                "address space {} · data {} · stack {}",
                rlimit("as"),
                rlimit("data"),
                rlimit("stack")
            )),
        ]),
        Line::from(vec![label("host"), Span::raw(host)]),
        Line::from(vec![
            label("maps"),
            Span::raw(format!(
                "{} of {} (vm.max_map_count) · {} deleted · {} past EOF · {maps_age}",
                m.map_count
                    .map_or_else(|| na(sample, "memory.map_count"), |c| c.to_string()),
                m.max_map_count
                    .map_or_else(|| na(sample, "memory.max_map_count"), |c| c.to_string()),
                count(sample.maps_count(m.deleted_mappings.len())),
                count(sample.maps_count(m.mappings_past_eof.len())),
            )),
        ]),
    ];
    // Narrow terminals wrap the summary lines instead of cutting them: the box is as tall as
    // the wrapped lines (a long cgroup path takes several), leaving the maps table 3 rows.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let wrapped = paragraph.line_count(area.width.saturating_sub(2));
    let summary_height = u16::try_from(wrapped + 2)
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(3));
    let [summary, list] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(3)]).areas(area);
    let block = Block::bordered().title(Span::styled(" memory ", theme::title()));
    let inner = block.inner(summary);
    frame.render_widget(block, summary);
    frame.render_widget(paragraph, inner);

    let table = &state.ui.tables[View::Memory.index()];
    let rows_list = rows::maps(state);
    let sort = View::Memory.sorts().get(table.sort).copied().unwrap_or("");
    // A bundle's history leaves the maps out of every sample but the newest.
    let older_bundle_sample = state
        .replay()
        .is_some_and(|r| r.index + 1 < r.samples.len());
    let title = if older_bundle_sample && m.maps.is_empty() {
        " mappings: a bundle keeps them for its newest sample only (} goes there) ".to_string()
    } else {
        format!(
            " mappings {} · sort {sort} · RSS per mapping not read (smaps is costly) ",
            count(sample.maps_count(rows_list.len()))
        )
    };
    let block = Block::bordered().title(Span::styled(title, theme::title()));
    let inner = block.inner(list);
    frame.render_widget(block, list);
    let body_rows = usize::from(inner.height.saturating_sub(1));
    let start = window_start(table.selected, body_rows);
    let rows = rows_list
        .iter()
        .enumerate()
        .skip(start)
        .take(body_rows)
        .map(|(i, r)| {
            let flags = map_flags(&r.mapping, r.pages_past_eof);
            let path = if r.mapping.path.is_empty() {
                "[anon]".to_string()
            } else {
                line(&r.mapping.path).into_owned()
            };
            let row = Row::new(vec![
                format!("{:012x}", r.mapping.start),
                format::bytes(r.size),
                r.mapping.perms.clone(),
                flags.clone(),
                path,
            ]);
            let row = if flags.is_empty() {
                row
            } else {
                row.style(theme::severity(crate::rules::Severity::Warn))
            };
            if i == table.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let header =
        Row::new(vec!["START", "SIZE", "PERM", "FLAGS", "PATH"]).style(theme::header_row());
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(12),
                Constraint::Length(10),
                Constraint::Length(4),
                Constraint::Length(19),
                Constraint::Min(10),
            ],
        )
        .header(header),
        inner,
    );
}
