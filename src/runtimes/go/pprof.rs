//! Finding and talking to a Go program's `net/http/pprof` endpoint.
//!
//! Discovery: the target's own LISTEN TCP sockets (inodes of `/proc/PID/fd/* -> socket:[N]`
//! joined with `/proc/PID/net/tcp{,6}`, which is the target's network namespace), loopback
//! first, then wildcard binds reached through loopback; each probed with
//! `GET /debug/pprof/goroutine?debug=1`. When the target lives in another network namespace,
//! the requests run on a short-lived thread that `setns`es into it.
//!
//! The client is a plain HTTP/1.0 GET over `std::net::TcpStream` with timeouts: enough for
//! pprof, no HTTP crate.
//!
//! May import: `parse::tcp`, siblings in `runtimes`, the parent's error type.

use crate::parse::tcp::parse_tcp_table;
use crate::runtimes::target::Target;
use crate::runtimes::DumpError;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// pprof writes at most 64 MiB of debug=2; leave room for headers.
const MAX_RESPONSE: u64 = 65 << 20;
/// A probe of a port that is not HTTP should not hold the user up long.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
const TCP_LISTEN: u8 = 0x0A;

/// Where to reach pprof: `http://<address><base>goroutine?debug=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PprofEndpoint {
    pub address: SocketAddr,
    /// `Host:` header value.
    pub host: String,
    /// Path prefix ending in `/`, normally `/debug/pprof/`.
    pub base: String,
    /// The target's `/proc/PID/ns/net` when it differs from healthtop's.
    pub netns: Option<PathBuf>,
}

impl std::fmt::Display for PprofEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.address, self.base)?;
        if let Some(ns) = &self.netns {
            write!(f, " (in network namespace {})", ns.display())?;
        }
        Ok(())
    }
}

impl PprofEndpoint {
    /// Parses `http://host:port[/prefix]`; a prefix without `/debug/pprof` gets it appended.
    /// Hostnames resolve through the system resolver.
    pub fn from_url(url: &str) -> Result<PprofEndpoint, DumpError> {
        let bad = |detail: &str| DumpError::Unavailable {
            reason: format!("--pprof {url:?}: {detail}"),
        };
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("only http:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let path = path.split('?').next().unwrap_or("/");
        let address = std::net::ToSocketAddrs::to_socket_addrs(authority)
            .map_err(|e| {
                bad(&format!(
                    "cannot resolve {authority:?}: {e} (give host:port)"
                ))
            })?
            .next()
            .ok_or_else(|| bad("no address"))?;
        let base = if path.contains("/debug/pprof") {
            let cut = path.find("/debug/pprof").unwrap_or(0) + "/debug/pprof/".len();
            format!("{}/", path.get(..cut - 1).unwrap_or("/debug/pprof"))
        } else {
            format!("{}/debug/pprof/", path.trim_end_matches('/'))
        };
        Ok(PprofEndpoint {
            address,
            host: authority.to_string(),
            base,
            netns: None,
        })
    }

    /// `goroutine?debug=N` as text.
    pub fn goroutines(&self, debug: u8, timeout: Duration) -> Result<String, DumpError> {
        self.get(&format!("{}goroutine?debug={debug}", self.base), timeout)
    }

    /// GET `path` and return the body of a 200 answer.
    pub fn get(&self, path: &str, timeout: Duration) -> Result<String, DumpError> {
        let address = self.address;
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: {}\r\nUser-Agent: healthtop\r\nAccept: text/plain\r\n\r\n",
            self.host
        );
        let body = match &self.netns {
            None => http_exchange(address, &request, timeout)?,
            Some(ns) => in_netns(ns.clone(), move || {
                http_exchange(address, &request, timeout)
            })?,
        };
        Ok(body)
    }
}

/// Runs `work` on a fresh thread that first joins the network namespace at `ns`; the thread
/// ends with it, so healthtop's own threads never change namespace.
fn in_netns<T: Send + 'static>(
    ns: PathBuf,
    work: impl FnOnce() -> Result<T, DumpError> + Send + 'static,
) -> Result<T, DumpError> {
    let handle = std::thread::spawn(move || {
        let file = std::fs::File::open(&ns).map_err(|source| DumpError::PermissionDenied {
            path: ns.clone(),
            source,
        })?;
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).map_err(|errno| {
            DumpError::PermissionDenied {
                path: ns.clone(),
                source: std::io::Error::from(errno),
            }
        })?;
        work()
    });
    handle.join().map_err(|_| DumpError::Protocol {
        what: "pprof".into(),
        detail: "the network-namespace thread panicked".into(),
    })?
}

/// One HTTP/1.0 GET; the server closes after the body. Bounded by `timeout` overall.
fn http_exchange(
    address: SocketAddr,
    request: &str,
    timeout: Duration,
) -> Result<String, DumpError> {
    let protocol = |detail: String| DumpError::Protocol {
        what: format!("pprof at {address}"),
        detail,
    };
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect_timeout(&address, timeout.min(Duration::from_secs(2)))
        .map_err(|e| protocol(format!("connect: {e}")))?;
    stream
        .set_write_timeout(Some(timeout))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(|e| protocol(format!("send: {e}")))?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(protocol(format!("no complete answer within {timeout:?}")));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|e| protocol(format!("read: {e}")))?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() as u64 > MAX_RESPONSE {
                    return Err(protocol("answer larger than 65 MiB".into()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A read timeout surfaces as EAGAIN (WouldBlock) on Linux.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(protocol(format!("no complete answer within {timeout:?}")))
            }
            Err(e) => return Err(protocol(format!("read: {e}"))),
        }
    }
    let text = crate::safe_text::from_bytes(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| protocol("not an HTTP answer".into()))?;
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| protocol("not an HTTP answer".into()))?;
    if status != 200 {
        return Err(protocol(format!("HTTP status {status}")));
    }
    if head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    }) {
        return Err(protocol(
            "chunked answer to an HTTP/1.0 request (a proxy in front of pprof?)".into(),
        ));
    }
    Ok(body.to_string())
}

/// The target's listening TCP sockets that can be reached over loopback, loopback binds first.
pub fn listening_loopback(target: &Target) -> Result<Vec<SocketAddr>, DumpError> {
    let fd_dir = target.path("fd");
    let entries = std::fs::read_dir(&fd_dir)
        .map_err(|e| DumpError::from_proc_io(target.pid, fd_dir.clone(), e))?;
    let mut inodes = std::collections::BTreeSet::new();
    for entry in entries.flatten() {
        if let Ok(link) = std::fs::read_link(entry.path()) {
            let link = link.to_string_lossy();
            if let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
            {
                inodes.insert(inode);
            }
        }
    }
    let mut loopback = Vec::new();
    let mut wildcard = Vec::new();
    for table in ["net/tcp", "net/tcp6"] {
        let text = match target.read_to_string(table) {
            Ok(text) => text,
            // No IPv6 in the kernel: no tcp6 file.
            Err(DumpError::Io { .. }) => continue,
            Err(other) => return Err(other),
        };
        for row in parse_tcp_table(&text)? {
            if row.state != TCP_LISTEN || !inodes.contains(&row.inode) {
                continue;
            }
            let Some(local) = parse_socket_addr(&row.local) else {
                continue;
            };
            let port = local.port();
            match local.ip() {
                ip if ip.is_loopback() => loopback.push(local),
                IpAddr::V4(ip) if ip.is_unspecified() => {
                    wildcard.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
                }
                IpAddr::V6(ip) if ip.is_unspecified() => {
                    wildcard.push(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port))
                }
                _ => {}
            }
        }
    }
    loopback.extend(wildcard);
    loopback.dedup();
    Ok(loopback)
}

/// `127.0.0.1:8080` / `[::1]:8080` as printed by `parse::tcp`.
fn parse_socket_addr(text: &str) -> Option<SocketAddr> {
    text.parse().ok()
}

/// Finds the pprof endpoint among the target's listening sockets by probing each with
/// `goroutine?debug=1`; returns the endpoint and the probe's answer, so a debug=1 dump needs
/// no second request (Go keeps a finished HTTP/1.0 connection's goroutine ~500 ms in
/// `closeWriteAndWait`, which a second request would count).
pub fn discover(target: &Target, timeout: Duration) -> Result<(PprofEndpoint, String), DumpError> {
    let candidates = listening_loopback(target)?;
    let netns = if target.other_netns()? {
        Some(target.path("ns/net"))
    } else {
        None
    };
    let mut tried = Vec::new();
    for address in candidates {
        let endpoint = PprofEndpoint {
            address,
            host: address.to_string(),
            base: "/debug/pprof/".to_string(),
            netns: netns.clone(),
        };
        match endpoint.goroutines(1, timeout.min(PROBE_TIMEOUT)) {
            Ok(body) if body.starts_with("goroutine profile:") => return Ok((endpoint, body)),
            Ok(_) => tried.push(format!("{address}: not a goroutine profile")),
            Err(DumpError::PermissionDenied { path, source }) => {
                return Err(DumpError::PermissionDenied { path, source })
            }
            Err(e) => tried.push(format!("{address}: {e}")),
        }
    }
    Err(DumpError::Unavailable {
        reason: if tried.is_empty() {
            format!(
                "process {} listens on no loopback TCP port, so no pprof endpoint: import \
                 net/http/pprof and serve it (e.g. on 127.0.0.1:6060), or give --pprof URL",
                target.pid
            )
        } else {
            format!(
                "no pprof endpoint among the ports of process {} ({}); give --pprof URL",
                target.pid,
                tried.join("; ")
            )
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let e = PprofEndpoint::from_url("http://127.0.0.1:6060").expect("url");
        assert_eq!(e.address, "127.0.0.1:6060".parse().expect("addr"));
        assert_eq!(e.base, "/debug/pprof/");
        let e =
            PprofEndpoint::from_url("http://127.0.0.1:6060/admin/debug/pprof/goroutine?debug=1")
                .expect("url");
        assert_eq!(e.base, "/admin/debug/pprof/");
        let e = PprofEndpoint::from_url("http://[::1]:80/admin/").expect("url");
        assert_eq!(e.base, "/admin/debug/pprof/");
        assert!(PprofEndpoint::from_url("https://x:1").is_err());
    }
}
