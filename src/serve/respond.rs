//! One request in, one response out: the HTTP semantics feed readers rely on.
//!
//! GET and HEAD only. Validators: a strong `ETag` (hash of the bytes sent) and `Last-Modified`;
//! `If-None-Match` wins over `If-Modified-Since` (RFC 9110 §13.2.2), either gives 304.
//! `Accept-Encoding: gzip` gets the precomputed gzip form (with its own ETag, `Vary` says why).
//! A single byte range gets 206, an unsatisfiable one 416, anything else is ignored (200).
//! `Cache-Control: max-age` follows the sources' schedules; with WebSub, feeds carry `Link`
//! headers naming the hub and themselves.
use super::files::{self, Entry, Files, Refusal};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

/// What every request needs, shared by all connections.
pub struct State {
    pub files: Arc<Files>,
    pub cache_control: HeaderValue,
    /// Where the folder is published (for `Link: <…>; rel="self"`).
    pub base: url::Url,
    /// The WebSub hub; feeds get `Link` headers only when there is one.
    pub hub: Option<url::Url>,
    /// The daemon's metrics: `/metrics` and `/healthz` are served when present.
    pub metrics: Option<Arc<crate::obs::metrics::Metrics>>,
}

pub type Body = Full<Bytes>;

/// Answers one request; never fails (every problem is an HTTP status).
pub async fn handle<B>(req: Request<B>, state: Arc<State>) -> Result<Response<Body>, Infallible> {
    let resp = respond(&req, &state).await;
    tracing::debug!(path = %req.uri().path(), status = resp.status().as_u16(), "served");
    Ok(resp)
}

async fn respond<B>(req: &Request<B>, state: &State) -> Response<Body> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if let Some(resp) = state
        .metrics
        .as_ref()
        .and_then(|m| observability(req.uri().path(), m))
    {
        return resp;
    }
    match lookup(req.uri().path(), state).await {
        Ok(entry) => file_response(req.headers(), state, &entry),
        Err(resp) => resp,
    }
}

/// `/metrics` and `/healthz`, when the daemon serves them.
fn observability(path: &str, metrics: &crate::obs::metrics::Metrics) -> Option<Response<Body>> {
    match path {
        "/metrics" => {
            let mut resp = Response::new(Full::new(Bytes::from(metrics.encode())));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Some(resp)
        }
        "/healthz" => Some(plain(StatusCode::OK, "ok\n")),
        _ => None,
    }
}

/// The file a request path names, or the error response.
async fn lookup(path: &str, state: &State) -> Result<Arc<Entry>, Response<Body>> {
    let rel = match files::relative_path(path) {
        Ok(rel) => rel,
        Err(Refusal::BadRequest) => return Err(plain(StatusCode::BAD_REQUEST, "bad request\n")),
        Err(Refusal::NotFound) => return Err(plain(StatusCode::NOT_FOUND, "not found\n")),
    };
    match state.files.get(&rel).await {
        Ok(Some(entry)) => Ok(entry),
        Ok(None) => Err(plain(StatusCode::NOT_FOUND, "not found\n")),
        Err(e) => {
            tracing::warn!(path = %rel, error = %e, "cannot read file to serve");
            Err(plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot read file\n",
            ))
        }
    }
}

/// A file's response to a request with `headers`: 304, 206, 416 or 200 (gzipped when asked).
fn file_response(headers: &HeaderMap, state: &State, entry: &Entry) -> Response<Body> {
    let range = headers
        .get(header::RANGE)
        .filter(|_| if_range_holds(headers, entry))
        .map(|r| byte_range(r.to_str().unwrap_or(""), entry.body.len() as u64));
    // A range is a slice of the identity bytes, so it is never compressed.
    let gzip = match (&entry.gzip, &range) {
        (Some(gz), None) if accepts_gzip(headers) => Some(gz.clone()),
        _ => None,
    };
    let gzipped = gzip.is_some();
    let etag = if gzipped {
        &entry.etag_gzip
    } else {
        &entry.etag
    };
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(inm) => etag_matches(inm, entry),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok())
            .is_some_and(|since: SystemTime| entry.modified <= since),
    };
    let (status, body) = if not_modified {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else {
        match range {
            Some(Range::Unsatisfiable) => {
                let mut resp = plain(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
                let total = format!("bytes */{}", entry.body.len());
                resp.headers_mut()
                    .insert(header::CONTENT_RANGE, value(&total));
                return resp;
            }
            Some(Range::Slice(start, end)) => (
                StatusCode::PARTIAL_CONTENT,
                entry.body.slice(start as usize..=end as usize),
            ),
            Some(Range::Ignored) | None => (StatusCode::OK, gzip.unwrap_or(entry.body.clone())),
        }
    };
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::LAST_MODIFIED, entry.last_modified.clone());
    h.insert(header::CACHE_CONTROL, state.cache_control.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(link) = state
        .hub
        .as_ref()
        .and_then(|hub| link_header(state, hub, entry))
    {
        h.insert(header::LINK, link);
    }
    if status != StatusCode::NOT_MODIFIED {
        content_headers(h, entry, &range, gzipped);
    }
    resp
}

/// The headers of a response with a body.
fn content_headers(h: &mut HeaderMap, entry: &Entry, range: &Option<Range>, gzipped: bool) {
    h.insert(header::CONTENT_TYPE, entry.content_type.clone());
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(Range::Slice(start, end)) = range {
        let total = format!("bytes {start}-{end}/{}", entry.body.len());
        h.insert(header::CONTENT_RANGE, value(&total));
    } else if gzipped {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
}

/// `Link: <self>; rel="self", <hub>; rel="hub"` for feed documents.
fn link_header(state: &State, hub: &url::Url, entry: &Entry) -> Option<HeaderValue> {
    if !crate::publish::media::is_feed(&entry.rel) {
        return None;
    }
    let me = state.base.join(&entry.rel).ok()?;
    HeaderValue::from_str(&format!("<{me}>; rel=\"self\", <{hub}>; rel=\"hub\"")).ok()
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).expect("ASCII header value")
}

/// `If-None-Match`: weak comparison (RFC 9110 §13.1.2), either representation's tag counts.
fn etag_matches(inm: &HeaderValue, entry: &Entry) -> bool {
    let Ok(list) = inm.to_str() else { return false };
    list.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*"
            || tag.as_bytes() == entry.etag.as_bytes()
            || tag.as_bytes() == entry.etag_gzip.as_bytes()
    })
}

/// `If-Range`: the range applies only if the client's copy is this version (strong match).
fn if_range_holds(headers: &HeaderMap, entry: &Entry) -> bool {
    match headers.get(header::IF_RANGE) {
        None => true,
        Some(v) => v == entry.etag || v == entry.last_modified,
    }
}

/// Whether `Accept-Encoding` allows gzip (explicitly or by `*`, with a non-zero q).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut star = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        for coding in value.to_str().unwrap_or("").split(',') {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match name.as_str() {
                "gzip" | "x-gzip" => return q > 0.0,
                "*" => star = q > 0.0,
                _ => {}
            }
        }
    }
    star
}

/// The outcome of a `Range` header against a body of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    /// Inclusive byte positions.
    Slice(u64, u64),
    Unsatisfiable,
    /// Not a single well-formed byte range (multipart ranges included): sent whole.
    Ignored,
}

fn byte_range(spec: &str, len: u64) -> Range {
    let Some((first, last)) = spec
        .trim()
        .strip_prefix("bytes=")
        .and_then(|s| s.split_once('-'))
    else {
        return Range::Ignored;
    };
    let (first, last) = (first.trim(), last.trim());
    let number = |s: &str| -> Option<Option<u64>> {
        // Digits that overflow are an absurd range (416), anything else is not a range at all.
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())
    };
    match (first.is_empty(), last.is_empty()) {
        (true, true) => Range::Ignored,
        (true, false) => match number(last) {
            None => Range::Ignored,
            Some(None) | Some(Some(0)) => Range::Unsatisfiable,
            Some(Some(_)) if len == 0 => Range::Unsatisfiable,
            Some(Some(n)) => Range::Slice(len.saturating_sub(n), len - 1),
        },
        (false, _) => {
            let start = match number(first) {
                None => return Range::Ignored,
                Some(None) => return Range::Unsatisfiable,
                Some(Some(s)) => s,
            };
            // An open or overflowing end means "to the end".
            let end = if last.is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    None => return Range::Ignored,
                    Some(e) => e.unwrap_or(u64::MAX),
                }
            };
            if end < start {
                Range::Ignored
            } else if start >= len {
                Range::Unsatisfiable
            } else {
                Range::Slice(start, end.min(len - 1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Range::Slice(0, 9));
        assert_eq!(byte_range("bytes=90-", 100), Range::Slice(90, 99));
        assert_eq!(byte_range("bytes=-10", 100), Range::Slice(90, 99));
        assert_eq!(byte_range("bytes=50-1000", 100), Range::Slice(50, 99));
        assert_eq!(byte_range("bytes=100-", 100), Range::Unsatisfiable);
        assert_eq!(
            byte_range("bytes=99999999999999999999999-", 100),
            Range::Unsatisfiable
        );
        assert_eq!(byte_range("bytes=-0", 100), Range::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-6", 100), Range::Ignored);
        assert_eq!(byte_range("bytes=9-1", 100), Range::Ignored);
        assert_eq!(byte_range("items=0-1", 100), Range::Ignored);
        assert_eq!(byte_range("bytes=a-b", 100), Range::Ignored);
        assert_eq!(byte_range("bytes=0-0", 0), Range::Unsatisfiable);
    }

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, value("br, gzip;q=0.5"));
        assert!(accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, value("gzip;q=0, *"));
        assert!(!accepts_gzip(&h));
        h.insert(header::ACCEPT_ENCODING, value("identity, *;q=1"));
        assert!(accepts_gzip(&h));
    }
}
