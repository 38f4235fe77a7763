//! The user's handles on dedup: `agg forget URL` (delete an article for good) and
//! `agg dedup-report` (the duplicate groups found).

use std::fmt::Write as _;

use url::Url;

use crate::dedup::url::{clean, identity_key};
use crate::store::{DuplicateGroup, Store, StoreError, StoredItem};

/// Why `agg forget` failed.
#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Upload(#[from] super::upload::UploadError),
    #[error(transparent)]
    Feeds(#[from] super::publish::FeedsError),
}

/// `agg forget URL`: forgets the article (see [`forget`]), deletes its uploaded copy, and
/// republishes every feed. Returns the item that was removed.
pub async fn forget_url(
    ctx: &super::Context,
    url: &Url,
) -> Result<Option<StoredItem>, ForgetError> {
    let at = url.clone();
    let item = ctx.blocking(move |ctx| forget(&ctx.store, &at)).await?;
    if let Some(item) = &item {
        super::upload::remove(ctx, &item.path).await?;
    }
    super::publish::all(ctx).await?;
    Ok(item)
}

/// Forgets the article at `url` (any URL it was seen under): its Markdown file is deleted, its
/// item removed (the next feed build drops it) and its identity tombstoned so no run recreates
/// it. An unknown URL is tombstoned all the same. Returns the item that was removed.
pub fn forget(store: &Store, url: &Url) -> Result<Option<StoredItem>, StoreError> {
    let key = identity_key(url);
    let mut id = None;
    for probe in [url.to_string(), clean(url).to_string(), key.clone()] {
        if let Some(Some(found)) = store.seen(&probe)? {
            id = Some(found);
            break;
        }
    }
    let item = id
        .as_deref()
        .map(|id| store.item(id))
        .transpose()?
        .flatten();
    if let Some(item) = &item {
        match std::fs::remove_file(&item.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %item.path, error = %e, "cannot delete file"),
        }
        let item_key =
            Url::parse(&item.url).map_or_else(|_| item.url.clone(), |u| identity_key(&u));
        store.tombstone(&item_key, &item.url, Some(&item.id), "forgotten")?;
    }
    store.tombstone(&key, url.as_str(), id.as_deref(), "forgotten")?;
    Ok(item)
}

/// The duplicate groups as text: per group the first-seen item (id, source, URL, title), then
/// one indented line per alternate (distance in bits, source, URL, title); a total last.
pub fn render(groups: &[DuplicateGroup]) -> String {
    let mut out = String::new();
    let mut alternates = 0;
    for g in groups {
        match &g.item {
            Some((source, url, title)) => {
                let _ = writeln!(out, "{}\t{source}\t{url}\t{title}", g.item_id);
            }
            None => {
                let _ = writeln!(out, "{}\t(forgotten)", g.item_id);
            }
        }
        for a in &g.alternates {
            alternates += 1;
            let title = a.title.as_deref().unwrap_or("");
            let _ = writeln!(out, "  ~{}\t{}\t{}\t{title}", a.distance, a.source, a.url);
        }
    }
    let _ = writeln!(out, "{} groups, {alternates} alternates", groups.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Alternate;

    #[test]
    fn report_lists_groups_and_alternates() {
        let groups = vec![DuplicateGroup {
            item_id: "abc".into(),
            item: Some(("qq".into(), "https://a/1".into(), "标题".into())),
            alternates: vec![Alternate {
                url: "https://b/9".into(),
                item_id: "abc".into(),
                source: "sina".into(),
                title: Some("标题".into()),
                distance: 2,
            }],
        }];
        assert_eq!(
            render(&groups),
            "abc\tqq\thttps://a/1\t标题\n  ~2\tsina\thttps://b/9\t标题\n1 groups, 1 alternates\n"
        );
    }

    #[test]
    fn forgetting_an_unknown_url_tombstones_it() {
        let store = Store::memory().unwrap();
        let url = Url::parse("https://ex.com/a?utm_source=x").unwrap();
        assert_eq!(forget(&store, &url).unwrap(), None);
        assert!(store.is_tombstoned("https://ex.com/a", None).unwrap());
    }
}
