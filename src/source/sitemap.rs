//! `sitemap` sources: urlset, sitemap index and Google News sitemaps.
//!
//! Read with quick-xml's streaming reader, matching elements by local name so that whatever
//! prefix a site binds the news and image namespaces to (`news:`, `n:`, none) works. quick-xml
//! never expands entities declared in a DOCTYPE (only the five predefined ones and character
//! references are resolved here), so a "billion laughs" document is just text we skip.
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use quick_xml::Reader;
use quick_xml::events::Event;
use url::Url;

use super::SourceError;
use crate::model::Link;

/// What one sitemap document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Sitemap {
    /// A `<urlset>`: article links (with `lastmod`/news publication date and title as hints).
    Urls(Vec<Link>),
    /// A `<sitemapindex>`: child sitemap URLs, newest `lastmod` first.
    Index(Vec<String>),
}

/// The sitemap's bytes, gunzipped when the body itself is gzip (a `.xml.gz` file served as
/// `application/x-gzip`, which the fetcher rightly leaves alone), decoded up to `cap` bytes:
/// a decompression bomb stops there with an error.
pub fn decompress(bytes: &[u8], cap: usize) -> Result<std::borrow::Cow<'_, [u8]>, SourceError> {
    use std::io::Read;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| SourceError::Sitemap(format!("bad gzip: {e}")))?;
    if out.len() > cap {
        return Err(SourceError::Sitemap(format!(
            "gzipped sitemap decodes to more than {cap} bytes (fetch.max_body_bytes)"
        )));
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Parses a sitemap body (already decompressed: see [`decompress`]). `loc`s resolve against `base`;
/// dates without an offset are read in `tz`.
pub fn parse(bytes: &[u8], base: &Url, tz: Tz) -> Result<Sitemap, SourceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Sitemaps must be UTF-8 (sitemaps.org); a stray bad byte should cost one title, not the file.
    let text = String::from_utf8_lossy(bytes);
    let mut reader = Reader::from_str(&text);
    let mut doc = Doc::new(base, tz);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => doc.open(e.local_name().as_ref())?,
            Ok(Event::Empty(e)) => {
                doc.open(e.local_name().as_ref())?;
                doc.close();
            }
            Ok(Event::End(_)) => doc.close(),
            Ok(Event::Text(t)) => doc.text.push_str(&t.xml10_content()),
            Ok(Event::CData(t)) => doc.text.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(ch)) => Some(ch.to_string()),
                    _ => quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string),
                };
                doc.text.push_str(resolved.as_deref().unwrap_or(""));
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            // A body cut short by the size cap still lists good entries before the cut; keep
            // them rather than failing the source. With none, it really is not a sitemap.
            Err(e) if doc.is_empty() => {
                let at = reader.error_position();
                return Err(SourceError::Sitemap(format!("{e} at byte {at}")));
            }
            Err(_) => break,
        }
    }
    doc.finish()
}

/// The two document kinds, told apart by the root element.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Urlset,
    Index,
}

/// Parse state: the open elements, the text of the current one, the entry being built.
struct Doc<'a> {
    base: &'a Url,
    tz: Tz,
    kind: Option<Kind>,
    path: Vec<String>,
    text: String,
    entry: Entry,
    links: Vec<Link>,
    children: Vec<(String, Option<DateTime<FixedOffset>>)>,
}

/// One `<url>` or `<sitemap>` while it is read.
#[derive(Default)]
struct Entry {
    loc: Option<String>,
    lastmod: Option<DateTime<FixedOffset>>,
    news_date: Option<DateTime<FixedOffset>>,
    title: Option<String>,
    image: Option<String>,
}

impl<'a> Doc<'a> {
    fn new(base: &'a Url, tz: Tz) -> Self {
        Doc {
            base,
            tz,
            kind: None,
            path: Vec::new(),
            text: String::new(),
            entry: Entry::default(),
            links: Vec::new(),
            children: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.links.is_empty() && self.children.is_empty()
    }

    fn open(&mut self, name: &str) -> Result<(), SourceError> {
        if self.kind.is_none() {
            self.kind = Some(match name {
                "urlset" => Kind::Urlset,
                "sitemapindex" => Kind::Index,
                other => return Err(SourceError::Sitemap(format!("root element <{other}>"))),
            });
        }
        self.path.push(name.to_string());
        self.text.clear();
        Ok(())
    }

    /// Files the text of the element being closed according to where it sits.
    fn close(&mut self) {
        let text = std::mem::take(&mut self.text);
        let text = text.trim();
        let Some(name) = self.path.pop() else { return };
        let parent = self.path.last().map(String::as_str).unwrap_or("");
        let e = &mut self.entry;
        match (self.kind, parent, name.as_str()) {
            (Some(Kind::Urlset), "url", "loc") | (Some(Kind::Index), "sitemap", "loc") => {
                e.loc = resolve(self.base, text);
            }
            (_, "url" | "sitemap", "lastmod") => e.lastmod = crate::dates::parse(text, self.tz),
            (_, "news", "publication_date") => e.news_date = crate::dates::parse(text, self.tz),
            (_, "news", "title") if !text.is_empty() => e.title = Some(text.to_string()),
            (_, "image", "loc") if e.image.is_none() => e.image = resolve(self.base, text),
            (Some(Kind::Urlset), _, "url") => self.finish_url(),
            (Some(Kind::Index), _, "sitemap") => {
                let e = std::mem::take(&mut self.entry);
                if let Some(loc) = e.loc {
                    self.children.push((loc, e.lastmod));
                }
            }
            _ => {}
        }
    }

    fn finish_url(&mut self) {
        let e = std::mem::take(&mut self.entry);
        let Some(url) = e.loc else { return };
        self.links.push(Link {
            url,
            title: e.title,
            published: e.news_date.or(e.lastmod),
            thumbnail: e.image,
            ..Link::default()
        });
    }

    fn finish(mut self) -> Result<Sitemap, SourceError> {
        match self.kind {
            Some(Kind::Urlset) => Ok(Sitemap::Urls(self.links)),
            Some(Kind::Index) => {
                // Newest first so a capped crawl reads the fresh children; `None` sorts below
                // every date, so undated children go last, in document order (stable sort).
                self.children
                    .sort_by_key(|child| std::cmp::Reverse(child.1));
                Ok(Sitemap::Index(
                    self.children.into_iter().map(|(loc, _)| loc).collect(),
                ))
            }
            None => Err(SourceError::Sitemap("no root element".into())),
        }
    }
}

/// An absolute URL with http(s) or the sitemap's own scheme (`file://` for offline dumps).
fn resolve(base: &Url, loc: &str) -> Option<String> {
    if loc.is_empty() {
        return None;
    }
    let url = base.join(loc).ok()?;
    (matches!(url.scheme(), "http" | "https") || url.scheme() == base.scheme()).then(|| url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn base() -> Url {
        Url::parse("https://example.com/sitemap.xml").unwrap()
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sources")
            .join(name);
        std::fs::read(path).unwrap()
    }

    fn urls(bytes: &[u8]) -> Vec<Link> {
        match parse(bytes, &base(), SH).unwrap() {
            Sitemap::Urls(links) => links,
            other => panic!("expected urlset, got {other:?}"),
        }
    }

    fn date(s: &str) -> Option<DateTime<FixedOffset>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap())
    }

    #[test]
    fn urlset() {
        let links = urls(&fixture("sitemap-urlset.xml"));
        assert_eq!(
            links,
            vec![
                Link {
                    url: "https://example.com/a/1.html".into(),
                    published: date("2025-02-10T07:02:16+08:00"),
                    thumbnail: Some("https://img.example.com/1.jpg".into()),
                    ..Link::default()
                },
                Link {
                    url: "https://example.com/a/2.html?x=1&y=2".into(),
                    published: date("2025-02-09T00:00:00+08:00"),
                    ..Link::default()
                },
                Link {
                    url: "https://example.com/a/3.html".into(),
                    ..Link::default()
                },
            ]
        );
    }

    #[test]
    fn google_news_sitemap() {
        let links = urls(&fixture("sitemap-news.xml"));
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[0].url,
            "https://news.example.com/2025/02/10/deepseek.html"
        );
        assert_eq!(
            links[0].title.as_deref(),
            Some("多行业引入 DeepSeek & 升级智能化")
        );
        // The news date wins over lastmod.
        assert_eq!(links[0].published, date("2025-02-10T07:02:16+08:00"));
        // Relative to the sitemap's own URL, like every loc.
        assert_eq!(
            links[0].thumbnail.as_deref(),
            Some("https://example.com/img/1.jpg")
        );
        assert_eq!(links[1].title.as_deref(), Some("Second <story>"));
        assert_eq!(links[1].published, date("2025-02-10T08:00:00+08:00"));
    }

    #[test]
    fn sitemap_index_newest_first() {
        let got = parse(&fixture("sitemap-index.xml"), &base(), SH).unwrap();
        assert_eq!(
            got,
            Sitemap::Index(vec![
                "https://example.com/sitemap-2025-02.xml".into(),
                "https://example.com/sitemap-2025-01.xml".into(),
                "https://example.com/sitemap-2024.xml".into(),
                "https://example.com/sitemap-undated-a.xml".into(),
                "https://example.com/sitemap-undated-b.xml".into(),
            ])
        );
    }

    #[test]
    fn bom_unprefixed_and_relative_locs() {
        let body =
            "\u{feff}<?xml version=\"1.0\"?><urlset><url><loc>\n  /a/1  \n</loc></url></urlset>";
        assert_eq!(urls(body.as_bytes())[0].url, "https://example.com/a/1");
    }

    #[test]
    fn doctype_entities_are_not_expanded() {
        let body = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY ext SYSTEM "file:///etc/passwd">
]>
<urlset><url><loc>https://example.com/&lol2;&ext;x</loc></url></urlset>"#;
        assert_eq!(urls(body)[0].url, "https://example.com/x");
    }

    #[test]
    fn not_a_sitemap() {
        for body in [
            &b"<html><body>hi</body></html>"[..],
            b"{\"a\":1}",
            b"",
            b"<rss version=\"2.0\"></rss>",
        ] {
            assert!(
                matches!(parse(body, &base(), SH), Err(SourceError::Sitemap(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn truncated_body_keeps_complete_entries() {
        let body = b"<urlset><url><loc>https://example.com/a</loc></url><url><loc>https://exa";
        let links = urls(body);
        assert_eq!(links.len(), 1);
        let broken = b"<urlset><url><loc>https://example.com/a</lo";
        assert!(
            matches!(parse(broken, &base(), SH), Err(SourceError::Sitemap(m)) if m.contains("at byte"))
        );
    }
}
