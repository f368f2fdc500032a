//! Memory: totals, the cgroup and its limits, host and pressure, then the maps table with
//! deleted and past-EOF mappings flagged in words.

use super::pane::{self, Item};
use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::text::{ago, count, na};
use super::theme;
use crate::app::rows::{self, map_flags};
use crate::app::{AppState, View};
use crate::format;
use crate::safe_text::line;
use crate::sample::Sample;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

fn b(sample: &Sample, field: &str, value: Option<u64>) -> String {
    value.map_or_else(|| na(sample, field), format::bytes)
}

fn limit_bytes(value: Option<u64>) -> String {
    value.map_or_else(|| "unlimited".to_string(), format::bytes)
}

const MAP_COLUMNS: [Column; 5] = [
    Column::new("START", Fit::Number, KEEP_ALWAYS),
    Column::new("SIZE", Fit::Number, 4),
    Column::new("PERM", Fit::Text { min: 4, max: 4 }, 3),
    Column::new("FLAGS", Fit::Text { min: 5, max: 19 }, 2),
    Column::new("PATH", Fit::Path { min: 12 }, KEEP_ALWAYS),
];

/// A mapping's cells; deleted and past-EOF mappings stand out.
fn map_cells(r: &rows::MapRow) -> Cells {
    let flags = map_flags(&r.mapping, r.pages_past_eof);
    let path = if r.mapping.path.is_empty() {
        "[anon]".to_string()
    } else {
        line(&r.mapping.path).into_owned()
    };
    let style = if flags.is_empty() {
        ratatui::style::Style::default()
    } else {
        theme::severity(crate::rules::Severity::Warn)
    };
    Cells {
        cells: vec![
            format!("{:012x}", r.mapping.start),
            format::bytes(r.size),
            line(&r.mapping.perms).into_owned(),
            flags,
            path,
        ],
        style,
    }
}

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let Some(sample) = &state.current else {
        frame.render_widget(Paragraph::new(" no sample yet"), area);
        return;
    };
    // Narrow terminals wrap the summary under its labels; the maps table keeps a few rows.
    let lines = pane::layout(
        summary_items(state, sample),
        usize::from(area.width.saturating_sub(2)),
    );
    // The maps table keeps at least its border and header and one row.
    let most = area.height.saturating_sub(4);
    let summary_height = u16::try_from(lines.len() + 2).map_or(most, |h| h.min(most));
    let [summary, list] =
        Layout::vertical([Constraint::Length(summary_height), Constraint::Min(3)]).areas(area);
    pane::draw_lines(frame, summary, " memory ", lines, None);
    maps_table(state, sample, frame, list);
}

/// The cgroup, its usage, limits and events.
fn cgroup_line(sample: &Sample) -> String {
    let m = &sample.memory;
    match &m.cgroup {
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
    }
}

/// Host memory and pressure.
fn host_line(sample: &Sample) -> String {
    let m = &sample.memory;
    match (&m.host, &m.pressure) {
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
    }
}

/// Totals, cgroup, rlimits, host and the maps count, one labelled item each.
fn summary_items(state: &AppState, sample: &Sample) -> Vec<Item> {
    let m = &sample.memory;
    let cgroup = cgroup_line(sample);
    let rlimit = |name: &str| {
        sample
            .limits
            .get(name)
            .map_or_else(|| na(sample, "limits"), |l| limit_bytes(l.soft))
    };
    let host = host_line(sample);
    let maps_age = m.maps_taken_at_ms.map_or_else(
        || na(sample, "memory.maps"),
        |at| format!("read {}", ago(state.now_ms, at)),
    );
    vec![
        Item::field(
            "RSS",
            format!(
                "{} (anon {}, file {}, shmem {}) · PSS {} · swap {}",
                b(sample, "memory.rss_bytes", m.rss_bytes),
                b(sample, "memory.rss_anon_bytes", m.rss_anon_bytes),
                b(sample, "memory.rss_file_bytes", m.rss_file_bytes),
                b(sample, "memory.rss_shmem_bytes", m.rss_shmem_bytes),
                b(sample, "memory.pss_bytes", m.pss_bytes),
                b(sample, "memory.swap_bytes", m.swap_bytes),
            ),
        ),
        Item::field(
            "virtual",
            format!(
                "size {} · data {} · peak RSS {} · oom_score {} (adj {})",
                b(sample, "memory.vm_size_bytes", m.vm_size_bytes),
                b(sample, "memory.vm_data_bytes", m.vm_data_bytes),
                b(sample, "memory.vm_hwm_bytes", m.vm_hwm_bytes),
                m.oom_score
                    .map_or_else(|| na(sample, "memory.oom_score"), |s| s.to_string()),
                m.oom_score_adj
                    .map_or_else(|| na(sample, "memory.oom_score_adj"), |s| s.to_string()),
            ),
        ),
        Item::field("cgroup", cgroup),
        Item::field(
            "rlimits",
            format!(
                "address space {} · data {} · stack {}",
                rlimit("as"),
                rlimit("data"),
                rlimit("stack")
            ),
        ),
        Item::field("host", host),
        Item::field(
            "maps",
            format!(
                "{} of {} (vm.max_map_count) · {} deleted · {} past EOF · {maps_age}",
                m.map_count
                    .map_or_else(|| na(sample, "memory.map_count"), |c| c.to_string()),
                m.max_map_count
                    .map_or_else(|| na(sample, "memory.max_map_count"), |c| c.to_string()),
                count(sample.maps_count(m.deleted_mappings.len())),
                count(sample.maps_count(m.mappings_past_eof.len())),
            ),
        ),
    ]
}

fn maps_table(state: &AppState, sample: &Sample, frame: &mut Frame, list: Rect) {
    let m = &sample.memory;
    let table = &state.ui.tables[View::Memory.index()];
    // A bundle's history leaves the maps out of every sample but the newest.
    let older_bundle_sample = state
        .replay()
        .is_some_and(|r| r.index + 1 < r.samples.len());
    let (title, note) = if older_bundle_sample && m.maps.is_empty() {
        (
            "mappings: a bundle keeps them for its newest sample only (} goes there)".to_string(),
            String::new(),
        )
    } else {
        (
            format!("mappings {}", count(sample.maps_count(table.order.len()))),
            "RSS per mapping not read (smaps is costly)".to_string(),
        )
    };
    let props = Props {
        title,
        note,
        columns: &MAP_COLUMNS,
        sorts: View::Memory.sorts(),
        empty: "no mapping matches",
    };
    draw(frame, list, &props, table, |i| {
        rows::map_at(state, i).map(|r| map_cells(&r))
    });
}
