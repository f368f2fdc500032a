//! The only mutator of [`AppState`].

use super::replay::{Derived, Judged};
use super::rows::{self, row_count};
use super::trail::TrailPoint;
use super::{dump, family, picker, stacks};
use super::{AppState, Effect, Goroutines, Mode, Msg, TargetStatus, View, INTERVALS};
use crate::bundle::GoroutineReading;
use crate::headroom::Headroom;
use crate::history::Metric;
use crate::keymap::{self, Command};
use crate::sample::Sample;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Applies one message; returns what the shell must do about it.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.ui.width = width;
            state.ui.height = height;
            clamp_selection(state);
            Vec::new()
        }
        // A bundle is read-only: nothing from outside changes what it shows.
        Msg::Sample(_)
        | Msg::Tick { .. }
        | Msg::TargetExited { .. }
        | Msg::TargetReplaced { .. }
        | Msg::CollectFailed { .. }
        | Msg::Goroutines { .. }
        | Msg::GoroutinePace { .. }
            if state.replay().is_some() =>
        {
            Vec::new()
        }
        Msg::Sample(sample) => {
            on_sample(state, *sample);
            Vec::new()
        }
        Msg::Tick { now_ms } => {
            state.now_ms = state.now_ms.max(now_ms);
            Vec::new()
        }
        Msg::Stacks(msg) => stacks::on_msg(state, msg),
        Msg::Dump(msg) => dump::on_msg(state, msg),
        Msg::Scanned(scanned) => {
            state.now_ms = state.now_ms.max(scanned.taken_at_ms);
            picker::on_scanned(state, *scanned);
            Vec::new()
        }
        Msg::WatchFailed { pid, reason } => {
            state.message = Some(format!("cannot watch pid {pid}: {reason}"));
            Vec::new()
        }
        Msg::Family(reading) => {
            family::on_family(state, *reading);
            rows::refresh(state, View::Family);
            Vec::new()
        }
        Msg::Judged(batch) => {
            on_judged(state, batch);
            Vec::new()
        }
        Msg::BundleProgress(progress) => {
            if state.writing_bundle {
                state.message = Some(format!("writing a bundle: {progress}"));
            }
            Vec::new()
        }
        Msg::BundleWritten(result) => {
            state.writing_bundle = false;
            state.message = Some(match result {
                Ok(done) => done,
                Err(reason) => format!("bundle not written: {reason}"),
            });
            Vec::new()
        }
        Msg::TargetExited { at_ms, how } => {
            if state.status.is_live() {
                // The rules judge the exit too (the `exited` finding, with what led up to it).
                state.history.mark_gone(at_ms, how.clone());
                state.findings = state.engine.evaluate(&state.history);
                rows::refresh(state, View::Findings);
                state.status = TargetStatus::Exited { at_ms, how };
            }
            state.now_ms = state.now_ms.max(at_ms);
            Vec::new()
        }
        Msg::TargetReplaced { at_ms } => {
            if state.status.is_live() {
                state.status = TargetStatus::Replaced { at_ms };
            }
            state.now_ms = state.now_ms.max(at_ms);
            Vec::new()
        }
        Msg::Goroutines {
            at_ms,
            count,
            endpoint,
            pace,
        } => {
            if state.status.is_live() && !state.paused {
                let value = count.clone().map(|c| c as f64);
                state.history.record(Metric::Goroutines, at_ms, value);
                if state.goroutine_log.len() == super::GOROUTINE_LOG_CAPACITY {
                    state.goroutine_log.pop_front();
                }
                state.goroutine_log.push_back(GoroutineReading::new(
                    at_ms,
                    count.clone(),
                    endpoint.clone(),
                ));
                state.findings = state.engine.evaluate(&state.history);
                rows::refresh(state, View::Findings);
                let last_count = count
                    .as_ref()
                    .ok()
                    .copied()
                    .or_else(|| state.goroutines.as_ref().and_then(|g| g.last_count));
                state.goroutines = Some(Goroutines {
                    count,
                    endpoint,
                    pace,
                    last_count,
                });
            }
            state.now_ms = state.now_ms.max(at_ms);
            Vec::new()
        }
        Msg::GoroutinePace { pace } => {
            if let Some(g) = state.goroutines.as_mut() {
                g.pace = pace;
            }
            Vec::new()
        }
        Msg::CollectFailed { at_ms, reason } => {
            state.notice = Some(reason);
            state.now_ms = state.now_ms.max(at_ms);
            Vec::new()
        }
    }
}

fn on_sample(state: &mut AppState, sample: crate::sample::Sample) {
    state.now_ms = state.now_ms.max(sample.taken_at_ms);
    // A reading of the process watched before a switch, still in flight, is not this one's.
    if !state.status.is_live() || state.paused || sample.identity.pid != state.pid {
        return;
    }
    match state.start_time {
        Some(start) if start != sample.identity.start_time => {
            // Same PID, another process: never mix its figures into the watched one's.
            state.status = TargetStatus::Replaced {
                at_ms: sample.taken_at_ms,
            };
            return;
        }
        _ => state.start_time = Some(sample.identity.start_time),
    }
    state.status = TargetStatus::Live;
    state.notice = None;
    take_in(state, &sample);
    family::refresh_watched(state);
    state.seen.push(&sample);
    state.current = Some(sample);
    clamp_selection(state);
}

/// Feeds one sample to everything derived from the samples.
fn take_in(state: &mut AppState, sample: &Sample) {
    state.trail.push(TrailPoint::of(sample));
    state.history.push(sample);
    state.findings = state.engine.evaluate(&state.history);
    state.thread_cpu.observe(sample);
}

/// Bundle mode: shows the data as of the selected sample. What the views derive from the
/// samples is rebuilt from the nearest copy kept by the judging (or from where the view
/// stands, when that is closer); the findings are the judging's, never re-judged per key.
pub(super) fn replay(state: &mut AppState) {
    let Mode::Bundle(replay) = &state.mode else {
        return;
    };
    let index = replay.index;
    let timeline = replay.timeline(state.interval);
    let from = Derived {
        taken: replay.taken,
        trail: std::mem::take(&mut state.trail),
        history: std::mem::take(&mut state.history),
        thread_cpu: std::mem::take(&mut state.thread_cpu),
        goroutines: state.goroutines.take(),
    };
    let derived = timeline.derive(index, &replay.checkpoints, Some(from));
    state.trail = derived.trail;
    state.history = derived.history;
    state.thread_cpu = derived.thread_cpu;
    state.goroutines = derived.goroutines;
    let Mode::Bundle(replay) = &mut state.mode else {
        return;
    };
    replay.taken = derived.taken;
    state.current = replay.samples.get(index).cloned();
    state.now_ms = state.current.as_ref().map_or(0, |s| s.taken_at_ms);
    if let Some(current) = &state.current {
        state.start_time = Some(current.identity.start_time);
        state.status = TargetStatus::Live;
    }
    // The end, as the live view saw it, at the last sample.
    let at_end = index + 1 >= replay.samples.len();
    if let Some(exit) = replay.exit.as_ref().filter(|_| at_end) {
        state.history.mark_gone(exit.at_ms, exit.how.clone());
        state.status = TargetStatus::Exited {
            at_ms: exit.at_ms,
            how: exit.how.clone(),
        };
        state.now_ms = state.now_ms.max(exit.at_ms);
    }
    show_judged(state);
    clamp_selection(state);
}

/// The findings as judged at the shown sample, or a word on how far the judging has come.
fn show_judged(state: &mut AppState) {
    let Mode::Bundle(replay) = &state.mode else {
        return;
    };
    let at_end = replay.index + 1 >= replay.samples.len();
    let judged = match (&replay.exit, at_end) {
        (Some(_), true) => replay.exit_findings.as_ref(),
        _ => replay.judged.get(replay.index),
    };
    match judged {
        Some((findings, headroom)) => {
            state.findings = findings.clone();
            state.shown_headroom = Some(headroom.clone());
            if state
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with(JUDGING))
            {
                state.message = None;
            }
        }
        None => {
            state.findings = Vec::new();
            state.shown_headroom = Some(Headroom::default());
            state.message = Some(format!(
                "{JUDGING} {}/{} samples…",
                replay.judged.len(),
                replay.samples.len()
            ));
        }
    }
}

/// How the status line says the findings are not judged yet.
const JUDGING: &str = "judging the history:";

/// More of the bundle's history judged.
fn on_judged(state: &mut AppState, batch: Vec<Judged>) {
    let Mode::Bundle(replay) = &mut state.mode else {
        return;
    };
    for judged in batch {
        if judged.index < replay.samples.len() {
            if judged.index == replay.judged.len() {
                replay.judged.push((judged.findings, judged.headroom));
            }
        } else {
            replay.exit_findings = Some((judged.findings, judged.headroom));
        }
    }
    show_judged(state);
}

/// Moves the bundle's selected sample (clamped to the bundle) and replays to it.
fn step(state: &mut AppState, to: impl FnOnce(usize, usize) -> usize) {
    let Mode::Bundle(shown) = &mut state.mode else {
        state.message = Some("time keys work only in a bundle (healthtop view FILE)".into());
        return;
    };
    let last = shown.samples.len().saturating_sub(1);
    let index = to(shown.index, last).min(last);
    if index != shown.index {
        shown.index = index;
        replay(state);
    }
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    // The picker has keys of its own; help, quit, pause and the interval work as everywhere.
    if state.picker.active && !state.ui.help && !ctrl_c {
        state.message = None;
        if let Some(effects) = picker::on_key(state, &key, keymap::resolve(&key)) {
            return effects;
        }
    }
    if state.ui.editing_filter && !ctrl_c {
        edit_filter(state, key);
        if key.code == KeyCode::Enter && state.ui.view == View::Stacks {
            stacks::select_match(state);
        }
        return Vec::new();
    }
    // The dump dialog is modal; the Stacks view gives some keys a meaning of its own.
    if !ctrl_c {
        if let Some(effects) = dump::on_key(state, &key) {
            return effects;
        }
        if state.ui.view == View::Stacks && !state.ui.help {
            if let Some(effects) = stacks::on_key(state, &key) {
                state.message = None;
                return effects;
            }
        }
    }
    let Some(command) = keymap::resolve(&key) else {
        return Vec::new();
    };
    state.message = None;
    if state.ui.help && !matches!(command, Command::Quit) {
        if matches!(command, Command::Help | Command::Back) {
            state.ui.help = false;
        }
        return Vec::new();
    }
    run(state, command)
}

fn edit_filter(state: &mut AppState, key: KeyEvent) {
    let table = state.ui.table_mut();
    match key.code {
        KeyCode::Enter => state.ui.editing_filter = false,
        KeyCode::Esc => {
            table.filter.clear();
            state.ui.editing_filter = false;
        }
        KeyCode::Backspace => {
            table.filter.pop();
        }
        KeyCode::Char(c) => table.filter.push(c),
        _ => {}
    }
    rows::refresh(state, state.ui.view);
}

fn run(state: &mut AppState, command: Command) -> Vec<Effect> {
    let page = state.page_rows();
    match command {
        Command::Quit => {
            return vec![Effect::Quit];
        }
        Command::Help => state.ui.help = true,
        // The drill-down has no rows: the cursor keys scroll its pane.
        Command::Up | Command::DetailUp if drilled(state) => scroll_detail(state, -1),
        Command::Down | Command::DetailDown if drilled(state) => scroll_detail(state, 1),
        Command::PageUp if drilled(state) => scroll_detail(state, -(page as isize)),
        Command::PageDown if drilled(state) => scroll_detail(state, page as isize),
        Command::DetailUp => scroll_detail(state, -1),
        Command::DetailDown => scroll_detail(state, 1),
        Command::Up => move_by(state, -1),
        Command::Down => move_by(state, 1),
        Command::PageUp => move_by(state, -(page as isize)),
        Command::PageDown => move_by(state, page as isize),
        Command::Home => rows::select(state, 0),
        Command::End => rows::select(state, row_count(state).saturating_sub(1)),
        Command::NextView => switch(state, (state.ui.view.index() + 1) % View::ALL.len()),
        Command::PrevView => switch(
            state,
            (state.ui.view.index() + View::ALL.len() - 1) % View::ALL.len(),
        ),
        Command::GoView(index) => switch(state, index),
        Command::Open if state.ui.view == View::Family => return family::open(state),
        Command::Open => open(state),
        Command::Back => return back(state),
        Command::Filter => {
            if state.ui.view != View::Overview {
                state.ui.editing_filter = true;
            }
        }
        Command::Sort if state.ui.view == View::Stacks => stacks::cycle_top_sort(state),
        Command::Sort => {
            let sorts = state.ui.view.sorts().len();
            if sorts > 0 {
                let table = state.ui.table_mut();
                table.sort = (table.sort + 1) % sorts;
                rows::refresh(state, state.ui.view);
            }
        }
        Command::Group if state.ui.view == View::Stacks => stacks::toggle_per_thread(state),
        Command::Group => {
            if state.ui.view == View::Threads {
                state.ui.group_threads = !state.ui.group_threads;
                state.ui.thread_detail = None;
                let table = state.ui.table_mut();
                table.cursor = None;
                table.selected = 0;
                rows::refresh(state, View::Threads);
            }
        }
        Command::ThreadFilter if state.ui.view == View::Stacks => stacks::open_picker(state),
        Command::FlameMode if state.ui.view == View::Stacks => stacks::toggle_mode(state),
        Command::Pane if state.ui.view == View::Stacks => stacks::toggle_pane(state),
        Command::Export if state.ui.view == View::Stacks => return stacks::export(state),
        Command::ThreadFilter | Command::FlameMode | Command::Pane | Command::Export => {
            state.message = Some("a key of the Stacks view (7)".into());
        }
        Command::Dump => return dump::start(state),
        Command::Earlier => step(state, |i, _| i.saturating_sub(1)),
        Command::Later => step(state, |i, _| i + 1),
        Command::Earliest => step(state, |_, _| 0),
        Command::Latest => step(state, |_, last| last),
        Command::Pause | Command::Faster | Command::Slower | Command::Bundle
            if state.replay().is_some() =>
        {
            state.message = Some("read-only: a key of the live view".into());
        }
        Command::Bundle => {
            if state.writing_bundle {
                state.message = Some("a bundle is being written already".into());
            } else if state.current.is_none() {
                state.message = Some("no sample yet: nothing to bundle".into());
            } else {
                state.writing_bundle = true;
                state.message = Some("writing a bundle…".into());
                return vec![Effect::WriteBundle];
            }
        }
        Command::Pause => {
            state.paused = !state.paused;
            return vec![Effect::SetPaused(state.paused)];
        }
        Command::Faster | Command::Slower => {
            let now = INTERVALS
                .iter()
                .position(|&i| i >= state.interval)
                .unwrap_or(INTERVALS.len() - 1);
            let next = if command == Command::Faster {
                now.saturating_sub(1)
            } else {
                (now + 1).min(INTERVALS.len() - 1)
            };
            if INTERVALS[next] != state.interval {
                state.interval = INTERVALS[next];
                return vec![Effect::SetInterval(state.interval)];
            }
        }
    }
    Vec::new()
}

fn switch(state: &mut AppState, index: usize) {
    if let Some(&view) = View::ALL.get(index) {
        state.ui.view = view;
        state.ui.editing_filter = false;
        state.ui.detail_scroll = 0;
        // Its rows may have shrunk while another view was shown.
        clamp_selection(state);
    }
}

fn move_by(state: &mut AppState, delta: isize) {
    let target = state.ui.table().selected.saturating_add_signed(delta);
    let before = state.ui.table().cursor.clone();
    rows::select(state, target);
    if state.ui.table().cursor != before {
        state.ui.detail_scroll = 0;
    }
}

fn drilled(state: &AppState) -> bool {
    state.ui.view == View::Threads && state.ui.thread_detail.is_some()
}

/// Scrolls the detail pane, never further than it has lines (the view clamps the last page).
fn scroll_detail(state: &mut AppState, delta: isize) {
    let most = rows::detail_line_bound(state);
    state.ui.detail_scroll = state
        .ui
        .detail_scroll
        .saturating_add_signed(delta)
        .min(most);
}

/// Re-derives the shown table from the data now shown (the others wait until their view
/// opens); its cursor stays on its row's key.
fn clamp_selection(state: &mut AppState) {
    rows::refresh(state, state.ui.view);
}

fn open(state: &mut AppState) {
    if state.ui.view != View::Threads || state.ui.thread_detail.is_some() {
        return;
    }
    let selected = state.ui.table().selected;
    if state.ui.group_threads {
        // A group opens as the thread list filtered to that pool.
        if let Some(group) = rows::thread_groups(state).get(selected) {
            let prefix = group.prefix.clone();
            state.ui.group_threads = false;
            let table = state.ui.table_mut();
            table.filter = prefix;
            table.cursor = None;
            table.selected = 0;
            rows::refresh(state, View::Threads);
        }
    } else if let Some(row) = rows::thread_at(state, selected) {
        state.ui.thread_detail = Some(row.tid);
        state.ui.detail_scroll = 0;
        stacks::on_open_thread(state, row.tid);
    }
}

/// Back out of the drill-down, else the filter, else to the process watched before.
fn back(state: &mut AppState) -> Vec<Effect> {
    if state.ui.view == View::Threads && state.ui.thread_detail.is_some() {
        state.ui.thread_detail = None;
        state.ui.detail_scroll = 0;
    } else if !state.ui.table().filter.is_empty() {
        state.ui.table_mut().filter.clear();
        rows::refresh(state, state.ui.view);
    } else {
        return family::back(state);
    }
    Vec::new()
}
