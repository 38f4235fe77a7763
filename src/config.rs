//! Configuration: the YAML file users write, checked and compiled once when it loads.
//!
//! Raw input is deserialized with unknown keys rejected, then compiled into [`Config`]:
//! selectors, cron schedules, URLs and time zones are parsed here so that a bad one is reported
//! with its file, line and key before anything runs, and never fails later in the middle of a run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono_tz::Tz;
use scraper::Selector;
use url::Url;

use crate::source::json::JsonFields;

mod locate;
mod raw;

pub use raw::RawConfig;

/// The default config path; `AGG_CONFIG` overrides it.
pub const DEFAULT_CONFIG_PATH: &str = "config/agg.yaml";

/// One problem in a config file, located by line (1-based) and key path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct ConfigIssue {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// Why a config could not be loaded: every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { issues: Vec<ConfigIssue> },
}

/// The compiled configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from (for messages).
    pub file: PathBuf,
    pub site: Site,
    pub paths: Paths,
    pub fetch: FetchSettings,
    pub feeds: FeedSettings,
    /// Extra front matter keys, in the order written in the config.
    pub front_matter: Vec<(String, serde_yaml::Value)>,
    pub server: Option<ServerSettings>,
    /// WebSub (`websub:`): feeds name the hub, runs ping it.
    pub websub: Option<WebsubSettings>,
    /// Where feeds are published besides the feeds folder (`publish:`).
    pub publish: PublishSettings,
    /// Near-duplicate detection (`dedup:`).
    pub dedup: crate::dedup::Settings,
    /// Commands run after a run that wrote something (`hooks:`).
    pub hooks: HookSettings,
    /// Where the state lives (`store:`).
    pub store: StoreSettings,
    pub sources: Vec<Source>,
}

/// `store:`: the SQLite file (default) or a PostgreSQL database shared by workers.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// `postgres://...`; `None` means the SQLite file `paths.state`. `AGG_STORE_URL` overrides.
    pub url: Option<String>,
    pub lease: std::time::Duration,
    pub poll: std::time::Duration,
    /// This worker's name in leases.
    pub worker: String,
    /// Extra CA certificates (PEM) for the database's TLS certificate (`store.ca_file`).
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub description: Option<String>,
    /// Where the feeds folder is served; always ends in `/`.
    pub base_url: Url,
    pub timezone: Tz,
    pub language: String,
    /// Small square feed image (absolute).
    pub icon: Option<Url>,
    /// Larger feed image (absolute).
    pub logo: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct Paths {
    pub content: PathBuf,
    pub feeds: PathBuf,
    pub state: PathBuf,
}

#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub user_agent: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub max_body_bytes: usize,
    pub concurrency: usize,
    pub per_host_interval_ms: u64,
    pub per_host_concurrency: usize,
    pub respect_robots_txt: bool,
    pub allow_private_networks: bool,
    pub allow_hosts: Vec<String>,
    pub recheck_hours: u64,
}

impl From<raw::RawFetch> for FetchSettings {
    /// The compiled settings: counts that must be positive are clamped to 1.
    fn from(f: raw::RawFetch) -> FetchSettings {
        FetchSettings {
            user_agent: f.user_agent,
            timeout_secs: f.timeout_secs,
            connect_timeout_secs: f.connect_timeout_secs,
            max_body_bytes: f.max_body_bytes,
            concurrency: f.concurrency.max(1),
            per_host_interval_ms: f.per_host_interval_ms,
            per_host_concurrency: f.per_host_concurrency.max(1),
            respect_robots_txt: f.respect_robots_txt,
            allow_private_networks: f.allow_private_networks,
            allow_hosts: f.allow_hosts,
            recheck_hours: f.recheck_hours,
        }
    }
}

impl Default for FetchSettings {
    /// The defaults a config without a `fetch:` section gets.
    fn default() -> FetchSettings {
        raw::RawFetch::default().into()
    }
}

#[derive(Debug, Clone)]
pub struct FeedSettings {
    pub items: usize,
    pub formats: Vec<String>,
    /// Byte budget per feed file (0: none).
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Default)]
pub struct HookSettings {
    /// argv of the command run after a run that wrote something; empty: none.
    pub after_run: Vec<String>,
    pub timeout: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub listen: String,
    pub max_connections: usize,
    pub header_timeout_secs: u64,
    pub write_timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct WebsubSettings {
    /// The hub's URL (absolute http(s)).
    pub hub: Url,
}

/// `publish:` remote targets; the local feeds folder is always written.
#[derive(Debug, Clone, Default)]
pub struct PublishSettings {
    /// Upload every written feed file to this bucket too (`publish.s3`).
    pub s3: Option<S3Settings>,
}

/// An S3-compatible bucket (`publish.s3`). Credentials come from `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), never from the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// The service's URL (`https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`);
    /// plain http is allowed when the endpoint says so.
    pub endpoint: Url,
    /// Key prefix without leading or trailing `/` (empty: the bucket's root).
    pub prefix: String,
    pub region: String,
    /// Key prefix the Markdown files written by runs are uploaded under (`content_prefix`);
    /// `None`: they stay in `paths.content` only.
    pub content_prefix: Option<String>,
}

/// Region used for signing when `publish.s3.region` is not set.
pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// A CSS selector with an optional attribute to read (`sel@attr`); without one, the text
/// (or for a body, the inner HTML) of the first match.
#[derive(Debug, Clone)]
pub struct SelectorSpec {
    pub raw: String,
    pub selector: Selector,
    pub attr: Option<String>,
}

/// Per-source extraction selectors that override the generic extractor.
#[derive(Debug, Clone, Default)]
pub struct ExtractRule {
    pub title: Option<SelectorSpec>,
    pub body: Option<SelectorSpec>,
    pub published: Option<SelectorSpec>,
    pub thumbnail: Option<SelectorSpec>,
    pub author: Option<SelectorSpec>,
}

/// How a source lists its articles.
#[derive(Debug, Clone)]
pub enum SourceKind {
    Feed {
        url: Url,
    },
    Sitemap {
        url: Url,
    },
    Html {
        url: Url,
        links: Selector,
    },
    Json {
        url: Url,
        items: String,
        fields: JsonFields,
    },
    Urls {
        urls: Vec<Url>,
    },
}

#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    pub schedule: cron::Schedule,
    pub schedule_raw: String,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub lang: Option<String>,
    pub max_items: usize,
    pub extract: ExtractRule,
}

impl Source {
    /// The listing URL (the first URL for a `urls` source).
    pub fn url(&self) -> Option<&Url> {
        match &self.kind {
            SourceKind::Feed { url }
            | SourceKind::Sitemap { url }
            | SourceKind::Html { url, .. }
            | SourceKind::Json { url, .. } => Some(url),
            SourceKind::Urls { urls } => urls.first(),
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            SourceKind::Feed { .. } => "feed",
            SourceKind::Sitemap { .. } => "sitemap",
            SourceKind::Html { .. } => "html",
            SourceKind::Json { .. } => "json",
            SourceKind::Urls { .. } => "urls",
        }
    }

    /// Whether any of this source's URLs is a `file://` URL.
    pub fn is_local(&self) -> bool {
        match &self.kind {
            SourceKind::Urls { urls } => urls.iter().any(|u| u.scheme() == "file"),
            _ => self.url().is_some_and(|u| u.scheme() == "file"),
        }
    }

    /// Whether this source may read the `file://` URL `url`: a `urls` source only the files it
    /// lists; a source whose listing is a local file, only files inside that file's folder
    /// (after resolving `..` and symlinks), so a listing cannot pull `/etc/passwd` or a key
    /// into a public feed. `false` for other schemes (they are not files).
    pub fn may_read_file(&self, url: &Url) -> bool {
        if url.scheme() != "file" {
            return false;
        }
        match &self.kind {
            SourceKind::Urls { urls } => urls.contains(url),
            _ => {
                let Some(listing) = self.url().filter(|u| u.scheme() == "file") else {
                    return false;
                };
                if listing == url {
                    return true;
                }
                let folder = listing
                    .to_file_path()
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .and_then(|d| d.canonicalize().ok());
                let target = url.to_file_path().ok().and_then(|p| p.canonicalize().ok());
                matches!((folder, target), (Some(f), Some(t)) if t.starts_with(&f))
            }
        }
    }
}

impl Config {
    /// Loads and compiles the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Compiles config `text`; `path` names the file in messages and anchors relative
    /// `file:` URLs.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let raw: RawConfig = serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1);
            ConfigError::Invalid {
                issues: vec![ConfigIssue {
                    file: file.clone(),
                    line,
                    key: raw::key_of_serde_error(&e.to_string()),
                    message: raw::message_of_serde_error(&e.to_string()),
                }],
            }
        })?;
        let mut c = Compiler {
            text,
            file: file.clone(),
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            issues: Vec::new(),
        };
        let config = c.compile(raw, path);
        if c.issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid { issues: c.issues })
        }
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

struct Compiler<'a> {
    text: &'a str,
    file: String,
    dir: PathBuf,
    issues: Vec<ConfigIssue>,
}

impl Compiler<'_> {
    fn issue(&mut self, path: &[locate::Seg], message: impl Into<String>) {
        let line = locate::line_of(self.text, path).unwrap_or(1);
        self.issues.push(ConfigIssue {
            file: self.file.clone(),
            line,
            key: locate::display(path),
            message: message.into(),
        });
    }

    fn compile(&mut self, raw: RawConfig, path: &Path) -> Config {
        use locate::Seg::{Idx, Key};
        let site_url = Url::parse(&raw.site.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https" | "file"));
        let base_url = match site_url {
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
                    format!("not an absolute http(s) URL: {:?}", raw.site.base_url),
                );
                Url::parse("http://localhost/").expect("static URL")
            }
        };
        let timezone = Tz::from_str(&raw.site.timezone).unwrap_or_else(|_| {
            self.issue(
                &[Key("site"), Key("timezone")],
                format!(
                    "unknown time zone {:?} (use an IANA name such as \"Asia/Shanghai\")",
                    raw.site.timezone
                ),
            );
            Tz::UTC
        });
        let fetch = raw.fetch;
        if fetch.concurrency == 0 {
            self.issue(&[Key("fetch"), Key("concurrency")], "must be at least 1");
        }
        if fetch.max_body_bytes < 1024 {
            self.issue(
                &[Key("fetch"), Key("max_body_bytes")],
                "must be at least 1024",
            );
        }
        if raw.feeds.max_bytes != 0 && raw.feeds.max_bytes < crate::publish::MIN_FEED_BYTES {
            self.issue(
                &[Key("feeds"), Key("max_bytes")],
                format!(
                    "must be 0 (no limit) or at least {} (a feed's header and one summary-only item)",
                    crate::publish::MIN_FEED_BYTES
                ),
            );
        }
        for (i, f) in raw.feeds.formats.iter().enumerate() {
            if !matches!(f.as_str(), "rss" | "atom" | "json") {
                self.issue(
                    &[Key("feeds"), Key("formats"), Idx(i)],
                    format!("unknown format {f:?} (rss, atom or json)"),
                );
            }
        }
        let mut names = HashSet::new();
        let mut sources = Vec::new();
        for (i, rs) in raw.sources.into_iter().enumerate() {
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
        let icon = self.site_image("icon", raw.site.icon.as_deref(), &base_url);
        let logo = self.site_image("logo", raw.site.logo.as_deref(), &base_url);
        let websub = raw.websub.and_then(|w| match Url::parse(&w.hub) {
            Ok(hub) if matches!(hub.scheme(), "http" | "https") => Some(WebsubSettings { hub }),
            _ => {
                self.issue(
                    &[Key("websub"), Key("hub")],
                    format!("not an absolute http(s) URL: {:?}", w.hub),
                );
                None
            }
        });
        let s3 = raw.publish.s3.and_then(|s3| self.s3_settings(s3));
        if let Some(s) = &raw.server {
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
        }
        if raw
            .hooks
            .after_run
            .first()
            .is_some_and(|p| p.trim().is_empty())
        {
            self.issue(
                &[Key("hooks"), Key("after_run")],
                "the first element must name a program",
            );
        }
        let store_url = std::env::var("AGG_STORE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .or(raw.store.url);
        if let Some(url) = &store_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            self.issue(
                &[Key("store"), Key("url")],
                "must be a postgres:// URL (leave it out for the SQLite file paths.state)",
            );
        }
        if raw.store.lease_secs < 2 {
            self.issue(&[Key("store"), Key("lease_secs")], "must be at least 2");
        }
        if !(raw.store.poll_secs > 0.0 && raw.store.poll_secs <= 3600.0) {
            self.issue(
                &[Key("store"), Key("poll_secs")],
                "must be between 0 and 3600 seconds",
            );
        }
        if raw.dedup.threshold > crate::dedup::MAX_THRESHOLD {
            self.issue(
                &[Key("dedup"), Key("threshold")],
                format!("must be at most {}", crate::dedup::MAX_THRESHOLD),
            );
        }
        if !(1..=100).contains(&raw.dedup.containment) {
            self.issue(
                &[Key("dedup"), Key("containment")],
                "must be a percentage from 1 to 100",
            );
        }
        let front_matter = raw
            .front_matter
            .into_iter()
            .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v)))
            .collect();
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
            fetch: FetchSettings::from(fetch),
            feeds: FeedSettings {
                items: raw.feeds.items,
                formats: raw.feeds.formats,
                max_bytes: raw.feeds.max_bytes,
            },
            front_matter,
            server: raw.server.map(|s| ServerSettings {
                listen: s.listen,
                max_connections: s.max_connections.max(1),
                header_timeout_secs: s.header_timeout_secs.max(1),
                write_timeout_secs: s.write_timeout_secs.max(1),
            }),
            websub,
            publish: PublishSettings { s3 },
            dedup: crate::dedup::Settings {
                threshold: raw.dedup.threshold.min(crate::dedup::MAX_THRESHOLD),
                min_chars: raw.dedup.min_chars,
                containment: raw.dedup.containment.clamp(1, 100),
            },
            hooks: HookSettings {
                after_run: raw.hooks.after_run,
                timeout: std::time::Duration::from_secs(raw.hooks.timeout_secs.max(1)),
            },
            store: StoreSettings {
                url: store_url,
                lease: std::time::Duration::from_secs(raw.store.lease_secs.max(2)),
                poll: std::time::Duration::from_secs_f64(raw.store.poll_secs.clamp(0.01, 3600.0)),
                worker: std::env::var("AGG_WORKER")
                    .ok()
                    .filter(|w| !w.is_empty())
                    .or(raw.store.worker)
                    .unwrap_or_else(default_worker),
                ca_file: raw.store.ca_file.map(PathBuf::from),
            },
            sources,
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

    fn compile_source(&mut self, i: usize, rs: raw::RawSource) -> Option<Source> {
        use locate::Seg::{Idx, Key};
        let at = |k: &'static str| [Key("sources"), Idx(i), Key(k)];
        let before = self.issues.len();
        if rs.name.is_empty()
            || !rs
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.issue(
                &at("name"),
                format!(
                    "source name {:?} must be letters, digits, '-' or '_' (it names a folder)",
                    rs.name
                ),
            );
        }
        let schedule_raw = rs.schedule.clone();
        let schedule = parse_schedule(&rs.schedule)
            .map_err(|e| {
                self.issue(
                    &at("schedule"),
                    format!("bad cron expression {:?}: {e}", rs.schedule),
                )
            })
            .ok();
        let url = rs
            .url
            .as_deref()
            .and_then(|u| self.url(u).map_err(|e| self.issue(&at("url"), e)).ok());
        let need_url = |c: &mut Self| {
            if rs.url.is_none() {
                c.issue(
                    &[Key("sources"), Idx(i), Key("name")],
                    format!("source {:?} of kind {} needs a url", rs.name, rs.kind),
                );
            }
        };
        let kind = match rs.kind.as_str() {
            "feed" => {
                need_url(self);
                url.map(|url| SourceKind::Feed { url })
            }
            "sitemap" => {
                need_url(self);
                url.map(|url| SourceKind::Sitemap { url })
            }
            "html" => {
                need_url(self);
                let links = match rs.links.as_deref() {
                    Some(s) => Selector::parse(s)
                        .map_err(|e| {
                            self.issue(&at("links"), format!("bad CSS selector {s:?}: {e}"))
                        })
                        .ok(),
                    None => {
                        self.issue(
                            &at("kind"),
                            "an html source needs `links` (a CSS selector for article links)",
                        );
                        None
                    }
                };
                url.zip(links)
                    .map(|(url, links)| SourceKind::Html { url, links })
            }
            "json" => {
                need_url(self);
                let items = rs.items.clone().unwrap_or_default();
                if !(items.is_empty() || items.starts_with('/')) {
                    self.issue(
                        &at("items"),
                        format!("{items:?} is not a JSON pointer (it starts with '/')"),
                    );
                }
                let fields = match rs.fields.clone() {
                    Some(f) => {
                        for (k, p) in [
                            ("link", Some(&f.link)),
                            ("title", f.title.as_ref()),
                            ("published", f.published.as_ref()),
                            ("thumbnail", f.thumbnail.as_ref()),
                            ("summary", f.summary.as_ref()),
                            ("author", f.author.as_ref()),
                        ] {
                            if let Some(p) = p
                                && !(p.is_empty() || p.starts_with('/'))
                            {
                                self.issue(
                                    &[Key("sources"), Idx(i), Key("fields"), Key(k)],
                                    format!("{p:?} is not a JSON pointer (it starts with '/')"),
                                );
                            }
                        }
                        Some(f)
                    }
                    None => {
                        self.issue(
                            &at("kind"),
                            "a json source needs `fields` (at least `link`)",
                        );
                        None
                    }
                };
                url.zip(fields)
                    .map(|(url, fields)| SourceKind::Json { url, items, fields })
            }
            "urls" => {
                let mut urls = Vec::new();
                if rs.urls.is_empty() {
                    self.issue(&at("kind"), "a urls source needs `urls`");
                }
                for (j, u) in rs.urls.iter().enumerate() {
                    match self.url(u) {
                        Ok(u) => urls.push(u),
                        Err(e) => self.issue(&[Key("sources"), Idx(i), Key("urls"), Idx(j)], e),
                    }
                }
                Some(SourceKind::Urls { urls })
            }
            other => {
                self.issue(
                    &at("kind"),
                    format!("unknown kind {other:?} (feed, sitemap, html, json or urls)"),
                );
                None
            }
        };
        let extract = self.extract_rule(i, rs.extract.unwrap_or_default());
        if self.issues.len() > before {
            return None;
        }
        Some(Source {
            name: rs.name,
            kind: kind?,
            schedule: schedule?,
            schedule_raw,
            categories: rs.categories,
            tags: rs.tags,
            lang: rs.lang,
            max_items: rs.max_items.unwrap_or(50),
            extract,
        })
    }

    fn extract_rule(&mut self, i: usize, r: raw::RawExtract) -> ExtractRule {
        use locate::Seg::{Idx, Key};
        let mut spec = |key: &'static str, s: Option<String>| {
            let s = s?;
            match parse_selector_spec(&s) {
                Ok(spec) => Some(spec),
                Err(e) => {
                    self.issue(&[Key("sources"), Idx(i), Key("extract"), Key(key)], e);
                    None
                }
            }
        };
        ExtractRule {
            title: spec("title", r.title),
            body: spec("body", r.body),
            published: spec("published", r.published),
            thumbnail: spec("thumbnail", r.thumbnail),
            author: spec("author", r.author),
        }
    }

    /// An optional `site.icon`/`site.logo`: absolute, or relative to `base_url`; http(s) only.
    fn site_image(&mut self, key: &'static str, raw: Option<&str>, base: &Url) -> Option<Url> {
        let raw = raw?.trim();
        match base.join(raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                self.issue(
                    &[locate::Seg::Key("site"), locate::Seg::Key(key)],
                    format!("not an http(s) URL: {raw:?}"),
                );
                None
            }
        }
    }

    /// Parses a source URL. `file:` URLs with a relative path (`file:demo/list.xml`) are
    /// anchored at the config file's folder, so demos work from any checkout.
    fn url(&self, s: &str) -> Result<Url, String> {
        if let Some(rest) = s.strip_prefix("file:")
            && !rest.starts_with('/')
        {
            let p = self.dir.join(rest);
            let abs = std::path::absolute(&p).map_err(|e| format!("bad file path {s:?}: {e}"))?;
            return Url::from_file_path(&abs).map_err(|_| format!("bad file path {s:?}"));
        }
        let u = Url::parse(s).map_err(|e| format!("bad URL {s:?}: {e}"))?;
        match u.scheme() {
            "http" | "https" if u.host().is_some() => Ok(u),
            "file" => Ok(u),
            _ => Err(format!(
                "bad URL {s:?}: only http, https and file URLs are fetched"
            )),
        }
    }
}

/// Parses a cron expression: 5 fields (minute precision), 6 with seconds, 7 with years, or
/// `@hourly`-style shortcuts.
pub fn parse_schedule(s: &str) -> Result<cron::Schedule, String> {
    let s = s.trim();
    let fields = s.split_whitespace().count();
    let expr = if !s.starts_with('@') && fields == 5 {
        format!("0 {s}")
    } else {
        s.to_string()
    };
    if !s.starts_with('@') && !(5..=7).contains(&fields) {
        return Err(format!("expected 5 or 6 fields, found {fields}"));
    }
    cron::Schedule::from_str(&expr).map_err(|e| e.to_string())
}

/// Parses `css selector@attr` (the `@attr` part optional).
pub fn parse_selector_spec(s: &str) -> Result<SelectorSpec, String> {
    let (sel, attr) = match s.rsplit_once('@') {
        // An `@` inside brackets or quotes belongs to the selector.
        Some((sel, attr))
            if !attr.is_empty()
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':') =>
        {
            (sel.trim(), Some(attr.to_string()))
        }
        _ => (s.trim(), None),
    };
    let selector = Selector::parse(sel).map_err(|e| format!("bad CSS selector {sel:?}: {e}"))?;
    Ok(SelectorSpec {
        raw: s.to_string(),
        selector,
        attr,
    })
}

/// The config path from the command line, else `AGG_CONFIG`, else the default.
pub fn resolve_path(cli: Option<&Path>) -> PathBuf {
    if let Some(p) = cli {
        return p.to_path_buf();
    }
    match std::env::var_os("AGG_CONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(DEFAULT_CONFIG_PATH),
    }
}

#[cfg(test)]
mod tests;

/// A worker name unique enough for leases: host name and process id.
fn default_worker() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "agg".into());
    format!("{host}-{}", std::process::id())
}
