//! Publishing: renders feeds (RSS 2.0, Atom 1.0, JSON Feed) for all items, each category and
//! each tag, plus `index.html` and `opml.xml`, and writes each file only when its bytes change.
//!
//! Rendering is pure (items in, bytes out, one module per format); only [`publish`] touches the
//! disk. Output is deterministic: no "now" anywhere (a feed's date is its newest item's), sorted
//! maps, fixed orders. That is what lets [`crate::util::fsutil::write_if_changed`] leave unchanged
//! feeds alone, so their mtimes, and the ETags served from them, stay put between runs.
//!
//! Layout under the feeds folder: `rss.xml`, `atom.xml`, `feed.json` for everything;
//! `categories/{slug}/…` and `tags/{slug}/…` the same; `index.html`, `opml.xml`.
//!
//! With `publish.s3`, every file rendered is uploaded too, by [`s3`] (conditional puts ordered
//! by the store's feed generation).
//!
//! After a run, [`websub`] tells the hub (when one is configured) which feeds changed.
use crate::model::FeedItem;
use crate::util::fsutil;
use chrono::{DateTime, FixedOffset};
use std::path::Path;
use std::time::Duration;

mod atom;
pub mod cadence;
mod corpus;
mod fit;
mod index;
mod jsonfeed;
pub mod media;
mod opml;
mod rss;
pub mod s3;
mod select;
mod text;
pub mod websub;

#[cfg(test)]
mod tests;

pub use corpus::{
    Corpus, CorpusError, FeedKey, FeedKind, Scope, outputs_present, publish_from, publish_to,
    publishing_stamp, settings_stamp, term,
};

/// Site-wide facts every feed needs.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub title: String,
    /// Where the feeds folder is served, ending in `/` (self links and ids are built on it).
    pub base_url: url::Url,
    /// The site's language: a feed whose items have none says this one.
    pub language: Option<String>,
    /// Where the index page's times are shown (`site.timezone`).
    pub timezone: chrono_tz::Tz,
    pub description: Option<String>,
    /// Small square image (Atom `icon`, JSON Feed `favicon`).
    pub icon: Option<url::Url>,
    /// Larger image (RSS `image`, Atom `logo`, JSON Feed `icon`); the icon stands in for it.
    pub logo: Option<url::Url>,
    /// The WebSub hub every feed names with `rel=hub`.
    pub hub: Option<url::Url>,
}

pub use crate::config::defaults::MIN_FEED_BYTES;

/// Options from the config's `feeds:` section.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// Newest items per feed.
    pub items: usize,
    /// Which formats: "rss", "atom", "json".
    pub formats: Vec<String>,
    /// Byte budget per feed file: the oldest items are dropped until it fits (0: none).
    pub max_bytes: usize,
    /// How often the feeds may change ([`cadence::update_interval`]): RSS `ttl` and `sy:`.
    pub update_interval: Option<Duration>,
}

/// What a publish run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishReport {
    /// Paths (relative to the feeds folder) written because their bytes changed.
    pub written: Vec<String>,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files of feeds left without items, removed (incremental publishing only).
    pub removed: Vec<String>,
    /// Uploads to the remote target (`publish.s3`) that failed, one message each (naming the
    /// bucket and key); the local files were written all the same.
    pub upload_errors: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: std::io::Error },
    #[error("cannot read feed items: {0}")]
    Read(CorpusError),
    /// The local files were written; some uploads were not (one message each).
    #[error("{}", upload_summary(.errors))]
    Upload { errors: Vec<String> },
}

/// The first failed upload (they name bucket and key) and how many more there were.
fn upload_summary(errors: &[String]) -> String {
    let first = errors.first().map_or("", String::as_str);
    match errors.len() {
        0 | 1 => format!("{first} (local feeds written)"),
        n => format!("{first}; and {} more (local feeds written)", n - 1),
    }
}

/// One output format of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn file_name(self) -> &'static str {
        match self {
            Format::Rss => media::RSS_FILE,
            Format::Atom => media::ATOM_FILE,
            Format::Json => media::JSON_FILE,
        }
    }

    fn mime(self) -> &'static str {
        match self {
            Format::Rss => media::RSS_TYPE,
            Format::Atom => media::ATOM_TYPE,
            Format::Json => media::JSON_TYPE,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Format::Rss => "RSS",
            Format::Atom => "Atom",
            Format::Json => "JSON Feed",
        }
    }

    /// The configured formats, known ones only, each once, in a fixed order.
    fn parse_all(names: &[String]) -> Vec<Format> {
        let mut formats: Vec<Format> = names
            .iter()
            .filter_map(|n| match n.trim().to_ascii_lowercase().as_str() {
                "rss" => Some(Format::Rss),
                "atom" => Some(Format::Atom),
                "json" | "jsonfeed" => Some(Format::Json),
                other => {
                    tracing::warn!(format = other, "unknown feed format ignored");
                    None
                }
            })
            .collect();
        formats.sort();
        formats.dedup();
        formats
    }
}

/// One feed: a selection of items plus what its documents say about themselves.
struct Feed<'a> {
    /// Folder relative to the feeds root: `""`, `"categories/{slug}/"` or `"tags/{slug}/"`.
    dir: String,
    kind: FeedKind,
    /// The category's or tag's name (empty for the feed of everything).
    name: String,
    title: String,
    description: String,
    /// Newest first, at most `FeedOptions::items`.
    items: Vec<&'a FeedItem>,
}

impl Feed<'_> {
    fn path(&self, format: Format) -> String {
        format!("{}{}", self.dir, format.file_name())
    }

    /// The feed's own absolute URL (`rel=self`, Atom feed id, JSON `feed_url`).
    fn url(&self, site: &Site, format: Format) -> String {
        site.url(&self.path(format))
    }

    /// The language its items share (`None` when they differ), else the site's.
    fn language(&self, site: &Site) -> Option<String> {
        text::common_language(self.items.iter().copied(), site.language.as_deref())
    }

    /// The newest `updated` of its items, or the epoch for an empty feed: a date derived from
    /// content, so an unchanged feed renders to the same bytes.
    fn updated(&self) -> DateTime<FixedOffset> {
        self.items
            .iter()
            .map(|i| text::item_updated(i))
            .max()
            .unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset())
    }
}

/// [`SiteInfo`] prepared once: cleaned title, base URL with its trailing slash.
struct Site {
    title: String,
    base: url::Url,
    language: Option<String>,
    timezone: chrono_tz::Tz,
    description: Option<String>,
    icon: Option<String>,
    logo: Option<String>,
    hub: Option<String>,
    update_interval: Option<Duration>,
}

impl Site {
    fn new(info: &SiteInfo, update_interval: Option<Duration>) -> Site {
        let mut base = info.base_url.clone();
        if !base.path().ends_with('/') {
            // Without it, `join` would replace the last segment instead of appending.
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let title = text::one_line(&info.title);
        Site {
            title: if title.is_empty() {
                "agg".into()
            } else {
                title
            },
            base,
            language: info
                .language
                .as_deref()
                .map(text::one_line)
                .filter(|l| !l.is_empty()),
            timezone: info.timezone,
            description: info
                .description
                .as_deref()
                .map(text::one_line)
                .filter(|d| !d.is_empty()),
            icon: info.icon.as_ref().map(crate::weburl::encode_parsed),
            logo: info
                .logo
                .as_ref()
                .or(info.icon.as_ref())
                .map(crate::weburl::encode_parsed),
            hub: info.hub.as_ref().map(crate::weburl::encode_parsed),
            update_interval,
        }
    }

    /// Absolute URL of a path relative to the feeds root, percent-encoded (non-ASCII slugs
    /// included).
    fn url(&self, rel: &str) -> String {
        self.base
            .join(rel)
            .map(|u| crate::weburl::encode_parsed(&u))
            .unwrap_or_else(|_| format!("{}{rel}", self.home()))
    }

    /// The site's own address (feeds' `link`, `alternate` and `home_page_url`), percent-encoded.
    fn home(&self) -> String {
        crate::weburl::encode_parsed(&self.base)
    }
}

/// Renders and writes every feed. `items` is every stored item, newest first.
pub fn publish(
    items: &[FeedItem],
    site: &SiteInfo,
    opts: &FeedOptions,
    feeds_dir: &Path,
) -> Result<PublishReport, PublishError> {
    let site = Site::new(site, opts.update_interval);
    let formats = Format::parse_all(&opts.formats);
    let feeds = select::feeds(items, &site, opts.items);
    let mut report = PublishReport::default();
    for feed in &feeds {
        for &format in &formats {
            let path = feed.path(format);
            // Rendering into memory only fails on a writer bug; it is reported as this file's
            // failure rather than a panic.
            let bytes =
                fit::render_within(feed, &site, format, opts.max_bytes).map_err(|cause| {
                    PublishError::Write {
                        path: feeds_dir.join(&path).display().to_string(),
                        cause,
                    }
                })?;
            write(feeds_dir, &path, &bytes, None, &mut report)?;
        }
    }
    let index = index::render(&feeds, &site, &formats);
    write(feeds_dir, "index.html", index.as_bytes(), None, &mut report)?;
    let opml = opml::render(&feeds, &site, &formats);
    write(feeds_dir, "opml.xml", opml.as_bytes(), None, &mut report)?;
    tracing::debug!(
        written = report.written.len(),
        unchanged = report.unchanged,
        "feeds published"
    );
    Ok(report)
}

/// Writes one file when its bytes changed, then (with a remote) uploads it whether or not it
/// changed here: the remote decides from its own metadata, so an upload that failed in an
/// earlier run is retried while the feed is still in scope.
fn write(
    feeds_dir: &Path,
    rel: &str,
    bytes: &[u8],
    remote: Option<&s3::Remote>,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    let path = feeds_dir.join(rel);
    match fsutil::write_if_changed(&path, bytes) {
        Ok(true) => report.written.push(rel.to_string()),
        Ok(false) => report.unchanged += 1,
        Err(cause) => {
            return Err(PublishError::Write {
                path: path.display().to_string(),
                cause,
            });
        }
    }
    if let Some(remote) = remote
        && let Err(e) = remote.upload(rel, bytes)
    {
        report.upload_errors.push(e.to_string());
    }
    Ok(())
}
