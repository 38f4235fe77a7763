//! Extraction: page HTML in, [`Article`] out.
//!
//! Order of trust: a built-in site rule (Tencent News), the source's own selectors, page
//! metadata (JSON-LD, OpenGraph, `<meta>`, `<time>`), generic main-content detection, then the
//! hints the listing carried. The sanitizer always runs last on the body, before Markdown.

pub mod batch;
pub mod byline;
pub mod generic;
pub mod headline;
pub mod html2md;
pub mod meta;
pub mod pubdate;
pub mod qq;
pub mod textmap;

use chrono_tz::Tz;
use scraper::{ElementRef, Html};
use url::Url;

use crate::config::{ExtractRule, SelectorSpec};
use crate::model::{Article, Link};
use crate::sanitize::sanitize;

/// Pages nested deeper than this are refused before parsing: html5ever's tree building is
/// quadratic in depth.
pub const MAX_NESTING: usize = 2_000;

/// What extraction needs besides the page.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The zone of dates that carry no offset.
    pub timezone: Tz,
    pub rule: Option<&'a ExtractRule>,
    pub hint: Option<&'a Link>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{url}: no article body found")]
    NoContent { url: String },
    #[error("{url}: HTML nested deeper than {MAX_NESTING} levels")]
    TooDeep { url: String },
}

/// Extracts the article from `html`, fetched from `url`.
pub fn extract(html: &str, url: &Url, opts: &Options<'_>) -> Result<Article, ExtractError> {
    if nesting_depth(html) > MAX_NESTING {
        return Err(ExtractError::TooDeep {
            url: url.to_string(),
        });
    }
    let doc = Html::parse_document(html);
    let meta = meta::read(&doc, url, opts.timezone);
    let site = qq::extract(html).unwrap_or_default();
    let rule = opts.rule.cloned().unwrap_or_default();
    let hint = opts.hint.cloned().unwrap_or_default();
    let pick = |spec: &Option<SelectorSpec>| spec.as_ref().and_then(|s| select_text(&doc, s));

    let mut body = site
        .body_html
        .clone()
        .or_else(|| rule.body.as_ref().and_then(|s| select_html(&doc, s)))
        .or_else(|| generic::main_content(&doc))
        .unwrap_or_default();
    // Only pages whose listing carried full content pay for measuring both texts.
    let text_len = |html: &str| html2md::to_text(html).chars().count();
    if let Some(content) = &hint.content_html
        && text_len(content) > text_len(&body).max(200)
    {
        // The feed carried the full text and the page yielded less.
        body = content.clone();
    }
    if body.trim().is_empty()
        && let Some(text) = &meta.ld_body
    {
        body = text
            .split("\n")
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{}</p>", html_escape(p.trim())))
            .collect();
    }
    let clean = sanitize(&body, url);
    let text = html2md::to_text(&clean);
    if text.trim().is_empty() {
        return Err(ExtractError::NoContent {
            url: url.to_string(),
        });
    }
    let markdown = html2md::to_markdown(&clean, url);
    let abs = |u: String| url.join(u.trim()).ok().map(String::from);

    // Headline and date are looked for where the page shows them: around the body.
    let map = textmap::TextMap::build(&doc);
    let body_at = pubdate::Anchors::locate(&map, None, &text).body;
    let title = site
        .title
        .or_else(|| pick(&rule.title))
        .or_else(|| headline::choose(&doc, &map, body_at.map(|b| b.0), meta.title))
        .or(hint.title)
        .map(|t| textmap::collapse(&t));
    let at = pubdate::Anchors::locate(&map, title.as_deref(), &text);
    let published = site
        .published
        .or_else(|| pick(&rule.published).and_then(|d| crate::dates::parse(&d, opts.timezone)))
        .or_else(|| pubdate::find(html, &map, at, meta.published, url, opts.timezone))
        .or(hint.published);

    Ok(Article {
        url: url.to_string(),
        canonical_url: meta.canonical.clone(),
        title,
        published,
        updated: meta.modified,
        author: site
            .author
            .or_else(|| pick(&rule.author))
            .or(meta.author.filter(|a| !byline::looks_like_site(a)))
            .or_else(|| byline::find(&map, at.title.unwrap_or(0)))
            .or(hint.author),
        description: site.description.or(meta.description).or(hint.summary),
        thumbnail: pick(&rule.thumbnail)
            .and_then(abs)
            .or(site.thumbnail)
            .or(meta.image)
            .or(hint.thumbnail)
            // Parsing the body again is only worth it when nothing else named an image.
            .or_else(|| first_image(&clean)),
        lang: meta.lang,
        keywords: meta.keywords,
        body_html: clean,
        markdown,
        text,
    })
}

/// The attribute (`sel@attr`) or whitespace-collapsed text of the first match.
fn select_text(doc: &Html, spec: &SelectorSpec) -> Option<String> {
    doc.select(&spec.selector).find_map(|e| {
        let v = match &spec.attr {
            Some(a) => e.value().attr(a)?.to_string(),
            None => collapse(e),
        };
        let v = v.trim().to_string();
        (!v.is_empty()).then_some(v)
    })
}

/// The inner HTML of every match, joined (a body may be split over several blocks).
fn select_html(doc: &Html, spec: &SelectorSpec) -> Option<String> {
    let parts: Vec<String> = doc.select(&spec.selector).map(|e| e.inner_html()).collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn collapse(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn first_image(html: &str) -> Option<String> {
    let frag = Html::parse_fragment(html);
    let sel = scraper::Selector::parse("img[src]").expect("static selector");
    frag.select(&sel)
        .filter_map(|i| i.value().attr("src"))
        .find(|s| s.starts_with("http"))
        .map(str::to_string)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A cheap upper bound on element nesting: opening tags minus closing tags, never below zero.
/// Void and self-closing tags are not counted.
pub fn nesting_depth(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr_lt(&b[i..]) {
        i += off + 1;
        match b.get(i) {
            Some(b'/') => {
                let name_end = b[i + 1..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |p| i + 1 + p);
                if !is_void(&b[i + 1..name_end]) {
                    depth = depth.saturating_sub(1);
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = b[i..]
                    .iter()
                    .position(|c| !c.is_ascii_alphanumeric())
                    .map_or(b.len(), |p| i + p);
                let name = &b[i..name_end];
                let tag_end = b[i..]
                    .iter()
                    .position(|&c| c == b'>')
                    .map_or(b.len(), |p| i + p);
                let self_closing = tag_end > 0 && b.get(tag_end - 1) == Some(&b'/');
                if !self_closing && !is_void(name) {
                    depth += 1;
                    max = max.max(depth);
                }
            }
            _ => {}
        }
    }
    max
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'<')
}

/// Tags that never hold nested content, or whose end tag is optional (`p`, `li`, …): neither
/// counts towards depth. Compared without allocating: this runs over every tag of every page.
fn is_void(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta",
        b"source", b"track", b"wbr", b"p", b"li", b"option", b"td", b"tr", b"th",
    ];
    NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_quickly() {
        let html = "<div>".repeat(100_000);
        let url = Url::parse("https://x/").unwrap();
        let opts = Options {
            timezone: Tz::UTC,
            rule: None,
            hint: None,
        };
        assert!(matches!(
            extract(&html, &url, &opts),
            Err(ExtractError::TooDeep { .. })
        ));
        assert!(nesting_depth("<div><p>a<p>b<br><img src=x></div>") <= 1);
    }
}
