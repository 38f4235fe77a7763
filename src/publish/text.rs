//! Text and URL helpers shared by the renderers: XML-safe strings, HTML escaping, URLs as
//! written ([`crate::weburl`]), dates to the second, MIME types of thumbnails, a feed's
//! language, and the stable entry id.
//!
//! Stored text comes from arbitrary web pages, so it may hold characters XML 1.0 forbids
//! (NUL, most C0 controls, U+FFFE/U+FFFF); one such character makes a whole feed unreadable,
//! so every string is cleaned here before it reaches a document.

use crate::model::FeedItem;
use chrono::{DateTime, FixedOffset, Timelike};

/// The id of an entry in every format (RSS `guid`, Atom `id`, JSON Feed `id`).
///
/// Built from the stored id, not the URL: the id is issued once, while the canonical URL may
/// later be corrected, and readers would then show the same article twice as "new".
pub fn entry_id(item: &FeedItem) -> String {
    format!("urn:agg:{}", item.id)
}

/// Removes characters XML 1.0 cannot carry, and C1 controls, which it allows but no reader
/// shows. Keeps tab, newline and carriage return.
pub fn xml_safe(s: &str) -> String {
    if !has_forbidden(s) {
        // The common case, and a hot one (every body of every feed): a copy, no char walk.
        return s.to_owned();
    }
    s.chars().filter(|&c| is_xml_char(c)).collect()
}

/// Whether `s` holds a character [`is_xml_char`] refuses, found on the UTF-8 bytes: C0 and
/// DEL are single bytes, C1 controls are `C2 80..9F`, U+FFFE/U+FFFF are `EF BF BE/BF`.
fn has_forbidden(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' | b'\r' => false,
        0x00..=0x1f | 0x7f => true,
        0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
        0xef => b.get(i + 1) == Some(&0xbf) && matches!(b.get(i + 2), Some(0xbe | 0xbf)),
        _ => false,
    })
}

fn is_xml_char(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => true,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    }
}

/// A title or name on one line: XML-safe, whitespace runs collapsed, trimmed.
pub fn one_line(s: &str) -> String {
    xml_safe(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Longest title, in characters, an entry shows; a page's "title" past this is not one.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest plain-text summary, in characters.
pub const MAX_SUMMARY_CHARS: usize = 1000;
/// Longest author name, in characters.
pub const MAX_AUTHOR_CHARS: usize = 200;

/// `s` cut to `max` characters, with "…" when it was longer.
pub fn cap_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s,
        Some((cut, _)) => {
            let mut short = s[..cut].trim_end().to_string();
            short.push('…');
            short
        }
    }
}

/// The first `max` characters of `s` (all of it when shorter): cleaning a megabyte "title" to
/// keep 300 characters of it would waste the work.
fn head_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(cut, _)| &s[..cut])
}

/// The title an entry shows: readers reject entries without one, so fall back to the URL.
pub fn item_title(item: &FeedItem) -> String {
    // Whitespace runs collapse, so take more than the cap before cleaning.
    let title = one_line(head_chars(&item.title, MAX_TITLE_CHARS * 4));
    if title.is_empty() {
        one_line(&item.url)
    } else {
        cap_chars(title, MAX_TITLE_CHARS)
    }
}

/// Plain-text summary; when there is none, the title, so no entry is blank in a reader that
/// shows summaries only.
pub fn item_summary(item: &FeedItem) -> String {
    let summary = xml_safe(head_chars(item.summary.trim(), MAX_SUMMARY_CHARS * 4).trim_end());
    if summary.is_empty() {
        item_title(item)
    } else {
        cap_chars(summary, MAX_SUMMARY_CHARS)
    }
}

/// The author's name on one line, capped; `None` when there is none.
pub fn item_author(item: &FeedItem) -> Option<String> {
    item.author
        .as_deref()
        .map(|a| one_line(head_chars(a, MAX_AUTHOR_CHARS * 4)))
        .filter(|a| !a.is_empty())
        .map(|a| cap_chars(a, MAX_AUTHOR_CHARS))
}

/// Categories then tags, cleaned, without empty names or repeats, in their stored order.
pub fn item_terms(item: &FeedItem) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for term in item.categories.iter().chain(&item.tags) {
        let term = one_line(term);
        if !term.is_empty() && !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// The entry's `published`, to the second: an undated item is dated when it was first seen,
/// to the nanosecond, and feeds show whole seconds.
pub fn item_published(item: &FeedItem) -> DateTime<FixedOffset> {
    seconds(item.published)
}

/// The entry's `updated`, never before its `published` (readers and validators reject that),
/// to the second.
pub fn item_updated(item: &FeedItem) -> DateTime<FixedOffset> {
    seconds(item.updated.max(item.published))
}

fn seconds(d: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
    d.with_nanosecond(0).unwrap_or(d)
}

/// The thumbnail URL, if it is an absolute http(s) URL (anything else would be a broken
/// enclosure), percent-encoded.
pub fn thumbnail(item: &FeedItem) -> Option<String> {
    let parsed = url::Url::parse(item.thumbnail.as_deref()?.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| crate::weburl::encode_parsed(&parsed))
}

/// The article's link, percent-encoded, when it is an http(s) URL. A `file:` URL (a local
/// source's page without a canonical address) or anything unparseable is never published: it
/// would show subscribers a path on this machine, and open nothing for them.
pub fn item_link(item: &FeedItem) -> Option<String> {
    let parsed = url::Url::parse(item.url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| crate::weburl::encode_parsed(&parsed))
}

/// The language of a feed's items: the one they share, `None` when they differ. Items without
/// one are left out of the vote; a feed none of whose items has one takes `fallback` (the
/// site's).
pub fn common_language<'a>(
    items: impl IntoIterator<Item = &'a FeedItem>,
    fallback: Option<&str>,
) -> Option<String> {
    let mut found: Option<String> = None;
    for item in items {
        let Some(lang) = item.lang.as_deref().map(one_line).filter(|l| !l.is_empty()) else {
            continue;
        };
        match &found {
            None => found = Some(lang),
            Some(f) if f.eq_ignore_ascii_case(&lang) => {}
            Some(_) => return None,
        }
    }
    found.or_else(|| fallback.map(str::to_owned))
}

/// MIME type of an image, guessed from the URL's path extension. JPEG is the default because
/// most news thumbnails without an extension (CDN URLs) are JPEG.
pub fn image_mime(url: &str) -> &'static str {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_ascii_lowercase())
        .unwrap_or_default();
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => "image/jpeg",
    }
}

/// Escapes text for HTML element content and double- or single-quoted attributes, dropping
/// characters XML/HTML cannot carry.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_are_removed() {
        assert_eq!(xml_safe("a\u{0}b\u{8}c\td\u{ffff}e\u{85}"), "abc\tde");
        assert_eq!(one_line("  Breaking:\n  news\u{1b}  "), "Breaking: news");
        // The byte scan agrees with the character test on every character near the edges.
        for c in ('\u{0}'..='\u{200}').chain('\u{fff0}'..='\u{10000}') {
            let s = format!("a{c}，b");
            let slow: String = s.chars().filter(|&c| is_xml_char(c)).collect();
            assert_eq!(xml_safe(&s), slow, "{:?}", c);
        }
    }

    #[test]
    fn image_types_follow_the_extension() {
        assert_eq!(image_mime("https://x.org/a/B.PNG?w=1"), "image/png");
        assert_eq!(image_mime("https://x.org/a.webp"), "image/webp");
        assert_eq!(image_mime("https://x.org/a.avif#x"), "image/avif");
        assert_eq!(image_mime("https://x.org/a.jpeg"), "image/jpeg");
        assert_eq!(image_mime("https://x.org/a.gif"), "image/gif");
        assert_eq!(image_mime("https://x.org/img?id=3.png"), "image/jpeg");
        assert_eq!(image_mime("https://x.org/noext"), "image/jpeg");
    }

    #[test]
    fn html_escape_covers_attributes() {
        assert_eq!(
            html_escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
