//! `feed` sources: RSS 0.9x/1.0/2.0, Atom and JSON Feed, parsed by `feed-rs`.
use crate::model::Link;
use chrono_tz::Tz;
use url::Url;

use super::SourceError;

/// Parses feed bytes into links (entry link, title, published, thumbnail, summary, author,
/// content). Relative links resolve against `base`.
pub fn parse(bytes: &[u8], base: &Url, tz: Tz) -> Result<Vec<Link>, SourceError> {
    let _ = (bytes, base, tz);
    todo!("helper B")
}
