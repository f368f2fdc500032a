//! The target's cgroups: memory and pids controllers, v2 or v1 (hybrid hosts mount v1
//! controllers beside an empty v2 hierarchy; each controller is read where it really lives).

use super::root::MountTable;
use super::{Gaps, HostRoot};
use crate::parse::cgroup::{
    parse_flat_keyed, parse_limit, parse_memberships, parse_pressure, Membership,
};
use crate::sample::{CgroupMemory, Pressure};
use std::path::{Path, PathBuf};

/// Where the target's cgroup directories are, per controller.
#[derive(Debug, Clone, Default)]
pub(super) struct Cgroups {
    /// `(mount point, directory)` of the v2 cgroup.
    v2: Option<(PathBuf, PathBuf, String)>,
    /// `(mount point, directory, path)` per v1 controller.
    v1_memory: Option<(PathBuf, PathBuf, String)>,
    v1_pids: Option<(PathBuf, PathBuf, String)>,
}

/// One cgroup mount from the reader's mountinfo.
pub(super) struct CgroupMount {
    point: PathBuf,
    /// Path inside the hierarchy that is mounted there (`/` unless in a cgroup namespace).
    mount_root: String,
    version2: bool,
    controllers: Vec<String>,
}

pub(super) fn mounts(root: &HostRoot, table: &mut MountTable) -> Vec<CgroupMount> {
    table
        .text(root)
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split_whitespace().collect();
            let right: Vec<&str> = right.split_whitespace().collect();
            let fstype = *right.first()?;
            if fstype != "cgroup" && fstype != "cgroup2" {
                return None;
            }
            let controllers = right.get(2)?.split(',').map(str::to_string).collect();
            Some(CgroupMount {
                point: root.path(left.get(4)?.trim_start_matches('/')),
                mount_root: (*left.get(3)?).to_string(),
                version2: fstype == "cgroup2",
                controllers,
            })
        })
        .collect()
}

/// The directory of cgroup `path` under a mount, allowing for a mount of a sub-tree.
fn directory(mount: &CgroupMount, path: &str) -> Option<(PathBuf, PathBuf, String)> {
    let inner = path.strip_prefix(mount.mount_root.as_str()).unwrap_or(path);
    let dir = mount.point.join(inner.trim_start_matches('/'));
    dir.is_dir()
        .then(|| (mount.point.clone(), dir, path.to_string()))
}

pub(super) fn locate(
    root: &HostRoot,
    pid: i32,
    table: &mut MountTable,
    gaps: &mut Gaps,
) -> Option<Cgroups> {
    let memberships = gaps.keep("memory.cgroup", root.read_proc(format!("{pid}/cgroup")))?;
    Some(locate_in(&memberships, &mounts(root, table)))
}

/// The directories of the cgroups a `/proc/PID/cgroup` text names, under `mounts` (read once
/// for a whole-host scan).
pub(super) fn locate_in(memberships: &str, mounts: &[CgroupMount]) -> Cgroups {
    let memberships = parse_memberships(memberships);
    let v1 = |controller: &str, memberships: &[Membership]| {
        let membership = memberships
            .iter()
            .find(|m| m.controllers.iter().any(|c| c == controller))?;
        let mount = mounts
            .iter()
            .find(|m| !m.version2 && m.controllers.iter().any(|c| c == controller))?;
        directory(mount, &membership.path)
    };
    let v2 = memberships
        .iter()
        .find(|m| m.hierarchy_id == 0)
        .and_then(|m| directory(mounts.iter().find(|mount| mount.version2)?, &m.path));
    Cgroups {
        v1_memory: v1("memory", &memberships),
        v1_pids: v1("pids", &memberships),
        v2,
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The tightest limit of `file` on the way from `dir` up to the mount point: a parent's limit
/// binds its children too.
fn tightest_limit(mount: &Path, dir: &Path, file: &str) -> Option<Option<u64>> {
    let mut tightest: Option<Option<u64>> = None;
    let mut current = Some(dir);
    while let Some(d) = current {
        if let Some(limit) = read(&d.join(file)).and_then(|t| parse_limit(&t)) {
            tightest = Some(match (tightest.flatten(), limit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            });
        }
        if d == mount {
            break;
        }
        current = d.parent();
    }
    tightest
}

impl Cgroups {
    /// The directory and hierarchy path of the cgroup that holds `file` for the target (v2
    /// first, then the v1 controller named before the dot: `pids.max` → `pids`).
    pub fn holding(&self, file: &str) -> Option<(&Path, &str)> {
        let v1 = match file.split('.').next() {
            Some("memory") => self.v1_memory.as_ref(),
            Some("pids") => self.v1_pids.as_ref(),
            _ => None,
        };
        self.v2_with(file)
            .or(v1)
            .map(|(_, dir, path)| (dir.as_path(), path.as_str()))
    }

    fn v2_with(&self, file: &str) -> Option<&(PathBuf, PathBuf, String)> {
        self.v2
            .as_ref()
            .filter(|(_, dir, _)| dir.join(file).exists())
    }

    pub fn memory(&self, _root: &HostRoot, gaps: &mut Gaps) -> Option<CgroupMemory> {
        if let Some((mount, dir, path)) = self.v2_with("memory.current") {
            return Some(CgroupMemory {
                version: "v2".into(),
                path: path.clone(),
                current_bytes: read(&dir.join("memory.current"))
                    .and_then(|t| t.trim().parse().ok()),
                max_bytes: tightest_limit(mount, dir, "memory.max").flatten(),
                high_bytes: tightest_limit(mount, dir, "memory.high").flatten(),
                events: read(&dir.join("memory.events"))
                    .map(|t| parse_flat_keyed(&t))
                    .unwrap_or_default(),
            });
        }
        if let Some((mount, dir, path)) = &self.v1_memory {
            let stat = read(&dir.join("memory.stat"))
                .map(|t| parse_flat_keyed(&t))
                .unwrap_or_default();
            // v1 computes the hierarchical limit for us; older kernels lack it, so walk up.
            let max_bytes = match stat.get("hierarchical_memory_limit") {
                Some(&limit) => parse_limit(&limit.to_string()).flatten(),
                None => tightest_limit(mount, dir, "memory.limit_in_bytes").flatten(),
            };
            let mut events = read(&dir.join("memory.oom_control"))
                .map(|t| parse_flat_keyed(&t))
                .unwrap_or_default();
            if let Some(failcnt) =
                read(&dir.join("memory.failcnt")).and_then(|t| t.trim().parse().ok())
            {
                events.insert("failcnt".into(), failcnt);
            }
            return Some(CgroupMemory {
                version: "v1".into(),
                path: path.clone(),
                current_bytes: read(&dir.join("memory.usage_in_bytes"))
                    .and_then(|t| t.trim().parse().ok()),
                max_bytes,
                high_bytes: None,
                events,
            });
        }
        gaps.add("memory.cgroup", "no memory controller found for the target's cgroup (not mounted, or in another cgroup namespace)");
        None
    }

    pub fn memory_pressure(&self, _root: &HostRoot) -> Option<Pressure> {
        let (_, dir, _) = self.v2_with("memory.pressure")?;
        let (some, full) = parse_pressure(&read(&dir.join("memory.pressure"))?)?;
        Some(Pressure::from_averages("cgroup", some, full))
    }

    /// `(pids.current, tightest pids.max)`; `max` = unlimited is `None` with no gap.
    pub fn pids(&self, _root: &HostRoot, gaps: &mut Gaps) -> (Option<u64>, Option<u64>) {
        let found = self.v2_with("pids.current").or(self
            .v1_pids
            .as_ref()
            .filter(|(_, d, _)| d.join("pids.current").exists()));
        let Some((mount, dir, _)) = found else {
            for field in ["threads.cgroup_pids_current", "threads.cgroup_pids_max"] {
                gaps.add(
                    field,
                    "the target's cgroup has no pids controller (or it is the root cgroup)",
                );
            }
            return (None, None);
        };
        let current = read(&dir.join("pids.current")).and_then(|t| t.trim().parse().ok());
        (current, tightest_limit(mount, dir, "pids.max").flatten())
    }
}
