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
";

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
    pub fn tombstone_deleted_files(&self) -> Result<Vec<String>, StoreError> {
        let all: Vec<(String, String, String)> = self.db.with(|c| {
            c.all("SELECT id, url, path FROM items", p![], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
        })?;
        let gone: Vec<(String, String)> = all
            .into_iter()
            .filter(|(_, _, path)| file_deleted(Path::new(path)))
            .map(|(id, url, _)| (id, url))
            .collect();
        for (id, url) in &gone {
            let key = url::Url::parse(url)
                .map(|u| crate::dedup::url::identity_key(&u))
                .unwrap_or_else(|_| url.clone());
            self.tombstone(&key, url, Some(id), "file deleted")?;
        }
        Ok(gone.into_iter().map(|(id, _)| id).collect())
    }
}

/// Whether the file at `path` was deleted from a folder that still exists.
pub fn file_deleted(path: &Path) -> bool {
    !path.exists() && path.parent().is_some_and(Path::is_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

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
