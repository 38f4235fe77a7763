//! Publishing: renders feeds (RSS 2.0, Atom 1.0, JSON Feed) for all items, each category and
//! each tag, plus `index.html` and `opml.xml`, and writes each file only when its bytes change.
use crate::model::FeedItem;
use std::path::Path;

/// Site-wide facts every feed needs.
#[derive(Debug, Clone)]
pub struct SiteInfo {
    pub title: String,
    /// Where the feeds folder is served, ending in `/` (self links and ids are built on it).
    pub base_url: url::Url,
    pub language: Option<String>,
    pub description: Option<String>,
}

/// Options from the config's `feeds:` section.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// Newest items per feed.
    pub items: usize,
    /// Which formats: "rss", "atom", "json".
    pub formats: Vec<String>,
}

/// What a publish run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishReport {
    /// Paths (relative to the feeds folder) written because their bytes changed.
    pub written: Vec<String>,
    /// Files left as they were.
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Renders and writes every feed. `items` is every stored item, newest first.
pub fn publish(
    items: &[FeedItem],
    site: &SiteInfo,
    opts: &FeedOptions,
    feeds_dir: &Path,
) -> Result<PublishReport, PublishError> {
    let _ = (items, site, opts, feeds_dir);
    todo!("helper C")
}
