//! The Findings section of the text report.
//!
//! May import: `rules`, `format`, `safe_text` (messages quote target-controlled names).

use crate::rules::{Finding, Severity};
use crate::safe_text::line;
use std::fmt::Write;

/// `Findings` heading and one block per finding, worst first; "none" when healthy.
pub fn render(findings: &[Finding], color: bool) -> String {
    let mut out = String::from("\n");
    if color {
        out.push_str("\x1b[1;36mFindings\x1b[0m\n");
    } else {
        out.push_str("Findings\n");
    }
    if findings.is_empty() {
        out.push_str("  none: no rule fired\n");
        return out;
    }
    for f in findings {
        let label = match f.severity {
            Severity::Crit => "CRIT",
            Severity::Warn => "WARN",
            Severity::Info => "info",
        };
        let label = match (color, f.severity) {
            (true, Severity::Crit) => format!("\x1b[1;31m{label}\x1b[0m"),
            (true, Severity::Warn) => format!("\x1b[1;33m{label}\x1b[0m"),
            _ => label.to_string(),
        };
        let _ = writeln!(out, "  {label} {}: {}", line(&f.rule), line(&f.message));
        for e in &f.evidence {
            let _ = writeln!(out, "       {}", line(e));
        }
    }
    out
}
