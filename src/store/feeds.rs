//! The feed index: which items are in which category and tag feed, and which feeds changed
//! since they were last published, so a feed's newest items come from one indexed query and a
//! run republishes only the feeds its new, updated or removed items are in.
//!
//! - `item_terms`: one row per (feed, item), keyed by the slug the publisher uses
//!   ([`crate::publish::term`]) and carrying the item's `published_ts`, so
//!   `(kind, slug, published_ts DESC, item_id)` serves "newest N of this feed" without a sort.
//!   Names that share a slug in one item count once, the first one: as the in-memory grouping.
//! - `feed_topics`: each category/tag feed's title name (the smallest name among its items),
//!   kept current for the feeds that changed, so the index needs no scan of `item_terms`.
//! - `feed_dirty`: feeds to republish. `put_item` adds the item's old and new feeds; a trigger
//!   adds a deleted item's feeds (tombstones, `agg forget`), whoever deletes it. `seq` grows on
//!   every mark, so clearing up to the `seq` read never drops a mark made meanwhile.
//! - `feed_meta.generation`: counts every dirty mark ever made (triggers), so it only grows
//!   and grows with every change to what the feeds show; remote publishing stamps objects
//!   with it ([`Store::feeds_generation`]). On PostgreSQL the shared `feed_dirty_seq`
//!   sequence plays that part.
//!
//! A store older than the index gets it filled from the items' JSON columns by its migration
//! (`sqlite::migrations`).
use super::items::{COLUMNS, row_to_raw};
use super::{Store, StoreError, StoredItem};
use crate::model::FeedItem;
use crate::publish::{Corpus, CorpusError, FeedKey, FeedKind, term};
use chrono::DateTime;

use super::db::{Dialect, Row, Sql, p};

/// Marks a feed dirty again with a new `seq` (PostgreSQL: from a sequence every worker shares).
fn mark_dirty_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => {
            "INSERT INTO feed_dirty(kind, slug) VALUES (?1, ?2)
             ON CONFLICT(kind, slug) DO UPDATE SET seq = (SELECT MAX(seq) + 1 FROM feed_dirty)"
        }
        Dialect::Postgres => {
            "INSERT INTO feed_dirty(kind, slug) VALUES (?1, ?2)
             ON CONFLICT(kind, slug) DO UPDATE SET seq = nextval('feed_dirty_seq')"
        }
    }
}

fn mark_item_feeds_dirty_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => {
            "INSERT INTO feed_dirty(kind, slug) SELECT kind, slug FROM item_terms WHERE item_id = ?1
             ON CONFLICT(kind, slug) DO UPDATE SET seq = (SELECT MAX(seq) + 1 FROM feed_dirty)"
        }
        Dialect::Postgres => {
            "INSERT INTO feed_dirty(kind, slug) SELECT kind, slug FROM item_terms WHERE item_id = ?1
             ON CONFLICT(kind, slug) DO UPDATE SET seq = nextval('feed_dirty_seq')"
        }
    }
}

/// Re-indexes item `id` (already written to `items`) under its categories and tags, and marks
/// its old and new feeds, and the main feed, dirty.
pub(super) fn index_item(
    tx: &mut dyn Sql,
    id: &str,
    categories: &[String],
    tags: &[String],
) -> Result<(), StoreError> {
    let d = tx.dialect();
    tx.exec(mark_item_feeds_dirty_sql(d), p![id])?;
    tx.exec("DELETE FROM item_terms WHERE item_id = ?1", p![id])?;
    let ts: i64 = tx
        .one(
            "SELECT published_ts FROM items WHERE id = ?1",
            p![id],
            |r| r.get(0),
        )?
        .ok_or_else(|| StoreError::Corrupt(format!("item {id} vanished while indexing")))?;
    for (kind, names) in [(FeedKind::Category, categories), (FeedKind::Tag, tags)] {
        for (name, slug) in names.iter().filter_map(|n| term(n)) {
            tx.exec(
                "INSERT INTO item_terms(kind, slug, item_id, name, published_ts) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                p![kind.code(), slug, id, name, ts],
            )?;
            tx.exec(mark_dirty_sql(d), p![kind.code(), slug])?;
        }
    }
    tx.exec(mark_dirty_sql(d), p![FeedKind::All.code(), ""])?;
    Ok(())
}

/// Feeds marked for republishing, and the mark up to which they may be cleared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirtyFeeds {
    pub keys: Vec<FeedKey>,
    pub up_to: i64,
    /// The marks read, `(kind, slug, seq)`: exactly these are cleared after publishing. (On
    /// PostgreSQL a mark with a lower `seq` may commit after the read; `seq <= up_to` would
    /// drop it unpublished.)
    marks: Vec<(i64, String, i64)>,
}

impl Store {
    /// The feeds to republish; their title names in `feed_topics` are brought up to date.
    pub fn dirty_feeds(&self) -> Result<DirtyFeeds, StoreError> {
        self.db.tx(|tx| {
            let mut dirty = DirtyFeeds::default();
            let rows: Vec<(i64, i64, String)> = tx.all(
                "SELECT seq, kind, slug FROM feed_dirty ORDER BY kind, slug",
                p![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            for (seq, kind, slug) in rows {
                dirty.up_to = dirty.up_to.max(seq);
                dirty.marks.push((kind, slug.clone(), seq));
                let kind = FeedKind::from_code(kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("feed kind {kind}")))?;
                dirty.keys.push(FeedKey { kind, slug });
            }
            for key in dirty.keys.iter().filter(|k| k.kind != FeedKind::All) {
                let name: Option<String> = tx
                    .one(
                        "SELECT MIN(name) FROM item_terms WHERE kind = ?1 AND slug = ?2",
                        p![key.kind.code(), key.slug],
                        |r| r.get(0),
                    )?
                    .flatten();
                match name {
                    Some(name) => tx.exec(
                        "INSERT INTO feed_topics(kind, slug, name) VALUES (?1, ?2, ?3)
                         ON CONFLICT(kind, slug) DO UPDATE SET name = excluded.name",
                        p![key.kind.code(), key.slug, name],
                    )?,
                    None => tx.exec(
                        "DELETE FROM feed_topics WHERE kind = ?1 AND slug = ?2",
                        p![key.kind.code(), key.slug],
                    )?,
                };
            }
            Ok(dirty)
        })
    }

    /// Forgets the dirty marks `dirty` read (after their feeds were published); marks made
    /// since stay.
    pub fn clear_dirty_feeds(&self, dirty: &DirtyFeeds) -> Result<(), StoreError> {
        if dirty.marks.is_empty() {
            return Ok(());
        }
        self.db.tx(|tx| {
            for (kind, slug, seq) in &dirty.marks {
                tx.exec(
                    "DELETE FROM feed_dirty WHERE kind = ?1 AND slug = ?2 AND seq = ?3",
                    p![kind, slug, seq],
                )?;
            }
            Ok(())
        })
    }

    /// Recomputes every feed's title name (before a full rebuild).
    pub fn refresh_feed_topics(&self) -> Result<(), StoreError> {
        self.db.tx(|tx| {
            tx.exec("DELETE FROM feed_topics", p![])?;
            tx.exec(
                "INSERT INTO feed_topics(kind, slug, name)
                    SELECT kind, slug, MIN(name) FROM item_terms GROUP BY kind, slug",
                p![],
            )?;
            Ok(())
        })
    }

    /// The settings stamp the feeds were last published under.
    pub fn feeds_stamp(&self) -> Result<Option<String>, StoreError> {
        self.db.with(|c| {
            c.one(
                "SELECT value FROM feed_meta WHERE key = 'stamp'",
                p![],
                |r| r.get(0),
            )
        })
    }

    /// How many feed changes this store has seen (0 before the first): never decreases.
    pub fn feeds_generation(&self) -> Result<u64, StoreError> {
        let value: Option<String> = self.db.with(|c| {
            let sql = match c.dialect() {
                Dialect::Sqlite => {
                    "SELECT CAST(value AS TEXT) FROM feed_meta WHERE key = 'generation'"
                }
                // Every mark takes a number from this sequence, whichever worker makes it.
                Dialect::Postgres => {
                    "SELECT CAST(CASE WHEN is_called THEN last_value ELSE 0 END AS TEXT)
                     FROM feed_dirty_seq"
                }
            };
            c.one(sql, p![], |r| r.get(0))
        })?;
        Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    pub fn set_feeds_stamp(&self, stamp: &str) -> Result<(), StoreError> {
        self.db.with(|c| {
            c.exec(
                "INSERT INTO feed_meta(key, value) VALUES ('stamp', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                p![stamp],
            )
        })?;
        Ok(())
    }
}

const NEWEST_ALL: &str = "FROM items ORDER BY published_ts DESC, id LIMIT ?1";
const NEWEST_TOPIC: &str = "FROM item_terms t JOIN items i ON i.id = t.item_id
    WHERE t.kind = ?2 AND t.slug = ?3 ORDER BY t.published_ts DESC, t.item_id LIMIT ?1";

impl Corpus for Store {
    fn topics(&self) -> Result<Vec<(FeedKey, String)>, CorpusError> {
        let rows: Vec<(i64, String, String)> = self.db.with(|c| {
            c.all(
                "SELECT kind, slug, name FROM feed_topics ORDER BY kind, slug",
                p![],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
        })?;
        let mut topics = Vec::new();
        for (kind, slug, name) in rows {
            let kind = FeedKind::from_code(kind)
                .ok_or_else(|| StoreError::Corrupt(format!("feed kind {kind}")))?;
            topics.push((FeedKey { kind, slug }, name));
        }
        Ok(topics)
    }

    fn topic(&self, key: &FeedKey) -> Result<Option<String>, CorpusError> {
        Ok(self.db.with(|c| {
            c.one(
                "SELECT name FROM feed_topics WHERE kind = ?1 AND slug = ?2",
                p![key.kind.code(), key.slug],
                |r| r.get(0),
            )
        })?)
    }

    fn newest(
        &self,
        key: &FeedKey,
        limit: usize,
        full: bool,
    ) -> Result<Vec<FeedItem>, CorpusError> {
        let from = match key.kind {
            FeedKind::All => NEWEST_ALL,
            _ => NEWEST_TOPIC,
        };
        let limit = limit as i64;
        let code = key.kind.code();
        let all = key.kind == FeedKind::All;
        if !full {
            let sql = format!("SELECT id, url, title, published, updated, lang {from}");
            let light = |r: &Row<'_, '_>| -> Result<([String; 5], Option<String>), StoreError> {
                Ok((
                    [r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                    r.get(5)?,
                ))
            };
            let rows = self.db.with(|c| match all {
                true => c.all(&sql, p![limit], light),
                false => c.all(&sql, p![limit, code, key.slug], light),
            })?;
            return Ok(rows.into_iter().map(light_item).collect::<Result<_, _>>()?);
        }
        let sql = format!("SELECT {COLUMNS} {from}");
        let rows = self.db.with(|c| match all {
            true => c.all(&sql, p![limit], row_to_raw),
            false => c.all(&sql, p![limit, code, key.slug], row_to_raw),
        })?;
        let items = rows
            .into_iter()
            .map(|r| r.into_item().map(StoredItem::into_feed_item));
        Ok(items.collect::<Result<_, _>>()?)
    }
}

/// A feed item with only what the index and OPML show: id, link, title, dates and language.
fn light_item(
    ([id, url, title, published, updated], lang): ([String; 5], Option<String>),
) -> Result<FeedItem, StoreError> {
    let date = |s: &str| {
        DateTime::parse_from_rfc3339(s).map_err(|_| StoreError::Corrupt(format!("bad date {s:?}")))
    };
    Ok(FeedItem {
        published: date(&published)?,
        updated: date(&updated)?,
        id,
        url,
        title,
        summary: String::new(),
        content_html: String::new(),
        author: None,
        thumbnail: None,
        categories: Vec::new(),
        tags: Vec::new(),
        lang,
        source: String::new(),
    })
}

#[cfg(test)]
mod tests;
