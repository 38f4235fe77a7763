//! Items and the URLs seen: one row per stored article, one per URL met (leading to an item,
//! or to nothing for a page that gave none), and the commit of one page's outcome.

use chrono::{DateTime, Utc};

use super::db::{self, Sql, p};
use super::{Alternate, ItemHealth, Store, StoreError, StoredItem, dedup, feeds, health};
use crate::dedup::Fingerprint;
use crate::model::Validators;

/// Everything one page changes in the store, written by [`Store::commit_page`] in one
/// transaction (the Markdown file, when there is one, is already written). Parts left `None`
/// or empty are not touched.
#[derive(Debug, Default)]
pub struct PageCommit<'a> {
    /// The item created or updated, and every URL that leads to it.
    pub item: Option<(&'a StoredItem, Vec<&'a str>)>,
    /// URLs to remember as seen, leading to `seen_item` (`None`: to nothing new; a URL that
    /// led to an item keeps it).
    pub seen: Vec<&'a str>,
    pub seen_item: Option<&'a str>,
    /// A later copy of a stored story.
    pub alternate: Option<&'a Alternate>,
    /// The item's content fingerprint, by its owner: `(item id, source, fingerprint,
    /// threshold)`.
    pub fingerprint: Option<(&'a str, &'a str, &'a Fingerprint, u32)>,
    /// The URL the item was fetched from and the validators its page gave: `(item id, url,
    /// validators)`.
    pub validators: Option<(&'a str, &'a str, &'a Validators)>,
    /// What extraction found on the item: `(item id, source, health)`.
    pub health: Option<(&'a str, &'a str, ItemHealth)>,
}

impl Store {
    /// Commits one page's outcome in one transaction: either all of it is stored or none.
    pub fn commit_page(&self, page: &PageCommit<'_>) -> Result<(), StoreError> {
        if let Some((_, _, _, threshold)) = page.fingerprint {
            self.ensure_bands(threshold)?;
        }
        self.db.tx(|tx| {
            if let Some((item, urls)) = &page.item {
                write_item(tx, item, urls)?;
            }
            if let Some(a) = page.alternate {
                dedup::write_alternate(tx, a)?;
            }
            for url in &page.seen {
                write_seen(tx, url, page.seen_item)?;
            }
            if let Some((id, source, fp, threshold)) = page.fingerprint {
                dedup::write_fingerprint(tx, id, source, fp, threshold)?;
            }
            if let Some((id, url, v)) = page.validators {
                dedup::write_validators(tx, id, url, v)?;
            }
            if let Some((id, source, h)) = &page.health {
                health::write_item_health(tx, id, source, h)?;
            }
            Ok(())
        })
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
        self.db.with(|c| write_seen(c, url, item_id))
    }

    pub fn item(&self, id: &str) -> Result<Option<StoredItem>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM items WHERE id = ?1");
        let row = self.db.with(|c| c.one(&sql, p![id], row_to_raw))?;
        row.map(RawRow::into_item).transpose()
    }

    /// Inserts or replaces an item and marks all of `urls` as seen leading to it, in one
    /// transaction.
    pub fn put_item(&self, item: &StoredItem, urls: &[&str]) -> Result<(), StoreError> {
        self.db.tx(|tx| write_item(tx, item, urls))
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
}

/// Records `url` as seen, leading to `item_id` (kept when `None`).
fn write_seen(c: &mut dyn Sql, url: &str, item_id: Option<&str>) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO seen(url, item_id, first_seen) VALUES (?1, ?2, ?3)
         ON CONFLICT(url) DO UPDATE SET item_id = COALESCE(excluded.item_id, seen.item_id)",
        p![url, item_id, Utc::now().to_rfc3339()],
    )?;
    Ok(())
}

/// Inserts or replaces `item`, indexes it in the feeds and marks `urls` as leading to it.
fn write_item(tx: &mut dyn Sql, item: &StoredItem, urls: &[&str]) -> Result<(), StoreError> {
    let published = item.published.to_rfc3339();
    let updated = item.updated.to_rfc3339();
    let first_seen = item.first_seen.to_rfc3339();
    let categories = serde_json::to_string(&item.categories).expect("strings serialize");
    let tags = serde_json::to_string(&item.tags).expect("strings serialize");
    let now = Utc::now().to_rfc3339();
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
    // The item's folder is checked for deleted files on the next scan, whether or not its file
    // write changed the folder (see `app::tombstones`; only stores of one process scan).
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
}

pub(super) const COLUMNS: &str =
    "id, source, url, title, summary, content_html, path, published, updated, first_seen,
    author, thumbnail, categories, tags, lang, content_hash";

pub(super) struct RawRow([Option<String>; 16]);

pub(super) fn row_to_raw(r: &db::Row<'_, '_>) -> Result<RawRow, StoreError> {
    let mut cols: [Option<String>; 16] = Default::default();
    for (i, c) in cols.iter_mut().enumerate() {
        *c = r.get(i)?;
    }
    Ok(RawRow(cols))
}

impl RawRow {
    pub(super) fn into_item(self) -> Result<StoredItem, StoreError> {
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
        let store = Store::open(&dir.path().join("agg.db")).unwrap();
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
    fn a_page_commits_whole_or_not_at_all() {
        let store = Store::memory().unwrap();
        let a = item("a", "https://x/a", 100);
        let fp = crate::dedup::fingerprint("", &Default::default(), |_| false);
        let v = Validators {
            etag: Some("\"e\"".into()),
            last_modified: None,
        };
        store
            .commit_page(&PageCommit {
                item: Some((&a, vec!["https://x/a", "x/a"])),
                fingerprint: Some(("a", "s", &fp, 8)),
                validators: Some(("a", "https://x/a", &v)),
                health: Some(("a", "s", ItemHealth::default())),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(store.item("a").unwrap(), Some(a.clone()));
        assert_eq!(store.seen("x/a").unwrap(), Some(Some("a".into())));
        assert_eq!(
            store.item_validators("a").unwrap(),
            Some(("https://x/a".into(), v))
        );
        // A failing part (an alternate whose row cannot be written) leaves nothing behind.
        store
            .db
            .with(|c| c.exec("DROP TABLE alternates", p![]))
            .unwrap();
        let alt = Alternate {
            url: "https://y/a".into(),
            item_id: "a".into(),
            source: "t".into(),
            title: None,
            distance: 1,
        };
        let failed = store.commit_page(&PageCommit {
            seen: vec!["https://y/a"],
            seen_item: Some("a"),
            alternate: Some(&alt),
            ..Default::default()
        });
        assert!(failed.is_err());
        assert_eq!(store.seen("https://y/a").unwrap(), None);
    }
}
