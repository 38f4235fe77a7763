//! Publishing the feeds from the store: every feed (`agg build-feeds`, `agg forget`), or after a
//! run only the feeds its new, updated and removed items are in. Each feed reads only its
//! newest items from the store's feed index, so memory stays bounded whatever the corpus;
//! dirty marks are cleared only after their feeds were written.

use crate::config::Config;
use crate::publish::{self, FeedOptions, PublishError, PublishReport, SiteInfo, s3};
use crate::store::{Lock, StoreError};

use super::Context;

/// Why the feeds were not (all) published.
#[derive(Debug, thiserror::Error)]
pub enum FeedsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// Rebuilds every feed from the store.
pub async fn all(ctx: &Context) -> Result<PublishReport, FeedsError> {
    ctx.blocking(|ctx| from_store(ctx, true)).await
}

/// Republishes the feeds that new, updated and removed items are in, then the index and OPML;
/// every feed when the feed settings changed since the last publish or its main files are gone.
pub async fn changed(ctx: &Context) -> Result<PublishReport, FeedsError> {
    ctx.blocking(|ctx| from_store(ctx, false)).await
}

/// The site facts every feed shows.
pub fn site_info(c: &Config) -> SiteInfo {
    SiteInfo {
        title: c.site.title.clone(),
        base_url: c.site.base_url.clone(),
        language: Some(c.site.language.clone()),
        timezone: c.site.timezone,
        description: c.site.description.clone(),
        icon: c.site.icon.clone(),
        logo: c.site.logo.clone(),
        hub: c.websub.as_ref().map(|w| w.hub.clone()),
    }
}

/// The `feeds:` settings, with the update interval the sources' schedules give.
pub fn feed_options(c: &Config) -> FeedOptions {
    FeedOptions {
        items: c.feeds.items,
        formats: c.feeds.formats.clone(),
        max_bytes: c.feeds.max_bytes,
        update_interval: publish::cadence::update_interval(c.sources.iter().map(|s| &s.schedule)),
    }
}

/// Publishes from the store (on a blocking thread): everything, or the dirty feeds.
fn from_store(ctx: &Context, everything: bool) -> Result<PublishReport, FeedsError> {
    let (c, store) = (&ctx.config, &*ctx.store);
    let (site, opts) = (site_info(c), feed_options(c));
    // One publisher at a time among workers sharing the store; each publishes from the
    // database, so the feeds hold every worker's items.
    let _publishing = match &ctx.coordination {
        Some(coordination) => Some(coordination.lock(Lock::Publish)?),
        None => None,
    };
    // Read before any feed is: every object uploaded is at least this new.
    let remote = match &c.publish.s3 {
        Some(settings) => Some(s3::Remote::connect(
            settings,
            store.feeds_generation()?,
            opts.update_interval,
            tokio::runtime::Handle::current(),
        )),
        None => None,
    };
    let dirty = store.dirty_feeds()?;
    let stamp = publish::publishing_stamp(&site, &opts, c.publish.s3.as_ref());
    let full = everything
        || store.feeds_stamp()?.as_deref() != Some(stamp.as_str())
        || !publish::outputs_present(&c.paths.feeds, &opts);
    let scope = match full {
        true => {
            store.refresh_feed_topics()?;
            publish::Scope::All
        }
        false => publish::Scope::Only(&dirty.keys),
    };
    let report = publish::publish_to(store, scope, &site, &opts, &c.paths.feeds, remote.as_ref())?;
    store.clear_dirty_feeds(&dirty)?;
    if full {
        store.set_feeds_stamp(&stamp)?;
    }
    tracing::debug!(
        full,
        feeds = dirty.keys.len(),
        written = report.written.len(),
        "published"
    );
    Ok(report)
}
