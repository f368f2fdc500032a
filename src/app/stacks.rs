//! The Stacks view's model: the shell's captures recorded with both weights, folded for the
//! mode (on-CPU or wall), merged or with a root per thread pool, for all threads or one picked
//! from a list by CPU; the flame tree, zoom (to a frame, or to every call of a function from
//! the top table), selection, search, the top table, the sampling cost, and each thread's last
//! captured stack for the thread drill-down. Also when the shell should sample at all ([`wanted`]):
//! only while the Stacks view is open, or once for a drilled-into thread with no stack yet.
//!
//! Pure. May import: `stacks` (data types only), sibling `flame`.

use super::flame::{top_functions, Cell, FunctionShare, TopSort, Tree};
use super::{AppState, Effect, View};
use crate::stacks::folded::{FlameMode, FoldView, FoldedStacks, Recording};
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

/// Where the cursor keys go in the Stacks view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Graph,
    /// The top table beside the graph.
    Top,
}

/// One line of the thread picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadChoice {
    pub tid: i32,
    pub name: String,
    /// CPU time used while sampled.
    pub cpu: Duration,
    /// Captures that saw a stack of it.
    pub samples: u64,
}

/// The Stacks view's state.
#[derive(Debug, Clone, Default)]
pub struct StacksUi {
    /// Every thread's stacks so far, weighed both ways.
    pub recording: Recording,
    /// What the widths weigh (`m`).
    pub mode: FlameMode,
    /// A root frame per thread pool (`t`); merged otherwise.
    pub per_thread: bool,
    /// Only this thread (tid), picked with `f`.
    pub thread: Option<i32>,
    /// The graph shows every call of this function merged (Enter in the top table).
    pub function: Option<String>,
    /// What the view shows before any zoom: `recording` folded by mode, per-thread roots and
    /// thread. The export and the bundle write this.
    pub folded: FoldedStacks,
    /// `folded` as a tree, cut to `function` when one is zoomed to.
    pub tree: Tree,
    /// Functions of `folded` by self and total share, in `top_sort` order.
    pub top: Vec<FunctionShare>,
    pub top_sort: TopSort,
    pub top_selected: usize,
    pub pane: Pane,
    /// The thread picker is open, with this line selected (0 = all threads).
    pub picker: Option<usize>,
    /// Path (names below the root) of the selected frame.
    pub selected: Vec<String>,
    /// Zoomed frames, innermost last.
    pub zoom: Vec<Vec<String>>,
    pub cost: Cost,
    /// Why sampling is impossible, as the kernel or `/proc` said it.
    pub error: Option<String>,
    /// Each thread's stack from the newest capture that stopped it, and when.
    pub last: BTreeMap<i32, (ThreadStack, u64)>,
    /// The drill-down asked for a one-off capture of this thread and it has not come yet.
    pub pending_once: Option<i32>,
    /// A graph read from a bundle, shown as it was recorded instead of `recording`.
    pub frozen: Option<FoldedStacks>,
}

impl StacksUi {
    /// Shows `folded` (a bundle's `stacks.folded`) as it was recorded: its mode and roots
    /// are those it was written with.
    pub fn load(&mut self, folded: FoldedStacks) {
        self.frozen = Some(folded);
        self.rebuild();
    }

    fn view(&self) -> FoldView {
        FoldView {
            mode: self.mode,
            per_thread: self.per_thread,
            thread: self.thread,
        }
    }

    /// Folds the recording again for the current mode, roots, thread and function.
    fn rebuild(&mut self) {
        self.folded = match &self.frozen {
            Some(folded) => folded.clone(),
            None => self.recording.fold(&self.view()),
        };
        self.tree = Tree::build(&self.folded, self.function.as_deref());
        self.top = top_functions(&self.folded, self.per_thread, self.top_sort);
        self.top_selected = self.top_selected.min(self.top.len().saturating_sub(1));
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

    /// Share of what the view shows with a frame matching `search`, in %.
    pub fn matched_share(&self, search: &str) -> Option<f64> {
        if search.is_empty() {
            return None;
        }
        let mut matched = 0;
        let mut total = 0;
        for (stack, count) in self.folded.iter() {
            total += count;
            if stack.split(';').any(|f| Self::matches(f, search)) {
                matched += count;
            }
        }
        (total > 0).then(|| matched as f64 * 100.0 / total as f64)
    }

    /// The thread picker's lines: every sampled thread, most CPU first.
    pub fn thread_choices(&self) -> Vec<ThreadChoice> {
        let mut choices: Vec<ThreadChoice> = self
            .recording
            .threads()
            .map(|(tid, thread)| ThreadChoice {
                tid,
                name: thread.name.clone(),
                cpu: thread.cpu,
                samples: thread.samples,
            })
            .collect();
        choices.sort_by(|a, b| {
            (b.cpu, b.samples)
                .cmp(&(a.cpu, a.samples))
                .then(a.tid.cmp(&b.tid))
        });
        choices
    }

    /// `all threads`, or the picked thread as `tid name`.
    pub fn thread_label(&self) -> String {
        match self.thread {
            None => "all threads".to_string(),
            Some(tid) => {
                let name = self.recording.thread(tid).map_or("", |t| t.name.as_str());
                format!("thread {tid} {name}")
            }
        }
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
        }
        self.recording.add(capture);
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
            if let Some(tid) = state.stacks.thread {
                if state.stacks.recording.thread(tid).is_none() {
                    // Its samples stay in its pool's, under all threads.
                    state.stacks.thread = None;
                    state.stacks.zoom.clear();
                    state.stacks.selected.clear();
                    state.stacks.rebuild();
                    state.message = Some(format!("thread {tid} exited: showing all threads"));
                }
            }
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

/// Keys the Stacks view gives a meaning of its own (the thread picker, the top table, zoom,
/// movement along the graph); `None` when the key is left to the keymap.
pub fn on_key(state: &mut AppState, key: &KeyEvent) -> Option<Vec<Effect>> {
    if state.stacks.picker.is_some() {
        picker_key(state, key);
        return Some(Vec::new());
    }
    if state.stacks.pane == Pane::Top {
        return top_key(&mut state.stacks, key).then(Vec::new);
    }
    let width = graph_width(state);
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
                if ui.function.take().is_some() {
                    ui.selected.clear();
                    ui.rebuild();
                } else if search_empty {
                    return None;
                } else {
                    state.ui.tables[View::Stacks.index()].filter.clear();
                }
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

/// Columns of the flame graph: the view's inner width less the top table beside it.
pub fn graph_width(state: &AppState) -> u16 {
    let inner = state.ui.width.saturating_sub(2);
    inner.saturating_sub(top_table_width(inner))
}

/// Columns of the top table beside a graph of `inner` columns (its left border included).
pub fn top_table_width(inner: u16) -> u16 {
    (inner / 3).clamp(26, 48).min(inner / 2)
}

/// The top table has the cursor: ↑↓ choose a function, Enter zooms the graph to it, Esc
/// gives the cursor back to the graph. Returns whether the key was used.
fn top_key(ui: &mut StacksUi, key: &KeyEvent) -> bool {
    let last = ui.top.len().saturating_sub(1);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => ui.top_selected = ui.top_selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => ui.top_selected = (ui.top_selected + 1).min(last),
        KeyCode::PageUp => ui.top_selected = ui.top_selected.saturating_sub(10),
        KeyCode::PageDown => ui.top_selected = (ui.top_selected + 10).min(last),
        KeyCode::Home | KeyCode::Char('g') => ui.top_selected = 0,
        KeyCode::End | KeyCode::Char('G') => ui.top_selected = last,
        KeyCode::Enter => {
            if let Some(function) = ui.top.get(ui.top_selected).map(|f| f.name.clone()) {
                zoom_to_function(ui, function);
            }
        }
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('h') => {
            ui.pane = Pane::Graph;
        }
        _ => return false,
    }
    true
}

/// The graph shows every call of `function` merged, with the function selected; the cursor
/// goes back to the graph.
fn zoom_to_function(ui: &mut StacksUi, function: String) {
    ui.zoom.clear();
    ui.selected = vec![function.clone()];
    ui.function = Some(function);
    ui.pane = Pane::Graph;
    ui.rebuild();
}

/// The thread picker is modal: ↑↓ choose, Enter shows that thread (or all), Esc or `f` closes.
fn picker_key(state: &mut AppState, key: &KeyEvent) {
    let choices = state.stacks.thread_choices();
    let ui = &mut state.stacks;
    let Some(at) = ui.picker else {
        return;
    };
    // Line 0 is "all threads".
    let last = choices.len();
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => ui.picker = Some(at.saturating_sub(1)),
        KeyCode::Down | KeyCode::Char('j') => ui.picker = Some((at + 1).min(last)),
        KeyCode::PageUp => ui.picker = Some(at.saturating_sub(10)),
        KeyCode::PageDown => ui.picker = Some((at + 10).min(last)),
        KeyCode::Home | KeyCode::Char('g') => ui.picker = Some(0),
        KeyCode::End | KeyCode::Char('G') => ui.picker = Some(last),
        KeyCode::Enter => {
            ui.picker = None;
            ui.thread = at
                .checked_sub(1)
                .and_then(|i| choices.get(i))
                .map(|c| c.tid);
            ui.function = None;
            ui.zoom.clear();
            ui.selected.clear();
            ui.rebuild();
        }
        KeyCode::Esc | KeyCode::Backspace | KeyCode::Char('f') => ui.picker = None,
        _ => {}
    }
}

/// Moves the selection to the frame drawn next to it on the same row (`+N more` blocks are
/// not frames and are passed over).
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
    let frames: Vec<&Cell> = row.iter().filter(|c| !c.is_more()).collect();
    let at = frames.iter().position(|c| c.node == node);
    let next = match at {
        Some(at) => at as isize + delta,
        None => 0,
    };
    if let Some(cell) = usize::try_from(next).ok().and_then(|i| frames.get(i)) {
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

/// `m`: on-CPU ↔ wall. The zoom and selection stay where they still exist.
pub fn toggle_mode(state: &mut AppState) {
    let ui = &mut state.stacks;
    ui.mode = ui.mode.toggled();
    ui.rebuild();
}

/// `t`: a root frame per thread pool, or merged. Paths change, so the zoom starts over.
pub fn toggle_per_thread(state: &mut AppState) {
    let ui = &mut state.stacks;
    ui.per_thread = !ui.per_thread;
    ui.zoom.clear();
    ui.selected.clear();
    ui.rebuild();
}

/// `s`: the next order of the top table.
pub fn cycle_top_sort(state: &mut AppState) {
    let ui = &mut state.stacks;
    ui.top_sort = ui.top_sort.next();
    ui.top_selected = 0;
    ui.rebuild();
}

/// `o`: the cursor keys move in the top table, or in the graph again.
pub fn toggle_pane(state: &mut AppState) {
    let ui = &mut state.stacks;
    ui.pane = match ui.pane {
        Pane::Graph => Pane::Top,
        Pane::Top => Pane::Graph,
    };
}

/// `f`: opens the thread picker on the thread shown now.
pub fn open_picker(state: &mut AppState) {
    let ui = &state.stacks;
    if ui.recording.is_empty() {
        state.message = Some("no stacks yet: no thread to pick".into());
        return;
    }
    let at = ui.thread.map_or(0, |tid| {
        ui.thread_choices()
            .iter()
            .position(|c| c.tid == tid)
            .map_or(0, |i| i + 1)
    });
    state.stacks.picker = Some(at);
}

/// `e`: export what the view shows (mode, roots and thread; not the zoom).
pub fn export(state: &mut AppState) -> Vec<Effect> {
    let ui = &state.stacks;
    if ui.folded.is_empty() {
        state.message = Some(format!(
            "nothing to export in {} mode yet",
            ui.mode.as_str()
        ));
        return Vec::new();
    }
    let title = format!(
        "pid {} · {}: {} · {}{}",
        state.pid,
        ui.mode.as_str(),
        ui.mode.meaning(),
        ui.thread_label(),
        if ui.per_thread {
            " · by thread pool"
        } else {
            ""
        }
    );
    let folded = ui.folded.clone();
    state.message = Some("writing the flame graph…".into());
    vec![Effect::Stacks(StacksEffect::Export { folded, title })]
}
