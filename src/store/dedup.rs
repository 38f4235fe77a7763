//! The store's dedup tables: content fingerprints (indexed by band for candidate search),
//! learned boilerplate paragraphs, alternates (later copies of a stored story), tombstones
//! (items that must not come back) and each item's page validators for re-checks.

use std::collections::HashSet;
use std::path::Path;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::dedup::simhash;
use crate::fetch::Validators;

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
    /// Hamming distance between the two fingerprints.
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
    /// Records an item's fingerprint (`None`: too short to have one), its paragraph hashes and
    /// its band index entries for a search within `threshold` bits.
    pub fn put_fingerprint(
        &self,
        item_id: &str,
        source: &str,
        fp: Option<u64>,
        paragraphs: &[u64],
        threshold: u32,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        ensure_bands(&mut conn, threshold)?;
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM fingerprint_bands WHERE item_id = ?1",
            [item_id],
        )?;
        tx.execute(
            "INSERT INTO fingerprints(item_id, source, simhash) VALUES (?1, ?2, ?3)
             ON CONFLICT(item_id) DO UPDATE SET simhash = excluded.simhash",
            params![item_id, source, fp.map(|f| f as i64)],
        )?;
        if let Some(fp) = fp {
            for (band, value) in simhash::bands(fp, threshold) {
                tx.execute(
                    "INSERT OR IGNORE INTO fingerprint_bands(band, value, item_id) VALUES (?1, ?2, ?3)",
                    params![band, value as i64, item_id],
                )?;
            }
        }
        tx.execute("DELETE FROM paragraphs WHERE item_id = ?1", [item_id])?;
        for h in paragraphs {
            tx.execute(
                "INSERT OR IGNORE INTO paragraphs(source, hash, item_id) VALUES (?1, ?2, ?3)",
                params![source, *h as i64, item_id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Items whose fingerprint shares a band with `fp` (oldest first): every item within
    /// `threshold` bits is among them.
    pub fn fingerprint_candidates(
        &self,
        fp: u64,
        threshold: u32,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let mut conn = self.conn();
        ensure_bands(&mut conn, threshold)?;
        let mut stmt = conn.prepare_cached(
            "SELECT f.item_id, f.simhash FROM fingerprint_bands b JOIN fingerprints f ON f.item_id = b.item_id
             WHERE b.band = ?1 AND b.value = ?2 ORDER BY f.rowid",
        )?;
        let mut out: Vec<(String, u64)> = Vec::new();
        for (band, value) in simhash::bands(fp, threshold) {
            for row in stmt.query_map(params![band, value as i64], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })? {
                let (id, f) = row?;
                if !out.iter().any(|(o, _)| *o == id) {
                    out.push((id, f as u64));
                }
            }
        }
        Ok(out)
    }

    /// Which of `hashes` already occur in [`crate::dedup::text::REPEATED_IN`] or more other
    /// items of `source`: learned boilerplate.
    pub fn repeated_paragraphs(
        &self,
        source: &str,
        hashes: &[u64],
        except_item: &str,
    ) -> Result<HashSet<u64>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT COUNT(*) FROM paragraphs WHERE source = ?1 AND hash = ?2 AND item_id != ?3",
        )?;
        let mut out = HashSet::new();
        for h in hashes {
            let n: i64 = stmt.query_row(params![source, *h as i64, except_item], |r| r.get(0))?;
            if n as usize >= crate::dedup::text::REPEATED_IN {
                out.insert(*h);
            }
        }
        Ok(out)
    }

    pub fn put_alternate(&self, a: &Alternate) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO alternates(url, item_id, source, title, distance, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(url) DO NOTHING",
            params![a.url, a.item_id, a.source, a.title, a.distance, Utc::now().to_rfc3339()],
        )?;
        Ok(())
    }

    /// Every item with alternates, oldest group first.
    pub fn duplicate_groups(&self) -> Result<Vec<DuplicateGroup>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT a.item_id, i.source, i.url, i.title, a.url, a.source, a.title, a.distance
             FROM alternates a LEFT JOIN items i ON i.id = a.item_id ORDER BY a.rowid",
        )?;
        let mut groups: Vec<DuplicateGroup> = Vec::new();
        let rows = stmt.query_map([], |r| {
            let item = match r.get::<_, Option<String>>(1)? {
                Some(source) => Some((source, r.get(2)?, r.get(3)?)),
                None => None,
            };
            let alt = Alternate {
                item_id: r.get(0)?,
                url: r.get(4)?,
                source: r.get(5)?,
                title: r.get(6)?,
                distance: r.get(7)?,
            };
            Ok((item, alt))
        })?;
        for row in rows {
            let (item, alt) = row?;
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
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO tombstones(key, item_id, url, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(key) DO UPDATE SET item_id = COALESCE(excluded.item_id, tombstones.item_id)",
            params![key, item_id, url, reason, Utc::now().to_rfc3339()],
        )?;
        if let Some(id) = item_id {
            tx.execute("DELETE FROM items WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM item_validators WHERE item_id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether the identity `key` or the item `item_id` was tombstoned.
    pub fn is_tombstoned(&self, key: &str, item_id: Option<&str>) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM tombstones WHERE key = ?1 OR (?2 IS NOT NULL AND item_id = ?2) LIMIT 1",
                params![key, item_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The URL an item's page was last fetched from and the validators it answered with.
    pub fn item_validators(
        &self,
        item_id: &str,
    ) -> Result<Option<(String, Validators)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT url, etag, last_modified FROM item_validators WHERE item_id = ?1",
                [item_id],
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
            .optional()?)
    }

    pub fn put_item_validators(
        &self,
        item_id: &str,
        url: &str,
        v: &Validators,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO item_validators(item_id, url, etag, last_modified) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(item_id) DO UPDATE SET url = excluded.url, etag = excluded.etag,
                last_modified = excluded.last_modified",
            params![item_id, url, v.etag, v.last_modified],
        )?;
        Ok(())
    }

    /// Tombstones every item whose Markdown file is gone while its folder is still there (a
    /// missing folder means a moved or unmounted content tree, not a deletion). Returns the
    /// tombstoned items' ids.
    pub fn tombstone_deleted_files(&self) -> Result<Vec<String>, StoreError> {
        // Only the three columns needed: a large store is not loaded whole for this.
        let all: Vec<(String, String, String)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached("SELECT id, url, path FROM items")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
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

/// Keeps the band index in step with the threshold: bands depend on it, so a changed
/// threshold rebuilds the index from the fingerprints.
fn ensure_bands(conn: &mut Connection, threshold: u32) -> Result<(), StoreError> {
    let current: Option<i64> = conn
        .query_row(
            "SELECT value FROM dedup_meta WHERE key = 'band_threshold'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if current == Some(i64::from(threshold)) {
        return Ok(());
    }
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM fingerprint_bands", [])?;
    let fps: Vec<(String, i64)> = tx
        .prepare("SELECT item_id, simhash FROM fingerprints WHERE simhash IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, fp) in fps {
        for (band, value) in simhash::bands(fp as u64, threshold) {
            tx.execute(
                "INSERT OR IGNORE INTO fingerprint_bands(band, value, item_id) VALUES (?1, ?2, ?3)",
                params![band, value as i64, id],
            )?;
        }
    }
    tx.execute(
        "INSERT INTO dedup_meta(key, value) VALUES ('band_threshold', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [i64::from(threshold)],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_fingerprints_are_candidates_across_a_threshold_change() {
        let store = Store::memory().unwrap();
        let a = 0x0123_4567_89ab_cdefu64;
        store
            .put_fingerprint("a", "s", Some(a), &[1, 2], 3)
            .unwrap();
        store.put_fingerprint("short", "s", None, &[2], 3).unwrap();
        let near = a ^ 0b1011;
        assert_eq!(
            store.fingerprint_candidates(near, 3).unwrap(),
            [("a".to_string(), a)]
        );
        assert!(store.fingerprint_candidates(!a, 3).unwrap().is_empty());
        // A wider threshold rebuilds the band index.
        let farther = a ^ 0x8000_0100_0010_0011;
        assert_eq!(store.fingerprint_candidates(farther, 8).unwrap().len(), 1);
        assert_eq!(
            store.repeated_paragraphs("s", &[1, 2], "new").unwrap(),
            HashSet::from([2])
        );
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
