//! Prometheus metrics, served at `/metrics` when the server runs. Names follow Prometheus
//! conventions (`agg_` prefix, `_total` counters, `_seconds` durations); label values stay
//! bounded: source names and fixed outcome words, never URLs.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceOutcome {
    pub source: String,
    /// new, updated, unchanged, failed (pages); ok, failed (listings).
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusClass {
    /// 2xx, 3xx, 4xx, 5xx, or error (no response).
    pub class: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    pub outcome: String,
}

type HistogramFamily = Family<SourceLabel, Histogram, fn() -> Histogram>;

fn duration_histogram() -> Histogram {
    // 5 ms to about 40 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Every metric agg keeps. Cheap to clone handles out of; shared behind an `Arc`.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub pages: Family<SourceOutcome, Counter>,
    pub listings: Family<SourceOutcome, Counter>,
    pub http_responses: Family<StatusClass, Counter>,
    pub fetched_bytes: Counter,
    pub fetch_seconds: HistogramFamily,
    pub extract_seconds: HistogramFamily,
    pub items_written: Family<SourceOutcome, Counter>,
    pub feeds_published: Counter,
    pub last_success: Family<SourceLabel, Gauge<f64, AtomicU64>>,
    pub websub_pings: Family<Outcome, Counter>,
    pub hook_runs: Family<Outcome, Counter>,
    pub extraction_health: Family<SourceField, Gauge<f64, AtomicU64>>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceField {
    pub source: String,
    /// title, date, thumbnail or body.
    pub field: String,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Arc<Metrics> {
        let m = Metrics {
            registry: Mutex::new(Registry::with_prefix("agg")),
            pages: Family::default(),
            listings: Family::default(),
            http_responses: Family::default(),
            fetched_bytes: Counter::default(),
            fetch_seconds: Family::new_with_constructor(duration_histogram),
            extract_seconds: Family::new_with_constructor(duration_histogram),
            items_written: Family::default(),
            feeds_published: Counter::default(),
            last_success: Family::default(),
            websub_pings: Family::default(),
            hook_runs: Family::default(),
            extraction_health: Family::default(),
        };
        m.register(&mut m.registry.lock().expect("fresh mutex"));
        Arc::new(m)
    }

    /// Registers every metric in `r`, with its help text.
    fn register(&self, r: &mut Registry) {
        let m = self;
        r.register(
            "pages",
            "Article pages processed, by source and outcome",
            m.pages.clone(),
        );
        r.register(
            "listings",
            "Source listings fetched, by source and outcome",
            m.listings.clone(),
        );
        r.register(
            "http_responses",
            "HTTP responses by status class",
            m.http_responses.clone(),
        );
        r.register(
            "fetched_bytes",
            "Decoded body bytes fetched",
            m.fetched_bytes.clone(),
        );
        r.register(
            "fetch_duration_seconds",
            "Time to fetch one page",
            m.fetch_seconds.clone(),
        );
        r.register(
            "extract_duration_seconds",
            "Time to extract one page",
            m.extract_seconds.clone(),
        );
        r.register(
            "items_written",
            "Markdown files written, by source and outcome (new, updated)",
            m.items_written.clone(),
        );
        r.register(
            "feeds_published",
            "Feed files rewritten because their bytes changed",
            m.feeds_published.clone(),
        );
        r.register(
            "source_last_success_timestamp_seconds",
            "Unix time of each source's last clean run",
            m.last_success.clone(),
        );
        r.register(
            "websub_pings",
            "WebSub publish pings, by outcome",
            m.websub_pings.clone(),
        );
        r.register(
            "hook_runs",
            "after_run hook runs, by outcome",
            m.hook_runs.clone(),
        );
        r.register(
            "extraction_health_ratio",
            "Share of a source's latest items with each field extracted",
            m.extraction_health.clone(),
        );
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        prometheus_client::encoding::text::encode(&mut out, &r)
            .expect("writing to a String cannot fail");
        out
    }

    pub fn page(&self, source: &str, outcome: &str) {
        self.pages.get_or_create(&so(source, outcome)).inc();
    }

    pub fn listing(&self, source: &str, ok: bool) {
        self.listings
            .get_or_create(&so(source, if ok { "ok" } else { "failed" }))
            .inc();
    }

    pub fn http_status(&self, status: Option<u16>) {
        let class = match status {
            Some(s) => format!("{}xx", s / 100),
            None => "error".into(),
        };
        self.http_responses
            .get_or_create(&StatusClass { class })
            .inc();
    }

    pub fn source_ok(&self, source: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.last_success
            .get_or_create(&SourceLabel {
                source: source.into(),
            })
            .set(now);
    }

    pub fn health(&self, source: &str, shares: &crate::store::HealthShares) {
        for (field, v) in [
            ("title", shares.title),
            ("date", shares.date),
            ("thumbnail", shares.thumbnail),
            ("body", shares.body),
        ] {
            let key = SourceField {
                source: source.into(),
                field: field.into(),
            };
            self.extraction_health.get_or_create(&key).set(v);
        }
    }

    pub fn observe_fetch(&self, source: &str, seconds: f64) {
        self.fetch_seconds
            .get_or_create(&SourceLabel {
                source: source.into(),
            })
            .observe(seconds);
    }

    pub fn observe_extract(&self, source: &str, seconds: f64) {
        self.extract_seconds
            .get_or_create(&SourceLabel {
                source: source.into(),
            })
            .observe(seconds);
    }
}

tokio::task_local! {
    /// The source whose run is going on, for the labels of metrics recorded deep inside it
    /// (the fetcher's); set by the app around each source's run.
    pub static SOURCE: String;
}

impl crate::fetch::Observer for Metrics {
    fn response(&self, status: Option<u16>) {
        self.http_status(status);
    }

    fn fetched(&self, bytes: usize, seconds: f64) {
        self.fetched_bytes.inc_by(bytes as u64);
        let source = SOURCE
            .try_with(String::clone)
            .unwrap_or_else(|_| "-".into());
        self.observe_fetch(&source, seconds);
    }
}

fn so(source: &str, outcome: &str) -> SourceOutcome {
    SourceOutcome {
        source: source.into(),
        outcome: outcome.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_prefixed_names_and_bounded_labels() {
        let m = Metrics::new();
        m.page("qq", "new");
        m.page("qq", "new");
        m.http_status(Some(404));
        m.observe_fetch("qq", 0.2);
        m.source_ok("qq");
        let text = m.encode();
        assert!(
            text.contains("agg_pages_total{source=\"qq\",outcome=\"new\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("agg_http_responses_total{class=\"4xx\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("agg_fetch_duration_seconds_count{source=\"qq\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE agg_source_last_success_timestamp_seconds gauge"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
