//! Pure rendering: `render(&AppState, &mut Frame)` draws the model and nothing else. One file
//! per view; `chrome` draws the header, tabs, banner and footer around them.
//!
//! May import: `app` (shared references only), `keymap` (help), `format`, `decode`, `sample`
//! and `scan` types. Must not import: `collect`, `shell`, tokio, `std::fs` — a view never reads `/proc`.

mod chrome;
mod dump;
mod family;
mod fds;
mod findings;
mod help;
mod memory;
mod overview;
mod pane;
mod picker;
mod signals;
mod stacks;
mod table;
mod text;
mod theme;
mod threads;

use crate::app::{AppState, TargetStatus, View};
use ratatui::layout::{Constraint, Layout};
use ratatui::Frame;

/// Below this size one line replaces the layout: a table needs its TID and NAME, a header
/// and a few rows.
pub const MIN_WIDTH: u16 = 32;
pub const MIN_HEIGHT: u16 = 10;

/// Draws the whole screen for `state`.
pub fn render(state: &AppState, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        chrome::too_small(frame, area, MIN_WIDTH, MIN_HEIGHT);
        return;
    }
    if state.picker.active {
        picker::render(state, frame, area);
        if state.ui.help {
            help::render(frame, area);
        }
        return;
    }
    let banner = !matches!(state.status, TargetStatus::Live) || state.notice.is_some();
    let [header, tabs, banner_area, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(u16::from(banner)),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::header(state, frame, header);
    chrome::tabs(state, frame, tabs);
    if banner {
        chrome::banner(state, frame, banner_area);
    }
    match state.ui.view {
        View::Overview => overview::render(state, frame, body),
        View::Threads => threads::render(state, frame, body),
        View::Fds => fds::render(state, frame, body),
        View::Memory => memory::render(state, frame, body),
        View::Signals => signals::render(state, frame, body),
        View::Findings => findings::render(state, frame, body),
        View::Stacks => stacks::render(state, frame, body),
        View::Family => family::render(state, frame, body),
    }
    chrome::footer(state, frame, footer);
    if state.ui.help {
        help::render(frame, area);
    }
    dump::render_panel(state, frame, area);
    dump::render_dialog(state, frame, area);
}
