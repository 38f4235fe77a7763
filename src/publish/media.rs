//! The names and media types of the files the publisher writes, in one place: the publisher
//! links them (autodiscovery, OPML), uploads them ([`super::s3`]) and `agg serve` sends them
//! with these types.

/// The feed documents' file names, one per format: RSS 2.0, Atom 1.0, JSON Feed.
pub const RSS_FILE: &str = "rss.xml";
pub const ATOM_FILE: &str = "atom.xml";
pub const JSON_FILE: &str = "feed.json";
pub const OPML_FILE: &str = "opml.xml";
pub const INDEX_FILE: &str = "index.html";

/// Media types of the feed formats (as autodiscovery links name them).
pub const RSS_TYPE: &str = "application/rss+xml";
pub const ATOM_TYPE: &str = "application/atom+xml";
pub const JSON_TYPE: &str = "application/feed+json";
pub const OPML_TYPE: &str = "text/x-opml";

/// Whether the file at `rel` (relative to the feeds folder) is a feed document.
pub fn is_feed(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name, RSS_FILE | ATOM_FILE | JSON_FILE)
}

/// The `Content-Type` of a published (or served) file, by name.
pub fn content_type(rel: &str) -> &'static str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name {
        RSS_FILE => return "application/rss+xml; charset=utf-8",
        ATOM_FILE => return "application/atom+xml; charset=utf-8",
        OPML_FILE => return "text/x-opml; charset=utf-8",
        JSON_FILE => return JSON_TYPE,
        _ => {}
    }
    match name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}
