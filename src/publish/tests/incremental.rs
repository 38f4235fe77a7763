//! Publishing from the store's feed index: the same bytes as publishing every item from memory,
//! and a run that adds or removes one item rewrites only that item's feeds (plus the main feed,
//! the index and OPML).
use super::*;
use crate::store::{Store, StoredItem};
use std::collections::BTreeMap;

fn stored(i: &FeedItem) -> StoredItem {
    StoredItem {
        id: i.id.clone(),
        source: i.source.clone(),
        url: i.url.clone(),
        title: i.title.clone(),
        summary: i.summary.clone(),
        content_html: i.content_html.clone(),
        path: format!("content/{}.md", i.id),
        published: i.published,
        updated: i.updated,
        first_seen: i.published,
        author: i.author.clone(),
        thumbnail: i.thumbnail.clone(),
        categories: i.categories.clone(),
        tags: i.tags.clone(),
        lang: i.lang.clone(),
        content_hash: "h".into(),
    }
}

fn store_of(items: &[FeedItem]) -> Store {
    let store = Store::memory().unwrap();
    for i in items {
        store.put_item(&stored(i), &[i.url.as_str()]).unwrap();
    }
    store
}

/// Every file under `dir`, relative path to bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// What a run does: publish the dirty feeds, then clear them.
fn publish_dirty(store: &Store, dir: &Path, items: usize) -> PublishReport {
    let dirty = store.dirty_feeds().unwrap();
    let report = publish_from(store, Scope::Only(&dirty.keys), &site(), &opts(items), dir).unwrap();
    store.clear_dirty_feeds(&dirty).unwrap();
    report
}

/// Compares two folders' files, naming the first file and line that differ.
fn assert_same_files(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
    limit: usize,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "limit {limit}"
    );
    for (name, bytes) in got {
        let (g, w) = (
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(&want[name]),
        );
        if let Some((a, b)) = g.lines().zip(w.lines()).find(|(a, b)| a != b) {
            panic!("limit {limit}: {name} differs:\n  got:  {a}\n  want: {b}");
        }
        assert_eq!(
            g.lines().count(),
            w.lines().count(),
            "limit {limit}: {name}"
        );
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn store_publishing_matches_publishing_from_memory_byte_for_byte() {
    for limit in [1, 3, 10] {
        let (memory, indexed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        publish(&sample_items(), &site(), &opts(limit), memory.path()).unwrap();
        let store = store_of(&sample_items());
        store.refresh_feed_topics().unwrap();
        publish_from(&store, Scope::All, &site(), &opts(limit), indexed.path()).unwrap();
        assert_same_files(&files(indexed.path()), &files(memory.path()), limit);
    }
}

#[test]
fn adding_one_item_rewrites_only_its_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(&sample_items());
    store.refresh_feed_topics().unwrap();
    publish_from(&store, Scope::All, &site(), &opts(3), dir.path()).unwrap();
    store
        .clear_dirty_feeds(&store.dirty_feeds().unwrap())
        .unwrap();
    assert_eq!(
        publish_dirty(&store, dir.path(), 3),
        PublishReport::default()
    );

    let new = item(
        "aaaa000011112222",
        "New chip",
        "2025-02-12T08:00:00+00:00",
        &["Tech"],
        &["新"],
    );
    store.put_item(&stored(&new), &[new.url.as_str()]).unwrap();
    let report = publish_dirty(&store, dir.path(), 3);
    assert_eq!(
        sorted(report.written),
        [
            "atom.xml",
            "categories/tech/atom.xml",
            "categories/tech/feed.json",
            "categories/tech/rss.xml",
            "feed.json",
            "index.html",
            "opml.xml",
            "rss.xml",
            "tags/新/atom.xml",
            "tags/新/feed.json",
            "tags/新/rss.xml",
        ]
    );
    // Only those feeds were rendered (3 feeds x 3 formats, index, OPML): none left unchanged.
    assert_eq!(report.unchanged, 0);

    // The same bytes as a full publish of all the items from memory.
    let mut all = sample_items();
    all.insert(0, new);
    let fresh = tempfile::tempdir().unwrap();
    publish(&all, &site(), &opts(3), fresh.path()).unwrap();
    assert_eq!(files(dir.path()), files(fresh.path()));
}

#[test]
fn a_forgotten_item_leaves_its_feeds_and_an_emptied_feed_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_of(&sample_items());
    store.refresh_feed_topics().unwrap();
    publish_from(&store, Scope::All, &site(), &opts(10), dir.path()).unwrap();
    store
        .clear_dirty_feeds(&store.dirty_feeds().unwrap())
        .unwrap();

    // Item c is the only one in category 国际 and the only one tagged "../../etc".
    let c = &sample_items()[2];
    store
        .tombstone("k", &c.url, Some(&c.id), "forgotten")
        .unwrap();
    let report = publish_dirty(&store, dir.path(), 10);
    assert_eq!(
        sorted(report.removed),
        [
            "categories/国际/atom.xml",
            "categories/国际/feed.json",
            "categories/国际/rss.xml",
            "tags/etc/atom.xml",
            "tags/etc/feed.json",
            "tags/etc/rss.xml",
        ]
    );
    assert!(!dir.path().join("tags/etc").exists());
    for rel in ["rss.xml", "tags/电影/rss.xml", "index.html", "opml.xml"] {
        let text = fs::read_to_string(dir.path().join(rel)).unwrap_or_default();
        assert!(
            !text.contains(&c.id),
            "{rel} still lists the forgotten item"
        );
    }
    assert!(report.written.contains(&"tags/电影/atom.xml".to_string()));
    assert!(!report.written.iter().any(|w| w.starts_with("tags/rust/")));

    let mut rest = sample_items();
    rest.remove(2);
    let fresh = tempfile::tempdir().unwrap();
    publish(&rest, &site(), &opts(10), fresh.path()).unwrap();
    assert_eq!(files(dir.path()), files(fresh.path()));
}
