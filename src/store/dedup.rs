//! The store's dedup tables: content fingerprints, sketches and paragraph hashes (see
//! [`fingerprints`]), alternates (later copies of a stored story), tombstones (items that must
//! not come back) and each item's page validators for re-checks.

use std::path::Path;

use super::db::{Sql, p};
use chrono::Utc;

use super::{Store, StoreError};
use crate::model::Validators;

mod fingerprints;

pub(super) use fingerprints::write_fingerprint;

/// `dedup_meta` key set once `content_dirs` lists the folders of every item.
const DIRS_INDEXED: &str = "content_dirs";

/// The folder of an item's file, as `content_dirs` holds it.
pub fn content_dir(path: &str) -> Option<&str> {
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
        self.db.with(|c| write_alternate(c, a))
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
        self.db.with(|c| write_validators(c, item_id, url, v))
    }

    /// Every folder holding items' Markdown files, with its modification time (ns since the
    /// epoch) when it was last checked for deleted files (`None`: not checked since an item
    /// was stored in it). The check itself is the app's (`app::tombstones`).
    pub fn content_dirs(&self) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        self.db.with(|c| {
            c.all("SELECT dir, mtime_ns FROM content_dirs", p![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
    }

    /// The items whose file is in folder `dir` or below it: `(id, url, path)`.
    pub fn items_below(&self, dir: &str) -> Result<Vec<(String, String, String)>, StoreError> {
        // Paths below `dir/`: `/` + 1 is `0`.
        let (lo, hi) = (format!("{dir}/"), format!("{dir}0"));
        self.db.with(|c| {
            c.all(
                "SELECT id, url, path FROM items WHERE path >= ?1 AND path < ?2",
                p![lo, hi],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })
    }

    /// Records folder `dir` as checked at modification time `mtime_ns` (`None`: check it
    /// again next time).
    pub fn set_content_dir_checked(
        &self,
        dir: &str,
        mtime_ns: Option<i64>,
    ) -> Result<(), StoreError> {
        self.db.with(|c| {
            c.exec(
                "UPDATE content_dirs SET mtime_ns = ?2 WHERE dir = ?1",
                p![dir, mtime_ns],
            )
        })?;
        Ok(())
    }
}

/// Fills `content_dirs` from every item (a store older than the table; run by the SQLite
/// migration that adds it).
pub(super) fn index_content_dirs(tx: &mut dyn Sql) -> Result<(), StoreError> {
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
}

/// Records alternate `a` (a later copy of a stored story), unless its URL already is one.
pub(super) fn write_alternate(c: &mut dyn Sql, a: &Alternate) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO alternates(url, item_id, source, title, distance, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(url) DO NOTHING",
        p![a.url, a.item_id, a.source, a.title, i64::from(a.distance), Utc::now().to_rfc3339()],
    )?;
    Ok(())
}

/// Records the URL item `item_id` was fetched from and the validators its page answered with.
pub(super) fn write_validators(
    c: &mut dyn Sql,
    item_id: &str,
    url: &str,
    v: &Validators,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO item_validators(item_id, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(item_id) DO UPDATE SET url = excluded.url, etag = excluded.etag,
            last_modified = excluded.last_modified",
        p![item_id, url, v.etag, v.last_modified],
    )?;
    Ok(())
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
