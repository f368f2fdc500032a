//! Open file descriptors: a cheap count every sample, and a census (readlink of every fd,
//! kinds, deleted files, the TCP join) when asked.

use super::{CollectError, Gaps, HostRoot, ProcessDir};
use crate::parse::tcp::{parse_tcp_table, tcp_state_name, TcpRow};
use crate::sample::{FdInfo, Fds, Limit, TcpSocket, TcpSummary};
use rustix::fs::{Mode, OFlags, RawDir};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// The expensive fd reading, kept between samples with its timestamp.
#[derive(Debug, Clone)]
pub(super) struct FdCensus {
    /// Shared with every sample that carries this census.
    pub items: Arc<Vec<FdInfo>>,
    pub tcp: Option<Arc<TcpSummary>>,
    pub taken_at_ms: u64,
    /// Entries the census listed in `fd/` (what `ls` counts; some may close before their
    /// readlink); `None` when the directory could not be listed.
    pub listed: Option<u64>,
}

pub(super) fn census(root: &HostRoot, pid: i32, now_ms: u64, gaps: &mut Gaps) -> FdCensus {
    let listing = root.open_proc_dir(format!("{pid}/fd")).and_then(|dir| {
        let entries = fs::read_dir(dir.path()).map_err(|e| CollectError::io(dir.path(), e))?;
        Ok((dir, entries))
    });
    let (dir, entries) = match listing {
        Ok(listing) => listing,
        Err(error) => {
            // The census is the list: every figure drawn from it is unknown, not zero.
            for field in [
                "fds.by_kind",
                "fds.items",
                "fds.deleted_files",
                "fds.highest_fd",
                "fds.tcp",
                "fds.census_taken_at_ms",
            ] {
                gaps.note(field, &error);
            }
            return FdCensus {
                items: Arc::default(),
                tcp: None,
                taken_at_ms: now_ms,
                listed: None,
            };
        }
    };
    let mut link = Vec::new();
    let mut listed = 0;
    let mut items: Vec<FdInfo> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            listed += 1;
            let name = entry.file_name();
            let name = name.to_str()?;
            let fd: u64 = name.parse().ok()?;
            // An fd closed between readdir and readlink is simply not there any more.
            let target = dir.read_link(name, std::mem::take(&mut link)).ok()?;
            let text = crate::safe_text::from_bytes(target.as_bytes());
            link = target.into_bytes();
            let kind = classify(&text, || dir.is_dir(name));
            Some(FdInfo {
                fd,
                kind,
                target: text,
            })
        })
        .collect();
    items.sort_unstable_by_key(|f| f.fd);
    let tcp = tcp_summary(root, pid, &items, gaps).map(Arc::new);
    FdCensus {
        items: Arc::new(items),
        tcp,
        taken_at_ms: now_ms,
        listed: Some(listed),
    }
}

/// The kind of an fd from its link target. `is_dir` is only called for paths.
pub fn classify(target: &str, is_dir: impl FnOnce() -> bool) -> String {
    if target.starts_with("socket:[") {
        "socket".into()
    } else if target.starts_with("pipe:[") {
        "pipe".into()
    } else if let Some(rest) = target.strip_prefix("anon_inode:") {
        format!(
            "anon_inode:{}",
            rest.trim_start_matches('[').trim_end_matches(']')
        )
    } else if target.starts_with("/memfd:") {
        "memfd".into()
    } else if target.starts_with("/dev/") {
        "device".into()
    } else if target.starts_with('/') {
        if is_dir() {
            "directory".into()
        } else {
            "file".into()
        }
    } else {
        // net:[…], mnt:[…] namespace handles and anything new.
        target.split(':').next().unwrap_or("other").to_string()
    }
}

fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The target's TCP sockets: its socket fds joined by inode with `net/tcp` and `net/tcp6` of
/// its network namespace. The census joins the fds it already read; pprof discovery calls this.
pub fn tcp_sockets(dir: &ProcessDir) -> Result<Vec<TcpSocket>, CollectError> {
    let fd_dir = dir.path("fd");
    let entries = fs::read_dir(&fd_dir)
        .map_err(|source| dir.gone_as_missing(CollectError::io(&fd_dir, source)))?;
    let inodes: HashMap<u64, u64> = entries
        .flatten()
        .filter_map(|entry| {
            let fd = entry.file_name().to_str()?.parse().ok()?;
            let target = fs::read_link(entry.path()).ok()?;
            Some((socket_inode(&target.to_string_lossy())?, fd))
        })
        .collect();
    join_tcp(dir, &inodes)
}

/// The rows of `net/tcp` and `net/tcp6` whose inode is one of `inodes` (inode → fd).
fn join_tcp(dir: &ProcessDir, inodes: &HashMap<u64, u64>) -> Result<Vec<TcpSocket>, CollectError> {
    let mut rows: Vec<TcpRow> = Vec::new();
    for table in ["tcp", "tcp6"] {
        let path = dir.path(format!("net/{table}"));
        match dir.read(format!("net/{table}")) {
            Ok(text) => rows.extend(parse_tcp_table(&text).map_err(|e| CollectError::Parse {
                path,
                detail: e.to_string(),
            })?),
            // No IPv6 on this host: tcp6 is simply absent.
            Err(CollectError::Io { source, .. })
                if table == "tcp6" && source.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    let mut sockets: Vec<TcpSocket> = rows
        .into_iter()
        .filter_map(|row| {
            let fd = *inodes.get(&row.inode)?;
            Some(TcpSocket {
                fd,
                inode: row.inode,
                local: row.local,
                remote: row.remote,
                state: tcp_state_name(row.state).to_string(),
                tx_queue: row.tx_queue,
                rx_queue: row.rx_queue,
            })
        })
        .collect();
    sockets.sort_unstable_by_key(|s| s.fd);
    Ok(sockets)
}

/// The census's fds joined with the TCP tables, summed by state.
fn tcp_summary(root: &HostRoot, pid: i32, items: &[FdInfo], gaps: &mut Gaps) -> Option<TcpSummary> {
    let inodes: HashMap<u64, u64> = items
        .iter()
        .filter_map(|f| Some((socket_inode(&f.target)?, f.fd)))
        .collect();
    let sockets = match join_tcp(&ProcessDir::new(root.clone(), pid), &inodes) {
        Ok(sockets) => sockets,
        Err(error) => {
            gaps.note("fds.tcp", &error);
            return None;
        }
    };
    let mut by_state = BTreeMap::new();
    for socket in &sockets {
        *by_state.entry(socket.state.clone()).or_insert(0) += 1;
    }
    let count = |state: &str| by_state.get(state).copied().unwrap_or(0);
    Some(TcpSummary {
        close_wait: count("CLOSE_WAIT"),
        listen: count("LISTEN"),
        by_state,
        sockets,
    })
}

/// Counts the entries of `/proc/PID/fd` with `getdents64` into a buffer kept between samples:
/// exactly what `ls /proc/PID/fd | wc -l` counts, without a stat, a readlink or an allocation
/// per entry. (The directory's size on Linux 6.2+ would save the listing, but it also counts
/// a slot that a thread blocked in `accept()` has reserved, so it disagrees with every tool a
/// user checks against.)
#[derive(Debug, Default)]
pub(super) struct FdLister {
    buffer: Vec<MaybeUninit<u8>>,
}

/// Bytes of directory entries fetched per `getdents64`: about 2,000 fd entries.
const LIST_BUFFER: usize = 64 << 10;

impl FdLister {
    fn open_count(&mut self, root: &HostRoot, pid: i32) -> Result<u64, CollectError> {
        let dir = root.proc_path(format!("{pid}/fd"));
        let fail = |e: rustix::io::Errno| CollectError::io(&dir, e.into());
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::open(&dir, flags, Mode::empty()).map_err(fail)?;
        if self.buffer.len() < LIST_BUFFER {
            self.buffer.resize(LIST_BUFFER, MaybeUninit::uninit());
        }
        let mut entries = RawDir::new(fd, &mut self.buffer);
        let mut count = 0;
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(fail)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                count += 1;
            }
        }
        Ok(count)
    }
}

/// The fd figures of a sample; `fresh` says the census was taken in this very sample, so its
/// listing gives the open count without listing `fd/` a second time.
pub(super) fn summary(
    root: &HostRoot,
    pid: i32,
    limits: &BTreeMap<String, Limit>,
    census: Option<&FdCensus>,
    fresh: bool,
    lister: &mut FdLister,
    gaps: &mut Gaps,
) -> Fds {
    let open = match census.filter(|_| fresh).and_then(|c| c.listed) {
        Some(listed) => Some(listed),
        None => gaps.keep("fds.open", lister.open_count(root, pid)),
    };
    let nofile = limits.get("nofile");
    if nofile.is_none() {
        gaps.add("fds.soft_limit", "the limits file could not be read");
        gaps.add("fds.hard_limit", "the limits file could not be read");
    }
    let census_ok = census.filter(|c| !c.items.is_empty() || open == Some(0));
    let mut by_kind = BTreeMap::new();
    let mut deleted_files = Vec::new();
    if let Some(census) = census_ok {
        for item in census.items.iter() {
            *by_kind.entry(item.kind.clone()).or_insert(0) += 1;
            if item.kind == "file" && item.target.ends_with(" (deleted)") {
                deleted_files.push(item.clone());
            }
        }
    }
    Fds {
        open,
        soft_limit: nofile.and_then(|l| l.soft),
        hard_limit: nofile.and_then(|l| l.hard),
        highest_fd: census_ok.and_then(|c| c.items.last().map(|f| f.fd)),
        by_kind,
        items: census_ok.map(|c| c.items.clone()).unwrap_or_default(),
        deleted_files,
        tcp: census_ok.and_then(|c| c.tcp.clone()),
        census_taken_at_ms: census_ok.map(|c| c.taken_at_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let file = || false;
        assert_eq!(classify("socket:[123]", file), "socket");
        assert_eq!(classify("pipe:[9]", file), "pipe");
        assert_eq!(
            classify("anon_inode:[eventpoll]", file),
            "anon_inode:eventpoll"
        );
        assert_eq!(classify("anon_inode:inotify", file), "anon_inode:inotify");
        assert_eq!(classify("/dev/null", file), "device");
        assert_eq!(classify("/tmp/x (deleted)", file), "file");
        assert_eq!(classify("/tmp", || true), "directory");
        assert_eq!(classify("/memfd:jit (deleted)", file), "memfd");
        assert_eq!(classify("net:[4026531840]", file), "net");
        assert_eq!(socket_inode("socket:[20977]"), Some(20977));
    }
}
