//! robots.txt: fetched once per origin and cached for the process; 4xx means everything is
//! allowed, 5xx or an unreachable server means nothing is (the site may be in trouble), as
//! Google's and RFC 9309's rules say. Matching is `texting_robots`'s.

use std::collections::HashMap;
use std::sync::Arc;

use texting_robots::Robot;
use tokio::sync::{Mutex, OnceCell};
use url::Url;

/// What one origin's robots.txt says.
pub enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<Robot>),
}

impl Rules {
    pub fn allowed(&self, url: &Url) -> bool {
        match self {
            Rules::AllowAll => true,
            Rules::DisallowAll => url.path() == "/robots.txt",
            Rules::Parsed(r) => r.allowed(url.as_str()),
        }
    }

    pub fn crawl_delay(&self) -> Option<f32> {
        match self {
            Rules::Parsed(r) => r.delay,
            _ => None,
        }
    }

    /// Interprets a robots.txt response.
    pub fn from_response(status: u16, body: &[u8], agent: &str) -> Rules {
        match status {
            200..=299 => Robot::new(agent_token(agent), body)
                .map(|r| Rules::Parsed(Box::new(r)))
                .unwrap_or(Rules::AllowAll),
            400..=499 => Rules::AllowAll,
            _ => Rules::DisallowAll,
        }
    }
}

/// The product token of a user agent ("agg/0.1 (+https://…)" → "agg").
fn agent_token(agent: &str) -> &str {
    agent
        .split(['/', ' '])
        .next()
        .filter(|t| !t.is_empty())
        .unwrap_or("agg")
}

/// The per-origin cache; concurrent first requests to one origin share one fetch.
#[derive(Default)]
pub struct RobotsCache {
    by_origin: Mutex<HashMap<String, Arc<OnceCell<Arc<Rules>>>>>,
}

impl RobotsCache {
    /// The origin's rules, fetched by `fetch` the first time. A fetch that returns `None`
    /// (the server could not be reached at all) is not cached: the next request asks again.
    pub async fn get_or_fetch<F, Fut>(&self, origin: &str, fetch: F) -> Option<Arc<Rules>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Option<Rules>>,
    {
        let cell = self
            .by_origin
            .lock()
            .await
            .entry(origin.to_string())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async { fetch().await.map(Arc::new).ok_or(()) })
            .await
            .ok()
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn status_classes_and_rules() {
        let txt =
            b"User-agent: agg\nDisallow: /private/\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /";
        let r = Rules::from_response(200, txt, "agg/0.1 (+https://x/)");
        assert!(r.allowed(&url("https://x/news/1.html")));
        assert!(!r.allowed(&url("https://x/private/a")));
        assert_eq!(r.crawl_delay(), Some(2.0));
        let other = Rules::from_response(200, txt, "otherbot/1.0");
        assert!(!other.allowed(&url("https://x/news/1.html")));
        assert!(Rules::from_response(404, b"", "agg").allowed(&url("https://x/a")));
        assert!(!Rules::from_response(503, b"", "agg").allowed(&url("https://x/a")));
    }
}
