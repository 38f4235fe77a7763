//! Atom 1.0 (RFC 4287) rendering with `atom_syndication`.
//!
//! The feed id is its absolute self URL (stable as long as the site stays where it is); entry
//! ids are `urn:agg:{id}` like the RSS guids. The site is the feed-level author, because
//! RFC 4287 requires an author for every entry and many articles have none. `xml:lang` is the
//! language the entries share (none when they differ); `icon`/`logo` the site's images; a
//! `rel=hub` link the WebSub hub.
use super::text;
use super::{Feed, Format, Site};
use crate::model::FeedItem;
use atom_syndication::{Category, Content, Entry, Generator, Link, Person, Text, WriteConfig};

/// Renders one feed as an Atom 1.0 document.
pub fn render(feed: &Feed<'_>, site: &Site) -> Result<Vec<u8>, atom_syndication::Error> {
    let self_url = feed.url(site, Format::Atom);
    let doc = atom_syndication::Feed {
        title: Text::plain(feed.title.clone()),
        id: self_url.clone(),
        updated: feed.updated(),
        authors: vec![person(&site.title)],
        generator: Some(Generator {
            value: "agg".into(),
            uri: None,
            version: None,
        }),
        links: feed_links(&self_url, site),
        icon: site.icon.clone(),
        logo: site.logo.clone(),
        subtitle: Some(Text::plain(feed.description.clone())),
        entries: feed.items.iter().map(|i| entry(i, site)).collect(),
        lang: feed.language(site),
        ..Default::default()
    };
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut out = doc.write_with_config(Vec::new(), config)?;
    out.push(b'\n');
    Ok(out)
}

/// `self`, the site as `alternate`, and the WebSub hub when there is one.
fn feed_links(self_url: &str, site: &Site) -> Vec<Link> {
    let mut links = vec![
        link(self_url, "self", Format::Atom.mime()),
        link(&site.home(), "alternate", "text/html"),
    ];
    if let Some(hub) = &site.hub {
        links.push(Link {
            href: hub.clone(),
            rel: "hub".into(),
            ..Default::default()
        });
    }
    links
}

fn entry(item: &FeedItem, site: &Site) -> Entry {
    // RFC 4287 wants an alternate link on an entry that may lack content: an article without a
    // web address (a local file) points at the site.
    let href = text::item_link(item).unwrap_or_else(|| site.home());
    let mut links = vec![link(&href, "alternate", "text/html")];
    if let Some(thumb) = text::thumbnail(item) {
        links.push(link(&thumb, "enclosure", text::image_mime(&thumb)));
    }
    let content = text::xml_safe(&item.content_html);
    Entry {
        title: Text::plain(text::item_title(item)),
        id: text::entry_id(item),
        updated: text::item_updated(item),
        published: Some(text::item_published(item)),
        authors: text::item_author(item)
            .map(|a| vec![person(&a)])
            .unwrap_or_default(),
        categories: text::item_terms(item)
            .into_iter()
            .map(|term| Category {
                term,
                ..Default::default()
            })
            .collect(),
        links,
        summary: Some(Text::plain(text::item_summary(item))),
        content: (!content.trim().is_empty()).then(|| Content {
            content_type: Some("html".into()),
            value: Some(content),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn link(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.into(),
        rel: rel.into(),
        mime_type: Some(mime.into()),
        ..Default::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.into(),
        ..Default::default()
    }
}
