//! RSS 2.0 rendering with the `rss` crate, plus the extensions readers look for:
//! `atom:link rel=self` (and `rel=hub` for WebSub), `content:encoded` (full HTML),
//! `dc:creator`, Media RSS for thumbnails (`media:thumbnail`, `media:content`) beside the plain
//! `<enclosure>`, and the polling hints `<ttl>` and `sy:updatePeriod`/`sy:updateFrequency`.
//!
//! `guid` is `urn:agg:{id}` with `isPermaLink="false"`: see [`super::text::entry_id`].
use super::text;
use super::{Feed, Format, Site, cadence};
use crate::model::FeedItem;
use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::syndication::{self, SyndicationExtension};
use rss::extension::{Extension, ExtensionMap};
use std::collections::BTreeMap;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";

/// Renders one feed as an RSS 2.0 document.
pub fn render(feed: &Feed<'_>, site: &Site) -> Result<Vec<u8>, rss::Error> {
    let mut namespaces = BTreeMap::from([
        ("atom".to_string(), ATOM_NS.to_string()),
        ("media".to_string(), MEDIA_NS.to_string()),
    ]);
    let mut links = vec![element(
        "atom:link",
        &[
            ("href", &feed.url(site, Format::Rss)),
            ("rel", "self"),
            ("type", Format::Rss.mime()),
        ],
    )];
    if let Some(hub) = &site.hub {
        links.push(element("atom:link", &[("href", hub), ("rel", "hub")]));
    }
    let syndication_ext = site.update_interval.map(|interval| {
        namespaces.insert("sy".into(), syndication::NAMESPACE.into());
        let (period, frequency) = cadence::syndication(interval);
        SyndicationExtension {
            period,
            frequency,
            base: "2000-01-01T00:00:00+00:00".into(),
        }
    });
    let channel = rss::Channel {
        title: feed.title.clone(),
        link: site.home(),
        description: feed.description.clone(),
        language: feed.language(site),
        last_build_date: Some(feed.updated().to_rfc2822()),
        generator: Some("agg".into()),
        docs: Some("https://www.rssboard.org/rss-specification".into()),
        ttl: site
            .update_interval
            .map(|i| cadence::ttl_minutes(i).to_string()),
        image: site.logo.as_ref().map(|url| rss::Image {
            url: url.clone(),
            title: feed.title.clone(),
            link: site.home(),
            ..Default::default()
        }),
        items: feed.items.iter().map(|i| item(i)).collect(),
        namespaces,
        extensions: extension_map("atom", "link", links),
        syndication_ext,
        ..Default::default()
    };
    let mut out = hex_char_refs(&channel.pretty_write_to(Vec::new(), b' ', 2)?);
    out.push(b'\n');
    Ok(out)
}

/// Rewrites `&amp;` and `&lt;` outside CDATA sections as `&#x26;` and `&#x3C;`: the same XML,
/// but the RSS Best Practices Profile (and the W3C validator) read a named entity in a plain
/// text element such as `<title>AT&amp;T</title>` as possible HTML, and a hexadecimal reference
/// as plain text.
fn hex_char_refs(xml: &[u8]) -> Vec<u8> {
    const OPEN: &[u8] = b"<![CDATA[";
    const CLOSE: &[u8] = b"]]>";
    let mut out = Vec::with_capacity(xml.len() + 64);
    let mut rest = xml;
    while let Some(i) = rest.iter().position(|&b| b == b'&' || b == b'<') {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i..];
        let (copy, skip): (&[u8], usize) = if rest.starts_with(OPEN) {
            let end = find(rest, CLOSE).map_or(rest.len(), |i| i + CLOSE.len());
            (&rest[..end], end)
        } else if rest.starts_with(b"&amp;") {
            (b"&#x26;", 5)
        } else if rest.starts_with(b"&lt;") {
            (b"&#x3C;", 4)
        } else {
            (&rest[..1], 1)
        };
        out.extend_from_slice(copy);
        rest = &rest[skip..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn item(item: &FeedItem) -> rss::Item {
    let content = text::xml_safe(&item.content_html);
    let mut extensions = ExtensionMap::new();
    let mut enclosure = None;
    if let Some(thumb) = text::thumbnail(item) {
        let thumb = thumb.as_str();
        let mime = text::image_mime(thumb);
        enclosure = Some(rss::Enclosure {
            url: thumb.to_string(),
            length: "0".into(),
            mime_type: mime.into(),
        });
        let media = BTreeMap::from([
            (
                "thumbnail".to_string(),
                vec![element("media:thumbnail", &[("url", thumb)])],
            ),
            (
                "content".to_string(),
                vec![element(
                    "media:content",
                    &[("url", thumb), ("medium", "image"), ("type", mime)],
                )],
            ),
        ]);
        extensions.insert("media".into(), media);
    }
    rss::Item {
        title: Some(text::item_title(item)),
        link: text::item_link(item),
        // Readers treat `description` as HTML, so the plain-text summary is escaped once more
        // or a "<b>" in a headline would turn into markup.
        description: Some(text::html_escape(&text::item_summary(item))),
        content: (!content.trim().is_empty()).then_some(content),
        guid: Some(rss::Guid {
            value: text::entry_id(item),
            permalink: false,
        }),
        pub_date: Some(text::item_published(item).to_rfc2822()),
        categories: text::item_terms(item)
            .into_iter()
            .map(|name| rss::Category { name, domain: None })
            .collect(),
        enclosure,
        dublin_core_ext: text::item_author(item).map(|a| DublinCoreExtension {
            creators: vec![a],
            ..Default::default()
        }),
        extensions,
        ..Default::default()
    }
}

/// An empty namespaced element with attributes (the `rss` crate sorts them by name).
fn element(name: &str, attrs: &[(&str, &str)]) -> Extension {
    Extension {
        name: name.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

fn extension_map(prefix: &str, name: &str, elements: Vec<Extension>) -> ExtensionMap {
    BTreeMap::from([(
        prefix.to_string(),
        BTreeMap::from([(name.to_string(), elements)]),
    )])
}

#[cfg(test)]
mod tests {
    use super::hex_char_refs;

    #[test]
    fn plain_text_entities_become_hex_references_and_cdata_is_untouched() {
        let xml = b"<title>AT&amp;T &lt;b&gt;</title><x a=\"1&amp;2\"/>\
<d><![CDATA[<p>&amp; &lt;</p>]]></d><t>&amp;</t>";
        let out = String::from_utf8(hex_char_refs(xml)).unwrap();
        assert_eq!(
            out,
            "<title>AT&#x26;T &#x3C;b&gt;</title><x a=\"1&#x26;2\"/>\
<d><![CDATA[<p>&amp; &lt;</p>]]></d><t>&#x26;</t>"
        );
    }
}
