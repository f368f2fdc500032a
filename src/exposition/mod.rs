//! The Prometheus exposition of what `healthtop serve` watches: each process's headroom model,
//! findings and readings turned into metric families, written in the Prometheus text format
//! (0.0.4) or OpenMetrics 1.0.0, whichever the scraper asks for.
//!
//! Nothing here decides a limit or a forecast: the numbers come from [`crate::headroom`] and
//! [`crate::rules`], so a metric, a gauge and a finding always agree. Series are labelled by
//! the process's identity (`pid`, `comm`, `start_time`: a restart is a new series, never a
//! merged one) and, where known, its systemd `unit` and `cgroup`. No label holds a thread, an
//! fd or anything else whose count the target controls, so cardinality stays bounded.
//!
//! May import: `sample`, `headroom`, `rules`, `safe_text`.

mod families;
mod target;

pub use families::{Family, Kind, FAMILIES};
pub use target::{OwnProcess, TargetMetrics};

use std::fmt::Write as _;

/// A wire format of the exposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`: what every Prometheus understands.
    Text,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header prefers: OpenMetrics when it is asked for with at least
    /// the weight of the plain text format, else the text format.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Text;
        };
        let weight = |wanted: &str| {
            accept
                .split(',')
                .filter_map(|range| {
                    let mut parts = range.split(';').map(str::trim);
                    let media = parts.next()?;
                    (media.eq_ignore_ascii_case(wanted)).then(|| {
                        parts
                            .filter_map(|p| p.strip_prefix("q="))
                            .find_map(|q| q.parse::<f64>().ok())
                            .unwrap_or(1.0)
                    })
                })
                .fold(0.0_f64, f64::max)
        };
        let open = weight("application/openmetrics-text");
        if open > 0.0 && open >= weight("text/plain") {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// One sample of a family: its labels (name, value) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub labels: Vec<(&'static str, String)>,
    pub value: f64,
}

/// The whole exposition: every family in [`FAMILIES`] order, its samples from the watched
/// processes, then healthtop's own `process_*` families.
pub fn render(targets: &[TargetMetrics], own: Option<&OwnProcess>, format: Format) -> String {
    let mut out = String::with_capacity(1024 + targets.len() * 2048);
    for family in FAMILIES {
        let points: Vec<Point> = match family.name {
            "healthtop_watched_processes" => vec![Point {
                labels: Vec::new(),
                value: targets.len() as f64,
            }],
            name if name.starts_with("process_") => own.map(|o| o.points(name)).unwrap_or_default(),
            name => targets.iter().flat_map(|t| t.points(name)).collect(),
        };
        if points.is_empty() {
            continue;
        }
        write_family(&mut out, family, &points, format);
    }
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

fn write_family(out: &mut String, family: &Family, points: &[Point], format: Format) {
    // OpenMetrics names a counter family without its `_total`; its samples keep it.
    let family_name = match (format, family.kind) {
        (Format::OpenMetrics, Kind::Counter) => {
            family.name.strip_suffix("_total").unwrap_or(family.name)
        }
        _ => family.name,
    };
    let _ = writeln!(out, "# HELP {family_name} {}", family.help);
    let _ = writeln!(out, "# TYPE {family_name} {}", family.kind.as_str());
    for point in points {
        out.push_str(family.name);
        if !point.labels.is_empty() {
            out.push('{');
            for (i, (name, value)) in point.labels.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{name}=\"{}\"", escape_label(value));
            }
            out.push('}');
        }
        let _ = writeln!(out, " {}", number(point.value));
    }
}

/// A label value as the formats require (`\\`, `\"`, `\n`), after the one sanitizer has
/// escaped every control and bidi character a target may have put in its name.
fn escape_label(value: &str) -> String {
    let shown = crate::safe_text::line(value);
    let mut out = String::with_capacity(shown.len());
    for c in shown.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: integers without a fraction, infinities as `+Inf`/`-Inf`.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openmetrics_is_chosen_only_when_asked_for_first() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(Some("text/plain")), Format::Text);
        assert_eq!(Format::negotiate(None), Format::Text);
        assert_eq!(
            Format::negotiate(Some("text/plain;q=0.9,application/openmetrics-text;q=0.5")),
            Format::Text
        );
        assert_eq!(
            Format::negotiate(Some("application/openmetrics-text;q=0")),
            Format::Text
        );
    }

    #[test]
    fn label_values_are_escaped_and_never_carry_a_control_byte() {
        // The sanitizer writes `\` as `\\`; the format escapes each again.
        assert_eq!(escape_label("a\"b\\c"), "a\\\"b\\\\\\\\c");
        let hostile = escape_label("x\u{1b}]52;c;AA\u{7}\ny");
        assert!(!hostile.chars().any(char::is_control), "{hostile}");
        assert!(hostile.contains("\\\\x1b"), "{hostile}");
    }

    #[test]
    fn numbers_are_written_as_prometheus_reads_them() {
        assert_eq!(number(42.0), "42");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
