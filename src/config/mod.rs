//! Configuration: the YAML file users write, checked and compiled once when it loads.
//!
//! Raw input is deserialized with unknown keys rejected, then compiled into [`Config`]:
//! selectors, cron schedules, URLs and time zones are parsed here so that a bad one is reported
//! with its file, line and key before anything runs, and never fails later in the middle of a run.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use scraper::Selector;
use url::Url;

mod compile;
pub mod defaults;
mod locate;
mod raw;
mod sources;

pub use defaults::{DEFAULT_CONFIG_PATH, DEFAULT_S3_REGION, DedupSettings};
pub use raw::RawConfig;
pub use sources::{parse_schedule, parse_selector_spec};

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
    #[error("cannot read config {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
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
    pub dedup: DedupSettings,
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

/// JSON pointers (RFC 6901) used to read a list API (`fields:` of a `json` source).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonFields {
    pub link: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub thumbnail: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
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
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.display().to_string(),
            cause,
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
        let mut c = compile::Compiler {
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
