//! JSON Feed 1.1 rendering (<https://jsonfeed.org/version/1.1>) with `serde_json`.
//!
//! `serde_json` objects keep their keys sorted, so the bytes depend on the content only.
use super::text;
use super::{Feed, Format, Site};
use crate::model::FeedItem;
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

/// Renders one feed as a JSON Feed 1.1 document.
pub fn render(feed: &Feed<'_>, site: &Site) -> Result<Vec<u8>, serde_json::Error> {
    let mut doc = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "description": feed.description,
        "home_page_url": site.home(),
        "feed_url": feed.url(site, Format::Json),
        "authors": [{ "name": site.title }],
        "items": feed.items.iter().map(|i| item(i)).collect::<Vec<_>>(),
    });
    if let Some(lang) = feed.language(site) {
        doc["language"] = json!(lang);
    }
    if let Some(logo) = &site.logo {
        doc["icon"] = json!(logo);
    }
    if let Some(icon) = &site.icon {
        doc["favicon"] = json!(icon);
    }
    if let Some(hub) = &site.hub {
        doc["hubs"] = json!([{ "type": "WebSub", "url": hub }]);
    }
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

fn item(item: &FeedItem) -> Value {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(text::entry_id(item)));
    if let Some(link) = text::item_link(item) {
        obj.insert("url".into(), json!(link));
    }
    obj.insert("title".into(), json!(text::item_title(item)));
    obj.insert("summary".into(), json!(text::item_summary(item)));
    let content = text::xml_safe(&item.content_html);
    // The spec requires content_html or content_text; the summary stands in when the body is
    // empty.
    if content.trim().is_empty() {
        obj.insert("content_text".into(), json!(text::item_summary(item)));
    } else {
        obj.insert("content_html".into(), json!(content));
    }
    let date =
        |d: chrono::DateTime<chrono::FixedOffset>| d.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    obj.insert(
        "date_published".into(),
        json!(date(text::item_published(item))),
    );
    obj.insert(
        "date_modified".into(),
        json!(date(text::item_updated(item))),
    );
    if let Some(thumb) = text::thumbnail(item) {
        obj.insert("image".into(), json!(thumb));
    }
    if let Some(author) = text::item_author(item) {
        obj.insert("authors".into(), json!([{ "name": author }]));
    }
    let terms = text::item_terms(item);
    if !terms.is_empty() {
        obj.insert("tags".into(), json!(terms));
    }
    if let Some(lang) = item.lang.as_deref().map(text::one_line)
        && !lang.is_empty()
    {
        obj.insert("language".into(), json!(lang));
    }
    Value::Object(obj)
}
