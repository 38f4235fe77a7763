//! Fetching: one shared `reqwest::Client` with timeouts, a cap on the *decoded* body, the
//! network guard, a global concurrency limit and a per-host interval. HTTP outcomes are
//! classified here, in one place: a page, a 304, or a [`FetchError`] naming the URL.

pub mod charset;
pub mod guard;
pub mod host;
pub mod robots;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::FetchSettings;

/// The user agent when the config names none.
pub const DEFAULT_USER_AGENT: &str =
    concat!("agg/", env!("CARGO_PKG_VERSION"), " (news aggregator)");

tokio::task_local! {
    /// The source whose run is fetching, for metric labels (set by the pipeline).
    pub static SOURCE: String;
}

/// At most this many redirects are followed.
pub const MAX_REDIRECTS: usize = 10;

/// Cache validators sent back byte for byte on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched response body.
#[derive(Debug, Clone)]
pub struct Page {
    /// Final URL after redirects.
    pub url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub validators: Validators,
}

impl Page {
    /// The body decoded to UTF-8 (see [`charset`]).
    pub fn text(&self) -> String {
        charset::decode(&self.body, self.content_type.as_deref())
    }
}

/// The outcome of a successful request.
#[derive(Debug, Clone)]
pub enum Fetched {
    Page(Page),
    /// 304: the validators still hold.
    NotModified,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: {message}")]
    Refused { url: String, message: String },
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: disallowed by robots.txt")]
    Robots { url: String },
    #[error("{url}: host asked to wait {secs} s more (Retry-After)")]
    Postponed { url: String, secs: u64 },
    #[error("cannot build HTTP client: {0}")]
    Client(String),
}

/// The shared fetcher. Cheap to share behind an `Arc`.
pub struct Fetcher {
    client: reqwest::Client,
    policy: Arc<guard::Policy>,
    max_body: usize,
    global: Semaphore,
    hosts: host::Hosts,
    robots: Option<robots::RobotsCache>,
    user_agent: String,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        let policy = Arc::new(guard::Policy {
            allow_private_networks: settings.allow_private_networks,
            allow_hosts: settings.allow_hosts.clone(),
        });
        let redirect_policy = policy.clone();
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            if attempt.previous().contains(attempt.url()) {
                return attempt.error("redirect loop");
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                let msg = format!("redirect to unsupported scheme {}", attempt.url().scheme());
                return attempt.error(msg);
            }
            let checked = redirect_policy.check_url(attempt.url());
            if let Err(e) = checked {
                return attempt.error(e);
            }
            attempt.follow()
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,application/xml;q=0.9,application/json;q=0.8,*/*;q=0.7"),
        );
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs.max(1)))
            .read_timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .redirect(redirect)
            .no_proxy()
            .dns_resolver(guard::GuardedResolver {
                policy: policy.clone(),
            })
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Fetcher {
            client,
            policy,
            max_body: settings.max_body_bytes,
            global: Semaphore::new(settings.concurrency.max(1)),
            hosts: host::Hosts::new(
                Duration::from_millis(settings.per_host_interval_ms),
                settings.per_host_concurrency,
            ),
            robots: settings
                .respect_robots_txt
                .then(robots::RobotsCache::default),
            user_agent: settings.user_agent.clone(),
            metrics: None,
        })
    }

    /// Hosts paused by `Retry-After`, with the time left (see [`host::Hosts::pauses`]).
    /// The cap on a decoded body (`fetch.max_body_bytes`), for callers that decode further.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    pub async fn host_pauses(&self) -> Vec<(String, Duration)> {
        self.hosts.pauses().await
    }

    /// Pauses `host` for `left` (restoring pauses saved by an earlier process).
    pub async fn pause_host(&self, host: &str, left: Duration) {
        self.hosts.block(host, left).await;
    }

    /// Spaces requests per host across workers sharing `shared` (a PostgreSQL store).
    pub fn with_shared_hosts(mut self, shared: Arc<dyn host::SharedSlots>) -> Fetcher {
        self.hosts = self.hosts.with_shared(shared);
        self
    }

    /// Records HTTP outcomes and fetch times in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Fetcher {
        self.metrics = Some(metrics);
        self
    }

    /// Fetches `url`. `file://` URLs are read only when `allow_file` (the source itself is
    /// local). Validators, when given, make the request conditional.
    pub async fn fetch(
        &self,
        url: &Url,
        allow_file: bool,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        match url.scheme() {
            "file" if allow_file => return self.read_file(url).await.map(Fetched::Page),
            "file" => {
                return Err(FetchError::Refused {
                    url: url.to_string(),
                    message: "local file outside the source's own folder (only files beside a \
                              file: listing, or listed by a urls source, are read)"
                        .into(),
                });
            }
            "http" | "https" => {}
            other => {
                return Err(FetchError::Refused {
                    url: url.to_string(),
                    message: format!("unsupported scheme {other}"),
                });
            }
        }
        self.policy
            .check_url(url)
            .map_err(|message| FetchError::Refused {
                url: url.to_string(),
                message,
            })?;
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        if let Some(until) = self.hosts.blocked_until(&host).await {
            return Err(FetchError::Postponed {
                url: url.to_string(),
                secs: until.saturating_duration_since(Instant::now()).as_secs(),
            });
        }
        if !self.robots_allow(url, &host).await {
            return Err(FetchError::Robots {
                url: url.to_string(),
            });
        }
        let _permit = self.global.acquire().await.expect("semaphore never closed");
        let _host_permit = self.hosts.acquire(&host).await;
        let mut req = self.client.get(url.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let started = Instant::now();
        let resp = req.send().await.map_err(|e| {
            if let Some(m) = &self.metrics {
                m.http_status(None);
            }
            classify(url, e)
        })?;
        let status = resp.status().as_u16();
        if let Some(m) = &self.metrics {
            m.http_status(Some(status));
        }
        tracing::debug!(url = %url, status, elapsed_ms = started.elapsed().as_millis() as u64, "response");
        if status == 304 {
            return Ok(Fetched::NotModified);
        }
        if status == 429 || status == 503 {
            let delay = resp
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(host::parse_retry_after)
                .unwrap_or(host::DEFAULT_RETRY_AFTER);
            let until = self.hosts.block(&host, delay).await;
            tracing::warn!(url = %url, status, retry_after_s = delay.as_secs(), "host asked us to wait");
            return Err(FetchError::Postponed {
                url: url.to_string(),
                secs: until.saturating_duration_since(Instant::now()).as_secs(),
            });
        }
        if resp.status().is_redirection()
            && let Some(loc) = resp
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
        {
            // reqwest hands back redirects it will not follow (other schemes): refuse them.
            return Err(FetchError::Refused {
                url: url.to_string(),
                message: format!("redirect to {loc} not followed"),
            });
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status,
            });
        }
        let final_url = resp.url().clone();
        let h = resp.headers();
        let get = |name| {
            h.get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = get(header::CONTENT_TYPE);
        let validators = Validators {
            etag: get(header::ETAG),
            last_modified: get(header::LAST_MODIFIED),
        };
        let body = self.read_body(resp, url).await?;
        if let Some(m) = &self.metrics {
            m.fetched_bytes.inc_by(body.len() as u64);
            let source = SOURCE
                .try_with(String::clone)
                .unwrap_or_else(|_| "-".into());
            m.observe_fetch(&source, started.elapsed().as_secs_f64());
        }
        Ok(Fetched::Page(Page {
            url: final_url,
            status,
            content_type,
            body,
            validators,
        }))
    }

    /// Fetches and insists on a body (a 304 without validators cannot happen; with them it is
    /// reported as `None`).
    pub async fn get(&self, url: &Url, allow_file: bool) -> Result<Page, FetchError> {
        match self.fetch(url, allow_file, None).await? {
            Fetched::Page(p) => Ok(p),
            Fetched::NotModified => Err(FetchError::Status {
                url: url.to_string(),
                status: 304,
            }),
        }
    }

    async fn read_file(&self, url: &Url) -> Result<Page, FetchError> {
        let path = url.to_file_path().map_err(|_| FetchError::Refused {
            url: url.to_string(),
            message: "not a local file path".into(),
        })?;
        let file_err = |source| FetchError::File {
            path: path.display().to_string(),
            source,
        };
        let meta = tokio::fs::metadata(&path).await.map_err(file_err)?;
        if meta.len() as usize > self.max_body {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit: self.max_body,
            });
        }
        let body = tokio::fs::read(&path).await.map_err(file_err)?;
        let content_type = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => Some("application/json".to_string()),
            Some("xml" | "rss" | "atom") => Some("application/xml".to_string()),
            _ => None,
        };
        Ok(Page {
            url: url.clone(),
            status: 200,
            content_type,
            body,
            validators: Validators::default(),
        })
    }

    /// Whether robots.txt lets agg fetch `url`. The rules are fetched once per origin, with
    /// the same client (and so the same guard), politeness and timeouts.
    async fn robots_allow(&self, url: &Url, host: &str) -> bool {
        let Some(cache) = &self.robots else {
            return true;
        };
        if url.path() == "/robots.txt" {
            return true;
        }
        let origin = url.origin().ascii_serialization();
        let rules = cache
            .get_or_fetch(&origin, || async {
                let robots_url = Url::parse(&format!("{origin}/robots.txt")).expect("origin URL");
                let _permit = self.global.acquire().await.expect("semaphore never closed");
                let _host_permit = self.hosts.acquire(host).await;
                let rules = match self.client.get(robots_url.clone()).send().await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        match self.read_body(resp, &robots_url).await {
                            Ok(body) => {
                                robots::Rules::from_response(status, &body, &self.user_agent)
                            }
                            // An oversized or broken robots.txt: as if the server failed.
                            Err(_) => robots::Rules::DisallowAll,
                        }
                    }
                    Err(e) => {
                        // No answer at all (refused, unreachable, timed out): the page request
                        // fails the same way and reports the real cause; ask again next time.
                        tracing::debug!(url = %robots_url, error = %e, "robots.txt unreachable");
                        return None;
                    }
                };
                if let Some(delay) = rules.crawl_delay() {
                    self.hosts
                        .set_crawl_delay(host, Duration::from_secs_f32(delay.max(0.0)))
                        .await;
                }
                Some(rules)
            })
            .await;
        rules.is_none_or(|r| r.allowed(url))
    }

    /// Reads a body up to the decoded-size cap: reqwest decompresses gzip/brotli in the stream,
    /// so a decompression bomb stops at the cap with bounded memory.
    async fn read_body(&self, resp: reqwest::Response, url: &Url) -> Result<Vec<u8>, FetchError> {
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit: self.max_body,
        };
        if resp
            .content_length()
            .is_some_and(|n| n as usize > self.max_body)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| classify(url, e))?;
            if body.len() + chunk.len() > self.max_body {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn classify(url: &Url, e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout {
            url: url.to_string(),
        };
    }
    // The chain carries the useful part ("connection refused", "refused: non-public").
    if e.is_redirect()
        && let Some(inner) = std::error::Error::source(&e)
    {
        return FetchError::Refused {
            url: url.to_string(),
            message: inner.to_string(),
        };
    }
    let mut message = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        message = format!("{message}: {s}");
        src = s.source();
    }
    FetchError::Network {
        url: url.to_string(),
        message,
    }
}
