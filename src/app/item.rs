//! From an extracted article to an item: its identity (canonical URL and id), its Markdown
//! file and its stored row. Pure: the page flow decides, writes and commits.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use url::Url;

use crate::config::{Config, Source};
use crate::dedup;
use crate::markdown::{self, Document};
use crate::model::{Article, StoredItem};
use crate::store::ItemHealth;
use crate::util::hashing::hex16;

/// The item's canonical URL (see [`dedup::url`]): `rel=canonical`/`og:url` when it can be
/// trusted, else the URL the page was fetched from; cleaned of tracking parameters and
/// fragments, mapped through the per-site mirror rules.
pub fn canonical_url(article: &Article, fetched: &Url) -> String {
    dedup::url::trusted_canonical(article.canonical_url.as_deref(), fetched)
        .unwrap_or_else(|| dedup::url::clean(fetched))
        .to_string()
}

/// 16 hex digits of SHA-256 of the canonical URL: stable across runs and machines. Issued once,
/// when the item is created; an existing item keeps its id whatever its URLs become.
pub fn item_id(canonical: &str) -> String {
    hex16(canonical)
}

/// An article made into item `id`: the row to store, the Markdown file's bytes, and what
/// extraction found (for the source's health).
#[derive(Debug, Clone)]
pub struct Assembled {
    pub item: StoredItem,
    pub markdown: String,
    pub health: ItemHealth,
}

/// Makes `article` (whose canonical URL is `canonical`) into item `id` of `source` at `now`.
/// `existing` is the stored item it updates: it keeps its URL, path, first-seen time and
/// `published` (never invented, never moved: an undated item keeps its first-seen time), and
/// its `updated` becomes `now`.
pub fn assemble(
    config: &Config,
    source: &Source,
    article: &Article,
    canonical: &str,
    id: &str,
    existing: Option<&StoredItem>,
    now: DateTime<FixedOffset>,
) -> Assembled {
    let url = existing.map_or(canonical, |e| e.url.as_str());
    let first_seen = existing.map_or(now, |e| e.first_seen);
    let published = existing
        .map(|e| e.published)
        .or(article.published)
        .unwrap_or(first_seen);
    let title = article.title.clone().unwrap_or_else(|| url.to_string());
    let lang = source
        .lang
        .clone()
        .or_else(|| article.lang.clone())
        .unwrap_or_else(|| config.site.language.clone());
    let summary = markdown::summary_of(&article.text);
    let markdown = markdown::render(&Document {
        title: &title,
        date: published,
        timezone: config.site.timezone,
        summary: &summary,
        categories: &source.categories,
        langs: std::slice::from_ref(&lang),
        tags: &source.tags,
        thumbnail: article.thumbnail.as_deref(),
        front_matter: &config.front_matter,
        body: &article.markdown,
        source: &source.name,
        url,
    });
    let path: PathBuf = existing.map_or_else(
        || {
            config
                .paths
                .content
                .join(&source.name)
                .join(format!("{id}.md"))
        },
        |e| PathBuf::from(&e.path),
    );
    let item = StoredItem {
        id: id.to_string(),
        source: source.name.clone(),
        url: url.to_string(),
        title,
        summary: feed_summary(article, summary),
        content_html: article.body_html.clone(),
        path: path.display().to_string(),
        published,
        updated: match existing {
            Some(_) => now,
            None => article.updated.unwrap_or(published).max(published),
        },
        first_seen,
        author: article.author.clone(),
        thumbnail: article.thumbnail.clone(),
        categories: source.categories.clone(),
        tags: source.tags.clone(),
        lang: Some(lang),
        content_hash: hex16(&markdown),
    };
    Assembled {
        item,
        markdown,
        health: health(article),
    }
}

/// The feed's summary: the page's own description, else the front matter's.
fn feed_summary(article: &Article, summary: String) -> String {
    article
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(summary)
}

/// What extraction found on the article.
fn health(article: &Article) -> ItemHealth {
    ItemHealth {
        has_title: article
            .title
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty()),
        has_date: article.published.is_some(),
        has_thumbnail: article.thumbnail.is_some(),
        body_chars: article.text.chars().filter(|c| !c.is_whitespace()).count(),
    }
}
