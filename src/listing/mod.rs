//! Sources turn listing bytes (a feed, a sitemap, an HTML list page, a JSON list API) into
//! [`Link`](crate::model::Link)s. Pure functions; the pipeline does the fetching.

pub mod feed;
pub mod html;
pub mod json;
pub mod sitemap;

/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("not a feed: {0}")]
    Feed(String),
    #[error("not a sitemap: {0}")]
    Sitemap(String),
    #[error("bad JSON list: {0}")]
    Json(String),
}
