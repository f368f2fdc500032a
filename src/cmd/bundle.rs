//! `healthtop bundle -p PID -o FILE`: watch for a while, then write one file holding the
//! report, its history, raw /proc copies and a README, with secrets masked.

use super::parse_pid;
use crate::bundle::secrets::Redactor;
use crate::bundle::write::{write_bundle, Entry};
use crate::bundle::{BundleReport, Manifest, MissingEntry, TargetIdentity, SCHEMA};
use crate::cli::BundleArgs;
use crate::collect::{raw, CollectError, Collector, HostRoot, Tiers};
use crate::config::Config;
use crate::exit::CliError;
use crate::report::Report;
use crate::sample::Sample;
use std::path::Path;
use std::time::{Duration, Instant};

const README: &str = include_str!("../../assets/bundle-README.txt");

pub fn run(args: &BundleArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let pid = parse_pid(&args.pid)?;
    let config = Config::load(config_path)?;
    let root = HostRoot::live();
    let mut collector = Collector::new(root.clone(), pid)?;
    let started = Instant::now();
    let samples = watch(&mut collector, args.duration, args.interval)?;
    let environment = raw::environment(&root, pid);
    let redactor = Redactor::new(
        &samples
            .last()
            .map(|s| s.identity.cmdline.clone())
            .unwrap_or_default(),
        environment.as_deref().unwrap_or_default(),
    );
    let mut entries = Vec::new();
    let mut missing = Vec::new();

    let mut history: Vec<Sample> = samples.iter().map(|s| mask_sample(s, &redactor)).collect();
    let last = history.last().cloned().ok_or(CollectError::Gone { pid })?;
    for sample in history.iter_mut() {
        sample.memory.maps.clear();
    }
    let findings = crate::report::watch::judge_series(&samples, args.interval, config);
    let report = BundleReport {
        report: Report::new(last.clone()).with_findings(findings),
        history,
    };
    entries.push(json_entry("report.json", &report)?);

    for file in raw::copy_process_files(&root, pid, args.include_env) {
        let path = format!("proc/{}", file.path);
        match file.contents {
            Ok(data) if file.path == "cmdline" || file.path == "environ" => {
                entries.push(Entry {
                    path,
                    data: redactor.mask_nul_separated(&data),
                });
            }
            Ok(data) => entries.push(Entry { path, data }),
            Err(reason) => missing.push(MissingEntry { path, reason }),
        }
    }
    if args.include_env {
        if let Err(error) = &environment {
            missing.push(MissingEntry {
                path: "proc/environ".into(),
                reason: error.reason(),
            });
        }
    }
    entries.push(Entry {
        path: "README.txt".into(),
        data: README.as_bytes().to_vec(),
    });
    for entry in &mut entries {
        entry.data = redactor.mask_bytes(&entry.data);
    }

    let manifest = Manifest {
        schema: SCHEMA.to_string(),
        healthtop_version: env!("CARGO_PKG_VERSION").to_string(),
        host: raw::hostname(&root),
        kernel: last.system.kernel.clone(),
        created_at_ms: last.taken_at_ms,
        target: TargetIdentity {
            pid,
            start_time: last.identity.start_time,
            comm: last.identity.comm.clone(),
            runtime: last.identity.runtime.as_str().to_string(),
        },
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        samples: samples.len(),
        includes_environment: args.include_env && environment.is_ok(),
        contents: Vec::new(),
        missing,
    };
    let files = entries.len() + 1;
    write_bundle(&args.output, manifest, &entries, args.force)?;
    println!(
        "bundle written to {} ({files} files)",
        args.output.display()
    );
    Ok(())
}

/// Samples every `interval` for `duration`; the last sample reads every tier.
fn watch(
    collector: &mut Collector,
    duration: Duration,
    interval: Duration,
) -> Result<Vec<Sample>, CollectError> {
    let deadline = Instant::now() + duration;
    let mut samples = Vec::new();
    while Instant::now() + interval <= deadline {
        let next = Instant::now() + interval;
        samples.push(collector.sample(Tiers {
            census: true,
            maps: samples.is_empty(),
        })?);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    samples.push(collector.sample(Tiers::ALL)?);
    Ok(samples)
}

fn mask_sample(sample: &Sample, redactor: &Redactor) -> Sample {
    let mut masked = sample.clone();
    masked.identity.cmdline = sample
        .identity
        .cmdline
        .iter()
        .map(|a| redactor.mask_entry(a))
        .collect();
    masked
}

fn json_entry(path: &str, value: &impl serde::Serialize) -> Result<Entry, CliError> {
    let data = serde_json::to_vec_pretty(value).map_err(|e| {
        CliError::new(
            crate::exit::ExitCode::Internal,
            format!("cannot encode {path}: {e}"),
        )
    })?;
    Ok(Entry {
        path: path.to_string(),
        data,
    })
}
