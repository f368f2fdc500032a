//! Finding and talking to a Go program's `net/http/pprof` endpoint.
//!
//! Discovery: the target's own LISTEN TCP sockets (`collect::tcp_sockets`, the join of the
//! fd census: socket inodes joined with the target's own `net/tcp{,6}`), loopback
//! first, then wildcard binds reached through loopback; each probed with the index page
//! `GET /debug/pprof/` (cheap: no stack is rendered), then `goroutine?debug=1` for a service
//! that serves the goroutine profile without the index. When the target lives in another
//! network namespace, the requests run on a short-lived thread that `setns`es into it.
//!
//! Requests go through [`super::http`]: HTTP/1.0, every part of the reply capped — the index
//! page at [`INDEX_CAP`], dumps at [`DEBUG1_CAP`] / [`DEBUG2_CAP`] (cut there, and said so).
//!
//! May import: `collect::tcp_sockets`, siblings in `runtimes`, the parent's error type.

use super::goroutines::index_goroutine_count;
use super::http::{self, GetError, Limits, Overflow, Reply};
use crate::runtimes::target::Target;
use crate::runtimes::DumpError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// The index page is about 3 KiB (one row per profile); a bigger page is not pprof's.
pub const INDEX_CAP: usize = 256 << 10;
/// A debug=2 dump's text is kept up to this size and cut there: Go itself stops a debug=2
/// rendering at 64 MiB (the buffer `runtime.Stack` writes into).
pub const DEBUG2_CAP: usize = 64 << 20;
/// debug=1 aggregates goroutines by stack, so it is far smaller: 16 MiB holds tens of
/// thousands of distinct stacks.
pub const DEBUG1_CAP: usize = 16 << 20;

/// The cap on a `goroutine?debug=<debug>` reply.
pub fn dump_cap(debug: u8) -> usize {
    if debug >= 2 {
        DEBUG2_CAP
    } else {
        DEBUG1_CAP
    }
}

/// A probe of a port that is not HTTP should not hold the user up long.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

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

/// The goroutine profile as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileText {
    pub text: String,
    /// Cut at [`dump_cap`]: the rest was not read.
    pub truncated: bool,
}

/// What the index page says about goroutines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexCount {
    /// The `goroutine` row's count: `runtime.NumGoroutine()`.
    Count(u64),
    /// The endpoint answered, but not with an index that has a goroutine row (a mux that
    /// serves only some of pprof's handlers; 404).
    NoRow,
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

    /// The goroutine count from the index page (`runtime.NumGoroutine()`, O(1) in the
    /// target: no stack is rendered and the world is not stopped).
    pub fn index_count(&self, timeout: Duration) -> Result<IndexCount, DumpError> {
        let limits = Limits {
            body_bytes: INDEX_CAP,
            overflow: Overflow::Refuse,
        };
        let reply = self.fetch(&self.base, timeout, limits)?;
        if reply.status != 200 {
            return Ok(IndexCount::NoRow);
        }
        let page = String::from_utf8_lossy(&reply.body);
        Ok(index_goroutine_count(&page).map_or(IndexCount::NoRow, IndexCount::Count))
    }

    /// `goroutine?debug=N` as text, cut at [`dump_cap`].
    pub fn goroutines(&self, debug: u8, timeout: Duration) -> Result<ProfileText, DumpError> {
        let limits = Limits {
            body_bytes: dump_cap(debug),
            overflow: Overflow::Truncate,
        };
        let path = format!("{}goroutine?debug={debug}", self.base);
        let reply = self.fetch(&path, timeout, limits)?;
        if reply.status != 200 {
            return Err(self.protocol(format!("HTTP status {} for {path}", reply.status)));
        }
        // Bytes that are not UTF-8 are kept (see `safe_text`), shown escaped.
        let text = crate::safe_text::from_bytes(&reply.body);
        Ok(ProfileText {
            text,
            truncated: reply.truncated,
        })
    }

    /// GET `path`: the reply, whatever its status.
    fn fetch(&self, path: &str, timeout: Duration, limits: Limits) -> Result<Reply, DumpError> {
        let (address, host, path) = (self.address, self.host.clone(), path.to_string());
        let exchange = move || http::get(address, &host, &path, timeout, limits);
        let result = match &self.netns {
            None => exchange(),
            Some(ns) => in_netns(ns.clone(), exchange)?,
        };
        result.map_err(|e: GetError| self.protocol(e.to_string()))
    }

    fn protocol(&self, detail: String) -> DumpError {
        DumpError::Protocol {
            what: format!("pprof at {}", self.address),
            detail,
        }
    }
}

/// Runs `work` on a fresh thread that first joins the network namespace at `ns`; the thread
/// ends with it, so healthtop's own threads never change namespace.
fn in_netns<T: Send + 'static>(
    ns: PathBuf,
    work: impl FnOnce() -> T + Send + 'static,
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
        Ok(work())
    });
    handle.join().map_err(|_| DumpError::Protocol {
        what: "pprof".into(),
        detail: "the network-namespace thread panicked".into(),
    })?
}

/// The target's listening TCP sockets that can be reached over loopback, loopback binds first.
pub fn listening_loopback(target: &Target) -> Result<Vec<SocketAddr>, DumpError> {
    let sockets = crate::collect::tcp_sockets(target.dir())
        .map_err(|e| DumpError::from_collect(target.dir(), e))?;
    let mut loopback = Vec::new();
    let mut wildcard = Vec::new();
    for socket in sockets.iter().filter(|s| s.state == "LISTEN") {
        let Some(local) = parse_socket_addr(&socket.local) else {
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
    loopback.extend(wildcard);
    loopback.dedup();
    Ok(loopback)
}

/// `127.0.0.1:8080` / `[::1]:8080` as printed by `parse::tcp`.
fn parse_socket_addr(text: &str) -> Option<SocketAddr> {
    text.parse().ok()
}

/// Finds the pprof endpoint among the target's listening sockets: the first whose index page
/// has a goroutine row, else the first that serves `goroutine?debug=1` (the endpoint is then
/// returned with [`IndexCount::NoRow`], and counting it means rendering every stack).
pub fn discover(
    target: &Target,
    timeout: Duration,
) -> Result<(PprofEndpoint, IndexCount), DumpError> {
    let candidates = listening_loopback(target)?;
    let netns = if target.other_netns()? {
        Some(target.path("ns/net"))
    } else {
        None
    };
    let timeout = timeout.min(PROBE_TIMEOUT);
    let mut tried = Vec::new();
    let mut without_index = Vec::new();
    for address in candidates {
        let endpoint = PprofEndpoint {
            address,
            host: address.to_string(),
            base: "/debug/pprof/".to_string(),
            netns: netns.clone(),
        };
        match endpoint.index_count(timeout) {
            Ok(IndexCount::Count(n)) => return Ok((endpoint, IndexCount::Count(n))),
            Ok(IndexCount::NoRow) => without_index.push(endpoint),
            Err(DumpError::PermissionDenied { path, source }) => {
                return Err(DumpError::PermissionDenied { path, source })
            }
            Err(e) => tried.push(format!("{address}: {e}")),
        }
    }
    // HTTP servers without pprof's index: one may still serve the goroutine profile.
    for endpoint in without_index {
        match endpoint.goroutines(1, timeout) {
            Ok(p) if p.text.starts_with("goroutine profile:") => {
                return Ok((endpoint, IndexCount::NoRow))
            }
            Ok(_) => tried.push(format!("{}: not a goroutine profile", endpoint.address)),
            Err(e) => tried.push(format!("{}: {e}", endpoint.address)),
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
