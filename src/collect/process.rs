//! Process-level files: identity, limits, seccomp, signals, capabilities, core-dump readiness.

use super::root::StampedFile;
use super::{CollectError, Gaps, HostRoot};
use crate::decode::{capabilities::capability_names, signals::mask_names};
use crate::parse::limits::parse_limits;
use crate::parse::stat::Stat;
use crate::parse::status::Status;
use crate::sample::{CoreDump, Identity, Ids, Limit, Parent, Runtime, Seccomp, Signals};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;

pub(super) fn identity(
    root: &HostRoot,
    pid: i32,
    stat: &Stat,
    status: &Status,
    runtime: Runtime,
    host: &super::system::HostConstants,
    gaps: &mut Gaps,
) -> Identity {
    let cmdline = gaps
        .keep("cmdline", root.read_proc(format!("{pid}/cmdline")))
        .map(|text| super::scan::split_cmdline(&text))
        .unwrap_or_default();
    let exe_path = root.proc_path(format!("{pid}/exe"));
    let exe = match std::fs::read_link(&exe_path) {
        Ok(target) => Some(crate::safe_text::from_os(target.as_os_str())),
        Err(source) => {
            gaps.note("exe", &CollectError::io(&exe_path, source));
            None
        }
    };
    let identity = read_identity(stat, status, cmdline, host, gaps);
    Identity {
        pid,
        exe,
        // Looked up by the caller, which keeps the passwd file between samples.
        user: None,
        runtime,
        dumpable: dumpable(root, pid, identity.uid.effective, gaps),
        parent: parent(root, stat.ppid, gaps),
        ..identity
    }
}

/// What `stat` and `status` alone say of a process (the host scan reads no more): the
/// executable, user name, runtime, dumpability and parent are left unknown.
pub(super) fn read_identity(
    stat: &Stat,
    status: &Status,
    cmdline: Vec<String>,
    host: &super::system::HostConstants,
    gaps: &mut Gaps,
) -> Identity {
    let uid = ids(status, "Uid", gaps);
    let gid = ids(status, "Gid", gaps);
    let started_at_unix = host
        .boot_time_unix
        .map(|boot| boot as f64 + stat.start_time as f64 / host.clock_ticks_per_sec as f64);
    Identity {
        pid: stat.pid,
        comm: stat.comm.clone(),
        cmdline,
        exe: None,
        state: stat.state.to_string(),
        ppid: stat.ppid,
        start_time: stat.start_time,
        started_at_unix,
        uid,
        gid,
        user: None,
        runtime: Runtime::Unknown,
        dumpable: None,
        tracer_pid: status.signed("TracerPid").map_or(0, |t| t as i32),
        parent: None,
    }
}

/// The four ids of a `Uid:`/`Gid:` line; zeros with a gap when the line is missing.
pub(super) fn ids(status: &Status, key: &str, gaps: &mut Gaps) -> Ids {
    match status.ids(key) {
        Some([real, effective, saved, fs]) => Ids {
            real,
            effective,
            saved,
            fs,
        },
        None => {
            gaps.add(
                &key.to_ascii_lowercase(),
                format!("{key}: line missing from status"),
            );
            Ids {
                real: 0,
                effective: 0,
                saved: 0,
                fs: 0,
            }
        }
    }
}

/// The parent's comm and executable. A parent that is gone (or absent from a fixture tree) is
/// simply not known; a denied read is said.
fn parent(root: &HostRoot, ppid: i32, gaps: &mut Gaps) -> Option<Parent> {
    if ppid <= 0 {
        return None;
    }
    let stat = match root.read_proc(format!("{ppid}/stat")) {
        Ok(text) => crate::parse::stat::parse_stat(&text).ok()?,
        Err(CollectError::PermissionDenied { .. }) => {
            gaps.add(
                "parent",
                format!("permission denied reading /proc/{ppid}/stat"),
            );
            return None;
        }
        Err(_) => return None,
    };
    let exe = match std::fs::read_link(root.proc_path(format!("{ppid}/exe"))) {
        Ok(target) => Some(crate::safe_text::from_os(target.as_os_str())),
        Err(error) => {
            let why = match error.kind() {
                std::io::ErrorKind::PermissionDenied => {
                    format!("permission denied reading /proc/{ppid}/exe")
                }
                std::io::ErrorKind::NotFound => {
                    "the parent has no executable (a kernel thread) or is gone".to_string()
                }
                _ => format!("cannot read /proc/{ppid}/exe: {error}"),
            };
            gaps.add("parent.exe", why);
            None
        }
    };
    Some(Parent {
        pid: ppid,
        comm: stat.comm,
        exe,
    })
}

/// A non-dumpable process has its `/proc/PID` files owned by root. When the process itself
/// runs as root the two cases look the same, so the answer is unknown.
fn dumpable(root: &HostRoot, pid: i32, euid: u32, gaps: &mut Gaps) -> Option<bool> {
    let path = root.proc_path(format!("{pid}/status"));
    let owner = std::fs::metadata(&path).ok()?.uid();
    if owner == euid && euid != 0 {
        Some(true)
    } else if owner == 0 && euid != 0 {
        Some(false)
    } else {
        gaps.add(
            "dumpable",
            "the target runs as root, so /proc cannot tell whether it is dumpable",
        );
        None
    }
}

/// The name `/etc/passwd` gives `uid`.
pub(super) fn user_name(root: &HostRoot, passwd: &mut StampedFile, uid: u32) -> Option<String> {
    let passwd = passwd.read(&root.path("etc/passwd")).ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

pub(super) fn limits(root: &HostRoot, pid: i32) -> Result<BTreeMap<String, Limit>, CollectError> {
    let path = root.proc_path(format!("{pid}/limits"));
    let text = root.read(&path)?;
    parse_limits(&text).map_err(|e| CollectError::Parse {
        path,
        detail: e.to_string(),
    })
}

pub(super) fn security(
    status: &Status,
    gaps: &mut Gaps,
) -> (Seccomp, Signals, Option<Vec<String>>) {
    let mode = match status.number("Seccomp") {
        Some(0) => Some("disabled".to_string()),
        Some(1) => Some("strict".to_string()),
        Some(2) => Some("filter".to_string()),
        Some(other) => Some(format!("unknown ({other})")),
        None => {
            gaps.add(
                "seccomp.mode",
                "no Seccomp line in status: kernel built without CONFIG_SECCOMP",
            );
            None
        }
    };
    let filters = status.number("Seccomp_filters");
    if filters.is_none() {
        gaps.add(
            "seccomp.filters",
            "no Seccomp_filters line in status: kernel older than 5.9",
        );
    }
    let no_new_privs = status.number("NoNewPrivs").map(|v| v != 0);
    if no_new_privs.is_none() {
        gaps.add(
            "seccomp.no_new_privs",
            "no NoNewPrivs line in status: kernel older than 4.10",
        );
    }
    let mut mask = |key: &str, field: &str| match status.hex_mask(key) {
        Some(mask) => mask,
        None => {
            gaps.add(field, format!("no {key} line in status"));
            0
        }
    };
    let blocked = mask("SigBlk", "signals.blocked");
    let ignored = mask("SigIgn", "signals.ignored");
    let caught = mask("SigCgt", "signals.caught");
    let pending = mask("SigPnd", "signals.pending") | mask("ShdPnd", "signals.pending");
    let signals = Signals {
        blocked: mask_names(blocked),
        ignored: mask_names(ignored),
        caught: mask_names(caught),
        pending: mask_names(pending),
    };
    let capabilities = status.hex_mask("CapEff").map(capability_names);
    if capabilities.is_none() {
        gaps.add("capabilities", "no CapEff line in status");
    }
    (
        Seccomp {
            mode,
            filters,
            no_new_privs,
        },
        signals,
        capabilities,
    )
}

pub(super) fn core_dump(
    root: &HostRoot,
    pid: i32,
    limits: &BTreeMap<String, Limit>,
    gaps: &mut Gaps,
) -> CoreDump {
    let rlimit_bytes = match limits.get("core") {
        Some(limit) => limit.soft,
        None => {
            gaps.add("core.rlimit_bytes", "no core row in limits");
            None
        }
    };
    let pattern = gaps
        .keep("core.pattern", root.read_proc("sys/kernel/core_pattern"))
        .map(|p| p.trim_end_matches('\n').to_string());
    let piped = pattern.as_ref().map(|p| p.starts_with('|'));
    let filter = gaps
        .keep(
            "core.filter",
            root.read_proc(format!("{pid}/coredump_filter")),
        )
        .map(|f| f.trim().to_string());
    CoreDump {
        rlimit_bytes,
        pattern,
        piped,
        filter,
    }
}
