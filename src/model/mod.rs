//! The values that flow through the pipeline: a [`Link`] found by a source, the [`Article`]
//! extracted from its page, and the [`FeedItem`] a feed is rendered from.

use chrono::{DateTime, FixedOffset};

mod item;

pub use item::{SourceState, StoredItem};

/// Cache validators sent back byte for byte on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// An article URL plus hints found on the way (feed entry, list API item, sitemap entry).
/// Hints fill in what the article page lacks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Link {
    /// Absolute article URL.
    pub url: String,
    pub title: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// Absolute thumbnail URL.
    pub thumbnail: Option<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    /// Full content carried by the listing itself (e.g. RSS `content:encoded`), HTML.
    pub content_html: Option<String>,
}

/// What extraction returns for one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// The URL the page was fetched from (after redirects).
    pub url: String,
    pub canonical_url: Option<String>,
    pub title: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    /// Short description from the page's metadata (not the 50-character front-matter summary).
    pub description: Option<String>,
    /// Sanitized body HTML.
    pub body_html: String,
    /// Body as Markdown.
    pub markdown: String,
    /// Body as plain text, paragraphs separated by blank lines.
    pub text: String,
    pub thumbnail: Option<String>,
    pub lang: Option<String>,
    pub keywords: Vec<String>,
}

/// One entry of a published feed, as the publisher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// Stable id, issued once (16 hex digits of the canonical URL hash).
    pub id: String,
    /// Absolute article URL (canonical).
    pub url: String,
    pub title: String,
    /// Plain-text summary.
    pub summary: String,
    /// Full sanitized HTML.
    pub content_html: String,
    pub published: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
    pub author: Option<String>,
    pub thumbnail: Option<String>,
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub lang: Option<String>,
    /// Source name.
    pub source: String,
}
