//! The SQLite store's schema, built by numbered migrations: `PRAGMA user_version` holds the
//! last one applied, and each runs once, in one transaction, in order.
//!
//! Version 1 is the schema of every store created before migrations were numbered (its
//! statements create only what is missing), plus the two indexes such a store may lack: the
//! feed index (`item_terms`) and the content folders (`content_dirs`), filled from the
//! stored items. A new version is a new entry at the end, never an edit of an old one.

use rusqlite::{Connection, TransactionBehavior};

use super::super::db::{Lite, Sql, p};
use super::super::{StoreError, dedup, feeds};

/// Fills in data after a migration's statements.
type Fill = fn(&mut dyn Sql) -> Result<(), StoreError>;

/// One step of the schema.
struct Migration {
    version: i64,
    sql: &'static str,
    fill: Option<Fill>,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: V1,
    fill: Some(fill_v1),
}];

/// Applies the migrations the store has not seen, under an immediate transaction (two
/// processes opening one new store migrate it once).
pub(super) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for m in MIGRATIONS.iter().filter(|m| m.version > done) {
        tx.execute_batch(m.sql)?;
        if let Some(fill) = m.fill {
            fill(&mut Lite(&tx))?;
        }
        tx.pragma_update(None, "user_version", m.version)?;
        if done > 0 {
            tracing::info!(version = m.version, "store migrated");
        }
    }
    Ok(tx.commit()?)
}

/// Fills the feed index and the content folders from the stored items, once (a store from
/// before either).
fn fill_v1(tx: &mut dyn Sql) -> Result<(), StoreError> {
    let terms = tx.one(
        "SELECT value FROM feed_meta WHERE key = 'terms'",
        p![],
        |r| r.get::<String>(0),
    )?;
    if terms.is_none() {
        let rows: Vec<(String, String, String)> =
            tx.all("SELECT id, categories, tags FROM items", p![], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        for (id, categories, tags) in &rows {
            let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
            feeds::index_item(tx, id, &list(categories), &list(tags))?;
        }
        tx.exec(
            "INSERT INTO feed_meta(key, value) VALUES ('terms', '1')",
            p![],
        )?;
        if !rows.is_empty() {
            tracing::info!(items = rows.len(), "feed index built from stored items");
        }
    }
    dedup::index_content_dirs(tx)
}

const V1: &str = "
-- Items, the URLs seen and per-source state.
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,
    path TEXT NOT NULL,
    published TEXT NOT NULL,
    published_ts INTEGER NOT NULL,
    updated TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    author TEXT,
    thumbnail TEXT,
    categories TEXT NOT NULL,
    tags TEXT NOT NULL,
    lang TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_published ON items(published_ts DESC, id);
-- Covers the per-run scan for deleted Markdown files (id, url, path): without it that scan
-- reads every row's body, i.e. the whole database.
CREATE INDEX IF NOT EXISTS items_files ON items(path, id, url);
CREATE TABLE IF NOT EXISTS seen (
    url TEXT PRIMARY KEY,
    item_id TEXT,
    first_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_run TEXT,
    last_ok TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
-- Dedup: fingerprints, alternates, tombstones, item validators, content folders.
CREATE TABLE IF NOT EXISTS fingerprints (
    item_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    simhash INTEGER
);
CREATE TABLE IF NOT EXISTS fingerprint_bands (
    band INTEGER NOT NULL,
    value INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (band, value, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paragraphs (
    source TEXT NOT NULL,
    hash INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (source, hash, item_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS paragraphs_hash ON paragraphs(hash);
-- Re-fingerprinting an item deletes its rows first: without these that delete reads the whole
-- table, once per stored item.
CREATE INDEX IF NOT EXISTS paragraphs_item ON paragraphs(item_id);
CREATE INDEX IF NOT EXISTS fingerprint_bands_item ON fingerprint_bands(item_id);
CREATE TABLE IF NOT EXISTS sketches (
    item_id TEXT PRIMARY KEY,
    total INTEGER NOT NULL,
    entries BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS alternates (
    url TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT,
    distance INTEGER NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alternates_item ON alternates(item_id);
CREATE TABLE IF NOT EXISTS tombstones (
    key TEXT PRIMARY KEY,
    item_id TEXT,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_item ON tombstones(item_id);
CREATE TABLE IF NOT EXISTS item_validators (
    item_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- Every folder holding items' Markdown files, with its modification time (ns since the epoch)
-- when last checked for deleted files; NULL until checked. (SQLite only: a shared PostgreSQL
-- store never checks, its deletions go through `agg forget`.)
CREATE TABLE IF NOT EXISTS content_dirs (dir TEXT PRIMARY KEY, mtime_ns INTEGER);
-- Run history, extraction health, host pauses, health alerts.
CREATE TABLE IF NOT EXISTS runs (
    source TEXT NOT NULL,
    finished TEXT NOT NULL,
    finished_ts INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    new INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS runs_source ON runs(source, finished_ts DESC);
CREATE TABLE IF NOT EXISTS item_health (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    seen_ts INTEGER NOT NULL,
    has_title INTEGER NOT NULL,
    has_date INTEGER NOT NULL,
    has_thumbnail INTEGER NOT NULL,
    body_chars INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS item_health_source ON item_health(source, seen_ts DESC);
CREATE TABLE IF NOT EXISTS host_pauses (
    host TEXT PRIMARY KEY,
    until_ts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS health_alerts (
    source TEXT PRIMARY KEY,
    alert TEXT NOT NULL
);
-- The feed index: which items are in which feed, and which feeds changed.
CREATE TABLE IF NOT EXISTS item_terms (
    kind INTEGER NOT NULL,
    slug TEXT NOT NULL,
    item_id TEXT NOT NULL,
    name TEXT NOT NULL,
    published_ts INTEGER NOT NULL,
    PRIMARY KEY (kind, slug, item_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS item_terms_newest ON item_terms(kind, slug, published_ts DESC, item_id);
CREATE INDEX IF NOT EXISTS item_terms_item ON item_terms(item_id);
CREATE TABLE IF NOT EXISTS feed_topics (
    kind INTEGER NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (kind, slug)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_dirty (
    seq INTEGER PRIMARY KEY,
    kind INTEGER NOT NULL,
    slug TEXT NOT NULL,
    UNIQUE (kind, slug)
);
CREATE TABLE IF NOT EXISTS feed_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS items_deleted_leave_feeds AFTER DELETE ON items BEGIN
    INSERT OR REPLACE INTO feed_dirty(kind, slug)
        SELECT kind, slug FROM item_terms WHERE item_id = old.id;
    INSERT OR REPLACE INTO feed_dirty(kind, slug) VALUES (0, '');
    DELETE FROM item_terms WHERE item_id = old.id;
END;
CREATE TRIGGER IF NOT EXISTS feed_dirty_generation AFTER INSERT ON feed_dirty BEGIN
    -- No conflict possible: the marking statement's OR REPLACE would apply here too.
    INSERT INTO feed_meta(key, value) SELECT 'generation', '0'
        WHERE NOT EXISTS (SELECT 1 FROM feed_meta WHERE key = 'generation');
    UPDATE feed_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
-- Marking a feed that is already dirty moves its seq: a change too.
CREATE TRIGGER IF NOT EXISTS feed_dirty_generation_again AFTER UPDATE OF seq ON feed_dirty BEGIN
    INSERT INTO feed_meta(key, value) SELECT 'generation', '0'
        WHERE NOT EXISTS (SELECT 1 FROM feed_meta WHERE key = 'generation');
    UPDATE feed_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
END;
";
