//! The terminal: raw mode and the alternate screen while healthtop runs, entered and left with
//! ratatui's own `try_init` / `try_restore` (whose panic hook restores the terminal), and
//! restored by [`Term::leave`], by `Drop` on an error path, and by the shell's SIGTERM/SIGHUP
//! handling. What ratatui does not do is added here: frames are wrapped in synchronized-update
//! sequences so slow links (SSH) never show half a frame, and a restore (also on panic) ends an
//! unfinished update and shows the cursor.

use crate::app::AppState;
use crossterm::cursor::{Hide, Show};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use ratatui::layout::Size;
use ratatui::DefaultTerminal;
use std::io::{self, Write};
use std::sync::Once;

/// Puts the terminal back: end an unfinished synchronized update, show the cursor, then
/// ratatui's restore (cooked mode, main screen). Errors are ignored: after SIGHUP the terminal
/// may be gone, and there is nothing left to do.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, EndSynchronizedUpdate, Show);
    let _ = ratatui::try_restore();
    let _ = out.flush();
}

/// Ends a synchronized update and shows the cursor before any other panic hook runs, ratatui's
/// included (installed after this one by `try_init`, so it runs first and restores the modes).
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
    terminal: DefaultTerminal,
    active: bool,
}

impl Term {
    /// Raw mode, the alternate screen and a restoring panic hook (`ratatui::try_init`), with
    /// the cursor hidden. Entered once per run.
    pub fn enter() -> io::Result<Term> {
        install_panic_hook();
        // A failure half-way (raw mode on, no alternate screen) is undone before returning.
        let mut terminal = ratatui::try_init().inspect_err(|_| restore())?;
        if let Err(error) = execute!(terminal.backend_mut(), Hide) {
            restore();
            return Err(error);
        }
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
