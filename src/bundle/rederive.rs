//! Checking a bundle against its own raw `/proc` copies: the copies are laid out as a `/proc`
//! tree in a private temporary directory and read by the same collectors as a live process
//! (`collect` works on any [`HostRoot`]); the headline figures they give are compared with
//! `report.json`'s newest sample. `report --from` shows the result, so a reader sees whether
//! healthtop's reading matches what the kernel said.
//!
//! The bundle is hostile: only the file names healthtop writes are laid out (task ids must be
//! numbers), each through [`crate::safe_file`] into a directory only this process can write.

use super::read::OpenedBundle;
use crate::collect::{raw, Collector, HostRoot, Tiers};
use crate::format::bytes;
use crate::safe_file::{write_into, Existing, NewFile, PRIVATE};
use crate::sample::Sample;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// One headline figure, as `report.json` has it and as the raw copies give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub name: &'static str,
    pub report: String,
    pub raw: String,
}

impl Figure {
    pub fn agrees(&self) -> bool {
        self.report == self.raw
    }
}

/// The headline figures re-derived from the raw copies, or why they cannot be.
pub fn rederive(bundle: &OpenedBundle) -> Result<Vec<Figure>, String> {
    let pid = bundle.manifest.target.pid;
    if !bundle.files.contains_key("proc/status") {
        let why = bundle
            .manifest
            .missing
            .iter()
            .find(|m| m.path == "proc/status")
            .map_or("none were taken", |m| m.reason.as_str());
        return Err(format!("the bundle holds no raw /proc copies: {why}"));
    }
    let dir = PrivateDir::create(pid)?;
    lay_out(bundle, &dir.path.join("proc").join(pid.to_string()))?;
    let mut collector = Collector::new(HostRoot::at(&dir.path), pid).map_err(|e| e.reason())?;
    let raw = collector.sample(Tiers::ALL).map_err(|e| e.reason())?;
    Ok(compare(&bundle.report.report.sample, &raw))
}

/// How one figure is read from a sample, as text.
type Reading = fn(&Sample) -> String;

/// The figures both readings have; a figure one of them could not read shows `n/a`.
fn compare(report: &Sample, raw: &Sample) -> Vec<Figure> {
    fn size(value: Option<u64>) -> String {
        value.map_or_else(|| "n/a".to_string(), bytes)
    }
    fn count(value: Option<u64>) -> String {
        value.map_or_else(|| "n/a".to_string(), |v| v.to_string())
    }
    let figures: [(&'static str, Reading); 7] = [
        ("state", |s| s.identity.state.clone()),
        ("threads", |s| s.threads.count.to_string()),
        ("fd soft limit", |s| {
            s.fds
                .soft_limit
                .map_or_else(|| "unlimited".to_string(), |v| v.to_string())
        }),
        ("RSS", |s| size(s.memory.rss_bytes)),
        ("VM size", |s| size(s.memory.vm_size_bytes)),
        ("mappings", |s| count(s.memory.map_count)),
        ("signals blocked", |s| {
            if s.signals.blocked.is_empty() {
                "none".to_string()
            } else {
                s.signals.blocked.join(" ")
            }
        }),
    ];
    figures
        .iter()
        .map(|(name, read)| Figure {
            name,
            report: read(report),
            raw: read(raw),
        })
        .collect()
}

/// Writes the bundle's `proc/…` members healthtop knows under `dir` (`/proc/PID`).
fn lay_out(bundle: &OpenedBundle, dir: &Path) -> Result<(), String> {
    let make_dir = |path: &Path| {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))
    };
    make_dir(dir.parent().unwrap_or(dir))?;
    make_dir(dir)?;
    make_dir(&dir.join("net"))?;
    make_dir(&dir.join("task"))?;
    for (path, data) in &bundle.files {
        let Some(relative) = path.strip_prefix("proc/") else {
            continue;
        };
        if raw::PROCESS_FILES.contains(&relative) {
            write(&dir.join(relative), data)?;
        } else if let Some((tid, name)) = relative
            .strip_prefix("task/")
            .and_then(|rest| rest.split_once('/'))
        {
            let tid_is_a_number = !tid.is_empty() && tid.bytes().all(|b| b.is_ascii_digit());
            if tid_is_a_number && raw::TASK_FILES.contains(&name) {
                let task = dir.join("task").join(tid);
                if !task.exists() {
                    make_dir(&task)?;
                }
                write(&task.join(name), data)?;
            }
        }
    }
    Ok(())
}

fn write(path: &Path, data: &[u8]) -> Result<(), String> {
    NewFile::create(path, Existing::Refuse, PRIVATE)
        .and_then(|file| write_into(file, data))
        .map_err(|e| e.to_string())
}

/// A directory only this process writes, removed with everything in it when dropped.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn create(pid: i32) -> Result<PrivateDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "healthtop-raw-{}-{pid}-{nanos}",
            std::process::id()
        ));
        // Fails if the name exists (whatever it is): nothing is followed or reused.
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(PrivateDir { path })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
