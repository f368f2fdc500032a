//! `healthtop scan [--json] [--top N] [--user U] [--watch DURATION]`: every process of the
//! host ranked by how close it is to a limit, once, or every interval by the nearest ETA.

use crate::cli::ScanArgs;
use crate::collect::scan::{scan_host, user_names, HostScan};
use crate::collect::{CollectError, HostRoot};
use crate::config::Config;
use crate::exit::{CliError, ExitCode};
use crate::safe_text;
use crate::scan::{rank, Ranked, ResourceUse, Watch, SCHEMA};
use std::path::Path;
use std::time::{Duration, Instant};

pub fn run(args: &ScanArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let config = Config::load(config_path)?;
    let root = HostRoot::live();
    let uid = args
        .user
        .as_deref()
        .map(|u| user_id(&root, u))
        .transpose()?;
    let Some(interval) = args.watch else {
        let ranked = rank(&scan(&root)?, &config);
        return super::write_stdout(&render(args, uid, ranked, false));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new(ExitCode::Internal, format!("cannot start: {e}")))?;
    runtime.block_on(watch(args, uid, &root, &config, interval))
}

/// Scans every `interval` until SIGINT or SIGTERM, printing the ranking each time (with
/// `--json`, one JSON object per line).
async fn watch(
    args: &ScanArgs,
    uid: Option<u32>,
    root: &HostRoot,
    config: &Config,
    interval: Duration,
) -> Result<(), CliError> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen =
        |kind| signal(kind).map_err(|e| CliError::new(ExitCode::Internal, format!("signals: {e}")));
    let (mut sigint, mut sigterm) = (
        listen(SignalKind::interrupt())?,
        listen(SignalKind::terminate())?,
    );
    let mut watch = Watch::new(interval);
    let start = Instant::now();
    let mut next = tokio::time::Instant::now();
    loop {
        let ranked = watch.update(&scan(root)?, config);
        // JSON: one object per line, nothing else; text: a header and a blank line per frame.
        let frame = if args.json {
            render(args, uid, ranked, true)
        } else {
            format!(
                "watched {} ({} processes tracked), every {}; Ctrl-C stops\n{}\n",
                crate::format::duration(start.elapsed()),
                watch.tracked(),
                humantime::format_duration(interval),
                render(args, uid, ranked, true)
            )
        };
        super::write_stdout(&frame)?;
        next += interval;
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = sigint.recv() => return Ok(()),
            _ = sigterm.recv() => return Ok(()),
        }
    }
}

/// One thread: on the 2-CPU test host two were 10–20 % slower at 100 and at 2,000 processes
/// (`benches/scan.rs`); the time goes to the kernel's procfs lookups and reads.
const SCAN_THREADS: usize = 1;

fn scan(root: &HostRoot) -> Result<HostScan, CliError> {
    scan_host(root, SCAN_THREADS).map_err(|error| match error {
        CollectError::PermissionDenied { .. } => {
            CliError::new(ExitCode::PermissionDenied, error.to_string())
        }
        other => CliError::new(ExitCode::Internal, other.to_string()),
    })
}

/// `--user`: a name from `/etc/passwd`, or a numeric uid.
fn user_id(root: &HostRoot, user: &str) -> Result<u32, CliError> {
    if let Ok(uid) = user.parse() {
        return Ok(uid);
    }
    user_names(root)
        .into_iter()
        .find_map(|(uid, name)| (name == user).then_some(uid))
        .ok_or_else(|| {
            CliError::new(
                ExitCode::Usage,
                format!("--user {user:?}: no such user in /etc/passwd"),
            )
        })
}

/// The ranking after `--user` and `--top`, as a table or JSON.
fn render(args: &ScanArgs, uid: Option<u32>, ranked: Vec<Ranked>, watched: bool) -> String {
    let limit = args.top.map_or(usize::MAX, |n| n as usize);
    let shown: Vec<Ranked> = ranked
        .into_iter()
        .filter(|r| uid.is_none() || r.uid == uid)
        .take(limit)
        .collect();
    if args.json {
        let json = serde_json::json!({"schema": SCHEMA, "processes": shown});
        return format!("{json}\n");
    }
    table(&shown, watched)
}

fn table(ranked: &[Ranked], watched: bool) -> String {
    let mut out = format!(
        "{:>8}  {:<16} {:<10} {:<8} {:>21} {:>6}",
        "PID", "COMM", "USER", "WORST", "USED/LIMIT", "%"
    );
    if watched {
        out.push_str(&format!(" {:>8}", "ETA"));
    }
    out.push('\n');
    for row in ranked {
        let user = row
            .user
            .clone()
            .or_else(|| row.uid.map(|u| u.to_string()))
            .unwrap_or_else(|| "?".into());
        let comm = row.comm.as_deref().unwrap_or("?");
        out.push_str(&format!(
            "{:>8}  {:<16} {:<10} ",
            row.pid,
            super::cut(&safe_text::line(comm), 16),
            super::cut(&safe_text::line(&user), 10)
        ));
        match &row.worst {
            Some(worst) => {
                let ratio = worst
                    .ratio
                    .map_or("?".into(), |r| format!("{:.1}", r * 100.0));
                out.push_str(&format!(
                    "{:<8} {:>21} {ratio:>6}",
                    worst.resource.label(),
                    used_of_limit(worst)
                ));
                if watched {
                    let eta = row
                        .eta_seconds
                        .map_or("-".into(), crate::format::duration_secs);
                    out.push_str(&format!(" {eta:>8}"));
                }
            }
            None => out.push_str(&format!("{:<8} {:>21} {:>6}", "-", "-", "-")),
        }
        if let Some(error) = &row.error {
            out.push_str(&format!("  n/a ({})", safe_text::line(error)));
        }
        out.push('\n');
    }
    out
}

/// `900/1024`, `1.5 GiB/2.0 GiB`.
fn used_of_limit(resource: &ResourceUse) -> String {
    let show = |value: Option<f64>| match value {
        None => "?".to_string(),
        Some(v) if resource.resource.is_bytes() => crate::format::bytes(v.max(0.0) as u64),
        Some(v) => format!("{v:.0}"),
    };
    format!("{}/{}", show(resource.used), show(resource.limit))
}
