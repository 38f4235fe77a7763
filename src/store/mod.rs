//! The store: embedded SQLite (WAL mode) holding items, the URLs already seen and per-source
//! state. It is the only state shared between runs; everything else is derived from it.
//! The dedup tables (fingerprints, alternates, tombstones, item validators) live in `dedup`.
//!
//! Order of effects (see `pipeline`): the Markdown file is written atomically first, then the
//! item is committed here, so a crash in between re-emits the same bytes to the same path. (The
//! duplicate decision before them only reserves the story in memory: nothing of it is stored
//! before the file is written.)

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use db::p;

pub use crate::model::{SourceState, StoredItem};

pub(crate) mod db;
mod dedup;
mod feeds;
mod health;
mod postgres;

pub use feeds::DirtyFeeds;

pub use health::{HealthShares, ItemHealth, RunRecord};

pub use postgres::{LOCK_DECIDE, LOCK_PUBLISH, Lease, SharedLock, redact};

pub use dedup::{Alternate, DuplicateGroup, file_deleted};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create folder for store {path}: {source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("store query failed: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("postgres store: {0}")]
    Pg(#[from] ::postgres::Error),
    #[error("postgres store {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: ::postgres::Error,
    },
    #[error("postgres store TLS: {0}")]
    Tls(String),
    #[error("postgres store: the connection was lost while a shared lock was held")]
    LockLost,
    #[error("postgres store: waited {secs} s for shared lock {key} held by another worker")]
    LockTimeout { key: i64, secs: u64 },
    #[error("store holds a bad value: {0}")]
    Corrupt(String),
}

pub struct Store {
    db: db::Db,
    /// Serialises duplicate decisions across workers sharing a PostgreSQL store.
    shared: bool,
}

const SCHEMA: &str = "
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
";

impl Store {
    /// Connects to the PostgreSQL store at `url` (migrating it if needed): shared by workers.
    pub fn postgres(url: &str) -> Result<Store, StoreError> {
        postgres::open(url, None)
    }

    /// [`Store::postgres`], also trusting the CA certificates in `ca_file` (PEM) for TLS.
    pub fn postgres_with(url: &str, ca_file: Option<&Path>) -> Result<Store, StoreError> {
        postgres::open(url, ca_file)
    }

    /// Opens (creating if needed) the SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: path.display().to_string(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        Self::create_sqlite(&mut conn).map_err(|e| match e {
            StoreError::Query(source) => open_err(source),
            e => e,
        })?;
        Ok(Store::from_db(db::Db::sqlite(conn), false))
    }

    /// An in-memory store (tests, `agg extract`).
    pub fn memory() -> Result<Store, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        Self::create_sqlite(&mut conn)?;
        Ok(Store::from_db(db::Db::sqlite(conn), false))
    }

    fn create_sqlite(conn: &mut Connection) -> Result<(), StoreError> {
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(dedup::SCHEMA)?;
        conn.execute_batch(health::SCHEMA)?;
        conn.execute_batch(feeds::SCHEMA)?;
        feeds::migrate(conn)
    }

    fn from_db(db: db::Db, shared: bool) -> Store {
        Store { db, shared }
    }

    /// Whether several workers share this store (PostgreSQL): sources are claimed with leases
    /// and duplicate decisions are serialised in the database.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// Whether `url` was seen before; returns the item it led to, if any.
    pub fn seen(&self, url: &str) -> Result<Option<Option<String>>, StoreError> {
        self.db.with(|c| {
            c.one("SELECT item_id FROM seen WHERE url = ?1", p![url], |r| {
                r.get(0)
            })
        })
    }

    /// Records `url` as seen (leading to `item_id`, or to nothing for an unusable page).
    pub fn mark_seen(&self, url: &str, item_id: Option<&str>) -> Result<(), StoreError> {
        self.db.with(|c| {
            c.exec(
                "INSERT INTO seen(url, item_id, first_seen) VALUES (?1, ?2, ?3)
                 ON CONFLICT(url) DO UPDATE SET item_id = COALESCE(excluded.item_id, seen.item_id)",
                p![url, item_id, Utc::now().to_rfc3339()],
            )
        })?;
        Ok(())
    }

    pub fn item(&self, id: &str) -> Result<Option<StoredItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE id = ?1");
        let row = self.db.with(|c| c.one(&sql, p![id], row_to_raw))?;
        row.map(RawRow::into_item).transpose()
    }

    /// Inserts or replaces an item and marks all of `urls` as seen leading to it, in one
    /// transaction.
    pub fn put_item(&self, item: &StoredItem, urls: &[&str]) -> Result<(), StoreError> {
        let published = item.published.to_rfc3339();
        let updated = item.updated.to_rfc3339();
        let first_seen = item.first_seen.to_rfc3339();
        let categories = serde_json::to_string(&item.categories).expect("strings serialize");
        let tags = serde_json::to_string(&item.tags).expect("strings serialize");
        let now = Utc::now().to_rfc3339();
        self.db.tx(|tx| {
            tx.exec(
                "INSERT INTO items(id, source, url, title, summary, content_html, path, published, published_ts,
                    updated, first_seen, author, thumbnail, categories, tags, lang, content_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT(id) DO UPDATE SET title = excluded.title, summary = excluded.summary,
                    content_html = excluded.content_html, path = excluded.path, updated = excluded.updated,
                    author = excluded.author, thumbnail = excluded.thumbnail, categories = excluded.categories,
                    tags = excluded.tags, lang = excluded.lang, content_hash = excluded.content_hash",
                p![
                    item.id,
                    item.source,
                    item.url,
                    item.title,
                    item.summary,
                    item.content_html,
                    item.path,
                    published,
                    item.published.timestamp(),
                    updated,
                    first_seen,
                    item.author,
                    item.thumbnail,
                    categories,
                    tags,
                    item.lang,
                    item.content_hash,
                ],
            )?;
            feeds::index_item(tx, &item.id, &item.categories, &item.tags)?;
            // The item's folder is checked for deleted files on the next scan, whether or not
            // its file write changed the folder (see `tombstone_deleted_files`; only stores of
            // one process scan).
            if tx.dialect() == db::Dialect::Sqlite
                && let Some(dir) = dedup::content_dir(&item.path)
            {
                tx.exec(
                    "INSERT INTO content_dirs(dir) VALUES (?1)
                     ON CONFLICT(dir) DO UPDATE SET mtime_ns = NULL",
                    p![dir],
                )?;
            }
            for url in urls {
                tx.exec(
                    "INSERT INTO seen(url, item_id, first_seen) VALUES (?1, ?2, ?3)
                     ON CONFLICT(url) DO UPDATE SET item_id = excluded.item_id",
                    p![url, item.id, now],
                )?;
            }
            Ok(())
        })
    }

    /// The newest `limit` items (all when `None`), newest first.
    pub fn items(&self, limit: Option<usize>) -> Result<Vec<StoredItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM items ORDER BY published_ts DESC, id LIMIT ?1");
        let limit = limit.map_or(i64::MAX, |l| l as i64);
        let rows = self.db.with(|c| c.all(&sql, p![limit], row_to_raw))?;
        rows.into_iter().map(RawRow::into_item).collect()
    }

    pub fn count_items(&self) -> Result<usize, StoreError> {
        let n = self
            .db
            .with(|c| c.one("SELECT COUNT(*) FROM items", p![], |r| r.get::<i64>(0)))?;
        Ok(n.unwrap_or(0) as usize)
    }

    pub fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let row = self.db.with(|c| {
            c.one(
                "SELECT etag, last_modified, last_run, last_ok, last_error, failures FROM sources WHERE name = ?1",
                p![name],
                |r| {
                    Ok((
                        r.get::<Option<String>>(0)?,
                        r.get::<Option<String>>(1)?,
                        r.get::<Option<String>>(2)?,
                        r.get::<Option<String>>(3)?,
                        r.get::<Option<String>>(4)?,
                        r.get::<i64>(5)?,
                    ))
                },
            )
        })?;
        let Some((etag, last_modified, last_run, last_ok, last_error, failures)) = row else {
            return Ok(SourceState::default());
        };
        let ts = |s: Option<String>| {
            s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|d| d.with_timezone(&Utc))
        };
        Ok(SourceState {
            etag,
            last_modified,
            last_run: ts(last_run),
            last_ok: ts(last_ok),
            last_error,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
        })
    }

    pub fn put_source_state(&self, name: &str, s: &SourceState) -> Result<(), StoreError> {
        let ts = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339());
        self.db.with(|c| {
            c.exec(
                "INSERT INTO sources(name, etag, last_modified, last_run, last_ok, last_error, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(name) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                    last_run = excluded.last_run, last_ok = excluded.last_ok, last_error = excluded.last_error,
                    failures = excluded.failures",
                p![name, s.etag, s.last_modified, ts(s.last_run), ts(s.last_ok), s.last_error, i64::from(s.failures)],
            )
        })?;
        Ok(())
    }
}

const COLUMNS: &str =
    "id, source, url, title, summary, content_html, path, published, updated, first_seen,
    author, thumbnail, categories, tags, lang, content_hash";

struct RawRow([Option<String>; 16]);

fn row_to_raw(r: &db::Row<'_, '_>) -> Result<RawRow, StoreError> {
    let mut cols: [Option<String>; 16] = Default::default();
    for (i, c) in cols.iter_mut().enumerate() {
        *c = r.get(i)?;
    }
    Ok(RawRow(cols))
}

impl RawRow {
    fn into_item(self) -> Result<StoredItem, StoreError> {
        let [
            id,
            source,
            url,
            title,
            summary,
            content_html,
            path,
            published,
            updated,
            first_seen,
            author,
            thumbnail,
            categories,
            tags,
            lang,
            content_hash,
        ] = self.0;
        let date = |s: Option<String>| {
            let s = s.unwrap_or_default();
            DateTime::parse_from_rfc3339(&s)
                .map_err(|_| StoreError::Corrupt(format!("bad date {s:?}")))
        };
        let list = |s: Option<String>| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(s.as_deref().unwrap_or("[]"))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        Ok(StoredItem {
            id: id.unwrap_or_default(),
            source: source.unwrap_or_default(),
            url: url.unwrap_or_default(),
            title: title.unwrap_or_default(),
            summary: summary.unwrap_or_default(),
            content_html: content_html.unwrap_or_default(),
            path: path.unwrap_or_default(),
            published: date(published)?,
            updated: date(updated)?,
            first_seen: date(first_seen)?,
            author,
            thumbnail,
            categories: list(categories)?,
            tags: list(tags)?,
            lang,
            content_hash: content_hash.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, url: &str, ts: i64) -> StoredItem {
        let d = DateTime::from_timestamp(ts, 0).unwrap().fixed_offset();
        StoredItem {
            id: id.into(),
            source: "s".into(),
            url: url.into(),
            title: format!("t{id}"),
            summary: "sum".into(),
            content_html: "<p>x</p>".into(),
            path: format!("content/s/{id}.md"),
            published: d,
            updated: d,
            first_seen: d,
            author: None,
            thumbnail: Some("https://x/y.jpg".into()),
            categories: vec!["c".into()],
            tags: vec!["标签".into()],
            lang: Some("zh-CN".into()),
            content_hash: "h".into(),
        }
    }

    #[test]
    fn items_round_trip_newest_first_and_urls_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s/agg.db")).unwrap();
        store
            .put_item(
                &item("a", "https://x/a", 100),
                &["https://x/a", "https://m.x/a"],
            )
            .unwrap();
        store
            .put_item(&item("b", "https://x/b", 200), &["https://x/b"])
            .unwrap();
        let items = store.items(None).unwrap();
        assert_eq!(
            items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(items[1], item("a", "https://x/a", 100));
        assert_eq!(store.seen("https://m.x/a").unwrap(), Some(Some("a".into())));
        assert_eq!(store.seen("https://x/c").unwrap(), None);
        store.mark_seen("https://x/c", None).unwrap();
        assert_eq!(store.seen("https://x/c").unwrap(), Some(None));
        assert_eq!(store.items(Some(1)).unwrap().len(), 1);
    }

    #[test]
    fn source_state_round_trips() {
        let store = Store::memory().unwrap();
        assert_eq!(store.source_state("q").unwrap(), SourceState::default());
        let s = SourceState {
            etag: Some("\"abc\"".into()),
            last_modified: None,
            last_run: Some(DateTime::from_timestamp(1000, 0).unwrap()),
            last_ok: None,
            last_error: Some("q: HTTP 500".into()),
            failures: 2,
        };
        store.put_source_state("q", &s).unwrap();
        assert_eq!(store.source_state("q").unwrap(), s);
    }
}
