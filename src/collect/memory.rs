//! Memory: status figures every sample; `maps`, `smaps_rollup` and the SIGBUS check (shared
//! file mappings past the file's end) in the maps tier; cgroup, PSI and host memory.

use super::cgroup::Cgroups;
use super::{CollectError, Gaps, HostRoot};
use crate::parse::cgroup::parse_pressure;
use crate::parse::maps::parse_maps;
use crate::parse::status::Status;
use crate::sample::{HostMemory, Mapping, Memory, PastEofMapping, Pressure};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

/// The maps-tier reading, kept between samples with its timestamp.
#[derive(Debug, Clone)]
pub(super) struct MapsReading {
    /// Shared with every sample that carries this reading.
    pub maps: Arc<Vec<Mapping>>,
    pub map_count: u64,
    pub deleted: Vec<Mapping>,
    pub past_eof: Vec<PastEofMapping>,
    pub pss_bytes: Option<u64>,
    pub taken_at_ms: u64,
}

pub(super) fn read_maps(
    root: &HostRoot,
    pid: i32,
    page_size: u64,
    now_ms: u64,
    gaps: &mut Gaps,
) -> Option<MapsReading> {
    let path = root.proc_path(format!("{pid}/maps"));
    let parsed = root.read(&path).and_then(|text| {
        parse_maps(&text).map_err(|e| CollectError::Parse {
            path,
            detail: e.to_string(),
        })
    });
    let maps = match parsed {
        Ok(maps) => maps,
        Err(error) => {
            // Everything read from maps is unknown, and so is the rest of this tier.
            for field in [
                "memory.map_count",
                "memory.maps",
                "memory.maps_taken_at_ms",
                "memory.deleted_mappings",
                "memory.mappings_past_eof",
                "memory.pss_bytes",
            ] {
                gaps.note(field, &error);
            }
            None?
        }
    };
    let map_count = maps.iter().filter(|m| m.counts_as_vma()).count() as u64;
    let deleted = maps
        .iter()
        .filter(|m| m.deleted && !is_pseudo_deleted(&m.path))
        .cloned()
        .collect();
    let past_eof = maps
        .iter()
        .filter(|m| m.is_shared() && m.is_file_backed() && !is_pseudo_deleted(&m.path))
        .filter_map(|m| past_eof(root, pid, m, page_size, gaps))
        .collect();
    let pss_bytes = gaps.keep("memory.pss_bytes", pss(root, pid)).flatten();
    if pss_bytes.is_none() {
        gaps.add("memory.pss_bytes", "smaps_rollup has no Pss line");
    }
    Some(MapsReading {
        maps: Arc::new(maps),
        map_count,
        deleted,
        past_eof,
        pss_bytes,
        taken_at_ms: now_ms,
    })
}

/// Shared anonymous memory, memfd and SysV segments show as "(deleted)" files but are not.
fn is_pseudo_deleted(path: &str) -> bool {
    path.starts_with("/memfd:") || path.starts_with("/SYSV") || path == "/dev/zero"
}

/// Compares the mapping's end offset with the size of the very file it maps (same device and
/// inode). Reads through the target's root so containers resolve their own paths.
fn past_eof(
    root: &HostRoot,
    pid: i32,
    mapping: &Mapping,
    page_size: u64,
    gaps: &mut Gaps,
) -> Option<PastEofMapping> {
    let (major, minor) = mapping.device()?;
    let relative = mapping.path.trim_start_matches('/');
    let candidates = [
        root.proc_path(format!(
            "{pid}/map_files/{:x}-{:x}",
            mapping.start, mapping.end
        )),
        root.proc_path(format!("{pid}/root")).join(relative),
        root.path(relative),
    ];
    let same_file = |p: &Path| {
        let meta = std::fs::metadata(p).ok()?;
        let dev = meta.dev();
        let matches = meta.ino() == mapping.inode
            && nix::sys::stat::major(dev) == major
            && nix::sys::stat::minor(dev) == minor;
        matches.then_some(meta.len())
    };
    let Some(size) = candidates.iter().find_map(|p| same_file(p)) else {
        gaps.add(
            "memory.mappings_past_eof",
            format!("could not stat {} (deleted, replaced, or not permitted); past-EOF check skipped for it", mapping.path),
        );
        return None;
    };
    let end_offset = mapping.offset.saturating_add(mapping.len());
    let file_end = size.div_ceil(page_size) * page_size;
    (end_offset > file_end).then(|| PastEofMapping {
        mapping: mapping.clone(),
        file_size: size,
        pages_past_eof: (end_offset - file_end.max(mapping.offset)) / page_size,
    })
}

fn pss(root: &HostRoot, pid: i32) -> Result<Option<u64>, CollectError> {
    let text = root.read_proc(format!("{pid}/smaps_rollup"))?;
    Ok(Status::parse(&text).kib_as_bytes("Pss"))
}

/// The figures `status` holds; every other field empty (the scan reads only these, the
/// collector fills in the rest in [`summary`]).
pub(super) fn from_status(status: &Status, gaps: &mut Gaps) -> Memory {
    let mut kib = |key: &str, field: &str| {
        let value = status.kib_as_bytes(key);
        if value.is_none() {
            gaps.add(field, format!("no {key} line in status"));
        }
        value
    };
    Memory {
        rss_bytes: kib("VmRSS", "memory.rss_bytes"),
        rss_anon_bytes: kib("RssAnon", "memory.rss_anon_bytes"),
        rss_file_bytes: kib("RssFile", "memory.rss_file_bytes"),
        rss_shmem_bytes: kib("RssShmem", "memory.rss_shmem_bytes"),
        swap_bytes: kib("VmSwap", "memory.swap_bytes"),
        vm_size_bytes: kib("VmSize", "memory.vm_size_bytes"),
        vm_hwm_bytes: kib("VmHWM", "memory.vm_hwm_bytes"),
        vm_data_bytes: kib("VmData", "memory.vm_data_bytes"),
        pss_bytes: None,
        map_count: None,
        max_map_count: None,
        deleted_mappings: Vec::new(),
        mappings_past_eof: Vec::new(),
        maps: Default::default(),
        maps_taken_at_ms: None,
        oom_score: None,
        oom_score_adj: None,
        cgroup: None,
        pressure: None,
        host: None,
    }
}

pub(super) fn summary(
    root: &HostRoot,
    pid: i32,
    status: &Status,
    maps: Option<&Option<MapsReading>>,
    cgroups: Option<&Cgroups>,
    gaps: &mut Gaps,
) -> Memory {
    let from_status = from_status(status, gaps);
    let reading = maps.and_then(Option::as_ref);
    let max_map_count = gaps.keep(
        "memory.max_map_count",
        root.sysctl_number("vm/max_map_count"),
    );
    let number = |name: &str| -> Result<i64, CollectError> {
        let path = root.proc_path(format!("{pid}/{name}"));
        let text = root.read(&path)?;
        text.trim().parse().map_err(|_| CollectError::Parse {
            path,
            detail: format!("not a number: {text:?}"),
        })
    };
    let oom_score = gaps.keep("memory.oom_score", number("oom_score"));
    let oom_score_adj = gaps.keep("memory.oom_score_adj", number("oom_score_adj"));
    let cgroup = cgroups.and_then(|c| c.memory(root, gaps));
    let pressure = cgroups
        .and_then(|c| c.memory_pressure(root))
        .or_else(|| system_pressure(root, gaps));
    Memory {
        pss_bytes: reading.and_then(|r| r.pss_bytes),
        map_count: reading.map(|r| r.map_count),
        max_map_count,
        deleted_mappings: reading.map(|r| r.deleted.clone()).unwrap_or_default(),
        mappings_past_eof: reading.map(|r| r.past_eof.clone()).unwrap_or_default(),
        maps: reading.map(|r| r.maps.clone()).unwrap_or_default(),
        maps_taken_at_ms: reading.map(|r| r.taken_at_ms),
        oom_score,
        oom_score_adj,
        cgroup,
        pressure,
        host: host_memory(root, gaps),
        ..from_status
    }
}

fn system_pressure(root: &HostRoot, gaps: &mut Gaps) -> Option<Pressure> {
    let text = gaps.keep("memory.pressure", root.read_proc("pressure/memory"))?;
    let Some((some, full)) = parse_pressure(&text) else {
        gaps.add(
            "memory.pressure",
            "/proc/pressure/memory is empty or malformed (PSI disabled?)",
        );
        return None;
    };
    Some(Pressure::from_averages("system", some, full))
}

impl Pressure {
    pub(super) fn from_averages(scope: &str, some: [f64; 3], full: Option<[f64; 3]>) -> Pressure {
        Pressure {
            scope: scope.to_string(),
            some_avg10: some[0],
            some_avg60: some[1],
            some_avg300: some[2],
            full_avg10: full.map(|f| f[0]),
            full_avg60: full.map(|f| f[1]),
            full_avg300: full.map(|f| f[2]),
        }
    }
}

pub(super) fn host_memory(root: &HostRoot, gaps: &mut Gaps) -> Option<HostMemory> {
    let meminfo = Status::parse(&gaps.keep("memory.host", root.read_proc("meminfo"))?);
    let host = (|| {
        Some(HostMemory {
            total_bytes: meminfo.kib_as_bytes("MemTotal")?,
            available_bytes: meminfo.kib_as_bytes("MemAvailable")?,
            swap_total_bytes: meminfo.kib_as_bytes("SwapTotal")?,
            swap_free_bytes: meminfo.kib_as_bytes("SwapFree")?,
        })
    })();
    if host.is_none() {
        gaps.add(
            "memory.host",
            "meminfo lacks MemTotal/MemAvailable/SwapTotal/SwapFree",
        );
    }
    host
}
