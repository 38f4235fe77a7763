//! `html` sources: a list page plus a CSS selector for article links.
//!
//! The selector usually names the anchors themselves (`a[href*='/rain/a/']`), but list pages
//! are often easier to target by their cards (`.news-item`), so a matched element without an
//! `href` contributes the first link inside it.
use std::collections::HashSet;

use crate::model::Link;
use scraper::{ElementRef, Html, Selector};
use url::Url;

/// Links matched by `selector` (elements with `href`, or the first `a[href]` inside a matched
/// element), resolved against `base`, in page order, deduplicated, fragments dropped.
pub fn parse(html: &str, base: &Url, selector: &Selector) -> Vec<Link> {
    let doc = Html::parse_document(html);
    let base = page_base(&doc, base);
    let anchor = Selector::parse("a[href]").expect("static selector");
    let mut seen = HashSet::new();
    let mut links = Vec::new();
    for matched in doc.select(selector) {
        let Some(el) = link_element(matched, &anchor) else {
            continue;
        };
        let Some(url) = el
            .value()
            .attr("href")
            .and_then(|href| resolve(&base, href))
        else {
            continue;
        };
        if seen.insert(url.clone()) {
            links.push(Link {
                url,
                title: title_hint(el),
                ..Link::default()
            });
        }
    }
    links
}

/// The URL relative links resolve against: `<base href>` when the page sets one (itself
/// relative to the page URL), else the page URL.
fn page_base(doc: &Html, page: &Url) -> Url {
    let sel = Selector::parse("base[href]").expect("static selector");
    doc.select(&sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page.join(href.trim()).ok())
        .unwrap_or_else(|| page.clone())
}

fn link_element<'a>(matched: ElementRef<'a>, anchor: &Selector) -> Option<ElementRef<'a>> {
    if matched.value().attr("href").is_some() {
        Some(matched)
    } else {
        matched.select(anchor).next()
    }
}

/// An absolute http(s) URL without its fragment (`#comments` is the same article);
/// `javascript:`, `mailto:` and the like are not articles. A `file://` list page (an offline
/// dump or demo) may link `file://` articles, as the other source kinds allow.
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    // `#top` is an in-page anchor: it would "resolve" to the list page itself.
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !(matches!(url.scheme(), "http" | "https") || url.scheme() == base.scheme()) {
        return None;
    }
    url.set_fragment(None);
    Some(url.into())
}

/// The anchor's text with whitespace collapsed, else its `title` attribute (image-only links).
fn title_hint(el: ElementRef) -> Option<String> {
    let text = collapse(&el.text().collect::<String>());
    if !text.is_empty() {
        return Some(text);
    }
    el.value()
        .attr("title")
        .map(collapse)
        .filter(|t| !t.is_empty())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(html: &str, base: &str, sel: &str) -> Vec<(String, Option<String>)> {
        let base = Url::parse(base).unwrap();
        let sel = Selector::parse(sel).unwrap();
        parse(html, &base, &sel)
            .into_iter()
            .map(|l| (l.url, l.title))
            .collect()
    }

    fn pair(url: &str, title: &str) -> (String, Option<String>) {
        (url.to_string(), Some(title.to_string()))
    }

    #[test]
    fn anchors_resolved_in_page_order_deduplicated() {
        let html = r#"<ul>
            <li><a href="/rain/a/2">  Second
               story </a></li>
            <li><a href="https://new.qq.com/rain/a/1#comments">First</a></li>
            <li><a href="/rain/a/2">Second again</a></li>
            <li><a href="/about">About</a></li>
            <li><a href="rain/a/3?x=1">Third</a></li>
        </ul>"#;
        let got = links(html, "https://new.qq.com/ch/", "a[href*='rain/a/']");
        assert_eq!(
            got,
            vec![
                pair("https://new.qq.com/rain/a/2", "Second story"),
                pair("https://new.qq.com/rain/a/1", "First"),
                pair("https://new.qq.com/ch/rain/a/3?x=1", "Third"),
            ]
        );
    }

    #[test]
    fn container_match_uses_first_anchor_inside() {
        let html = r#"<div class="card"><span>no link</span><a href="/a/1">One</a><a href="/a/x">Other</a></div>
            <div class="card">nothing here</div>
            <div class="card"><a href="/a/2"><img src="x.jpg"></a></div>"#;
        let got = links(html, "https://example.com/", ".card");
        assert_eq!(
            got,
            vec![
                pair("https://example.com/a/1", "One"),
                ("https://example.com/a/2".into(), None)
            ]
        );
    }

    #[test]
    fn title_attribute_when_text_is_empty() {
        let html = r#"<a href="/a/1" title=" Picture  story "><img src="x.jpg"></a>"#;
        assert_eq!(
            links(html, "https://example.com/", "a"),
            vec![pair("https://example.com/a/1", "Picture story")]
        );
    }

    #[test]
    fn base_href_respected() {
        let html = r#"<html><head><base href="/news/"></head><body><a href="a/1.html">One</a></body></html>"#;
        assert_eq!(
            links(html, "https://example.com/index.html", "a"),
            vec![pair("https://example.com/news/a/1.html", "One")]
        );
    }

    #[test]
    fn only_http_links() {
        let html = r##"<a href="javascript:void(0)">JS</a><a href="mailto:x@example.com">Mail</a>
            <a href="ftp://example.com/f">FTP</a><a href="#top">Top</a><a href="http://example.com/ok">Ok</a>"##;
        let got = links(html, "https://example.com/list", "a");
        assert_eq!(got, vec![pair("http://example.com/ok", "Ok")]);
    }

    #[test]
    fn empty_page_gives_no_links() {
        assert!(links("", "https://example.com/", "a").is_empty());
    }
}
