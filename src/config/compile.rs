//! Compiling the raw config, section by section: every problem becomes a [`ConfigIssue`]
//! naming its file, line and key (in the order of the sections), and a config with issues is
//! never used.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use super::locate::{self, Seg::Idx, Seg::Key};
use super::raw::{self, RawConfig};
use super::*;

/// Collects issues while compiling one file.
pub(super) struct Compiler<'a> {
    pub(super) text: &'a str,
    pub(super) file: String,
    /// The config file's folder: relative `file:` URLs are anchored there.
    pub(super) dir: PathBuf,
    pub(super) issues: Vec<ConfigIssue>,
}

impl Compiler<'_> {
    pub(super) fn issue(&mut self, path: &[locate::Seg], message: impl Into<String>) {
        let line = locate::line_of(self.text, path).unwrap_or(1);
        self.issues.push(ConfigIssue {
            file: self.file.clone(),
            line,
            key: locate::display(path),
            message: message.into(),
        });
    }

    /// The compiled config (meaningful only when no issue was recorded).
    pub(super) fn compile(&mut self, raw: RawConfig, path: &Path) -> Config {
        let base_url = self.base_url(&raw.site.base_url);
        let timezone = self.timezone(&raw.site.timezone);
        self.check_fetch(&raw.fetch);
        self.check_feeds(&raw.feeds);
        let sources = self.sources(raw.sources);
        let icon = self.site_image("icon", raw.site.icon.as_deref(), &base_url);
        let logo = self.site_image("logo", raw.site.logo.as_deref(), &base_url);
        let websub = raw.websub.and_then(|w| self.websub(w));
        let s3 = raw.publish.s3.and_then(|s3| self.s3_settings(s3));
        let server = raw.server.map(|s| self.server(s));
        let hooks = self.hooks(raw.hooks);
        let store = self.store(raw.store);
        let dedup = self.dedup(&raw.dedup);
        Config {
            file: path.to_path_buf(),
            site: Site {
                title: raw.site.title,
                description: raw.site.description,
                base_url,
                timezone,
                language: raw.site.language,
                icon,
                logo,
            },
            paths: Paths {
                content: PathBuf::from(raw.paths.content),
                feeds: PathBuf::from(raw.paths.feeds),
                state: PathBuf::from(raw.paths.state),
            },
            fetch: FetchSettings::from(raw.fetch),
            feeds: FeedSettings {
                items: raw.feeds.items,
                formats: raw.feeds.formats,
                max_bytes: raw.feeds.max_bytes,
            },
            front_matter: front_matter(raw.front_matter),
            server,
            websub,
            publish: PublishSettings { s3 },
            dedup,
            hooks,
            store,
            sources,
        }
    }

    /// `site.base_url`: absolute, and ending in `/` so feed paths join onto it.
    fn base_url(&mut self, raw: &str) -> Url {
        let site_url = Url::parse(raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https" | "file"));
        match site_url {
            Some(mut u) => {
                if !u.path().ends_with('/') {
                    let p = format!("{}/", u.path());
                    u.set_path(&p);
                }
                u
            }
            None => {
                self.issue(
                    &[Key("site"), Key("base_url")],
                    format!("not an absolute http(s) URL: {raw:?}"),
                );
                Url::parse("http://localhost/").expect("static URL")
            }
        }
    }

    fn timezone(&mut self, raw: &str) -> Tz {
        Tz::from_str(raw).unwrap_or_else(|_| {
            self.issue(
                &[Key("site"), Key("timezone")],
                format!("unknown time zone {raw:?} (use an IANA name such as \"Asia/Shanghai\")"),
            );
            Tz::UTC
        })
    }

    fn check_fetch(&mut self, fetch: &raw::RawFetch) {
        if fetch.concurrency == 0 {
            self.issue(&[Key("fetch"), Key("concurrency")], "must be at least 1");
        }
        if fetch.max_body_bytes < 1024 {
            self.issue(
                &[Key("fetch"), Key("max_body_bytes")],
                "must be at least 1024",
            );
        }
    }

    fn check_feeds(&mut self, feeds: &raw::RawFeeds) {
        if feeds.max_bytes != 0 && feeds.max_bytes < defaults::MIN_FEED_BYTES {
            self.issue(
                &[Key("feeds"), Key("max_bytes")],
                format!(
                    "must be 0 (no limit) or at least {} (a feed's header and one summary-only item)",
                    defaults::MIN_FEED_BYTES
                ),
            );
        }
        for (i, f) in feeds.formats.iter().enumerate() {
            if !matches!(f.as_str(), "rss" | "atom" | "json") {
                self.issue(
                    &[Key("feeds"), Key("formats"), Idx(i)],
                    format!("unknown format {f:?} (rss, atom or json)"),
                );
            }
        }
    }

    /// Every source that compiles; names must be unique.
    fn sources(&mut self, raw: Vec<raw::RawSource>) -> Vec<Source> {
        let mut names = HashSet::new();
        let mut sources = Vec::new();
        for (i, rs) in raw.into_iter().enumerate() {
            if !names.insert(rs.name.clone()) {
                self.issue(
                    &[Key("sources"), Idx(i), Key("name")],
                    format!("duplicate source name {:?}", rs.name),
                );
            }
            if let Some(s) = self.compile_source(i, rs) {
                sources.push(s);
            }
        }
        sources
    }

    /// An optional `site.icon`/`site.logo`: absolute, or relative to `base_url`; http(s) only.
    fn site_image(&mut self, key: &'static str, raw: Option<&str>, base: &Url) -> Option<Url> {
        let raw = raw?.trim();
        match base.join(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                self.issue(
                    &[Key("site"), Key(key)],
                    format!("not an http(s) URL: {raw:?}"),
                );
                None
            }
        }
    }

    fn websub(&mut self, w: raw::RawWebsub) -> Option<WebsubSettings> {
        match Url::parse(&w.hub) {
            Ok(hub) if matches!(hub.scheme(), "http" | "https") => Some(WebsubSettings { hub }),
            _ => {
                self.issue(
                    &[Key("websub"), Key("hub")],
                    format!("not an absolute http(s) URL: {:?}", w.hub),
                );
                None
            }
        }
    }

    /// `publish.s3`: bucket name, endpoint URL and prefix checked; `None` after an issue.
    fn s3_settings(&mut self, s3: raw::RawS3) -> Option<S3Settings> {
        use locate::Seg::Key;
        let at = |k: &'static str| [Key("publish"), Key("s3"), Key(k)];
        let mut ok = true;
        let bucket = s3.bucket.trim().to_string();
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            self.issue(
                &at("bucket"),
                format!(
                    "not a bucket name: {:?} (3 to 63 lower-case letters, digits, '-' and '.')",
                    s3.bucket
                ),
            );
            ok = false;
        }
        let endpoint = Url::parse(s3.endpoint.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if endpoint.is_none() {
            self.issue(
                &at("endpoint"),
                format!("not an absolute http(s) URL: {:?}", s3.endpoint),
            );
            ok = false;
        }
        let mut key_prefix = |key: &'static str, raw: &str| {
            let prefix = raw.trim().trim_matches('/').to_string();
            if prefix
                .split('/')
                .any(|seg| matches!(seg, "." | "..") || (seg.is_empty() && !prefix.is_empty()))
                || prefix.chars().any(char::is_control)
            {
                self.issue(
                    &at(key),
                    format!("not a key prefix: {raw:?} (no empty, '.' or '..' segments)"),
                );
                ok = false;
            }
            prefix
        };
        let prefix = key_prefix("prefix", &s3.prefix);
        let content_prefix = s3
            .content_prefix
            .as_deref()
            .map(|p| key_prefix("content_prefix", p));
        if content_prefix.as_deref() == Some(prefix.as_str()) {
            self.issue(
                &at("content_prefix"),
                "must differ from prefix (feeds and Markdown files would share keys)",
            );
            ok = false;
        }
        let region = s3
            .region
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DEFAULT_S3_REGION.to_string());
        ok.then(|| S3Settings {
            bucket,
            endpoint: endpoint.expect("checked above"),
            prefix,
            region,
            content_prefix,
        })
    }

    /// `server:`: counts and timeouts at least 1.
    fn server(&mut self, s: raw::RawServer) -> ServerSettings {
        if s.max_connections == 0 {
            self.issue(
                &[Key("server"), Key("max_connections")],
                "must be at least 1",
            );
        }
        if s.header_timeout_secs == 0 || s.write_timeout_secs == 0 {
            self.issue(
                &[Key("server"), Key("header_timeout_secs")],
                "timeouts must be at least 1 second",
            );
        }
        ServerSettings {
            listen: s.listen,
            max_connections: s.max_connections.max(1),
            header_timeout_secs: s.header_timeout_secs.max(1),
            write_timeout_secs: s.write_timeout_secs.max(1),
        }
    }

    fn hooks(&mut self, h: raw::RawHooks) -> HookSettings {
        if h.after_run.first().is_some_and(|p| p.trim().is_empty()) {
            self.issue(
                &[Key("hooks"), Key("after_run")],
                "the first element must name a program",
            );
        }
        HookSettings {
            after_run: h.after_run,
            timeout: Duration::from_secs(h.timeout_secs.max(1)),
        }
    }

    /// `store:`, with `AGG_STORE_URL` and `AGG_WORKER` taking precedence.
    fn store(&mut self, s: raw::RawStore) -> StoreSettings {
        let url = std::env::var("AGG_STORE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or(s.url);
        if let Some(url) = &url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            self.issue(
                &[Key("store"), Key("url")],
                "must be a postgres:// URL (leave it out for the SQLite file paths.state)",
            );
        }
        if s.lease_secs < 2 {
            self.issue(&[Key("store"), Key("lease_secs")], "must be at least 2");
        }
        if !(s.poll_secs > 0.0 && s.poll_secs <= 3600.0) {
            self.issue(
                &[Key("store"), Key("poll_secs")],
                "must be between 0 and 3600 seconds",
            );
        }
        StoreSettings {
            url,
            lease: Duration::from_secs(s.lease_secs.max(2)),
            poll: Duration::from_secs_f64(s.poll_secs.clamp(0.01, 3600.0)),
            worker: std::env::var("AGG_WORKER")
                .ok()
                .filter(|w| !w.is_empty())
                .or(s.worker)
                .unwrap_or_else(default_worker),
            ca_file: s.ca_file.map(PathBuf::from),
        }
    }

    fn dedup(&mut self, d: &raw::RawDedup) -> DedupSettings {
        if d.threshold > defaults::MAX_THRESHOLD {
            self.issue(
                &[Key("dedup"), Key("threshold")],
                format!("must be at most {}", defaults::MAX_THRESHOLD),
            );
        }
        if !(1..=100).contains(&d.containment) {
            self.issue(
                &[Key("dedup"), Key("containment")],
                "must be a percentage from 1 to 100",
            );
        }
        DedupSettings {
            threshold: d.threshold.min(defaults::MAX_THRESHOLD),
            min_chars: d.min_chars,
            containment: d.containment.clamp(1, 100),
        }
    }
}

/// The extra front matter keys, in the order written.
fn front_matter(raw: serde_yaml::Mapping) -> Vec<(String, serde_yaml::Value)> {
    raw.into_iter()
        .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v)))
        .collect()
}

/// A worker name unique enough for leases: host name and process id.
fn default_worker() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "agg".into());
    format!("{host}-{}", std::process::id())
}
