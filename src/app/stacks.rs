//! The Stacks view's model: samples folded from the shell's captures, the flame tree, zoom,
//! selection, search, per-thread filter, the sampling cost, and each thread's last captured
//! stack for the thread drill-down. Also when the shell should sample at all ([`wanted`]):
//! only while the Stacks view is open, or once for a drilled-into thread with no stack yet.
//!
//! Pure. May import: `stacks` (data types only), sibling `flame`.

use super::flame::{Cell, Tree};
use super::{AppState, Effect, View};
use crate::stacks::folded::FoldedStacks;
use crate::stacks::{Capture, ThreadStack, ThreadState};
use crossterm::event::{KeyCode, KeyEvent};
use std::collections::BTreeMap;
use std::time::Duration;

/// Captures per second while the Stacks view is open, at most: the sampler goes slower when the
/// stop budget demands it (`stacks::sustainable_interval`) and says so.
pub const SAMPLE_HZ: u32 = 10;
/// Stop times kept for the median and p99.
const STOP_TIMES_KEPT: usize = 20_000;

/// What the shell's sampling thread should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    Off,
    /// Capture all threads `SAMPLE_HZ` times a second.
    Continuous,
    /// Capture once, for this thread's stack.
    Once(i32),
}

/// From the shell's sampling thread.
#[derive(Debug, Clone)]
pub enum StacksMsg {
    Captured {
        capture: Box<Capture>,
        at_ms: u64,
        /// How long the capture took, and the interval the sampler chose after it.
        round: Duration,
        interval: Duration,
    },
    /// No capture is possible (permissions, ptrace_scope, gone): the one-line reason.
    Failed(String),
    /// The export asked for by [`StacksEffect::Export`] was written (`Ok`: where) or not.
    Exported(Result<String, String>),
}

/// To the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StacksEffect {
    /// Write the SVG (inferno) and the folded stacks of what the view shows into the cwd.
    Export { folded: FoldedStacks, title: String },
}

/// Sampling cost so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cost {
    pub captures: u64,
    pub threads_stopped: u64,
    pub threads_reused: u64,
    /// Per stopped thread, newest last (bounded).
    pub stop_times: Vec<Duration>,
    /// The last capture's duration and the interval the sampler keeps now.
    pub round: Option<Duration>,
    pub interval: Option<Duration>,
}

impl Cost {
    /// Median and p99 of the stop times.
    pub fn percentiles(&self) -> Option<(Duration, Duration)> {
        let mut sorted = self.stop_times.clone();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_unstable();
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.99)))
    }
}

/// The Stacks view's state.
#[derive(Debug, Clone, Default)]
pub struct StacksUi {
    /// Every sample so far, all threads (root frame = thread name).
    pub folded: FoldedStacks,
    /// `folded` under the thread filter.
    pub tree: Tree,
    /// Path (names below the root) of the selected frame.
    pub selected: Vec<String>,
    /// Zoomed frames, innermost last.
    pub zoom: Vec<Vec<String>>,
    /// Only this thread name's stacks.
    pub thread: Option<String>,
    pub cost: Cost,
    /// Why sampling is impossible, as the kernel or `/proc` said it.
    pub error: Option<String>,
    /// Each thread's stack from the newest capture that stopped it, and when.
    pub last: BTreeMap<i32, (ThreadStack, u64)>,
    /// The drill-down asked for a one-off capture of this thread and it has not come yet.
    pub pending_once: Option<i32>,
}

impl StacksUi {
    /// Replaces the samples (tests, or a folded file): rebuilds the tree.
    pub fn load(&mut self, folded: FoldedStacks) {
        self.folded = folded;
        self.rebuild();
    }

    fn rebuild(&mut self) {
        self.tree = Tree::build(&self.folded, self.thread.as_deref());
    }

    /// The node the graph is zoomed to (the root when not zoomed).
    pub fn top(&self) -> usize {
        self.zoom.last().map_or(0, |path| self.tree.find(path))
    }

    pub fn selected_node(&self) -> usize {
        let node = self.tree.find(&self.selected);
        // The selection never leaves the zoomed subtree.
        let top = self.top();
        if self.tree.depth_below(top, node).is_some() {
            node
        } else {
            top
        }
    }

    /// Case-insensitive substring match of a frame name.
    pub fn matches(name: &str, search: &str) -> bool {
        !search.is_empty() && name.to_lowercase().contains(&search.to_lowercase())
    }

    /// Share of the (thread-filtered) samples with a frame matching `search`, in %.
    pub fn matched_share(&self, search: &str) -> Option<f64> {
        if search.is_empty() {
            return None;
        }
        let mut matched = 0;
        let mut total = 0;
        for (stack, count) in self.folded.iter() {
            let mut frames = stack.split(';');
            if let Some(thread) = &self.thread {
                if frames.clone().next() != Some(thread.as_str()) {
                    continue;
                }
            }
            total += count;
            if frames.any(|f| Self::matches(f, search)) {
                matched += count;
            }
        }
        (total > 0).then(|| matched as f64 * 100.0 / total as f64)
    }

    /// Thread names (root frames) by samples, most first.
    pub fn thread_names(&self) -> Vec<String> {
        let all = Tree::build(&self.folded, None);
        all.nodes[0]
            .children
            .iter()
            .map(|&c| all.nodes[c].name.clone())
            .collect()
    }

    fn add(&mut self, capture: &Capture, at_ms: u64) {
        self.error = None;
        self.cost.captures += 1;
        self.cost.threads_stopped += capture.stop_times.len() as u64;
        self.cost
            .stop_times
            .extend(capture.stop_times.iter().copied());
        let excess = self.cost.stop_times.len().saturating_sub(STOP_TIMES_KEPT);
        self.cost.stop_times.drain(..excess);
        for thread in &capture.threads {
            match thread.state {
                ThreadState::Captured { .. } => {
                    self.last.insert(thread.tid, (thread.clone(), at_ms));
                }
                ThreadState::Reused => self.cost.threads_reused += 1,
                _ => {}
            }
            self.folded.add_thread(thread, 1);
        }
        self.last
            .retain(|tid, _| capture.threads.iter().any(|t| t.tid == *tid));
        self.rebuild();
    }
}

/// What the shell's sampling thread should be doing for this state.
pub fn wanted(state: &AppState) -> Sampling {
    if state.replay().is_some() || !state.status.is_live() || state.stacks.error.is_some() {
        return Sampling::Off;
    }
    match state.ui.view {
        View::Stacks => Sampling::Continuous,
        View::Threads => match state.stacks.pending_once {
            Some(tid) if state.ui.thread_detail == Some(tid) => Sampling::Once(tid),
            _ => Sampling::Off,
        },
        _ => Sampling::Off,
    }
}

/// A thread drill-down opened: ask for one capture when that thread has no stack yet.
pub fn on_open_thread(state: &mut AppState, tid: i32) {
    if !state.stacks.last.contains_key(&tid) {
        state.stacks.pending_once = Some(tid);
    }
}

pub fn on_msg(state: &mut AppState, msg: StacksMsg) -> Vec<Effect> {
    match msg {
        StacksMsg::Captured {
            capture,
            at_ms,
            round,
            interval,
        } => {
            if state.replay().is_some() {
                return Vec::new();
            }
            state.stacks.add(&capture, at_ms);
            state.stacks.cost.round = Some(round);
            state.stacks.cost.interval = Some(interval);
            state.stacks.pending_once = None;
        }
        StacksMsg::Failed(reason) => {
            state.stacks.error = Some(reason);
            state.stacks.pending_once = None;
        }
        StacksMsg::Exported(result) => {
            state.message = Some(match result {
                Ok(done) => done,
                Err(reason) => format!("flame graph not written: {reason}"),
            });
        }
    }
    Vec::new()
}

/// Keys the Stacks view gives a meaning of its own (zoom, movement along the graph); `None`
/// when the key is left to the keymap.
pub fn on_key(state: &mut AppState, key: &KeyEvent) -> Option<Vec<Effect>> {
    let width = state.ui.width.saturating_sub(2);
    let ui = &mut state.stacks;
    let search_empty = state.ui.tables[View::Stacks.index()].filter.is_empty();
    match key.code {
        KeyCode::Enter => {
            let node = ui.selected_node();
            if node != ui.top() {
                ui.zoom.push(ui.tree.path(node));
            }
        }
        KeyCode::Esc | KeyCode::Backspace => {
            if ui.zoom.pop().is_none() {
                if search_empty {
                    return None;
                }
                state.ui.tables[View::Stacks.index()].filter.clear();
            }
        }
        KeyCode::Up | KeyCode::Char('k') => {
            let node = ui.selected_node();
            if node != ui.top() {
                if let Some(parent) = ui.tree.nodes[node].parent {
                    ui.selected = ui.tree.path(parent);
                }
            }
        }
        KeyCode::Down | KeyCode::Char('j') => {
            let node = ui.selected_node();
            if let Some(&child) = ui.tree.nodes[node].children.first() {
                ui.selected = ui.tree.path(child);
            }
        }
        KeyCode::Left | KeyCode::Char('h') => step_sideways(ui, width, -1),
        KeyCode::Right | KeyCode::Char('l') => step_sideways(ui, width, 1),
        _ => return None,
    }
    Some(Vec::new())
}

/// Moves the selection to the frame drawn next to it on the same row.
fn step_sideways(ui: &mut StacksUi, width: u16, delta: isize) {
    let top = ui.top();
    let node = ui.selected_node();
    let Some(depth) = ui.tree.depth_below(top, node) else {
        return;
    };
    let rows = ui.tree.layout(top, width);
    let Some(row) = rows.get(depth) else {
        return;
    };
    let at = row.iter().position(|c: &Cell| c.node == node);
    let next = match at {
        Some(at) => at as isize + delta,
        None => 0,
    };
    if let Some(cell) = usize::try_from(next).ok().and_then(|i| row.get(i)) {
        ui.selected = ui.tree.path(cell.node);
    }
}

/// A search was confirmed: select the biggest matching frame under the zoom.
pub fn select_match(state: &mut AppState) {
    let search = state.ui.tables[View::Stacks.index()].filter.clone();
    let ui = &mut state.stacks;
    let top = ui.top();
    let best = (0..ui.tree.nodes.len())
        .filter(|&n| StacksUi::matches(&ui.tree.nodes[n].name, &search))
        .filter(|&n| ui.tree.depth_below(top, n).is_some())
        .max_by(|&a, &b| {
            ui.tree.nodes[a]
                .total
                .cmp(&ui.tree.nodes[b].total)
                .then(b.cmp(&a))
        });
    if let Some(node) = best {
        ui.selected = ui.tree.path(node);
    }
}

/// `f`: the next thread in the filter cycle (all → busiest → … → all).
pub fn cycle_thread(state: &mut AppState) {
    let names = state.stacks.thread_names();
    let ui = &mut state.stacks;
    ui.thread = match &ui.thread {
        None => names.first().cloned(),
        Some(current) => names
            .iter()
            .position(|n| n == current)
            .and_then(|i| names.get(i + 1))
            .cloned(),
    };
    ui.zoom.clear();
    ui.selected.clear();
    ui.rebuild();
}

/// `e`: export what the view shows (thread filter applied).
pub fn export(state: &mut AppState) -> Vec<Effect> {
    let ui = &state.stacks;
    if ui.folded.is_empty() {
        state.message = Some("no samples yet: nothing to export".into());
        return Vec::new();
    }
    let mut folded = FoldedStacks::new();
    for (stack, count) in ui.folded.iter() {
        let keep = match &ui.thread {
            Some(thread) => stack.split(';').next() == Some(thread.as_str()),
            None => true,
        };
        if keep {
            folded.add_folded(stack, count);
        }
    }
    let title = match &ui.thread {
        Some(thread) => format!("pid {} thread {thread}", state.pid),
        None => format!("pid {}", state.pid),
    };
    state.message = Some("writing the flame graph…".into());
    vec![Effect::Stacks(StacksEffect::Export { folded, title })]
}
