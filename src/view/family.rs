//! Family: the watched process's parent and children, each with its headroom (fds against
//! RLIMIT_NOFILE, threads against the binding limit, memory against its limit, from the one
//! headroom model), and below, the selected one's limits and who else uses the limits the
//! watched process shares (RLIMIT_NPROC per user, the cgroup's pids.max and memory.max).

use super::pane::{self, Item};
use super::table::{draw, Cells, Column, Fit, Props, KEEP_ALWAYS};
use super::theme;
use crate::app::family::{member_at, Member, Relation, SORTS};
use crate::app::{AppState, View};
use crate::format;
use crate::headroom::{Resource, ResourceKind};
use crate::safe_text::line;
use crate::sample::{SharedLimit, SharedUnit};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::Frame;

const COLUMNS: [Column; 10] = [
    Column::new("PID", Fit::Number, KEEP_ALWAYS),
    Column::new("REL", Fit::Text { min: 5, max: 7 }, 4),
    Column::new("NAME", Fit::Text { min: 10, max: 16 }, KEEP_ALWAYS),
    Column::new("FD%", Fit::Number, 8),
    Column::new("THR%", Fit::Number, 8),
    Column::new("MEM%", Fit::Number, 7),
    Column::new("FDS", Fit::Number, 5),
    Column::new("THREADS", Fit::Number, 5),
    Column::new("USER", Fit::Text { min: 4, max: 12 }, 3),
    Column::new("MEMORY", Fit::Fill { min: 8 }, 2),
];

pub fn render(state: &AppState, frame: &mut Frame, area: Rect) {
    let table = &state.ui.tables[View::Family.index()];
    // A short terminal keeps the table; the detail needs room to say anything.
    let detail_height = if area.height >= 16 {
        area.height / 2
    } else {
        0
    };
    let [list_area, detail_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(detail_height)]).areas(area);
    let family = state.family.family.as_ref();
    let children = family.map_or(0, |f| f.children.len() + f.children_not_read);
    let props = Props {
        title: format!("family of {} · {children} children", state.pid),
        note: String::new(),
        columns: &COLUMNS,
        sorts: SORTS,
        empty: "not read yet (with the thread census)",
    };
    draw(frame, list_area, &props, table, |i| {
        member_at(state, i).map(cells)
    });
    if detail_height > 0 {
        let items = member_at(state, table.selected).map_or_else(Vec::new, |m| detail(state, m));
        pane::draw(
            frame,
            detail_area,
            " detail ",
            items,
            Some(state.ui.detail_scroll),
        );
    }
}

fn cells(member: &Member) -> Cells {
    let percent = |kind| {
        member
            .resource(kind)
            .and_then(Resource::percent)
            .map_or_else(|| "n/a".to_string(), |p| format!("{p:.0}%"))
    };
    let used = |kind| {
        member
            .resource(kind)
            .map_or_else(|| "n/a".to_string(), usage)
    };
    let relation = member.relation.label().to_string();
    let style = if member.relation == Relation::Watched {
        theme::title().add_modifier(Modifier::BOLD)
    } else {
        ratatui::style::Style::default()
    };
    Cells {
        cells: vec![
            member.pid.to_string(),
            relation,
            line(&member.comm).into_owned(),
            percent(ResourceKind::Fds),
            percent(ResourceKind::Threads),
            percent(ResourceKind::Memory),
            used(ResourceKind::Fds),
            used(ResourceKind::Threads),
            line(&member.user).into_owned(),
            used(ResourceKind::Memory),
        ],
        style,
    }
}

/// `used/limit` in the resource's unit; `n/a` for what could not be read.
fn usage(resource: &Resource) -> String {
    let amount = |v: f64| {
        if resource.kind.is_bytes() {
            format::bytes(v.max(0.0) as u64)
        } else {
            format!("{:.0}", v.max(0.0))
        }
    };
    let used = resource.usage.map_or_else(|| "n/a".to_string(), amount);
    match &resource.binding {
        Some(limit) => format!("{used}/{}", amount(limit.value)),
        None => used,
    }
}

/// The selected member's limits, then the limits the watched process shares and their users.
fn detail(state: &AppState, member: &Member) -> Vec<Item> {
    let mut items = vec![Item::field(
        member.relation.label(),
        format!(
            "{} (pid {}) · {} · state {}",
            line(&member.comm),
            member.pid,
            line(&member.user),
            line(&member.state)
        ),
    )];
    match &member.headroom {
        Ok(resources) => {
            for kind in [
                ResourceKind::Fds,
                ResourceKind::Threads,
                ResourceKind::Memory,
            ] {
                if let Some(resource) = resources.iter().find(|r| r.kind == kind) {
                    items.push(Item::field(kind.label(), limit_words(resource)));
                }
            }
        }
        Err(reason) => items.push(Item::field("n/a", line(reason).into_owned())),
    }
    if member.relation != Relation::Watched && member.headroom.is_ok() {
        items.push(Item::field("Enter", "watch this process (Esc comes back)"));
    }
    if let Some(family) = &state.family.family {
        for shared in &family.shared {
            items.push(Item::field(&shared.name, shared_words(shared)));
        }
        let mut found = format!("children from {}", family.children_source);
        if family.children_not_read > 0 {
            found.push_str(&format!("; {} more not read", family.children_not_read));
        }
        items.push(Item::field("found", found));
    }
    items
}

/// `12 of 1024 (1%): soft RLIMIT_NOFILE 1024`.
fn limit_words(resource: &Resource) -> String {
    let used = usage(resource);
    match (&resource.binding, resource.percent()) {
        (Some(limit), Some(p)) => format!("{used} ({p:.0}%): {}", line(&limit.detail)),
        (Some(limit), None) => format!("{used}: {}", line(&limit.detail)),
        (None, _) => format!("{used}: no limit applies"),
    }
}

/// `200, shared by the tasks of real uid 65534 (nobody), host-wide: 63 tasks in 12 processes;
/// most: postgres (4242) 20 tasks, …`.
fn shared_words(shared: &SharedLimit) -> String {
    let amount = |v: u64| match shared.unit {
        SharedUnit::Tasks if v == 1 => "1 task".to_string(),
        SharedUnit::Tasks => format!("{v} tasks"),
        SharedUnit::Bytes => format!("{} RSS", format::bytes(v)),
    };
    let limit = match shared.unit {
        SharedUnit::Tasks => shared.limit.to_string(),
        SharedUnit::Bytes => format::bytes(shared.limit),
    };
    let scope = line(&shared.scope);
    let users = match &shared.users {
        Err(reason) => return format!("{limit}, shared by {scope}: n/a ({})", line(reason)),
        Ok(users) => users,
    };
    let top: Vec<String> = users
        .top
        .iter()
        .map(|u| format!("{} ({}) {}", line(&u.comm), u.pid, amount(u.amount)))
        .collect();
    let charged = users
        .charged
        .map_or_else(String::new, |c| match shared.unit {
            SharedUnit::Tasks => format!(" ({c} charged by the kernel)"),
            SharedUnit::Bytes => format!(" ({} charged by the kernel)", format::bytes(c)),
        });
    format!(
        "{limit}, shared by {scope}: {} in {} processes{charged}; most: {}",
        amount(users.total),
        users.processes,
        top.join(", ")
    )
}
