//! Keys as data: one table of bindings, read by `app::update` to turn a key press into a
//! [`Command`] and by the help overlay to list every key. Adding a binding here is all it
//! takes for it to work and to be documented.
//!
//! May import: nothing else in the crate (external: crossterm's key types).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A named user intent. The app decides what it means in the current view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    NextView,
    PrevView,
    /// Jump to the view with this index (0 = Overview).
    GoView(usize),
    /// Drill into the selected row.
    Open,
    /// Leave the drill-down, close the help, clear the filter.
    Back,
    Filter,
    Sort,
    /// Threads: group rows by name prefix.
    Group,
    Pause,
    Faster,
    Slower,
    /// Bundle view: one sample back in time.
    Earlier,
    /// Bundle view: one sample forward in time.
    Later,
    /// Bundle view: the first sample.
    Earliest,
    /// Bundle view: the last sample.
    Latest,
    /// Live view: write a snapshot bundle of the target.
    Bundle,
    /// Stacks view: pick a thread from a list sorted by CPU.
    ThreadFilter,
    /// Stacks view: on-CPU ↔ wall-clock flame graph.
    FlameMode,
    /// Stacks view: the cursor keys move in the top table, or in the graph again.
    Pane,
    /// Stacks view: write the flame graph (SVG) and folded stacks.
    Export,
    /// Scroll the detail pane (thread drill-down, finding detail) down one line.
    DetailDown,
    /// Scroll the detail pane up one line.
    DetailUp,
    /// Ask the runtime for a thread/goroutine dump (after a confirmation).
    Dump,
    Help,
    Quit,
}

impl Command {
    /// Commands the help overlay lists on one shared line, under this heading.
    pub fn help_group(self) -> Option<&'static str> {
        match self {
            Command::GoView(_) => Some("views"),
            Command::Earlier | Command::Later | Command::Earliest | Command::Latest => {
                Some("bundle time")
            }
            Command::PageUp | Command::PageDown => Some("page"),
            Command::DetailDown | Command::DetailUp => Some("detail"),
            Command::Home | Command::End => Some("jump"),
            Command::FlameMode | Command::Pane | Command::ThreadFilter | Command::Export => {
                Some("stacks")
            }
            _ => None,
        }
    }
}

/// One key with its modifiers. Shift is ignored when matching (terminals disagree on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }
    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// How the help overlay writes this key.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Home => "Home".to_string(),
            KeyCode::End => "End".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::BackTab => "Shift-Tab".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Backspace => "Backspace".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

/// Keys bound to one command, and what the command does, for the help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub command: Command,
    pub doc: &'static str,
}

/// Every binding. The help overlay lists them in this order.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::plain(KeyCode::Up), Key::ch('k')],
        command: Command::Up,
        doc: "move up; Stacks: to the caller",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Down), Key::ch('j')],
        command: Command::Down,
        doc: "move down; Stacks: to the biggest callee",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageUp)],
        command: Command::PageUp,
        doc: "page up",
    },
    Binding {
        keys: &[Key::plain(KeyCode::PageDown)],
        command: Command::PageDown,
        doc: "page down",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Home), Key::ch('g')],
        command: Command::Home,
        doc: "first row",
    },
    Binding {
        keys: &[Key::plain(KeyCode::End), Key::ch('G')],
        command: Command::End,
        doc: "last row",
    },
    Binding {
        keys: &[Key::plain(KeyCode::Tab)],
        command: Command::NextView,
        doc: "next view",
    },
    Binding {
        keys: &[Key::plain(KeyCode::BackTab)],
        command: Command::PrevView,
        doc: "previous view",
    },
    Binding {
        keys: &[Key::ch('1')],
        command: Command::GoView(0),
        doc: "Overview",
    },
    Binding {
        keys: &[Key::ch('2')],
        command: Command::GoView(1),
        doc: "Threads",
    },
    Binding {
        keys: &[Key::ch('3')],
        command: Command::GoView(2),
        doc: "FDs",
    },
    Binding {
        keys: &[Key::ch('4')],
        command: Command::GoView(3),
        doc: "Memory",
    },
    Binding {
        keys: &[Key::ch('5')],
        command: Command::GoView(4),
        doc: "Signals",
    },
    Binding {
        keys: &[Key::ch('6')],
        command: Command::GoView(5),
        doc: "Findings",
    },
    Binding {
        keys: &[Key::ch('7')],
        command: Command::GoView(6),
        doc: "Stacks",
    },
    Binding {
        keys: &[Key::ch('8')],
        command: Command::GoView(7),
        doc: "Family",
    },
    Binding {
        keys: &[
            Key::plain(KeyCode::Enter),
            Key::plain(KeyCode::Right),
            Key::ch('l'),
        ],
        command: Command::Open,
        doc: "drill in; Family: watch it; Stacks: zoom, → l next frame",
    },
    Binding {
        keys: &[
            Key::plain(KeyCode::Esc),
            Key::plain(KeyCode::Backspace),
            Key::plain(KeyCode::Left),
            Key::ch('h'),
        ],
        command: Command::Back,
        doc: "back, clear filter, the process before; Stacks: zoom out",
    },
    Binding {
        keys: &[Key::ch('/')],
        command: Command::Filter,
        doc: "filter by name or #id, search frames (Enter keeps)",
    },
    Binding {
        keys: &[Key::ch('s')],
        command: Command::Sort,
        doc: "cycle the sort column; Stacks: of the top table",
    },
    Binding {
        keys: &[Key::ch('t')],
        command: Command::Group,
        doc: "threads: group by name prefix; Stacks: a root per pool",
    },
    Binding {
        keys: &[Key::ch('p')],
        command: Command::Pause,
        doc: "pause / resume collection",
    },
    Binding {
        keys: &[Key::ch('+')],
        command: Command::Slower,
        doc: "longer interval",
    },
    Binding {
        keys: &[Key::ch('-')],
        command: Command::Faster,
        doc: "shorter interval",
    },
    Binding {
        keys: &[Key::ch('b')],
        command: Command::Bundle,
        doc: "write a bundle of the target to ./",
    },
    Binding {
        keys: &[Key::ch('J')],
        command: Command::DetailDown,
        doc: "scroll down (drill-down: j k too)",
    },
    Binding {
        keys: &[Key::ch('K')],
        command: Command::DetailUp,
        doc: "scroll up",
    },
    Binding {
        keys: &[Key::ch('D')],
        command: Command::Dump,
        doc: "thread/goroutine dump from the runtime (asks first)",
    },
    Binding {
        keys: &[Key::ch('m')],
        command: Command::FlameMode,
        doc: "cpu/wall",
    },
    Binding {
        keys: &[Key::ch('o')],
        command: Command::Pane,
        doc: "top table",
    },
    Binding {
        keys: &[Key::ch('f')],
        command: Command::ThreadFilter,
        doc: "pick thread",
    },
    Binding {
        keys: &[Key::ch('e')],
        command: Command::Export,
        doc: "export SVG",
    },
    Binding {
        keys: &[Key::ch('[')],
        command: Command::Earlier,
        doc: "back",
    },
    Binding {
        keys: &[Key::ch(']')],
        command: Command::Later,
        doc: "forward",
    },
    Binding {
        keys: &[Key::ch('{')],
        command: Command::Earliest,
        doc: "first",
    },
    Binding {
        keys: &[Key::ch('}')],
        command: Command::Latest,
        doc: "last sample",
    },
    Binding {
        keys: &[Key::ch('?'), Key::plain(KeyCode::F(1))],
        command: Command::Help,
        doc: "help (this list)",
    },
    Binding {
        keys: &[Key::ch('q'), Key::plain(KeyCode::F(10)), Key::ctrl('c')],
        command: Command::Quit,
        doc: "quit",
    },
];

/// The command bound to a key press, if any.
pub fn resolve(event: &KeyEvent) -> Option<Command> {
    let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
    let code = match event.code {
        // Terminals send Shift-Tab either as BackTab or as Tab with Shift.
        KeyCode::Tab if event.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
        other => other,
    };
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.code == code && k.ctrl == ctrl))
        .map(|b| b.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen: Vec<Key> = Vec::new();
        for binding in BINDINGS {
            for key in binding.keys {
                assert!(!seen.contains(key), "{} bound twice", key.label());
                seen.push(*key);
            }
        }
    }

    #[test]
    fn the_keys_users_expect_resolve() {
        let press = |code| KeyEvent::new(code, KeyModifiers::NONE);
        assert_eq!(resolve(&press(KeyCode::Char('j'))), Some(Command::Down));
        assert_eq!(resolve(&press(KeyCode::F(10))), Some(Command::Quit));
        assert_eq!(
            resolve(&press(KeyCode::Char('4'))),
            Some(Command::GoView(3))
        );
        assert_eq!(
            resolve(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            resolve(&KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT)),
            Some(Command::PrevView)
        );
        assert_eq!(
            resolve(&KeyEvent::new(KeyCode::Char('+'), KeyModifiers::SHIFT)),
            Some(Command::Slower)
        );
        assert_eq!(
            resolve(&KeyEvent::new(KeyCode::Char('{'), KeyModifiers::SHIFT)),
            Some(Command::Earliest)
        );
        assert_eq!(resolve(&press(KeyCode::Char(']'))), Some(Command::Later));
        assert_eq!(resolve(&press(KeyCode::Char('b'))), Some(Command::Bundle));
        assert_eq!(
            resolve(&press(KeyCode::Char('m'))),
            Some(Command::FlameMode)
        );
        assert_eq!(resolve(&press(KeyCode::Char('o'))), Some(Command::Pane));
        assert_eq!(resolve(&press(KeyCode::Char('x'))), None);
    }
}
