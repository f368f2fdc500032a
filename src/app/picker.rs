//! The process picker (`healthtop` with no `-p`, or a `-p NAME` several processes answer to):
//! the host ranked by the nearest limit (`scan::rank`, the one headroom model), refreshed
//! every interval by the shell off the UI thread ([`Msg::Scanned`](super::Msg)). `/` filters
//! by name or user (`#PID` for one), `s` sorts by another column, Enter watches the selected
//! process ([`Effect::Watch`]), and Esc in the one-process view comes back here
//! ([`Effect::Pick`]) with the filter, sort and cursor as they were.

use super::table::{natural_cmp, RowKey, TableUi};
use super::{AppState, Effect};
use crate::headroom::ResourceKind;
use crate::keymap::Command;
use crate::scan::Ranked;
use crossterm::event::{KeyCode, KeyEvent};
use std::cmp::Ordering;

/// A pass over the host may take one of this many parts of the time between passes: a slower
/// one spaces the next wider (the shell's scanner paces itself by it; the header says so).
pub const SCAN_SHARE: u32 = 4;

/// Sort orders of the picker, in the order `s` cycles through them.
pub const SORTS: &[&str] = &[
    "worst %",
    "fds %",
    "threads %",
    "memory %",
    "PID",
    "name",
    "user",
];

/// The picker's model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PickerUi {
    /// Shown instead of the one-process views (no process is watched).
    pub active: bool,
    /// This session started in the picker, so Esc in the one-process view returns to it.
    pub reachable: bool,
    /// The newest ranking, worst first as ranked.
    pub rows: Vec<Ranked>,
    /// When the ranking was read, ms since the Unix epoch; `None` before the first.
    pub taken_at_ms: Option<u64>,
    /// Why the last scan failed, if it did.
    pub error: Option<String>,
    /// How long the last pass took.
    pub took: std::time::Duration,
    /// Only these PIDs (the processes a `-p NAME` answered), with how they were named.
    pub only: Option<(Vec<i32>, String)>,
    pub table: TableUi,
    /// Keys go into the filter until Enter or Esc.
    pub editing_filter: bool,
}

/// One ranking of the host, from the shell's scanner.
#[derive(Debug, Clone, PartialEq)]
pub struct Scanned {
    pub taken_at_ms: u64,
    pub ranked: Result<Vec<Ranked>, String>,
    /// How long the pass took (the scanner spaces passes wider when they are slow).
    pub took: std::time::Duration,
}

impl PickerUi {
    /// The row at `position` of the table as shown.
    pub fn row_at(&self, position: usize) -> Option<&Ranked> {
        self.rows.get(*self.table.order.get(position)?)
    }
}

/// Takes in a new ranking; the cursor stays on its process.
pub fn on_scanned(state: &mut AppState, scanned: Scanned) {
    let picker = &mut state.picker;
    match scanned.ranked {
        Ok(rows) => {
            picker.rows = rows;
            picker.error = None;
        }
        Err(reason) => picker.error = Some(reason),
    }
    picker.taken_at_ms = Some(scanned.taken_at_ms);
    picker.took = scanned.took;
    refresh(picker);
}

/// Esc in the one-process view, with nothing else to close: back to the picker, if this
/// session has one.
pub fn back(state: &AppState) -> Vec<Effect> {
    if state.picker.reachable {
        vec![Effect::Pick]
    } else {
        Vec::new()
    }
}

/// Re-derives the order from the rows, the `only` set, the filter and the sort, then puts the
/// cursor back on its PID (false when its process is no longer shown).
pub fn refresh(picker: &mut PickerUi) -> bool {
    let filter = picker.table.matcher();
    let rows = &picker.rows;
    let only = picker.only.as_ref().map(|(pids, _)| pids);
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let row = &rows[i];
            only.is_none_or(|pids| pids.contains(&row.pid))
                && filter.accepts(
                    u64::try_from(row.pid).ok(),
                    &[
                        row.comm.as_deref().unwrap_or(""),
                        row.user.as_deref().unwrap_or(""),
                    ],
                )
        })
        .collect();
    let sort = SORTS.get(picker.table.sort).copied().unwrap_or("worst %");
    order.sort_by(|&a, &b| compare(&rows[a], &rows[b], sort).then(rows[a].pid.cmp(&rows[b].pid)));
    picker.table.order = order;
    let keys: Vec<Option<RowKey>> = (0..picker.table.order.len())
        .map(|i| key_at(picker, i))
        .collect();
    picker.table.follow(|i| keys.get(i).cloned().flatten())
}

fn key_at(picker: &PickerUi, position: usize) -> Option<RowKey> {
    let pid = picker.row_at(position)?.pid;
    u64::try_from(pid).ok().map(RowKey::Number)
}

/// The ratio of `kind` (the worst one for `None`), -1 when there is none, so those sort last.
pub fn ratio(row: &Ranked, kind: Option<ResourceKind>) -> f64 {
    let ratio = match kind {
        None => row.worst_ratio(),
        Some(kind) => row
            .resources
            .iter()
            .find(|r| r.resource == kind)
            .and_then(|r| r.ratio),
    };
    ratio.unwrap_or(-1.0)
}

fn compare(a: &Ranked, b: &Ranked, sort: &str) -> Ordering {
    let by_ratio = |kind| ratio(b, kind).total_cmp(&ratio(a, kind));
    let text = |r: &Ranked, user: bool| {
        if user {
            r.user.clone().unwrap_or_default()
        } else {
            r.comm.clone().unwrap_or_default()
        }
    };
    match sort {
        "fds %" => by_ratio(Some(ResourceKind::Fds)),
        "threads %" => by_ratio(Some(ResourceKind::Threads)),
        "memory %" => by_ratio(Some(ResourceKind::Memory)),
        "PID" => a.pid.cmp(&b.pid),
        "name" => natural_cmp(&text(a, false), &text(b, false)),
        "user" => natural_cmp(&text(a, true), &text(b, true)),
        _ => by_ratio(None),
    }
}

/// Keys while the picker is shown; `None` for the keys that work as everywhere (pause,
/// interval; help and quit never reach here).
pub fn on_key(
    state: &mut AppState,
    key: &KeyEvent,
    command: Option<Command>,
) -> Option<Vec<Effect>> {
    let picker = &mut state.picker;
    if picker.editing_filter {
        match key.code {
            KeyCode::Enter => picker.editing_filter = false,
            KeyCode::Esc => {
                picker.table.filter.clear();
                picker.editing_filter = false;
            }
            KeyCode::Backspace => {
                picker.table.filter.pop();
            }
            KeyCode::Char(c) => picker.table.filter.push(c),
            _ => {}
        }
        // A filter that hides the cursor's process starts from the top of what it shows.
        if !refresh(picker) {
            select(picker, 0);
        }
        return Some(Vec::new());
    }
    let Some(command) = command else {
        return Some(Vec::new());
    };
    let page = usize::from(state.ui.height.saturating_sub(6)).max(1);
    let picker = &mut state.picker;
    let at = picker.table.selected;
    match command {
        Command::Up => select(picker, at.saturating_sub(1)),
        Command::Down => select(picker, at + 1),
        Command::PageUp => select(picker, at.saturating_sub(page)),
        Command::PageDown => select(picker, at + page),
        Command::Home => select(picker, 0),
        Command::End => select(picker, usize::MAX),
        Command::Filter => picker.editing_filter = true,
        Command::Sort => {
            picker.table.sort = (picker.table.sort + 1) % SORTS.len();
            refresh(picker);
        }
        Command::Pause | Command::Faster | Command::Slower | Command::Quit | Command::Help => {
            return None
        }
        Command::Open => return Some(open(state)),
        Command::Back => {
            if !picker.table.filter.is_empty() {
                picker.table.filter.clear();
                refresh(picker);
            } else if picker.only.take().is_some() {
                refresh(picker);
            }
        }
        _ => {
            state.message = Some("pick a process first: Enter watches the selected one".into());
        }
    }
    Some(Vec::new())
}

fn select(picker: &mut PickerUi, position: usize) {
    let clamped = position.min(picker.table.order.len().saturating_sub(1));
    let key = key_at(picker, clamped);
    picker.table.select(clamped, |_| key.clone());
}

/// Enter: watch the selected process; the picker waits, as it was, for Esc.
fn open(state: &mut AppState) -> Vec<Effect> {
    let picker = &state.picker;
    let Some(row) = picker.row_at(picker.table.selected) else {
        return Vec::new();
    };
    if row.resources.is_empty() {
        let why = row.error.as_deref().unwrap_or("it could not be read");
        state.message = Some(format!("pid {} cannot be watched: {why}", row.pid));
        return Vec::new();
    }
    vec![Effect::Watch {
        pid: row.pid,
        came_from: Vec::new(),
    }]
}
