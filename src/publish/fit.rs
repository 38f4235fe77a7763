//! A feed within its byte budget (`feeds.max_bytes`): readers and hubs refuse or truncate huge
//! documents, and one long article with full content can push a feed of 50 items past them.
//!
//! One huge item must not evict the others, so the budget is met in this order:
//! 1. the items with the largest content lose their content, largest first, until it fits
//!    (they keep title, link and summary: readers show the summary and link to the page);
//! 2. if every item is down to its summary and it still does not fit, the oldest are dropped;
//! 3. if one summary-only item is still too large (a budget smaller than a feed's header),
//!    the feed is written without items.
//!
//! Each step finds its count by bisection (a handful of renders). Titles, summaries and authors
//! are already capped by [`super::text`], so step 2 is rare and step 3 needs a tiny budget;
//! `max_bytes` is a real limit either way.
use super::{Feed, Format, Site, atom, jsonfeed, rss};
use crate::model::FeedItem;

/// Renders `feed` as `format` within `max_bytes` (0: no budget), as described above.
pub fn render_within(
    feed: &Feed<'_>,
    site: &Site,
    format: Format,
    max_bytes: usize,
) -> Result<Vec<u8>, std::io::Error> {
    let full = render(feed, site, format)?;
    if max_bytes == 0 || full.len() <= max_bytes {
        return Ok(full);
    }
    let n = feed.items.len();
    // The items that carry content, largest first.
    let mut heavy: Vec<usize> = (0..n)
        .filter(|&i| !feed.items[i].content_html.is_empty())
        .collect();
    // Among equal sizes the oldest (latest in the list) goes first.
    heavy.sort_by_key(|&i| std::cmp::Reverse((feed.items[i].content_html.len(), i)));
    let lean: Vec<FeedItem> = feed
        .items
        .iter()
        .map(|item| FeedItem {
            content_html: String::new(),
            ..(*item).clone()
        })
        .collect();
    // Step 1: the `k` heaviest items without content.
    let stripped = |k: usize| {
        let mut items = feed.items.clone();
        for &i in &heavy[..k] {
            items[i] = &lean[i];
        }
        with_items(feed, items)
    };
    if let Some((k, bytes)) = least_fitting(
        1,
        heavy.len(),
        |k| render(&stripped(k), site, format),
        max_bytes,
    )? {
        tracing::info!(
            path = %feed.path(format),
            shrunk = k,
            bytes = bytes.len(),
            max_bytes,
            "largest items published as summaries to fit the feed's byte budget"
        );
        return Ok(bytes);
    }
    // Step 2: every item lean, the newest `m` of them (the most that fit).
    let newest = |m: usize| with_items(feed, lean[..m].iter().collect());
    if let Some((m, bytes)) = most_fitting(
        n.saturating_sub(1),
        |m| render(&newest(m), site, format),
        max_bytes,
    )? {
        tracing::warn!(
            path = %feed.path(format),
            items = m,
            dropped = n - m,
            bytes = bytes.len(),
            max_bytes,
            "oldest items dropped to fit the feed's byte budget"
        );
        return Ok(bytes);
    }
    // Step 3.
    tracing::warn!(
        path = %feed.path(format),
        max_bytes,
        "feeds.max_bytes is smaller than one summary-only item: feed written without items"
    );
    render(&newest(0), site, format)
}

/// The least `k` in `lo..=hi` whose rendering fits (renderings shrink as `k` grows), with it.
fn least_fitting(
    lo: usize,
    hi: usize,
    mut render_k: impl FnMut(usize) -> Result<Vec<u8>, std::io::Error>,
    max_bytes: usize,
) -> Result<Option<(usize, Vec<u8>)>, std::io::Error> {
    if lo > hi {
        return Ok(None);
    }
    let top = render_k(hi)?;
    if top.len() > max_bytes {
        return Ok(None);
    }
    // Invariant: `fits` fits; every k < `lo` does not.
    let (mut lo, mut fits, mut best) = (lo, hi, top);
    while lo < fits {
        let mid = lo + (fits - lo) / 2;
        let bytes = render_k(mid)?;
        if bytes.len() <= max_bytes {
            fits = mid;
            best = bytes;
        } else {
            lo = mid + 1;
        }
    }
    Ok(Some((fits, best)))
}

/// The greatest `m` in `1..=hi` whose rendering fits (renderings grow with `m`), with it.
fn most_fitting(
    hi: usize,
    mut render_m: impl FnMut(usize) -> Result<Vec<u8>, std::io::Error>,
    max_bytes: usize,
) -> Result<Option<(usize, Vec<u8>)>, std::io::Error> {
    if hi == 0 {
        return Ok(None);
    }
    let one = render_m(1)?;
    if one.len() > max_bytes {
        return Ok(None);
    }
    // Invariant: `fits` fits; every m > `hi` does not.
    let (mut fits, mut hi, mut best) = (1, hi, one);
    while fits < hi {
        let mid = fits + (hi - fits).div_ceil(2);
        let bytes = render_m(mid)?;
        if bytes.len() <= max_bytes {
            fits = mid;
            best = bytes;
        } else {
            hi = mid - 1;
        }
    }
    Ok(Some((fits, best)))
}

fn with_items<'a>(feed: &Feed<'_>, items: Vec<&'a FeedItem>) -> Feed<'a> {
    Feed {
        dir: feed.dir.clone(),
        kind: feed.kind,
        name: feed.name.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        items,
    }
}

fn render(feed: &Feed<'_>, site: &Site, format: Format) -> Result<Vec<u8>, std::io::Error> {
    match format {
        Format::Rss => rss::render(feed, site).map_err(std::io::Error::other),
        Format::Atom => atom::render(feed, site).map_err(std::io::Error::other),
        Format::Json => jsonfeed::render(feed, site).map_err(std::io::Error::other),
    }
}
