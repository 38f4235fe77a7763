//! Politeness per host, shared by every source that fetches from it: at most
//! `per_host_concurrency` requests in flight, starts spaced by the interval (or the site's
//! robots.txt `Crawl-delay` when longer), and a pause after a 429/503 `Retry-After`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

/// A `Retry-After` longer than this is capped: a hostile server cannot park a host for good.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3600);
/// The pause after a 429/503 without a usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

struct HostState {
    slots: Arc<Semaphore>,
    next_start: Instant,
    blocked_until: Option<Instant>,
    crawl_delay: Duration,
}

/// Request starts reserved in a store shared with other workers, so spacing holds across them.
pub trait SharedSlots: Send + Sync {
    /// Reserves the next start on `host`, `spacing` after the previous one whichever worker
    /// made it; returns how long from now that start is (`None`: could not ask, go by the
    /// local table alone).
    fn reserve(&self, host: &str, spacing: Duration) -> Option<Duration>;
}

/// The per-host table.
pub struct Hosts {
    interval: Duration,
    concurrency: usize,
    table: Mutex<HashMap<String, HostState>>,
    shared: Option<Arc<dyn SharedSlots>>,
}

/// Held while a request to the host is in flight.
pub struct HostPermit {
    _permit: OwnedSemaphorePermit,
}

impl Hosts {
    pub fn new(interval: Duration, concurrency: usize) -> Hosts {
        Hosts {
            interval,
            concurrency: concurrency.max(1),
            table: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// Spaces requests across workers through `shared` as well as within this process.
    pub fn with_shared(mut self, shared: Arc<dyn SharedSlots>) -> Hosts {
        self.shared = Some(shared);
        self
    }

    fn entry<'a>(
        &self,
        table: &'a mut HashMap<String, HostState>,
        host: &str,
    ) -> &'a mut HostState {
        table.entry(host.to_string()).or_insert_with(|| HostState {
            slots: Arc::new(Semaphore::new(self.concurrency)),
            next_start: Instant::now(),
            blocked_until: None,
            crawl_delay: Duration::ZERO,
        })
    }

    /// When the host is paused by a `Retry-After`, the instant it may be asked again.
    pub async fn blocked_until(&self, host: &str) -> Option<Instant> {
        let table = self.table.lock().await;
        table
            .get(host)
            .and_then(|h| h.blocked_until)
            .filter(|t| *t > Instant::now())
    }

    /// Waits for a slot and for the host's next start time.
    pub async fn acquire(&self, host: &str) -> HostPermit {
        let slots = {
            let mut table = self.table.lock().await;
            self.entry(&mut table, host).slots.clone()
        };
        let permit = slots
            .acquire_owned()
            .await
            .expect("host semaphore never closed");
        let (mut start, spacing) = {
            let mut table = self.table.lock().await;
            let interval = self.interval;
            let h = self.entry(&mut table, host);
            let now = Instant::now();
            let start = h.next_start.max(now);
            let spacing = interval.max(h.crawl_delay);
            h.next_start = start + spacing;
            (start, spacing)
        };
        if let Some(shared) = self.shared.clone().filter(|_| !spacing.is_zero()) {
            let host = host.to_string();
            if let Ok(Some(wait)) =
                tokio::task::spawn_blocking(move || shared.reserve(&host, spacing)).await
            {
                // `wait` counts from the database's clock when the slot was taken, which is
                // after the call was made (it may have queued for the connection): counted from
                // its answer, the start is never before the slot.
                start = start.max(Instant::now() + wait);
            }
        }
        tokio::time::sleep_until(start.into()).await;
        HostPermit { _permit: permit }
    }

    /// Pauses the host for `delay` (capped).
    pub async fn block(&self, host: &str, delay: Duration) -> Instant {
        let mut table = self.table.lock().await;
        let until = Instant::now() + delay.min(MAX_RETRY_AFTER);
        let h = self.entry(&mut table, host);
        h.blocked_until = Some(h.blocked_until.map_or(until, |t| t.max(until)));
        until
    }

    /// Every host paused now, with the time left: saved between processes, so a `Retry-After`
    /// holds across separate `fetch-once` runs too.
    pub async fn pauses(&self) -> Vec<(String, Duration)> {
        let now = Instant::now();
        let table = self.table.lock().await;
        table
            .iter()
            .filter_map(|(host, h)| {
                Some((host.clone(), h.blocked_until?.checked_duration_since(now)?))
            })
            .filter(|(_, left)| !left.is_zero())
            .collect()
    }

    /// Applies a robots.txt `Crawl-delay` (capped at a minute).
    pub async fn set_crawl_delay(&self, host: &str, delay: Duration) {
        let mut table = self.table.lock().await;
        self.entry(&mut table, host).crawl_delay = delay.min(Duration::from_secs(60));
    }
}

/// Parses `Retry-After`: delta seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d > Duration::from_secs(290) && d <= Duration::from_secs(300),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[tokio::test]
    async fn block_is_capped_and_only_grows() {
        let hosts = Hosts::new(Duration::ZERO, 1);
        assert!(hosts.blocked_until("a").await.is_none());
        let until = hosts.block("a", Duration::from_secs(10 * 24 * 3600)).await;
        assert!(until <= Instant::now() + MAX_RETRY_AFTER);
        hosts.block("a", Duration::from_secs(1)).await;
        assert_eq!(hosts.blocked_until("a").await, Some(until));
        assert!(hosts.blocked_until("b").await.is_none());
    }

    #[tokio::test]
    async fn per_host_concurrency_is_enforced() {
        let hosts = Arc::new(Hosts::new(Duration::ZERO, 1));
        let first = hosts.acquire("h").await;
        let h2 = hosts.clone();
        let waiter = tokio::spawn(async move { h2.acquire("h").await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished(), "second request waits for the first");
        let _other = hosts.acquire("other").await; // another host is not held up
        drop(first);
        waiter.await.unwrap();
    }
}
