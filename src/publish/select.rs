//! Which feeds exist and what goes in each: everything, one feed per category, one per tag,
//! each newest first and cut to the configured length.
//!
//! Category and tag names are cleaned and slugged here; names that share a slug ("Rust",
//! "rust") are one feed, so case variants in the sources do not split a topic.
use super::text;
use super::{Feed, Site};
use crate::model::FeedItem;
use std::collections::BTreeMap;

/// The feed of everything, then one per category and one per tag, ordered by slug.
///
/// Names that share a slug ("Rust", "rust") are one feed; its title uses the smallest of those
/// names, so it does not flip between runs.
pub fn feeds<'a>(items: &'a [FeedItem], site: &Site, limit: usize) -> Vec<Feed<'a>> {
    let all = Feed {
        dir: String::new(),
        title: site.title.clone(),
        description: site
            .description
            .clone()
            .unwrap_or_else(|| format!("Latest news from {}", site.title)),
        items: items.iter().take(limit).collect(),
    };
    let mut feeds = vec![all];
    for (folder, pick) in [
        (
            "categories",
            (|i| &i.categories) as fn(&FeedItem) -> &Vec<String>,
        ),
        ("tags", |i| &i.tags),
    ] {
        let mut groups: BTreeMap<String, (String, Vec<&FeedItem>)> = BTreeMap::new();
        for item in items {
            let mut seen: Vec<String> = Vec::new();
            for name in pick(item) {
                let name = text::one_line(name);
                if name.is_empty() {
                    continue;
                }
                let slug = crate::slug::slugify(&name);
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
            let (title, description) = if folder == "tags" {
                (
                    format!("{}: #{name}", site.title),
                    format!("Items tagged “{name}” on {}", site.title),
                )
            } else {
                (
                    format!("{}: {name}", site.title),
                    format!("Items in “{name}” on {}", site.title),
                )
            };
            feeds.push(Feed {
                dir: format!("{folder}/{slug}/"),
                title,
                description,
                items,
            });
        }
    }
    feeds
}
