//! A stored article and a source's state between runs: what the store keeps, as data.

use chrono::{DateTime, FixedOffset, Utc};

use super::FeedItem;

/// One stored article.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub id: String,
    pub source: String,
    /// Canonical URL: the item's identity.
    pub url: String,
    pub title: String,
    pub summary: String,
    pub content_html: String,
    /// Path of the Markdown file.
    pub path: String,
    pub published: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
    pub first_seen: DateTime<FixedOffset>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub lang: Option<String>,
    /// Hash of the rendered Markdown file: a change means an update.
    pub content_hash: String,
}

impl StoredItem {
    /// The feed item, moving the strings (a feed reads 50 bodies per file).
    pub fn into_feed_item(self) -> FeedItem {
        FeedItem {
            id: self.id,
            url: self.url,
            title: self.title,
            summary: self.summary,
            content_html: self.content_html,
            published: self.published,
            updated: self.updated,
            author: self.author,
            thumbnail: self.thumbnail,
            categories: self.categories,
            tags: self.tags,
            lang: self.lang,
            source: self.source,
        }
    }
}

/// Per-source state: cache validators of the listing and the last run's outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_run: Option<DateTime<Utc>>,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub failures: u32,
}
