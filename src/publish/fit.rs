//! A feed within its byte budget (`feeds.max_bytes`): readers and hubs refuse or truncate huge
//! documents, and one long article with full content can push a feed of 50 items past them.
//!
//! The newest items matter most, so the oldest are dropped until the rendered document fits.
//! The count is found by bisection (rendering is cheap next to a round trip to a reader). At
//! least one item is kept: an empty feed would tell readers there is no news at all, which is
//! worse than one large document.
use super::{Feed, Format, Site, atom, jsonfeed, rss};

/// Renders `feed` as `format`, with as many of its newest items as fit in `max_bytes`
/// (0: no budget).
pub fn render_within(
    feed: &Feed<'_>,
    site: &Site,
    format: Format,
    max_bytes: usize,
) -> Result<Vec<u8>, std::io::Error> {
    let full = render(feed, site, format)?;
    if max_bytes == 0 || full.len() <= max_bytes || feed.items.len() <= 1 {
        return Ok(full);
    }
    // Invariant: `fits` items fit (or are the minimum of one); `too_many` items do not.
    let (mut fits, mut too_many) = (1, feed.items.len());
    let mut best = None;
    while too_many - fits > 1 {
        let mid = fits + (too_many - fits) / 2;
        let bytes = render(&first(feed, mid), site, format)?;
        if bytes.len() <= max_bytes {
            fits = mid;
            best = Some(bytes);
        } else {
            too_many = mid;
        }
    }
    let bytes = match best {
        Some(b) => b,
        None => render(&first(feed, fits), site, format)?,
    };
    tracing::debug!(
        path = %feed.path(format),
        items = fits,
        dropped = feed.items.len() - fits,
        bytes = bytes.len(),
        max_bytes,
        "feed cut to its byte budget"
    );
    Ok(bytes)
}

fn render(feed: &Feed<'_>, site: &Site, format: Format) -> Result<Vec<u8>, std::io::Error> {
    match format {
        Format::Rss => rss::render(feed, site).map_err(std::io::Error::other),
        Format::Atom => atom::render(feed, site).map_err(std::io::Error::other),
        Format::Json => jsonfeed::render(feed, site).map_err(std::io::Error::other),
    }
}

/// The same feed with only its `n` newest items.
fn first<'a>(feed: &Feed<'a>, n: usize) -> Feed<'a> {
    Feed {
        dir: feed.dir.clone(),
        kind: feed.kind,
        name: feed.name.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        items: feed.items[..n].to_vec(),
    }
}
