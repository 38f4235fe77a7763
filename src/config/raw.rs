//! The config file as written: serde structs with defaults, unknown keys rejected.

use serde::Deserialize;

use super::JsonFields;
use super::defaults;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub site: RawSite,
    #[serde(default)]
    pub paths: RawPaths,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub feeds: RawFeeds,
    #[serde(default)]
    pub front_matter: serde_yaml::Mapping,
    #[serde(default)]
    pub server: Option<RawServer>,
    #[serde(default)]
    pub websub: Option<RawWebsub>,
    #[serde(default)]
    pub publish: RawPublish,
    #[serde(default)]
    pub dedup: RawDedup,
    #[serde(default)]
    pub hooks: RawHooks,
    #[serde(default)]
    pub store: RawStore,
    #[serde(default)]
    pub sources: Vec<RawSource>,
}

/// `store:`: where the state lives. Without `url`, the SQLite file `paths.state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStore {
    /// `postgres://user:pass@host:port/db`: a store several workers share.
    pub url: Option<String>,
    /// How long a worker holds a claimed source without renewing before another may take it.
    pub lease_secs: u64,
    /// How often a worker on a shared store looks for due sources.
    pub poll_secs: f64,
    /// This worker's name in leases (default: host name and process id).
    pub worker: Option<String>,
    /// PEM file of extra CA certificates to trust for the database's TLS certificate.
    pub ca_file: Option<String>,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            url: None,
            lease_secs: 60,
            poll_secs: 1.0,
            worker: None,
            ca_file: None,
        }
    }
}

/// `hooks:` commands run after a run that wrote something.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawHooks {
    /// argv, no shell: `["hugo", "--minify", "-s", "site"]`.
    pub after_run: Vec<String>,
    pub timeout_secs: u64,
}

impl Default for RawHooks {
    fn default() -> Self {
        RawHooks {
            after_run: Vec::new(),
            timeout_secs: 300,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub base_url: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_language")]
    pub language: String,
    /// Small square image for the feeds (Atom `icon`, JSON Feed `favicon`); absolute, or
    /// relative to `base_url`.
    #[serde(default)]
    pub icon: Option<String>,
    /// Larger image for the feeds (RSS `image`, Atom `logo`, JSON Feed `icon`).
    #[serde(default)]
    pub logo: Option<String>,
}

fn default_timezone() -> String {
    "UTC".into()
}
fn default_language() -> String {
    "en".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPaths {
    pub content: String,
    pub feeds: String,
    pub state: String,
}

impl Default for RawPaths {
    fn default() -> Self {
        RawPaths {
            content: "content/posts".into(),
            feeds: "feeds".into(),
            state: "state/agg.db".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFetch {
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

impl Default for RawFetch {
    fn default() -> Self {
        RawFetch {
            user_agent: defaults::DEFAULT_USER_AGENT.into(),
            timeout_secs: 20,
            connect_timeout_secs: 10,
            max_body_bytes: 5_000_000,
            concurrency: 8,
            per_host_interval_ms: 1000,
            per_host_concurrency: 2,
            respect_robots_txt: true,
            allow_private_networks: false,
            allow_hosts: Vec::new(),
            recheck_hours: 48,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFeeds {
    pub items: usize,
    pub formats: Vec<String>,
    /// Byte budget per feed file: oldest items are dropped until it fits (0: no budget).
    pub max_bytes: usize,
}

impl Default for RawFeeds {
    fn default() -> Self {
        RawFeeds {
            items: 50,
            formats: vec!["rss".into(), "atom".into(), "json".into()],
            max_bytes: 1_000_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    pub listen: String,
    /// Connections served at once; more wait in the listen backlog.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Time a client gets to send a request's headers, and to start its next one on a
    /// kept-alive connection.
    #[serde(default = "default_header_timeout_secs")]
    pub header_timeout_secs: u64,
    /// Time a response write may stall (a client that stops reading).
    #[serde(default = "default_write_timeout_secs")]
    pub write_timeout_secs: u64,
}

fn default_max_connections() -> usize {
    defaults::DEFAULT_MAX_CONNECTIONS
}
fn default_header_timeout_secs() -> u64 {
    defaults::DEFAULT_HEADER_TIMEOUT_SECS
}
fn default_write_timeout_secs() -> u64 {
    defaults::DEFAULT_WRITE_TIMEOUT_SECS
}

/// `dedup:`: how close two stories' fingerprints must be to count as one, and how long a
/// story must be to get a fingerprint at all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDedup {
    pub threshold: u32,
    pub min_chars: usize,
    /// Percent of a stored story's text another article must contain to be its copy.
    pub containment: u32,
}

impl Default for RawDedup {
    fn default() -> Self {
        RawDedup {
            threshold: defaults::DEFAULT_THRESHOLD,
            min_chars: defaults::DEFAULT_MIN_CHARS,
            containment: defaults::DEFAULT_CONTAINMENT,
        }
    }
}

/// `websub:`: the hub announced in every feed and pinged after runs that changed feeds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebsub {
    pub hub: String,
}

/// `publish:` where feeds go besides the local feeds folder.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPublish {
    #[serde(default)]
    pub s3: Option<RawS3>,
}

/// `publish.s3:` an S3-compatible bucket every written feed file is uploaded to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawS3 {
    pub bucket: String,
    pub endpoint: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub region: Option<String>,
    /// Key prefix the Markdown files are uploaded under too (none: they stay local only).
    #[serde(default)]
    pub content_prefix: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default = "default_schedule")]
    pub schedule: String,
    #[serde(default)]
    pub links: Option<String>,
    #[serde(default)]
    pub items: Option<String>,
    #[serde(default)]
    pub fields: Option<JsonFields>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub max_items: Option<usize>,
    #[serde(default)]
    pub extract: Option<RawExtract>,
}

fn default_schedule() -> String {
    "@hourly".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExtract {
    pub title: Option<String>,
    pub body: Option<String>,
    pub published: Option<String>,
    pub thumbnail: Option<String>,
    pub author: Option<String>,
}

/// Pulls the offending key out of a serde message such as
/// "sources[0]: unknown field `foo`, expected ..." or "site: missing field `title`".
pub fn key_of_serde_error(msg: &str) -> String {
    let path = msg
        .split_once(": ")
        .map(|(p, _)| p)
        .filter(|p| !p.contains(' '))
        .unwrap_or("");
    let field = msg
        .split('`')
        .nth(1)
        .filter(|_| msg.contains("field `"))
        .unwrap_or("");
    match (path.is_empty() || path == ".", field.is_empty()) {
        (false, false) => format!("{path}.{field}"),
        (false, true) => path.to_string(),
        (true, false) => field.to_string(),
        (true, true) => "(document)".into(),
    }
}

/// The serde message without the key path in front and the location behind (both are printed
/// separately).
pub fn message_of_serde_error(msg: &str) -> String {
    let msg = match msg.split_once(": ") {
        Some((path, rest)) if !path.contains(' ') => rest,
        _ => msg,
    };
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
