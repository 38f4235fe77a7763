//! The store's dedup tables: content fingerprints, sketches and paragraph hashes (see
//! [`fingerprints`]), alternates (later copies of a stored story), tombstones (items that must
//! not come back) and each item's page validators for re-checks.

use std::path::Path;

use super::db::p;
use chrono::Utc;

use super::{Store, StoreError};
use crate::fetch::Validators;

mod fingerprints;

pub(super) const SCHEMA: &str = "
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
";

/// `dedup_meta` key set once `content_dirs` lists the folders of every item.
const DIRS_INDEXED: &str = "content_dirs";

/// A folder modified this close to the check may change again within the same timestamp tick:
/// its time is not trusted, it is checked again next time.
const RACY: std::time::Duration = std::time::Duration::from_secs(2);

/// The folder of an item's file, as `content_dirs` holds it.
pub(super) fn content_dir(path: &str) -> Option<&str> {
    Path::new(path)
        .parent()
        .and_then(Path::to_str)
        .filter(|d| !d.is_empty())
}

/// A later copy of a stored story.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternate {
    pub url: String,
    /// The first-seen item it is a copy of.
    pub item_id: String,
    pub source: String,
    pub title: Option<String>,
    /// Hamming distance between the two SimHash fingerprints.
    pub distance: u32,
}

/// One group of duplicates: the first-seen item (its row may be gone if it was forgotten) and
/// its alternates, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateGroup {
    pub item_id: String,
    pub item: Option<(String, String, String)>,
    pub alternates: Vec<Alternate>,
}

impl Store {
    pub fn put_alternate(&self, a: &Alternate) -> Result<(), StoreError> {
        self.db.with(|c| {
            c.exec(
                "INSERT INTO alternates(url, item_id, source, title, distance, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(url) DO NOTHING",
                p![a.url, a.item_id, a.source, a.title, i64::from(a.distance), Utc::now().to_rfc3339()],
            )
        })?;
        Ok(())
    }

    /// Every item with alternates, oldest group first.
    pub fn duplicate_groups(&self) -> Result<Vec<DuplicateGroup>, StoreError> {
        let rows = self.db.with(|c| {
            c.all(
                "SELECT a.item_id, i.source, i.url, i.title, a.url, a.source, a.title, a.distance
                 FROM alternates a LEFT JOIN items i ON i.id = a.item_id ORDER BY a.rowid",
                p![],
                |r| {
                    let item = match r.get::<Option<String>>(1)? {
                        Some(source) => Some((source, r.get(2)?, r.get(3)?)),
                        None => None,
                    };
                    let alt = Alternate {
                        item_id: r.get(0)?,
                        url: r.get(4)?,
                        source: r.get(5)?,
                        title: r.get(6)?,
                        distance: u32::try_from(r.get::<i64>(7)?).unwrap_or(u32::MAX),
                    };
                    Ok((item, alt))
                },
            )
        })?;
        let mut groups: Vec<DuplicateGroup> = Vec::new();
        for (item, alt) in rows {
            match groups.iter_mut().find(|g| g.item_id == alt.item_id) {
                Some(g) => g.alternates.push(alt),
                None => groups.push(DuplicateGroup {
                    item_id: alt.item_id.clone(),
                    item,
                    alternates: vec![alt],
                }),
            }
        }
        Ok(groups)
    }

    /// Tombstones `key` (an identity key) and, when given, the item: its row is removed (no feed
    /// entry), its seen URLs and fingerprint stay so neither it nor a copy comes back.
    pub fn tombstone(
        &self,
        key: &str,
        url: &str,
        item_id: Option<&str>,
        reason: &str,
    ) -> Result<(), StoreError> {
        let now = Utc::now().to_rfc3339();
        self.db.tx(|tx| {
            tx.exec(
                "INSERT INTO tombstones(key, item_id, url, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(key) DO UPDATE SET item_id = COALESCE(excluded.item_id, tombstones.item_id)",
                p![key, item_id, url, reason, now],
            )?;
            if let Some(id) = item_id {
                tx.exec("DELETE FROM items WHERE id = ?1", p![id])?;
                tx.exec("DELETE FROM item_validators WHERE item_id = ?1", p![id])?;
            }
            Ok(())
        })
    }

    /// Whether the identity `key` or the item `item_id` was tombstoned.
    pub fn is_tombstoned(&self, key: &str, item_id: Option<&str>) -> Result<bool, StoreError> {
        let id = item_id.unwrap_or("");
        let hit = self.db.with(|c| {
            c.one(
                "SELECT 1 FROM tombstones WHERE key = ?1 OR (?2 <> '' AND item_id = ?2) LIMIT 1",
                p![key, id],
                |_| Ok(()),
            )
        })?;
        Ok(hit.is_some())
    }

    /// The URL an item's page was last fetched from and the validators it answered with.
    pub fn item_validators(
        &self,
        item_id: &str,
    ) -> Result<Option<(String, Validators)>, StoreError> {
        self.db.with(|c| {
            c.one(
                "SELECT url, etag, last_modified FROM item_validators WHERE item_id = ?1",
                p![item_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        Validators {
                            etag: r.get(1)?,
                            last_modified: r.get(2)?,
                        },
                    ))
                },
            )
        })
    }

    pub fn put_item_validators(
        &self,
        item_id: &str,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError> {
        self.db.with(|c| {
            c.exec(
                "INSERT INTO item_validators(item_id, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(item_id) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                    last_modified = excluded.last_modified",
                p![item_id, url, v.etag, v.last_modified],
            )
        })?;
        Ok(())
    }

    /// Tombstones every item whose Markdown file is gone while its folder is still there (a
    /// missing folder means a moved or unmounted content tree, not a deletion). Returns the
    /// tombstoned items' ids.
    ///
    /// Only folders modified since their last check, or where an item was stored since, are
    /// looked at (one `stat` each otherwise): a deletion changes its folder's modification
    /// time. Such a folder is listed once and its items' files looked up in the listing; a
    /// file missing from it is confirmed with [`file_deleted`]. The time recorded is read
    /// before the listing, and not recorded at all when too recent to be sure that a later
    /// change moves it.
    pub fn tombstone_deleted_files(&self) -> Result<Vec<String>, StoreError> {
        self.index_content_dirs()?;
        let dirs: Vec<(String, Option<i64>)> = self.db.with(|c| {
            c.all("SELECT dir, mtime_ns FROM content_dirs", p![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })?;
        let started = std::time::SystemTime::now();
        let mut gone: Vec<(String, String)> = Vec::new();
        for (dir, checked) in dirs {
            let Some(meta) = std::fs::metadata(&dir).ok().filter(|m| m.is_dir()) else {
                continue; // missing: not a deletion (checked again once it is back)
            };
            let Some(modified) = meta.modified().ok() else {
                continue;
            };
            let mtime = modified
                .duration_since(std::time::UNIX_EPOCH)
                .ok()
                .and_then(|d| i64::try_from(d.as_nanos()).ok());
            if mtime.is_some() && mtime == checked {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let names: std::collections::HashSet<std::ffi::OsString> =
                entries.flatten().map(|e| e.file_name()).collect();
            // Paths below `dir/`: `/` + 1 is `0`.
            let (lo, hi) = (format!("{dir}/"), format!("{dir}0"));
            let items: Vec<(String, String, String)> = self.db.with(|c| {
                c.all(
                    "SELECT id, url, path FROM items WHERE path >= ?1 AND path < ?2",
                    p![lo, hi],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
            })?;
            for (id, url, path) in items {
                let p = Path::new(&path);
                let listed = p.file_name().is_some_and(|n| names.contains(n));
                if content_dir(&path) == Some(dir.as_str()) && !listed && file_deleted(p) {
                    gone.push((id, url));
                }
            }
            let settled = started
                .duration_since(modified)
                .is_ok_and(|age| age >= RACY);
            let record = mtime.filter(|_| settled);
            self.db.with(|c| {
                c.exec(
                    "UPDATE content_dirs SET mtime_ns = ?2 WHERE dir = ?1",
                    p![dir, record],
                )
            })?;
        }
        for (id, url) in &gone {
            let key = url::Url::parse(url)
                .map(|u| crate::dedup::url::identity_key(&u))
                .unwrap_or_else(|_| url.clone());
            self.tombstone(&key, url, Some(id), "file deleted")?;
        }
        Ok(gone.into_iter().map(|(id, _)| id).collect())
    }

    /// Fills `content_dirs` from every item once (a store older than the table).
    fn index_content_dirs(&self) -> Result<(), StoreError> {
        self.db.tx(|tx| {
            let done = tx.one(
                "SELECT value FROM dedup_meta WHERE key = ?1",
                p![DIRS_INDEXED],
                |r| r.get::<i64>(0),
            )?;
            if done.is_some() {
                return Ok(());
            }
            let mut dirs = std::collections::BTreeSet::new();
            tx.each("SELECT path FROM items", p![], &mut |r| {
                let path: String = r.get(0)?;
                if let Some(d) = content_dir(&path) {
                    dirs.insert(d.to_string());
                }
                Ok(())
            })?;
            for d in dirs {
                tx.exec(
                    "INSERT INTO content_dirs(dir) VALUES (?1) ON CONFLICT(dir) DO NOTHING",
                    p![d],
                )?;
            }
            tx.exec(
                "INSERT INTO dedup_meta(key, value) VALUES (?1, 1) ON CONFLICT(key) DO NOTHING",
                p![DIRS_INDEXED],
            )?;
            Ok(())
        })
    }
}

/// Whether the file at `path` was deleted from a folder that still exists.
pub fn file_deleted(path: &Path) -> bool {
    !path.exists() && path.parent().is_some_and(Path::is_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &Store, id: &str, path: &Path) {
        let d = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .fixed_offset();
        let item = crate::store::StoredItem {
            id: id.into(),
            source: "s".into(),
            url: format!("https://ex.com/{id}"),
            title: id.into(),
            summary: String::new(),
            content_html: String::new(),
            path: path.display().to_string(),
            published: d,
            updated: d,
            first_seen: d,
            author: None,
            thumbnail: None,
            categories: vec![],
            tags: vec![],
            lang: None,
            content_hash: id.into(),
        };
        store.put_item(&item, &[item.url.as_str()]).unwrap();
    }

    fn set_mtime(dir: &Path, t: std::time::SystemTime) {
        std::fs::File::open(dir).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn deleted_files_become_tombstones_and_unchanged_folders_are_not_listed() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(&root.path().join("agg.db")).unwrap();
        let dir = root.path().join("content/s");
        std::fs::create_dir_all(&dir).unwrap();
        for id in ["a", "b", "c"] {
            std::fs::write(dir.join(format!("{id}.md")), id).unwrap();
            put(&store, id, &dir.join(format!("{id}.md")));
        }
        // A folder that does not exist (moved, unmounted): never a deletion.
        put(&store, "m", &root.path().join("gone/m.md"));
        assert!(store.tombstone_deleted_files().unwrap().is_empty());

        std::fs::remove_file(dir.join("a.md")).unwrap();
        assert_eq!(store.tombstone_deleted_files().unwrap(), ["a"]);
        assert!(store.item("a").unwrap().is_none());
        assert!(store.is_tombstoned("https://ex.com/a", None).unwrap());

        // A folder whose time is settled and unchanged is not looked into...
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        set_mtime(&dir, old);
        assert!(store.tombstone_deleted_files().unwrap().is_empty());
        std::fs::remove_file(dir.join("b.md")).unwrap();
        set_mtime(&dir, old);
        assert!(store.tombstone_deleted_files().unwrap().is_empty());
        // ... until it changes.
        set_mtime(&dir, old + std::time::Duration::from_secs(1));
        assert_eq!(store.tombstone_deleted_files().unwrap(), ["b"]);
        // An item stored in an unchanged folder has its folder checked again.
        set_mtime(&dir, old);
        assert!(store.tombstone_deleted_files().unwrap().is_empty());
        put(&store, "n", &dir.join("n.md"));
        assert_eq!(store.tombstone_deleted_files().unwrap(), ["n"]);
        assert!(store.item("c").unwrap().is_some());
        assert!(store.item("m").unwrap().is_some());
    }

    #[test]
    fn folders_of_items_stored_before_the_folder_index_are_checked() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(&root.path().join("agg.db")).unwrap();
        let dir = root.path().join("content/s");
        std::fs::create_dir_all(&dir).unwrap();
        put(&store, "a", &dir.join("a.md"));
        // As a store written by an older agg: no folder index yet.
        store
            .db
            .with(|c| c.exec("DELETE FROM content_dirs", p![]))
            .unwrap();
        assert_eq!(store.tombstone_deleted_files().unwrap(), ["a"]);
    }

    #[test]
    fn tombstones_remove_the_item_and_stay() {
        let store = Store::memory().unwrap();
        store
            .tombstone(
                "https://ex.com/a",
                "https://ex.com/a",
                Some("id1"),
                "forgotten",
            )
            .unwrap();
        assert!(store.is_tombstoned("https://ex.com/a", None).unwrap());
        assert!(store.is_tombstoned("other", Some("id1")).unwrap());
        assert!(!store.is_tombstoned("other", Some("id2")).unwrap());
    }
}
