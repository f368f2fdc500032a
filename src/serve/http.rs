//! The HTTP(S) side of `serve`: `/metrics` (Prometheus text or OpenMetrics, as the `Accept`
//! header asks), optional TLS and basic auth, the fleet read every interval off the async
//! threads, and a clean end on SIGTERM or SIGINT.
//!
//! Bounded for a hostile network: at most [`MAX_CONNECTIONS`] at once, 10 s to finish a TLS
//! handshake or a request's headers, only GET and HEAD. bcrypt runs off the async threads and
//! a verified password is remembered (by its SHA-256), as exporter-toolkit does, so a 1 s
//! scrape does not cost a bcrypt every second.

use super::web_config::WebConfig;
use super::{read_own, Fleet};
use crate::collect::Collector;
use crate::exposition::{render, Format, TargetMetrics};
use base64::Engine as _;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Connections served at once; more wait in the kernel's backlog.
pub const MAX_CONNECTIONS: usize = 64;
/// Time for a TLS handshake and for a request's headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A bcrypt hash of no user's password at cost 10, checked for unknown users so that they
/// take as long as known ones.
fn no_user_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let unguessable: [u8; 32] =
            Sha256::digest(format!("{:?}", std::time::Instant::now())).into();
        bcrypt::hash(unguessable, 10).unwrap_or_default()
    })
    .clone()
}

/// Why `serve` stopped with an error.
#[derive(Debug, Error)]
pub enum ServeError {
    #[error("cannot start the event loop: {0}")]
    Runtime(std::io::Error),
    #[error("cannot install a signal handler: {0}")]
    Signal(std::io::Error),
    #[error("cannot accept connections: {0}")]
    Listener(std::io::Error),
}

/// What every request handler reads.
struct Shared {
    targets: watch::Receiver<Arc<Vec<TargetMetrics>>>,
    own: Option<Mutex<Collector>>,
    users: std::collections::BTreeMap<String, String>,
    /// SHA-256 of `user:password` pairs bcrypt accepted.
    verified: Mutex<BTreeSet<[u8; 32]>>,
}

/// Serves `fleet` on `listener` until SIGTERM or SIGINT; returns the signal's name.
pub fn run(
    mut fleet: Fleet,
    listener: std::net::TcpListener,
    web: WebConfig,
) -> Result<&'static str, ServeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let own = fleet.take_own().map(Mutex::new);
    // The first scrape already has every process's first reading.
    fleet.refresh();
    let first = Arc::new(fleet.targets());
    let result = runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(ServeError::Listener)?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Listener)?;
        let (publish, targets) = watch::channel(first);
        let shared = Arc::new(Shared {
            targets,
            own,
            users: web.users.clone(),
            verified: Mutex::new(BTreeSet::new()),
        });
        let refreshing = tokio::spawn(refresh_forever(fleet, publish));
        let ended = accept_until_signal(listener, shared, web).await;
        refreshing.abort();
        ended
    });
    // A reading in progress is not waited for: it only reads /proc.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Reads the fleet every interval on a blocking thread and publishes its figures.
async fn refresh_forever(mut fleet: Fleet, publish: watch::Sender<Arc<Vec<TargetMetrics>>>) {
    let interval = fleet.interval();
    let mut next = tokio::time::Instant::now() + interval;
    loop {
        tokio::time::sleep_until(next).await;
        next += interval;
        let joined = tokio::task::spawn_blocking(move || {
            fleet.refresh();
            fleet
        })
        .await;
        let Ok(back) = joined else {
            return;
        };
        fleet = back;
        publish.send_replace(Arc::new(fleet.targets()));
        // A round longer than the interval starts the next one at once, never a burst.
        next = next.max(tokio::time::Instant::now());
    }
}

async fn accept_until_signal(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    web: WebConfig,
) -> Result<&'static str, ServeError> {
    let mut sigterm = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
    let tls = web.tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    let ending = loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit,
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "SIGINT",
        };
        let Ok(permit) = permit else {
            break "SIGTERM";
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "SIGINT",
        };
        // A failed accept (the peer left, out of fds for a moment) ends only that connection.
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let (shared, tls) = (shared.clone(), tls.clone());
        connections.spawn(async move {
            serve_connection(stream, tls, shared).await;
            drop(permit);
        });
        while connections.try_join_next().is_some() {}
    };
    drop(listener);
    // Requests in flight get a moment to finish; idle keep-alive connections are closed.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
    Ok(ending)
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let service = hyper::service::service_fn(move |request| handle(request, shared.clone()));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT);
    match tls {
        Some(acceptor) => {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
            if let Ok(Ok(stream)) = handshake.await {
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            }
        }
        None => {
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        }
    }
}

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if !shared.users.is_empty() && !authorized(&request, &shared).await {
        let mut response = reply(StatusCode::UNAUTHORIZED, "unauthorized\n");
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"healthtop\""),
        );
        return Ok(response);
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(reply(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n"));
    }
    match request.uri().path() {
        "/metrics" => Ok(metrics(&request, shared).await),
        "/" => Ok(reply(
            StatusCode::OK,
            "healthtop serve: the metrics are at /metrics\n",
        )),
        _ => Ok(reply(StatusCode::NOT_FOUND, "not found: try /metrics\n")),
    }
}

async fn metrics(request: &Request<Incoming>, shared: Arc<Shared>) -> Response<Full<Bytes>> {
    let accept = request
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    let format = Format::negotiate(accept);
    let targets = shared.targets.borrow().clone();
    let body = tokio::task::spawn_blocking(move || {
        let own = shared
            .own
            .as_ref()
            .and_then(|own| own.lock().ok().and_then(|mut own| read_own(&mut own)));
        render(&targets, own.as_ref(), format)
    })
    .await
    .unwrap_or_default();
    let mut response = reply(StatusCode::OK, body);
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

fn reply(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Whether the request carries `Authorization: Basic` credentials a bcrypt hash accepts.
async fn authorized(request: &Request<Incoming>, shared: &Arc<Shared>) -> bool {
    let Some((user, password)) = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|text| {
            let (user, password) = text.split_once(':')?;
            Some((user.to_string(), password.to_string()))
        })
    else {
        return false;
    };
    let key: [u8; 32] = Sha256::digest(format!("{user}:{password}").as_bytes()).into();
    if shared.verified.lock().is_ok_and(|v| v.contains(&key)) {
        return true;
    }
    let hash = shared.users.get(&user).cloned();
    let known = hash.is_some();
    let accepted = tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(no_user_hash);
        bcrypt::verify(password, &hash)
    })
    .await
    .is_ok_and(|r| r.unwrap_or(false))
        && known;
    if accepted {
        if let Ok(mut verified) = shared.verified.lock() {
            // Bounded: a flood of distinct good passwords cannot grow it.
            if verified.len() >= 64 {
                verified.clear();
            }
            verified.insert(key);
        }
    }
    accepted
}
