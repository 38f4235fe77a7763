//! `feed` sources: RSS 0.9x/1.0/2.0, Atom and JSON Feed, parsed by `feed-rs`.
//!
//! feed-rs maps every format onto one model; this module maps that model onto [`Link`]s. It is
//! handed the raw bytes so the XML prolog's encoding (GB2312 feeds exist) is honoured, the feed
//! URL so relative links and `xml:base` resolve, and our own date parser so the broken dates
//! feeds carry (`CST`, `2025-02-10 07:02:16`) are read the same way as everywhere else.
use chrono_tz::Tz;
use feed_rs::model::{Entry, FeedType, Person, Text};
use scraper::{Html, Node};
use serde_json::Value;
use url::Url;

use super::SourceError;
use crate::model::Link;

/// Parses feed bytes into links (entry link, title, published, thumbnail, summary, author,
/// content). Relative links resolve against `base`.
pub fn parse(bytes: &[u8], base: &Url, tz: Tz) -> Result<Vec<Link>, SourceError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .timestamp_parser(move |s| crate::dates::parse(s, tz).map(|d| d.to_utc()))
        .build();
    let feed = parser
        .parse(bytes)
        .map_err(|e| SourceError::Feed(e.to_string()))?;
    // Side channels for what feed-rs drops: JSON Feed's `image`, and a `media:thumbnail` that
    // has no `media:content` beside it (BBC-style feeds). Both are read item for item; feed-rs
    // keeps document order.
    let side_images = match feed.feed_type {
        FeedType::JSON => json_feed_images(bytes),
        _ => xml_media_thumbnails(bytes),
    };
    let side_images = if side_images.len() == feed.entries.len() {
        side_images
    } else {
        Vec::new()
    };
    // Atom entries without an author inherit the feed's (RFC 4287 4.2.1); feed-rs does this for
    // JSON Feed only. RSS channel-level people are editors, not authors, so they stay out.
    let feed_author = if feed.feed_type == FeedType::Atom {
        first_name(&feed.authors)
    } else {
        None
    };
    let links = feed
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            let side_image = side_images.get(i).and_then(|img| img.as_deref());
            let mut link = to_link(entry, base, tz, side_image)?;
            link.author = link.author.or_else(|| feed_author.clone());
            Some(link)
        })
        .collect();
    Ok(links)
}

fn to_link(entry: &Entry, base: &Url, tz: Tz, side_image: Option<&str>) -> Option<Link> {
    Some(Link {
        url: entry_url(entry, base)?,
        title: entry.title.as_ref().map(plain).filter(|t| !t.is_empty()),
        // feed-rs keeps instants in UTC; the site zone is the most useful way to show them.
        published: entry
            .published
            .or(entry.updated)
            .map(|d| d.with_timezone(&tz).fixed_offset()),
        thumbnail: thumbnail(entry, base).or_else(|| side_image.and_then(|u| resolve(base, u))),
        summary: entry.summary.as_ref().map(plain).filter(|s| !s.is_empty()),
        author: first_name(&entry.authors),
        content_html: content_html(entry),
    })
}

fn first_name(people: &[Person]) -> Option<String> {
    people
        .iter()
        .filter_map(|p| p.name.as_deref())
        .map(str::trim)
        .find(|n| !n.is_empty())
        .map(str::to_string)
}

/// The article URL: an HTML alternate link, else any alternate, else the first link, else an
/// id that is itself a URL (RSS `<guid isPermaLink="true">` without `<link>`).
fn entry_url(entry: &Entry, base: &Url) -> Option<String> {
    let alternate = |l: &&feed_rs::model::Link| l.rel.as_deref().is_none_or(|r| r == "alternate");
    let html = |l: &&feed_rs::model::Link| {
        l.media_type
            .as_deref()
            .is_none_or(|t| t.starts_with("text/html") || t.starts_with("application/xhtml"))
    };
    let links = &entry.links;
    let link = links
        .iter()
        .find(|l| alternate(l) && html(l))
        .or_else(|| links.iter().find(alternate))
        .or_else(|| links.first());
    link.and_then(|l| resolve(base, &l.href)).or_else(|| {
        let id = entry.id.trim();
        (id.starts_with("http://") || id.starts_with("https://"))
            .then(|| resolve(base, id))
            .flatten()
    })
}

/// Media RSS thumbnail, then an image `media:content` or `<enclosure>` (feed-rs files both as
/// media content), then an Atom `rel=enclosure` image link.
fn thumbnail(entry: &Entry, base: &Url) -> Option<String> {
    let media = &entry.media;
    let thumb = media
        .iter()
        .flat_map(|m| &m.thumbnails)
        .map(|t| t.image.uri.as_str());
    let content = media.iter().flat_map(|m| &m.content).filter_map(|c| {
        let url = c.url.as_ref()?;
        let is_image = match &c.content_type {
            Some(t) => t.ty().as_str() == "image",
            // Untyped media: trust an image file extension, nothing else.
            None => has_image_extension(url.path()),
        };
        is_image.then_some(url.as_str())
    });
    let enclosure = entry
        .links
        .iter()
        .filter(|l| {
            l.rel.as_deref() == Some("enclosure")
                && l.media_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("image/"))
        })
        .map(|l| l.href.as_str());
    thumb
        .chain(content)
        .chain(enclosure)
        .find_map(|u| resolve(base, u))
}

fn has_image_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Full content (`content:encoded`, Atom `content`, JSON Feed `content_html`) as HTML; plain
/// text content is escaped so it stays text. Out-of-line Atom content (`src=`) has no body.
fn content_html(entry: &Entry) -> Option<String> {
    let content = entry.content.as_ref()?;
    let body = content.body.as_deref()?.trim();
    if body.is_empty() {
        return None;
    }
    if content.content_type.subty().as_str() == "plain" {
        Some(escape_text(body))
    } else {
        Some(body.to_string())
    }
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text of a title or summary: HTML flattened to text (feeds put markup and entities in both),
/// whitespace collapsed.
fn plain(text: &Text) -> String {
    let raw = text.content.as_str();
    let flat = if text.content_type.subty().as_str() == "plain"
        && !raw.contains('<')
        && !raw.contains('&')
    {
        raw.to_string()
    } else {
        html_to_text(raw)
    };
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text nodes in order, a space before each block-level element so paragraphs do not run
/// together, script and style skipped.
fn html_to_text(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut out = String::new();
    for node in fragment.root_element().descendants() {
        match node.value() {
            Node::Text(t) => {
                let hidden = node
                    .parent()
                    .and_then(|p| p.value().as_element())
                    .is_some_and(|e| matches!(e.name(), "script" | "style"));
                if !hidden {
                    out.push_str(t);
                }
            }
            Node::Element(e) if is_block(e.name()) => out.push(' '),
            _ => {}
        }
    }
    out
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "tr"
            | "td"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "blockquote"
            | "section"
    )
}

/// The first `media:thumbnail url` inside each top-level `<item>`/`<entry>`, by position.
/// URLs are ASCII, so reading the bytes as (lossy) UTF-8 is fine whatever the prolog says.
fn xml_media_thumbnails(bytes: &[u8]) -> Vec<Option<String>> {
    use quick_xml::events::Event;
    let text = String::from_utf8_lossy(bytes);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut found = Vec::new();
    let mut depth_in_item = 0usize;
    loop {
        let (e, empty) = match reader.read_event() {
            Ok(Event::Start(e)) => (e, false),
            Ok(Event::Empty(e)) => (e, true),
            Ok(Event::End(_)) => {
                depth_in_item = depth_in_item.saturating_sub(1);
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        let name = e.local_name();
        if depth_in_item == 0 && matches!(name.as_ref(), "item" | "entry") {
            found.push(None);
        }
        if depth_in_item > 0 && name.as_ref() == "thumbnail" && e.name().as_ref().contains(':') {
            let url = e
                .try_get_attribute("url")
                .ok()
                .flatten()
                .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                .map(|v| v.into_owned());
            if let Some(slot @ None) = found.last_mut() {
                *slot = url;
            }
        }
        if !empty && (depth_in_item > 0 || matches!(name.as_ref(), "item" | "entry")) {
            depth_in_item += 1;
        }
    }
    found
}

/// Each JSON Feed item's `image`, by position; empty when the body is not JSON we can read.
fn json_feed_images(bytes: &[u8]) -> Vec<Option<String>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
        return Vec::new();
    };
    let Some(items) = doc.get("items").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| {
            item.get("image")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// An absolute URL with http(s) or the feed's own scheme (`file://` for offline demos).
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = base.join(href).ok()?;
    (matches!(url.scheme(), "http" | "https") || url.scheme() == base.scheme()).then(|| url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, FixedOffset};

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn fixture(name: &str, base: &str) -> Vec<Link> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sources")
            .join(name);
        parse(
            &std::fs::read(path).unwrap(),
            &Url::parse(base).unwrap(),
            SH,
        )
        .unwrap()
    }

    fn date(s: &str) -> Option<DateTime<FixedOffset>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap())
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn rss2_content_encoded_and_enclosure() {
        let links = fixture("rss2.xml", "https://example.com/rss.xml");
        let urls: Vec<_> = links.iter().map(|l| l.url.as_str()).collect();
        // The fourth item has neither a link nor a URL guid, so it is skipped.
        assert_eq!(
            urls,
            [
                "https://example.com/a/1.html",
                "https://example.com/a/2.html",
                "https://example.com/a/3.html"
            ]
        );
        assert_eq!(
            links[0],
            Link {
                url: "https://example.com/a/1.html".into(),
                title: some("First & best"),
                published: date("2025-02-10T07:02:16+08:00"),
                thumbnail: some("https://img.example.com/1.jpg"),
                summary: some("Short summary. Second line."),
                author: some("Ni Hao"),
                content_html: some("<p>Full <em>content</em>.</p>"),
            }
        );
    }

    #[test]
    fn rss2_media_thumbnail_relative_link_and_dates() {
        let links = fixture("rss2.xml", "https://example.com/rss.xml");
        // CST is US Central (RFC 822); shown in the site zone, same instant.
        assert_eq!(links[1].published, date("2025-02-10T07:02:16-06:00"));
        assert_eq!(
            links[1].thumbnail.as_deref(),
            Some("https://img.example.com/2-thumb.jpg?w=1&h=2")
        );
        assert_eq!(links[1].content_html, None);
        // A naive date is read in the site zone.
        assert_eq!(links[2].published, date("2025-02-10T07:02:16+08:00"));
        assert_eq!(
            links[2].thumbnail.as_deref(),
            Some("https://img.example.com/3.png")
        );
    }

    #[test]
    fn rss2_gb2312_prolog_is_honoured() {
        let links = fixture("rss2-gb2312.xml", "https://gb.example.cn/rss.xml");
        assert_eq!(links.len(), 1);
        assert_eq!(
            links[0].title.as_deref(),
            Some("多行业引入DeepSeek升级智能化")
        );
        assert_eq!(links[0].published, date("2025-02-10T07:02:16+08:00"));
    }

    #[test]
    fn rss1_rdf() {
        let links = fixture("rss1.rdf", "https://example.org/index.rdf");
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0],
            Link {
                url: "https://example.org/story/1".into(),
                title: some("RDF story one"),
                published: date("2025-02-10T07:02:16+08:00"),
                summary: some("One summary"),
                author: some("Ana"),
                ..Link::default()
            }
        );
        assert_eq!(links[1].url, "https://example.org/story/2");
        assert_eq!(links[1].published, None);
    }

    #[test]
    fn rss091_latin1() {
        let links = fixture("rss091.xml", "http://example.net/rss.xml");
        assert_eq!(
            links,
            vec![Link {
                url: "http://example.net/cafe.html".into(),
                title: some("Café opens"),
                summary: some("A new café."),
                ..Link::default()
            }]
        );
    }

    #[test]
    fn atom_alternate_links_and_xml_base() {
        let links = fixture("atom.xml", "https://blog.example.com/atom.xml");
        assert_eq!(
            links[0],
            Link {
                url: "https://blog.example.com/posts/hello.html".into(),
                title: some("Hello world"),
                published: date("2025-02-10T07:02:16+08:00"),
                thumbnail: some("https://blog.example.com/img/hello.png"),
                summary: some("Plain summary"),
                author: some("Jane Doe"),
                content_html: some("<p>Hello <b>there</b></p>"),
            }
        );
        // The entry's own xml:base wins over the feed's; `updated` stands in for `published`.
        assert_eq!(links[1].url, "https://other.example.com/second");
        assert_eq!(links[1].published, date("2025-02-11T08:00:00+08:00"));
        assert!(
            links[1]
                .content_html
                .as_deref()
                .unwrap()
                .contains("XHTML body")
        );
        // Feed-level author is inherited by entries without one.
        assert_eq!(links[1].author.as_deref(), Some("Feed Author"));
        // No link: an http id is the article URL.
        assert_eq!(links[2].url, "https://blog.example.com/posts/third");
        assert_eq!(links.len(), 3);
    }

    #[test]
    fn json_feed_1_1() {
        let links = fixture("jsonfeed.json", "https://json.example.com/feed.json");
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0],
            Link {
                url: "https://json.example.com/2025/02/10/one".into(),
                title: some("One"),
                published: date("2025-02-10T07:02:16+08:00"),
                thumbnail: some("https://json.example.com/img/one.jpg"),
                summary: some("First summary"),
                author: some("Li Lei"),
                content_html: some("<p>One body</p>"),
            }
        );
        assert_eq!(links[1].url, "https://json.example.com/2025/02/10/two");
        assert_eq!(
            links[1].content_html.as_deref(),
            Some("Two &lt;plain&gt; &amp; text")
        );
        assert_eq!(links[1].published, date("2025-02-11T08:00:00+08:00"));
        assert_eq!(links[1].author.as_deref(), Some("Feed Author"));
    }

    #[test]
    fn garbage_is_a_feed_error() {
        let base = Url::parse("https://example.com/").unwrap();
        for body in [
            &b""[..],
            b"hello",
            b"<html><body>not a feed</body></html>",
            b"{\"not\": \"a feed\"}",
            b"<rss version=\"2.0\"><channel><item>",
        ] {
            assert!(
                matches!(parse(body, &base, SH), Err(SourceError::Feed(_))),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
