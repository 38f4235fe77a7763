//! Which feeds exist and what goes in each: everything, one feed per category, one per tag,
//! each newest first and cut to the configured length.
//!
//! Category and tag names are cleaned and slugged here; names that share a slug ("Rust",
//! "rust") are one feed, so case variants in the sources do not split a topic.
use super::corpus::{FeedKey, FeedKind, term};
use super::{Feed, Site};
use crate::model::FeedItem;
use std::collections::BTreeMap;

/// The feed of everything, then one per category and one per tag, ordered by slug.
///
/// Names that share a slug ("Rust", "rust") are one feed; its title uses the smallest of those
/// names, so it does not flip between runs.
pub fn feeds<'a>(items: &'a [FeedItem], site: &Site, limit: usize) -> Vec<Feed<'a>> {
    let all = feed(
        &FeedKey::all(),
        "",
        items.iter().take(limit).collect(),
        site,
    );
    let mut feeds = vec![all];
    for (kind, pick) in [
        (
            FeedKind::Category,
            (|i| &i.categories) as fn(&FeedItem) -> &Vec<String>,
        ),
        (FeedKind::Tag, |i| &i.tags),
    ] {
        let mut groups: BTreeMap<String, (String, Vec<&FeedItem>)> = BTreeMap::new();
        for item in items {
            let mut seen: Vec<String> = Vec::new();
            for name in pick(item) {
                let Some((name, slug)) = term(name) else {
                    continue;
                };
                if seen.contains(&slug) {
                    continue;
                }
                let group = groups
                    .entry(slug.clone())
                    .or_insert_with(|| (name.clone(), Vec::new()));
                if name < group.0 {
                    group.0 = name;
                }
                if group.1.len() < limit {
                    group.1.push(item);
                }
                seen.push(slug);
            }
        }
        for (slug, (name, items)) in groups {
            feeds.push(feed(&FeedKey { kind, slug }, &name, items, site));
        }
    }
    feeds
}

/// One feed's documents: its folder, title and description (from `name`, the smallest of its
/// category's or tag's names; unused for the main feed) and its items, newest first.
pub fn feed<'a>(key: &FeedKey, name: &str, items: Vec<&'a FeedItem>, site: &Site) -> Feed<'a> {
    let (title, description) = match key.kind {
        FeedKind::All => (
            site.title.clone(),
            site.description
                .clone()
                .unwrap_or_else(|| format!("Latest news from {}", site.title)),
        ),
        FeedKind::Tag => (
            format!("{}: #{name}", site.title),
            format!("Items tagged “{name}” on {}", site.title),
        ),
        FeedKind::Category => (
            format!("{}: {name}", site.title),
            format!("Items in “{name}” on {}", site.title),
        ),
    };
    Feed {
        dir: key.dir(),
        kind: key.kind,
        name: name.to_owned(),
        title,
        description,
        items,
    }
}
