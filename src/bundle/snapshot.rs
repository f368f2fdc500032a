//! Building a bundle from samples already taken: one function for `healthtop bundle` (which
//! watches first) and the TUI's bundle key (which hands over the history the user saw).
//!
//! The only reads of `/proc` here go through `collect::raw` (raw copies, environment, host
//! name), and only when the caller says the target is still there: a bundle of an exited target
//! is built from its frozen samples, its raw copies listed as missing with the reason.

use super::secrets::{mask_args, mask_raw_cmdline, mask_raw_environ};
use super::write::{write_bundle, Entry};
use super::{
    judge, BundleError, BundleReport, Manifest, MissingEntry, Recorded, TargetExit, TargetIdentity,
    SCHEMA,
};
use crate::collect::{raw, HostRoot};
use crate::config::Config;
use crate::report::Report;
use crate::runtimes::go::GoroutineCount;
use crate::safe_file::{Existing, NewFile, PRIVATE};
use crate::sample::Sample;
use std::path::{Path, PathBuf};
use std::time::Duration;

const README: &str = include_str!("../../assets/bundle-README.txt");

/// Whether to copy the target's `/proc` files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawCopies {
    /// The target was alive at the last sample: copy its files (after checking that its PID
    /// still names the same process).
    Copy,
    /// Do not read `/proc`: every raw file is listed as missing with this reason.
    Skip { reason: String },
}

/// What to bundle.
#[derive(Debug, Clone)]
pub struct Request {
    pub root: HostRoot,
    /// Oldest first; the last one becomes the report (with its memory maps, if it has them).
    pub samples: Vec<Recorded>,
    /// How the target ended, when it ended while it was watched.
    pub exit: Option<TargetExit>,
    /// Time between samples, for judging the findings over them.
    pub interval: Duration,
    pub config: Config,
    pub raw: RawCopies,
    /// Include the target's environment (masked). Only with [`RawCopies::Copy`].
    pub include_env: bool,
    /// How long the target was watched.
    pub duration: Duration,
    /// Files the caller produced (stacks, runtime dumps), masked like every other file.
    pub extras: Vec<Entry>,
    /// Files the caller could not produce, and why.
    pub extras_missing: Vec<MissingEntry>,
}

/// A bundle built in memory, ready to be written.
#[derive(Debug, Clone)]
pub struct Built {
    pub manifest: Manifest,
    pub entries: Vec<Entry>,
}

impl Built {
    /// Files in the archive, the manifest included.
    pub fn files(&self) -> usize {
        self.entries.len() + 1
    }

    /// Writes into `destination`, opened beforehand (so a refused name fails before anything
    /// is watched), and links it under its name.
    pub fn write(&self, destination: NewFile) -> Result<(), BundleError> {
        write_bundle(destination, self.manifest.clone(), &self.entries)
    }

    /// Writes to `dir/stem.tar.gz`, or `dir/stem-2.tar.gz`, `-3`… if that name is taken (by
    /// anything: a file, a link): never replaces or follows one. Returns the path written.
    pub fn write_new(&self, dir: &Path, stem: &str) -> Result<PathBuf, BundleError> {
        let mut last = None;
        for n in 1..=100 {
            let name = if n == 1 {
                format!("{stem}.tar.gz")
            } else {
                format!("{stem}-{n}.tar.gz")
            };
            let path = dir.join(name);
            let written = NewFile::create(&path, Existing::Refuse, PRIVATE)
                .map_err(BundleError::File)
                .and_then(|file| self.write(file));
            match written {
                Ok(()) => return Ok(path),
                Err(BundleError::File(error)) if error.is_refusal() => {
                    last = Some(BundleError::File(error));
                }
                Err(other) => return Err(other),
            }
        }
        Err(last.unwrap_or(BundleError::NoSamples))
    }
}

/// `healthtop-<comm>-<pid>-<YYYYmmdd-HHMMSS>` (UTC), with anything but letters, digits, `.`,
/// `_` and `-` in the command name replaced by `_` so the name is one safe path component.
pub fn default_stem(comm: &str, pid: i32, at_ms: u64) -> String {
    let comm: String = comm
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let comm = comm.trim_start_matches('.');
    let comm = if comm.is_empty() { "process" } else { comm };
    format!("healthtop-{comm}-{pid}-{}", utc_stamp(at_ms))
}

/// `YYYYmmdd-HHMMSS` in UTC (civil-from-days, H. Hinnant's algorithm).
fn utc_stamp(at_ms: u64) -> String {
    let secs = at_ms / 1000;
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Builds every file of the bundle: the report with its history and findings, the raw copies
/// (or why they are missing) and the README, secrets masked in all of them.
pub fn build(request: Request) -> Result<Built, BundleError> {
    let Request {
        root,
        samples,
        exit,
        interval,
        config,
        raw,
        include_env,
        duration,
        extras,
        extras_missing,
    } = request;
    let last = &samples.last().ok_or(BundleError::NoSamples)?.sample;
    let pid = last.identity.pid;
    let raw = match raw {
        RawCopies::Copy => match raw::same_process(&root, pid, last.identity.start_time) {
            Ok(()) => RawCopies::Copy,
            Err(reason) => RawCopies::Skip { reason },
        },
        skip => skip,
    };
    let environment = match &raw {
        RawCopies::Copy if include_env => raw::environment(&root, pid).map_err(|e| e.reason()),
        RawCopies::Copy => Err("left out (no --include-env)".to_string()),
        RawCopies::Skip { reason } => Err(reason.clone()),
    };
    let mut entries = Vec::new();
    let mut missing = Vec::new();

    // Masked before anything is judged or serialized: findings quote what they saw.
    let masked: Vec<Recorded> = samples
        .iter()
        .map(|recorded| Recorded {
            sample: mask_sample(&recorded.sample),
            goroutines: recorded.goroutines.clone(),
        })
        .collect();
    let judged = judge(&masked, exit.as_ref(), interval, config);
    let newest = masked.last().cloned().ok_or(BundleError::NoSamples)?;
    let report_sample = newest.sample.clone();
    let mut history = masked;
    for recorded in history.iter_mut() {
        recorded.sample.memory.maps = Default::default();
    }
    let mut report = Report::new(report_sample.clone())
        .with_findings(judged.findings)
        .with_headroom(judged.headroom);
    if let Some(reading) = &newest.goroutines {
        report = report.with_goroutines(Some(GoroutineCount {
            count: reading.count,
            endpoint: reading.endpoint.clone(),
            at_ms: Some(reading.at_ms),
            // Which page a reading came from is not kept with the sample.
            source: None,
            every_ms: None,
            took_ms: None,
        }));
    }
    let report = BundleReport {
        report,
        history,
        exit,
    };
    entries.push(json_entry("report.json", &report)?);

    match &raw {
        RawCopies::Copy => {
            let files = raw::copy_process_files(&root, pid, include_env);
            // A PID reused during the copy would put another process's files in the bundle.
            if let Err(reason) =
                raw::same_process(&root, pid, last.identity.start_time).or_else(|reason| {
                    if raw::gone(&root, pid) {
                        Ok(())
                    } else {
                        Err(reason)
                    }
                })
            {
                missing.extend(files.into_iter().map(|f| MissingEntry {
                    path: format!("proc/{}", f.path),
                    reason: reason.clone(),
                }));
            } else {
                for file in files {
                    let path = format!("proc/{}", file.path);
                    match file.contents {
                        Ok(data) if file.path == "cmdline" => entries.push(Entry {
                            path,
                            data: mask_raw_cmdline(&data),
                        }),
                        Ok(data) if file.path == "environ" => entries.push(Entry {
                            path,
                            data: mask_raw_environ(&data),
                        }),
                        Ok(data) => entries.push(Entry { path, data }),
                        Err(reason) => missing.push(MissingEntry { path, reason }),
                    }
                }
                if include_env {
                    if let Err(reason) = &environment {
                        missing.push(MissingEntry {
                            path: "proc/environ".into(),
                            reason: reason.clone(),
                        });
                    }
                }
            }
        }
        RawCopies::Skip { reason } => {
            let tids: Vec<i32> = last.threads.items.iter().map(|t| t.tid).collect();
            missing.extend(
                raw::expected_paths(&tids, include_env)
                    .into_iter()
                    .map(|path| MissingEntry {
                        path: format!("proc/{path}"),
                        reason: reason.clone(),
                    }),
            );
        }
    }
    entries.extend(extras);
    missing.extend(extras_missing);
    entries.push(Entry {
        path: "README.txt".into(),
        data: README.as_bytes().to_vec(),
    });

    let manifest = Manifest {
        schema: SCHEMA.to_string(),
        healthtop_version: env!("CARGO_PKG_VERSION").to_string(),
        host: raw::hostname(&root),
        kernel: report_sample.system.kernel.clone(),
        created_at_ms: report_sample.taken_at_ms,
        target: TargetIdentity {
            pid,
            start_time: report_sample.identity.start_time,
            comm: report_sample.identity.comm.clone(),
            runtime: report_sample.identity.runtime.as_str().to_string(),
        },
        duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        samples: samples.len(),
        includes_environment: include_env && raw == RawCopies::Copy && environment.is_ok(),
        contents: Vec::new(),
        missing,
    };
    Ok(Built { manifest, entries })
}

/// The sample with its command line masked by structure ([`super::secrets`]).
fn mask_sample(sample: &Sample) -> Sample {
    let mut masked = sample.clone();
    masked.identity.cmdline = mask_args(&sample.identity.cmdline);
    masked
}

fn json_entry(path: &str, value: &impl serde::Serialize) -> Result<Entry, BundleError> {
    let data = serde_json::to_vec_pretty(value).map_err(|e| BundleError::Write {
        path: PathBuf::from(path),
        source: std::io::Error::other(e),
    })?;
    Ok(Entry {
        path: path.to_string(),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_one_safe_path_component_in_utc() {
        // 2025-11-29 14:00:05 UTC
        assert_eq!(
            default_stem("my app/1", 42, 1_764_424_805_000),
            "healthtop-my_app_1-42-20251129-140005"
        );
        assert_eq!(
            default_stem("..", 7, 0),
            "healthtop-process-7-19700101-000000"
        );
        // A leap day.
        assert_eq!(
            default_stem("x", 1, 951_782_400_000),
            "healthtop-x-1-20000229-000000"
        );
    }

    #[test]
    fn a_new_name_is_picked_when_the_file_exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let taken = dir.path().join("snap.tar.gz");
        std::fs::write(&taken, b"someone else's file").expect("write");
        let built = Built {
            manifest: Manifest {
                schema: SCHEMA.to_string(),
                healthtop_version: "test".into(),
                host: None,
                kernel: None,
                created_at_ms: 0,
                target: TargetIdentity {
                    pid: 1,
                    start_time: 1,
                    comm: "x".into(),
                    runtime: "native".into(),
                },
                duration_ms: 0,
                samples: 0,
                includes_environment: false,
                contents: Vec::new(),
                missing: Vec::new(),
            },
            entries: vec![Entry {
                path: "README.txt".into(),
                data: b"hello".to_vec(),
            }],
        };
        let path = built.write_new(dir.path(), "snap").expect("written");
        assert_eq!(path, dir.path().join("snap-2.tar.gz"));
        assert_eq!(
            std::fs::read(&taken).expect("read"),
            b"someone else's file".to_vec()
        );
        let again = built.write_new(dir.path(), "snap").expect("written");
        assert_eq!(again, dir.path().join("snap-3.tar.gz"));
        // A name taken by a link (dangling here) is skipped, never followed.
        let nowhere = dir.path().join("nowhere");
        std::os::unix::fs::symlink(&nowhere, dir.path().join("snap-4.tar.gz")).expect("link");
        let third = built.write_new(dir.path(), "snap").expect("written");
        assert_eq!(third, dir.path().join("snap-5.tar.gz"));
        assert!(!nowhere.exists(), "the link was followed");
    }
}
