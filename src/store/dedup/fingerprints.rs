//! Content fingerprints in the store: each item's SimHash (indexed by band), its shingle
//! sketch, and its paragraph hashes (indexed by source, for learned boilerplate, and by hash,
//! to find copies that share a paragraph).
//!
//! Candidates for "is this article a copy?" are the items within the SimHash threshold (a band
//! in common) plus the items sharing one of the article's story paragraphs: a copy padded with
//! another site's chrome has a distant SimHash but still carries the story's paragraphs.

use std::collections::HashSet;

use crate::dedup::shingles::Sketch;
use crate::dedup::{Candidate, Fingerprint, simhash};
use crate::store::db::{Sql, p};
use crate::store::{Store, StoreError};

/// A paragraph hash held by more items than this is somebody's boilerplate: it finds no
/// candidates (and keeps the lookup cheap).
const MAX_SHARING: usize = 32;

impl Store {
    /// Records an item's fingerprint (no SimHash and no sketch: too short to have one), its
    /// paragraph hashes and its band index entries for a search within `threshold` bits.
    pub fn put_fingerprint(
        &self,
        item_id: &str,
        source: &str,
        fp: &Fingerprint,
        threshold: u32,
    ) -> Result<(), StoreError> {
        self.ensure_bands(threshold)?;
        self.db
            .tx(|tx| write_fingerprint(tx, item_id, source, fp, threshold))
    }

    /// The stored stories `fp` may be a copy of (oldest first): every item whose SimHash is
    /// within `threshold` bits, and every item sharing one of `fp`'s lookup paragraphs. Items
    /// too short to have a fingerprint are never candidates.
    pub fn copy_candidates(
        &self,
        fp: &Fingerprint,
        threshold: u32,
    ) -> Result<Vec<Candidate>, StoreError> {
        let Some(h) = fp.simhash else {
            return Ok(Vec::new());
        };
        self.ensure_bands(threshold)?;
        let mut out: Vec<(i64, Candidate)> = self.db.with(|c| {
            let mut ids: Vec<String> = Vec::new();
            let mut seen: HashSet<String> = HashSet::new();
            for (band, value) in simhash::bands(h, threshold) {
                let found: Vec<String> = c.all(
                    "SELECT item_id FROM fingerprint_bands WHERE band = ?1 AND value = ?2",
                    p![i64::from(band), value as i64],
                    |r| r.get(0),
                )?;
                for id in found {
                    if seen.insert(id.clone()) {
                        ids.push(id);
                    }
                }
            }
            for p in &fp.lookup {
                let found: Vec<String> = c.all(
                    "SELECT DISTINCT item_id FROM paragraphs WHERE hash = ?1 LIMIT ?2",
                    p![*p as i64, MAX_SHARING as i64 + 1],
                    |r| r.get(0),
                )?;
                if found.len() > MAX_SHARING {
                    continue;
                }
                for id in found {
                    if seen.insert(id.clone()) {
                        ids.push(id);
                    }
                }
            }
            let mut out = Vec::new();
            for id in ids {
                let row = c.one(
                    "SELECT f.rowid, f.simhash, s.total, s.entries FROM fingerprints f
                     LEFT JOIN sketches s ON s.item_id = f.item_id
                     WHERE f.item_id = ?1 AND f.simhash IS NOT NULL",
                    p![id],
                    |r| {
                        let sketch = match r.get::<Option<i64>>(2)? {
                            Some(total) => Some(Sketch::from_bytes(
                                &r.get::<Vec<u8>>(3)?,
                                u32::try_from(total).unwrap_or(0),
                            )),
                            None => None,
                        };
                        Ok((r.get::<i64>(0)?, r.get::<i64>(1)? as u64, sketch))
                    },
                )?;
                if let Some((rowid, simhash, sketch)) = row {
                    out.push((
                        rowid,
                        Candidate {
                            id,
                            simhash,
                            sketch,
                        },
                    ));
                }
            }
            Ok(out)
        })?;
        out.sort_by_key(|(rowid, _)| *rowid);
        Ok(out.into_iter().map(|(_, c)| c).collect())
    }

    /// Which of `hashes` already occur in [`crate::dedup::text::REPEATED_IN`] or more other
    /// items of `source`: learned boilerplate.
    pub fn repeated_paragraphs(
        &self,
        source: &str,
        hashes: &[u64],
        except_item: &str,
    ) -> Result<HashSet<u64>, StoreError> {
        self.db.with(|c| {
            let mut out = HashSet::new();
            for h in hashes {
                let n: i64 = c
                    .one(
                        "SELECT COUNT(*) FROM paragraphs WHERE source = ?1 AND hash = ?2 AND item_id != ?3",
                        p![source, *h as i64, except_item],
                        |r| r.get(0),
                    )?
                    .unwrap_or(0);
                if n as usize >= crate::dedup::text::REPEATED_IN {
                    out.insert(*h);
                }
            }
            Ok(out)
        })
    }

    /// Keeps the band index in step with the threshold: bands depend on it, so a changed
    /// threshold rebuilds the index from the fingerprints. Called before a fingerprint is
    /// written ([`write_fingerprint`] does not).
    pub(in crate::store) fn ensure_bands(&self, threshold: u32) -> Result<(), StoreError> {
        let current: Option<i64> = self.db.with(|c| {
            c.one(
                "SELECT value FROM dedup_meta WHERE key = 'band_threshold'",
                p![],
                |r| r.get(0),
            )
        })?;
        if current == Some(i64::from(threshold)) {
            return Ok(());
        }
        self.db.tx(|tx| {
            tx.exec("DELETE FROM fingerprint_bands", p![])?;
            let fps: Vec<(String, i64)> = tx.all(
                "SELECT item_id, simhash FROM fingerprints WHERE simhash IS NOT NULL",
                p![],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            for (id, fp) in fps {
                for (band, value) in simhash::bands(fp as u64, threshold) {
                    tx.exec(
                        "INSERT INTO fingerprint_bands(band, value, item_id) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                        p![i64::from(band), value as i64, id],
                    )?;
                }
            }
            tx.exec(
                "INSERT INTO dedup_meta(key, value) VALUES ('band_threshold', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                p![i64::from(threshold)],
            )?;
            Ok(())
        })
    }
}

/// Writes an item's fingerprint rows inside transaction `tx` (see [`Store::put_fingerprint`];
/// the band index must already be at `threshold`).
pub(in crate::store) fn write_fingerprint(
    tx: &mut dyn Sql,
    item_id: &str,
    source: &str,
    fp: &Fingerprint,
    threshold: u32,
) -> Result<(), StoreError> {
    let sketch = fp
        .sketch
        .as_ref()
        .map(|s| (i64::from(s.total), s.to_bytes()));
    tx.exec(
        "DELETE FROM fingerprint_bands WHERE item_id = ?1",
        p![item_id],
    )?;
    tx.exec(
        "INSERT INTO fingerprints(item_id, source, simhash) VALUES (?1, ?2, ?3)
             ON CONFLICT(item_id) DO UPDATE SET simhash = excluded.simhash",
        p![item_id, source, fp.simhash.map(|f| f as i64)],
    )?;
    if let Some(h) = fp.simhash {
        for (band, value) in simhash::bands(h, threshold) {
            tx.exec(
                "INSERT INTO fingerprint_bands(band, value, item_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                p![i64::from(band), value as i64, item_id],
            )?;
        }
    }
    tx.exec("DELETE FROM sketches WHERE item_id = ?1", p![item_id])?;
    if let Some((total, bytes)) = &sketch {
        tx.exec(
            "INSERT INTO sketches(item_id, total, entries) VALUES (?1, ?2, ?3)",
            p![item_id, total, bytes],
        )?;
    }
    tx.exec("DELETE FROM paragraphs WHERE item_id = ?1", p![item_id])?;
    for h in &fp.paragraphs {
        tx.exec(
            "INSERT INTO paragraphs(source, hash, item_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            p![source, *h as i64, item_id],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::{Settings, fingerprint};

    const STORY: &str = "The harbour authority said on Monday that the new solar ferry will \
        enter service in the spring, replacing two diesel boats on the crossing.\n\
        The vessel carries two hundred passengers and charges at the quay in twelve minutes.\n\
        Residents welcomed the quieter crossing, though some asked about the early departure.";

    fn fp(text: &str) -> Fingerprint {
        fingerprint(text, &Settings::default(), |_| false)
    }

    fn ids(c: Vec<Candidate>) -> Vec<String> {
        c.into_iter().map(|c| c.id).collect()
    }

    #[test]
    fn candidates_by_band_and_by_shared_paragraph_across_a_threshold_change() {
        let store = Store::memory().unwrap();
        let a = fp(STORY);
        store.put_fingerprint("a", "s", &a, 3).unwrap();
        store
            .put_fingerprint("short", "s", &fp("Short."), 3)
            .unwrap();
        let found = store.copy_candidates(&a, 3).unwrap();
        assert_eq!(ids(found.clone()), ["a"]);
        assert_eq!(found[0].sketch, a.sketch, "the sketch round-trips");
        // Far in SimHash (a page of chrome around it) but sharing paragraphs: found.
        let chrome = (0..60)
            .map(|i| format!("Menu entry number {i} of the site navigation"))
            .collect::<Vec<_>>()
            .join("\n");
        let padded = fp(&format!("{chrome}\n{STORY}"));
        assert!(simhash::distance(padded.simhash.unwrap(), a.simhash.unwrap()) > 3);
        assert_eq!(ids(store.copy_candidates(&padded, 3).unwrap()), ["a"]);
        assert_eq!(ids(store.copy_candidates(&padded, 8).unwrap()), ["a"]);
        assert!(store.copy_candidates(&fp("Short."), 8).unwrap().is_empty());
        let other = fp(&chrome);
        assert!(store.copy_candidates(&other, 8).unwrap().is_empty());
        let hashes = [a.paragraphs[0], 7];
        store.put_fingerprint("b", "s", &a, 8).unwrap();
        assert_eq!(
            store.repeated_paragraphs("s", &hashes, "new").unwrap(),
            HashSet::from([a.paragraphs[0]])
        );
    }
}
