//! The dedup decisions taken against the store: before a page is fetched (is this link a known
//! article, a tombstone, or a young item to re-check?) and after it is extracted (a new item,
//! a known item under another URL, or a copy of a stored story?).
//!
//! Only store reads and small bookkeeping writes (tombstoning an item whose file was deleted)
//! happen here; fetching and writing files stay in the page flow (`app::page`).

use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset};
use url::Url;

use crate::dedup::url::identity_key;
use crate::dedup::{Fingerprint, Settings, find_copy, fingerprint_paragraphs, text};
use crate::model::Validators;
use crate::store::{Store, StoreError};
use crate::util::fsutil::file_deleted;

/// What to do with a link before fetching it.
#[derive(Debug, Clone, PartialEq)]
pub enum Before {
    /// Never seen: fetch and extract it.
    Fetch,
    /// Seen before (an item, an alternate, an unusable page, a tombstone): nothing to do.
    Skip,
    /// A young item last fetched from this URL, whose page gave an ETag or Last-Modified:
    /// revalidate it with a conditional GET.
    Recheck {
        item_id: String,
        validators: Validators,
    },
}

/// Decides about `url`, listed by `source` at `now`. Where a deleted Markdown file means
/// "forget it" (`deletes_by_file`), an item whose file was deleted is tombstoned here, when
/// its URL shows up again.
pub fn before_fetch(
    store: &Store,
    source: &str,
    url: &Url,
    recheck_hours: u64,
    now: DateTime<FixedOffset>,
    deletes_by_file: bool,
) -> Result<Before, StoreError> {
    let key = identity_key(url);
    if store.is_tombstoned(&key, None)? {
        return Ok(Before::Skip);
    }
    let seen = match store.seen(url.as_str())? {
        Some(s) => Some(s),
        None => store.seen(&key)?,
    };
    let Some(seen) = seen else {
        return Ok(Before::Fetch);
    };
    let Some(item) = seen.map(|id| store.item(&id)).transpose()?.flatten() else {
        return Ok(Before::Skip);
    };
    if deletes_by_file && file_deleted(Path::new(&item.path)) {
        let item_key =
            Url::parse(&item.url).map_or_else(|_| item.url.clone(), |u| identity_key(&u));
        store.tombstone(&item_key, &item.url, Some(&item.id), "file deleted")?;
        tracing::info!(item = %item.id, path = %item.path, "file deleted: tombstoned");
        return Ok(Before::Skip);
    }
    let young = now.signed_duration_since(item.first_seen) < Duration::hours(recheck_hours as i64);
    if item.source != source || !young {
        return Ok(Before::Skip);
    }
    // Only the URL the item was fetched from is re-checked (another URL of the same story
    // could extract slightly differently and flip the file back and forth), and only when the
    // page gave a validator: without one a re-check is a full download every run.
    let same = |u: &str| u == url.as_str() || Url::parse(u).is_ok_and(|u| identity_key(&u) == key);
    Ok(match store.item_validators(&item.id)? {
        Some((fetched, validators))
            if same(&fetched)
                && (validators.etag.is_some() || validators.last_modified.is_some()) =>
        {
            Before::Recheck {
                item_id: item.id,
                validators,
            }
        }
        _ => Before::Skip,
    })
}

/// What to do with an extracted article.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    /// Store (create or update) item `id`.
    Store { id: String },
    /// Already known under this identity (another URL of a stored item, or a tombstone):
    /// remember the URLs as leading to `id`, write nothing.
    Known { id: Option<String> },
    /// A copy of the stored story `item_id`, whose fingerprint is `distance` bits away.
    Copy { item_id: String, distance: u32 },
}

/// The fingerprint of an extracted text (reads the store, writes nothing): the page flow
/// computes it in parallel, before taking the lock that [`decide`] runs under.
pub fn fingerprint(
    store: &Store,
    settings: &Settings,
    source: &str,
    id: &str,
    text: &str,
) -> Result<Fingerprint, StoreError> {
    fingerprint_for(store, settings, source, id, text)
}

/// Whether a page with fingerprint `fp` is new, known or a copy of a stored story.
pub fn decide(
    store: &Store,
    settings: &Settings,
    canonical: &Url,
    new_id: &str,
    recheck: Option<&str>,
    fp: &Fingerprint,
) -> Result<After, StoreError> {
    if let Some(id) = recheck {
        return Ok(After::Store { id: id.to_string() });
    }
    let key = identity_key(canonical);
    if store.is_tombstoned(&key, Some(new_id))? {
        return Ok(After::Known { id: None });
    }
    let known = match store.seen(canonical.as_str())? {
        Some(s) => Some(s),
        None => store.seen(&key)?,
    };
    if let Some(Some(id)) = known {
        return Ok(After::Known { id: Some(id) });
    }
    let candidates: Vec<_> = store
        .copy_candidates(fp, settings.threshold)?
        .into_iter()
        .filter(|c| c.id != new_id)
        .collect();
    if let Some((item_id, distance)) = find_copy(fp, &candidates, settings) {
        let item_id = item_id.to_string();
        return Ok(After::Copy { item_id, distance });
    }
    Ok(After::Store {
        id: new_id.to_string(),
    })
}

/// The fingerprint of `text`, with the paragraphs `source` repeats across its other items
/// treated as boilerplate.
fn fingerprint_for(
    store: &Store,
    settings: &Settings,
    source: &str,
    id: &str,
    text: &str,
) -> Result<Fingerprint, StoreError> {
    let paras = text::paragraphs(text);
    let hashes: Vec<u64> = paras.iter().map(|p| p.hash).collect();
    let repeated = store.repeated_paragraphs(source, &hashes, id)?;
    Ok(fingerprint_paragraphs(&paras, settings, |h| {
        repeated.contains(&h)
    }))
}
