//! WebSub publishing (<https://www.w3.org/TR/websub/#publishing>): after a run that rewrote
//! feeds, tell the configured hub which ones, so subscribers get the news pushed instead of
//! polling for it.
//!
//! A ping is `POST hub` with the form `hub.mode=publish&hub.url={feed URL}`, one per changed
//! feed file (never for `index.html` or `opml.xml`). A hub that is down or overloaded (network
//! error, 408, 429, 5xx) gets [`TRIES`] tries with doubling backoff; any other answer is final.
//! A failed ping is logged, never fatal: readers still poll, they just learn later. Redirects
//! are not followed (the hub is configured; where it points is not agg's to chase).
use futures::StreamExt;
use std::time::Duration;
use url::Url;

/// Attempts per feed URL.
pub const TRIES: u32 = 3;
/// Wait before the second try; doubled before each further one.
pub const BACKOFF: Duration = Duration::from_secs(1);
/// Pings in flight at once.
const CONCURRENCY: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum WebsubError {
    #[error("cannot build HTTP client for WebSub: {0}")]
    Client(#[source] reqwest::Error),
    #[error("hub {hub} refused the ping for {url}: HTTP {status}")]
    Status {
        hub: String,
        url: String,
        status: u16,
    },
    #[error("hub {hub} unreachable for {url}")]
    Request {
        hub: String,
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// Pings one hub; one HTTP client for all its pings.
pub struct Pinger {
    client: reqwest::Client,
    hub: Url,
    backoff: Duration,
}

impl Pinger {
    pub fn new(hub: Url, user_agent: &str) -> Result<Pinger, WebsubError> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .no_proxy()
            // A hub answers a ping itself; a redirect (to a private address, say) is refused,
            // not followed: reported as the hub's status, never retried.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(WebsubError::Client)?;
        Ok(Pinger {
            client,
            hub,
            backoff: BACKOFF,
        })
    }

    /// Announces one feed URL, retrying as described in the module docs.
    pub async fn ping(&self, feed_url: &str) -> Result<(), WebsubError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("hub.mode", "publish")
            .append_pair("hub.url", feed_url)
            .finish();
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            let outcome = self
                .client
                .post(self.hub.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(form.clone())
                .send()
                .await;
            let (retry, error) = match outcome {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry = status == 408 || status == 429 || status >= 500;
                    (retry, self.status_error(feed_url, status))
                }
                Err(source) => (
                    true,
                    WebsubError::Request {
                        hub: self.hub.to_string(),
                        url: feed_url.to_string(),
                        source,
                    },
                ),
            };
            if !retry || attempt >= TRIES {
                return Err(error);
            }
            tracing::debug!(url = feed_url, attempt, error = %error, "WebSub ping failed; retrying");
            tokio::time::sleep(wait).await;
            wait *= 2;
            attempt += 1;
        }
    }

    fn status_error(&self, url: &str, status: u16) -> WebsubError {
        WebsubError::Status {
            hub: self.hub.to_string(),
            url: url.to_string(),
            status,
        }
    }

    /// Pings every URL (a few at a time); returns how many failed, each logged.
    pub async fn ping_all(&self, urls: &[String]) -> usize {
        let results: Vec<_> = futures::stream::iter(urls)
            .map(|u| async move { (u, self.ping(u).await) })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut failed = 0;
        for (url, result) in results {
            match result {
                Ok(()) => tracing::debug!(url = %url, "WebSub hub notified"),
                Err(e) => {
                    failed += 1;
                    tracing::warn!(url = %url, error = %e, "WebSub ping failed");
                }
            }
        }
        failed
    }
}

/// Absolute URLs of the feed files among `written` (paths relative to the feeds folder, as in
/// [`super::PublishReport::written`]), sorted.
pub fn changed_feed_urls(written: &[String], base: &Url) -> Vec<String> {
    let mut urls: Vec<String> = written
        .iter()
        .filter(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            matches!(name, "rss.xml" | "atom.xml" | "feed.json")
        })
        .filter_map(|p| base.join(p).ok().map(String::from))
        .collect();
    urls.sort();
    urls
}

/// Pings `hub` for every feed file among `written`. Returns how many pings failed.
pub async fn announce(hub: &Url, base: &Url, written: &[String], user_agent: &str) -> usize {
    let urls = changed_feed_urls(written, base);
    if urls.is_empty() {
        return 0;
    }
    let pinger = match Pinger::new(hub.clone(), user_agent) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "WebSub pings skipped");
            return urls.len();
        }
    };
    let failed = pinger.ping_all(&urls).await;
    tracing::info!(hub = %hub, feeds = urls.len(), failed, "WebSub hub pinged");
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_feed_files_are_announced() {
        let base = Url::parse("https://news.example.org/feeds/").unwrap();
        let written = [
            "index.html",
            "rss.xml",
            "tags/电影/feed.json",
            "opml.xml",
            "categories/tech/atom.xml",
        ]
        .map(String::from);
        assert_eq!(
            changed_feed_urls(&written, &base),
            [
                "https://news.example.org/feeds/categories/tech/atom.xml",
                "https://news.example.org/feeds/rss.xml",
                "https://news.example.org/feeds/tags/%E7%94%B5%E5%BD%B1/feed.json",
            ]
        );
    }
}
