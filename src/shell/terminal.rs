//! The terminal: raw mode and the alternate screen while healthtop runs, restored by
//! [`Term::leave`], by `Drop` on an error path, and by a panic hook. Frames are wrapped in
//! synchronized-update sequences so slow links (SSH) never show half a frame.

use crate::app::AppState;
use crossterm::cursor::{Hide, Show};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{execute, queue};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Size;
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::sync::Once;

/// Puts the terminal back: leave the alternate screen, show the cursor, cooked mode. Errors
/// are ignored: after SIGHUP the terminal may be gone, and there is nothing left to do.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, EndSynchronizedUpdate, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The terminal while the TUI owns it.
pub struct Term {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    active: bool,
}

impl Term {
    pub fn enter() -> io::Result<Term> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(error) = execute!(out, EnterAlternateScreen, Hide) {
            restore();
            return Err(error);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(error) => {
                restore();
                return Err(error);
            }
        };
        Ok(Term {
            terminal,
            active: true,
        })
    }

    pub fn size(&self) -> io::Result<Size> {
        self.terminal.size()
    }

    /// Draws one frame. A failed write (terminal gone) is not fatal: the signal that
    /// follows a hang-up ends the loop.
    pub fn draw(&mut self, state: &AppState) {
        let _ = queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate);
        let _ = self
            .terminal
            .draw(|frame| crate::view::render(state, frame));
        let _ = execute!(self.terminal.backend_mut(), EndSynchronizedUpdate);
    }

    pub fn leave(&mut self) {
        if self.active {
            self.active = false;
            restore();
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.leave();
    }
}
