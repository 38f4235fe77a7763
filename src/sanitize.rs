//! The allow-list HTML sanitizer. It always runs last on any HTML that reaches Markdown or a feed.
use url::Url;

/// Sanitizes an HTML fragment: allow-listed tags and attributes only, relative URLs made absolute
/// against `base`, links limited to http/https/mailto.
pub fn sanitize(html: &str, base: &Url) -> String {
    let _ = (html, base);
    todo!("helper A")
}
