//! Styles by role. Colour is always paired with a word, glyph, bold or reverse video, so a
//! NO_COLOR terminal (crossterm drops colours then) loses nothing.

use crate::rules::Severity;
use ratatui::style::{Color, Modifier, Style};

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn header_row() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

pub fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

pub fn banner() -> Style {
    // Reversed, so it stands out without colour too; with colour: white on red.
    Style::new()
        .fg(Color::Red)
        .bg(Color::White)
        .add_modifier(Modifier::BOLD | Modifier::REVERSED)
}

pub fn notice() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn severity(severity: Severity) -> Style {
    match severity {
        Severity::Crit => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::Warn => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Severity::Info => Style::new().fg(Color::Cyan),
    }
}

/// Fixed-width tag for a severity: readable without colour.
pub fn severity_tag(severity: Severity) -> &'static str {
    match severity {
        Severity::Crit => "!! CRIT",
        Severity::Warn => " ! WARN",
        Severity::Info => " i INFO",
    }
}

/// Style of a gauge by how full it is.
pub fn level(percent: Option<f64>) -> Style {
    match percent {
        Some(p) if p >= 90.0 => severity(Severity::Crit),
        Some(p) if p >= 75.0 => severity(Severity::Warn),
        _ => Style::new().fg(Color::Green),
    }
}

/// Textual mark of a gauge's level: `!!` critical, `!` warning, blank otherwise.
pub fn level_mark(percent: Option<f64>) -> &'static str {
    match percent {
        Some(p) if p >= 90.0 => "!!",
        Some(p) if p >= 75.0 => "! ",
        _ => "  ",
    }
}
