//! Items whose Markdown file the user deleted become tombstones: never recreated, and gone from
//! the feeds. Checked at the start of each run, where a deleted file means "forget it" (one
//! process owning its files, see `Context::deletes_by_file`).
//!
//! Only folders modified since their last check, or where an item was stored since, are looked
//! at (one `stat` each otherwise): a deletion changes its folder's modification time. Such a
//! folder is listed once and its items' files looked up in the listing; a file missing from it
//! is confirmed with [`file_deleted`] (a missing folder means a moved or unmounted content
//! tree, not a deletion). The time recorded is read before the listing, and not recorded at all
//! when too recent to be sure that a later change moves it.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::dedup::url::identity_key;
use crate::store::{Store, StoreError, content_dir};
use crate::util::fsutil::file_deleted;

/// A folder modified this close to the check may change again within the same timestamp tick:
/// its time is not trusted, it is checked again next time.
const RACY: Duration = Duration::from_secs(2);

/// Tombstones every item whose Markdown file is gone while its folder is still there; returns
/// their ids.
pub fn tombstone_deleted_files(store: &Store) -> Result<Vec<String>, StoreError> {
    let started = SystemTime::now();
    let mut gone: Vec<(String, String)> = Vec::new();
    for (dir, checked) in store.content_dirs()? {
        let Some(modified) = std::fs::metadata(&dir)
            .ok()
            .filter(|m| m.is_dir())
            .and_then(|m| m.modified().ok())
        else {
            continue; // missing: not a deletion (checked again once it is back)
        };
        let mtime = modified
            .duration_since(UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_nanos()).ok());
        if mtime.is_some() && mtime == checked {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let names: HashSet<OsString> = entries.flatten().map(|e| e.file_name()).collect();
        for (id, url, path) in store.items_below(&dir)? {
            let p = Path::new(&path);
            let listed = p.file_name().is_some_and(|n| names.contains(n));
            if content_dir(&path) == Some(dir.as_str()) && !listed && file_deleted(p) {
                gone.push((id, url));
            }
        }
        let settled = started
            .duration_since(modified)
            .is_ok_and(|age| age >= RACY);
        store.set_content_dir_checked(&dir, mtime.filter(|_| settled))?;
    }
    for (id, url) in &gone {
        let key = url::Url::parse(url)
            .map(|u| identity_key(&u))
            .unwrap_or_else(|_| url.clone());
        store.tombstone(&key, url, Some(id), "file deleted")?;
    }
    Ok(gone.into_iter().map(|(id, _)| id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(store: &Store, id: &str, path: &Path) {
        let d = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .fixed_offset();
        let item = crate::model::StoredItem {
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
        assert!(tombstone_deleted_files(&store).unwrap().is_empty());

        std::fs::remove_file(dir.join("a.md")).unwrap();
        assert_eq!(tombstone_deleted_files(&store).unwrap(), ["a"]);
        assert!(store.item("a").unwrap().is_none());
        assert!(store.is_tombstoned("https://ex.com/a", None).unwrap());

        // A folder whose time is settled and unchanged is not looked into...
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        set_mtime(&dir, old);
        assert!(tombstone_deleted_files(&store).unwrap().is_empty());
        std::fs::remove_file(dir.join("b.md")).unwrap();
        set_mtime(&dir, old);
        assert!(tombstone_deleted_files(&store).unwrap().is_empty());
        // ... until it changes.
        set_mtime(&dir, old + std::time::Duration::from_secs(1));
        assert_eq!(tombstone_deleted_files(&store).unwrap(), ["b"]);
        // An item stored in an unchanged folder has its folder checked again.
        set_mtime(&dir, old);
        assert!(tombstone_deleted_files(&store).unwrap().is_empty());
        put(&store, "n", &dir.join("n.md"));
        assert_eq!(tombstone_deleted_files(&store).unwrap(), ["n"]);
        assert!(store.item("c").unwrap().is_some());
        assert!(store.item("m").unwrap().is_some());
    }

    #[test]
    fn folders_of_items_stored_before_the_folder_index_are_checked() {
        let root = tempfile::tempdir().unwrap();
        let db = root.path().join("agg.db");
        let dir = root.path().join("content/s");
        std::fs::create_dir_all(&dir).unwrap();
        put(&Store::open(&db).unwrap(), "a", &dir.join("a.md"));
        // As a store written by an older agg: no folder index yet, no numbered migration.
        let old = rusqlite::Connection::open(&db).unwrap();
        old.execute_batch(
            "DELETE FROM content_dirs; DELETE FROM dedup_meta; PRAGMA user_version = 0;",
        )
        .unwrap();
        drop(old);
        // Opening it migrates it: the folder index is filled from its items.
        let store = Store::open(&db).unwrap();
        assert_eq!(tombstone_deleted_files(&store).unwrap(), ["a"]);
    }
}
