//! `healthtop report -p PID [--json]`: one full reading, printed.

use super::target_pid;
use crate::cli::ReportArgs;
use crate::collect::{Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exit::CliError;
use crate::report::{findings, headroom, text, watch, Report, WatchSpan};
use std::io::IsTerminal;
use std::path::Path;

pub fn run(args: &ReportArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    if let Some(path) = &args.from {
        let bundle = crate::bundle::read::open_bundle(path)?;
        print(&bundle.report.report, args.json)?;
        return check_raw_copies(&bundle, args.json);
    }
    let pid = target_pid(args.pid.as_deref().unwrap_or_default())?;
    let config = Config::load(config_path)?;
    let mut collector = Collector::new(HostRoot::live(), pid)?;
    let report = match args.watch {
        Some(window) => {
            let watched = watch::watch(
                &mut collector,
                window,
                args.interval,
                config,
                args.pprof.as_deref(),
            )?;
            Report::new(watched.sample)
                .with_findings(watched.findings)
                .with_goroutines(watched.goroutines)
                .with_headroom(watched.headroom)
                .with_watch(WatchSpan {
                    watched_secs: watched.watched.as_secs_f64(),
                    samples: watched.samples,
                    interval_secs: args.interval.as_secs_f64(),
                })
        }
        None => {
            let sample = collector.sample(Tiers::ALL)?;
            let judged = watch::judge_once(&sample, &config);
            Report::new(sample)
                .with_findings(judged.findings)
                .with_headroom(judged.headroom)
        }
    };
    print(&report, args.json)
}

/// Re-derives the headline figures from a bundle's raw `/proc` copies and says where they
/// disagree with `report.json`: a section after the text report, or (with `--json`, whose
/// stdout stays the report) one line per disagreement on stderr.
fn check_raw_copies(
    bundle: &crate::bundle::read::OpenedBundle,
    json: bool,
) -> Result<(), CliError> {
    let checked = crate::bundle::rederive::rederive(bundle);
    if json {
        for figure in checked.iter().flatten().filter(|f| !f.agrees()) {
            let line = format!(
                "healthtop: raw /proc copies differ from report.json: {} {} (report.json {})",
                figure.name, figure.raw, figure.report
            );
            eprintln!("{}", line.replace(char::is_control, "?"));
        }
        return Ok(());
    }
    let mut out = String::from("\nRaw /proc copies, re-read with the same collectors\n");
    match checked {
        Ok(figures) => {
            let agreed: Vec<String> = figures
                .iter()
                .filter(|f| f.agrees())
                .map(|f| format!("{} {}", f.name, f.report))
                .collect();
            if !agreed.is_empty() {
                out.push_str(&format!(
                    "  agree with report.json: {}\n",
                    agreed.join(", ")
                ));
            }
            for figure in figures.iter().filter(|f| !f.agrees()) {
                out.push_str(&format!(
                    "  differ: {} is {} in the copies, {} in report.json (the copies were \
                     taken just after the last sample)\n",
                    figure.name, figure.raw, figure.report
                ));
            }
        }
        Err(reason) => out.push_str(&format!("  not checked: {reason}\n")),
    }
    // The bundle is hostile: no control byte of it reaches the terminal.
    let out: String = out
        .chars()
        .map(|c| if c.is_control() && c != '\n' { '?' } else { c })
        .collect();
    super::write_stdout(&out)
}

/// Prints a report as JSON or text (colour only on a terminal, never with `NO_COLOR`).
pub fn print(report: &Report, json: bool) -> Result<(), CliError> {
    let output = if json {
        return super::write_stdout_json(report);
    } else {
        let color = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let span = report
            .watch
            .map_or_else(String::new, |w| format!("{}\n\n", w.describe()));
        span + &text::render(&report.sample, color)
            + &text::goroutines(report.goroutines.as_ref(), color)
            + &report.headroom.as_ref().map_or_else(String::new, |h| {
                headroom::render(h, |f| report.sample.unavailable_reason(f), color)
            })
            + &findings::render(&report.findings, color)
    };
    super::write_stdout(&output)
}
