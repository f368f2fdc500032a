//! The Headroom section of the text report: one line per resource of the headroom model, with
//! the binding limit, the usage and the outlook (the same figures the TUI's gauges show).
//!
//! May import: `headroom`, `format`.

use crate::format;
use crate::headroom::{Confidence, Headroom, Outlook};
use std::fmt::Write;

/// `Headroom` heading and one line per resource; nothing when the model is empty.
/// `why` gives the reason a sample field could not be read (`Sample::unavailable_reason`).
pub fn render<'a>(
    headroom: &Headroom,
    why: impl Fn(&str) -> Option<&'a str>,
    color: bool,
) -> String {
    if headroom.resources.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n");
    if color {
        out.push_str("\x1b[1;36mHeadroom\x1b[0m\n");
    } else {
        out.push_str("Headroom\n");
    }
    for r in &headroom.resources {
        let show = |v: f64| {
            if r.kind.is_bytes() {
                format::bytes(v.max(0.0) as u64)
            } else {
                format!("{v:.0}")
            }
        };
        let usage = r.usage.map_or_else(
            || {
                let why = format::not_available(why(r.source_field()));
                crate::safe_text::line(&why).into_owned()
            },
            show,
        );
        let limit = r.binding.as_ref().map_or_else(
            || "unlimited".to_string(),
            |l| format!("{} {}", show(l.value), l.name),
        );
        let outlook = match &r.outlook {
            Outlook::WarmingUp => "trend: too few samples".to_string(),
            Outlook::Steady => "steady".to_string(),
            Outlook::Stopped(stop) => {
                crate::headroom::describe_stop(stop, headroom.at_ms, r.kind.is_bytes())
            }
            Outlook::Rising(rise) => {
                let rate = if r.kind.is_bytes() {
                    format::bytes(rise.trend.slope_per_sec.max(0.0) as u64)
                } else {
                    format!("{:.2}", rise.trend.slope_per_sec)
                };
                let eta = rise.eta_secs.map_or_else(String::new, |secs| {
                    format!(", limit in {}", format::duration_secs(secs.clamp(0.0, 1e9)))
                });
                let provisional = match rise.confidence {
                    Confidence::Provisional => " (provisional)",
                    Confidence::Confirmed => "",
                };
                format!("rising +{rate}/s{eta}{provisional}")
            }
        };
        let _ = writeln!(
            out,
            "  {:<9} {:>12} / {:<28} {outlook}",
            r.kind.label(),
            usage,
            limit
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headroom::{NamedLimit, Resource, ResourceKind, Rise, Stop};
    use crate::history::{Metric, Trend};

    fn trend(slope_per_sec: f64) -> Trend {
        Trend {
            slope_per_sec,
            significant: true,
            level_now: 100.0,
            tau: 1.0,
            z: 5.0,
            samples: 20,
            span_secs: 19.0,
        }
    }

    fn resource(kind: ResourceKind, outlook: Outlook) -> Resource {
        let limit = NamedLimit {
            name: "RLIMIT_NOFILE".into(),
            value: 1024.0,
            detail: "soft RLIMIT_NOFILE 1024".into(),
        };
        Resource {
            kind,
            metric: Metric::FdsOpen,
            usage: Some(100.0),
            binding: Some(limit.clone()),
            limits: vec![limit],
            outlook,
        }
    }

    #[test]
    fn each_resource_has_a_line_with_its_limit_and_outlook() {
        let headroom = Headroom {
            at_ms: 60_000,
            resources: vec![
                resource(
                    ResourceKind::Fds,
                    Outlook::Rising(Rise {
                        trend: trend(2.0),
                        eta_secs: Some(462.0),
                        confidence: Confidence::Provisional,
                        recent_slope_per_sec: Some(2.0),
                        recent_window_secs: 15.0,
                    }),
                ),
                resource(
                    ResourceKind::Threads,
                    Outlook::Stopped(Stop {
                        trend: trend(1.0),
                        grew_by: 30.0,
                        grew_over_secs: 30.0,
                        flat_since_ms: 40_000,
                    }),
                ),
            ],
        };
        let text = render(&headroom, |_| None, false);
        assert!(text.starts_with("\nHeadroom\n"), "{text}");
        assert!(
            text.contains("fds")
                && text.contains("100 / 1024 RLIMIT_NOFILE")
                && text.contains("rising +2.00/s, limit in 7m 42s (provisional)"),
            "{text}"
        );
        assert!(
            text.contains("grew by 30 in 30s, flat since 00:00:40 UTC (20s)"),
            "{text}"
        );
        assert_eq!(render(&Headroom::default(), |_| None, false), "");
    }
}
