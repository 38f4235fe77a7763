//! `agg serve`: the feeds folder over HTTP/1.1, for feed readers that poll it.
//!
//! Readers poll forever, so the server is built to make polling cheap and safe: validators and
//! 304s ([`respond`]), files held in memory until they change on disk ([`files`]), a cap on
//! connections served at once (the rest wait in the listen backlog), a header-read timeout that
//! also bounds idle kept-alive connections, and a write-stall timeout ([`stall`]), so slow or
//! silent clients cannot hold the server. Shutdown is graceful: on cancellation the listener
//! closes, open connections finish their current response and close, and whatever is still open
//! after [`SHUTDOWN_GRACE`] is dropped.
use crate::config::Config;
use hyper::header::HeaderValue;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub mod files;
mod respond;
mod stall;

use crate::config::defaults::{
    DEFAULT_HEADER_TIMEOUT_SECS, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT_SECS,
};
pub use crate::config::defaults::{DEFAULT_LISTEN, MAX_AGE_CAP};
/// How long open connections may finish after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Request head limit (request line plus headers); larger heads get 431.
const MAX_HEAD_BYTES: usize = 16 * 1024;
const MAX_HEADERS: usize = 64;

/// Everything the server needs, taken from the config once.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub root: PathBuf,
    pub listen: String,
    /// Where the folder is published (for `Link` headers).
    pub base_url: url::Url,
    pub hub: Option<url::Url>,
    pub max_age: Duration,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub write_timeout: Duration,
    /// When set, `/metrics` (Prometheus) and `/healthz` are answered too (the daemon sets it).
    pub metrics: Option<Arc<crate::obs::metrics::Metrics>>,
}

impl ServeOptions {
    /// Options for `config`; `max-age` is the sources' update interval, capped.
    pub fn from_config(config: &Config) -> ServeOptions {
        let interval =
            crate::publish::cadence::update_interval(config.sources.iter().map(|s| &s.schedule));
        let server = config.server.as_ref();
        ServeOptions {
            root: config.paths.feeds.clone(),
            listen: server.map_or(DEFAULT_LISTEN.to_string(), |s| s.listen.clone()),
            base_url: config.site.base_url.clone(),
            hub: config.websub.as_ref().map(|w| w.hub.clone()),
            max_age: interval.unwrap_or(MAX_AGE_CAP).min(MAX_AGE_CAP),
            max_connections: server.map_or(DEFAULT_MAX_CONNECTIONS, |s| s.max_connections),
            header_timeout: Duration::from_secs(
                server.map_or(DEFAULT_HEADER_TIMEOUT_SECS, |s| s.header_timeout_secs),
            ),
            write_timeout: Duration::from_secs(
                server.map_or(DEFAULT_WRITE_TIMEOUT_SECS, |s| s.write_timeout_secs),
            ),
            metrics: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: String, cause: std::io::Error },
}

/// Binds the listening socket (`host:port`; port 0 picks a free one).
pub async fn bind(addr: &str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|cause| ServeError::Bind {
            addr: addr.to_string(),
            cause,
        })
}

/// Serves `opts.root` on `listener` until `cancel` fires, then shuts down gracefully.
pub async fn serve(listener: TcpListener, opts: ServeOptions, cancel: CancellationToken) {
    let state = Arc::new(respond::State {
        files: Arc::new(files::Files::new(opts.root.clone())),
        cache_control: HeaderValue::from_str(&format!(
            "public, max-age={}",
            opts.max_age.as_secs()
        ))
        .expect("ASCII header value"),
        base: opts.base_url.clone(),
        hub: opts.hub.clone(),
        metrics: opts.metrics.clone(),
    });
    let slots = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let tracker = TaskTracker::new();
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(addr = %addr, path = %opts.root.display(), max_age = opts.max_age.as_secs(), "serving feeds");
    loop {
        let slot = tokio::select! {
            _ = cancel.cancelled() => break,
            slot = slots.clone().acquire_owned() => slot.expect("semaphore never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let timeouts = Timeouts {
            header: opts.header_timeout,
            write: opts.write_timeout,
        };
        let conn = connection(stream, peer, state.clone(), timeouts, cancel.clone(), slot);
        tracker.spawn(conn);
    }
    drop(listener);
    tracker.close();
    tracing::info!(open = tracker.len(), "server stopping");
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = tracker.len(),
            "connections dropped after the grace period"
        );
    }
    tracing::info!("server stopped");
}

#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header: Duration,
    write: Duration,
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    state: Arc<respond::State>,
    timeouts: Timeouts,
    cancel: CancellationToken,
    _slot: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(stall::StallGuard::new(stream, timeouts.write));
    let service = hyper::service::service_fn(move |req| respond::handle(req, state.clone()));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = cancel.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Timeouts and resets are the clients' business; worth a debug line, not a warning.
        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}
