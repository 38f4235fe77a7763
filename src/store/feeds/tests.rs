//! The feed index: migration of older stores, dirty marks on update and deletion.
use super::*;

fn item(id: &str, ts: i64, categories: &[&str], tags: &[&str]) -> StoredItem {
    let d = DateTime::from_timestamp(ts, 0).unwrap().fixed_offset();
    StoredItem {
        id: id.into(),
        source: "s".into(),
        url: format!("https://x/{id}"),
        title: format!("t{id}"),
        summary: String::new(),
        content_html: String::new(),
        path: format!("content/s/{id}.md"),
        published: d,
        updated: d,
        first_seen: d,
        author: None,
        thumbnail: None,
        categories: categories.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        lang: None,
        content_hash: "h".into(),
    }
}

fn ids(items: Vec<FeedItem>) -> Vec<String> {
    items.into_iter().map(|i| i.id).collect()
}

#[test]
fn a_store_from_before_the_feed_index_is_indexed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agg.db");
    let store = Store::open(&path).unwrap();
    store
        .put_item(&item("a", 100, &["Tech"], &["rust", "Rust"]), &[])
        .unwrap();
    store
        .put_item(&item("b", 200, &["tech"], &["  "]), &[])
        .unwrap();
    drop(store);
    // What an older agg left: items only, and no numbered migration.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE item_terms; DROP TABLE feed_meta; DROP TABLE feed_dirty;
         PRAGMA user_version = 0;",
    )
    .unwrap();
    drop(conn);

    let store = Store::open(&path).unwrap();
    store.refresh_feed_topics().unwrap();
    let topics = store.topics().unwrap();
    let names: Vec<_> = topics.iter().map(|(k, n)| (k.dir(), n.as_str())).collect();
    assert_eq!(
        names,
        [
            ("categories/tech/".into(), "Tech"),
            ("tags/rust/".into(), "rust")
        ]
    );
    let tech = &topics[0].0;
    assert_eq!(ids(store.newest(tech, 10, true).unwrap()), ["b", "a"]);
    assert_eq!(ids(store.newest(tech, 1, false).unwrap()), ["b"]);
    assert_eq!(
        ids(store.newest(&FeedKey::all(), 10, true).unwrap()),
        ["b", "a"]
    );
}

#[test]
fn updates_and_deletions_mark_old_and_new_feeds_dirty() {
    let store = Store::memory().unwrap();
    store
        .put_item(&item("a", 100, &["c1"], &["t1"]), &[])
        .unwrap();
    let dirty = store.dirty_feeds().unwrap();
    store.clear_dirty_feeds(&dirty).unwrap();
    assert_eq!(store.dirty_feeds().unwrap().keys, []);

    store
        .put_item(&item("a", 100, &["c2"], &["t1"]), &[])
        .unwrap();
    let dirs: Vec<_> = store
        .dirty_feeds()
        .unwrap()
        .keys
        .iter()
        .map(FeedKey::dir)
        .collect();
    assert_eq!(dirs, ["", "categories/c1/", "categories/c2/", "tags/t1/"]);
    assert_eq!(
        store
            .topic(&FeedKey {
                kind: FeedKind::Category,
                slug: "c1".into()
            })
            .unwrap(),
        None
    );

    let read = store.dirty_feeds().unwrap();
    store
        .tombstone("k", "https://x/a", Some("a"), "forgotten")
        .unwrap();
    store.clear_dirty_feeds(&read).unwrap();
    // Marked after the read: kept.
    let dirs: Vec<_> = store
        .dirty_feeds()
        .unwrap()
        .keys
        .iter()
        .map(FeedKey::dir)
        .collect();
    assert_eq!(dirs, ["", "categories/c2/", "tags/t1/"]);
    assert_eq!(store.topics().unwrap(), []);
}
