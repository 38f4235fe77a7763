//! One run, start to end:
//!
//! ```text
//! prelude:   hosts paused by an earlier process stay paused; deleted files become tombstones
//! sources:   each source lists its links and runs its pages      (app::source, app::page)
//!            Link --fetch--> Page --extract--> Article --write--> content/{source}/{id}.md
//!                                                        \--commit--> store
//! publish:   Markdown files uploaded; changed feeds published     (app::upload, app::publish)
//! announce:  WebSub hub pinged; the after_run hook run
//! postlude:  host pauses saved for the next process
//! ```
//! One failing source or page never stops the others: outcomes are data ([`RunReport`]).

use std::time::Duration;

use chrono::Utc;

use crate::config::Source;
use crate::publish::{PublishReport, websub};

use super::report::RunReport;
use super::{Context, hooks, publish, source, tombstones, upload};

/// Runs the given sources (all when `names` is empty), then publishes what they changed.
pub async fn run(ctx: &Context, names: &[String]) -> RunReport {
    prelude(ctx).await;
    let sources: Vec<&Source> = ctx
        .config
        .sources
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
        .collect();
    let reports = futures::future::join_all(sources.into_iter().map(|s| source::run(ctx, s)));
    let mut report = RunReport {
        sources: reports.await,
        ..Default::default()
    };
    if let Err(e) = upload::content(ctx).await {
        tracing::error!(error = %e, "uploading Markdown files failed");
        report.publish_error = Some(e.into());
    }
    match publish::changed(ctx).await {
        Ok(feeds) => report.feeds = feeds,
        Err(e) => {
            tracing::error!(error = %e, "publishing feeds failed");
            report.publish_error = Some(e.into());
        }
    }
    announce(ctx, &report.feeds).await;
    if report.sources.iter().any(|s| s.counts.wrote()) {
        report.hook = hooks::after_run(&ctx.config.hooks).await;
    }
    if let Some(hook) = &report.hook {
        ctx.events.hook(hook.label());
    }
    postlude(ctx).await;
    report
}

/// Before the sources run: hosts that asked us to wait (429/503 `Retry-After`) in an earlier
/// process stay paused, and items whose Markdown file the user deleted become tombstones
/// (never recreated, and gone from the feeds published after the run).
async fn prelude(ctx: &Context) {
    let now = Utc::now().timestamp();
    let (pauses, deleted) = ctx
        .blocking(move |ctx| {
            let pauses = ctx.store.host_pauses(now).unwrap_or_default();
            let deleted = match ctx.deletes_by_file() {
                true => tombstones::tombstone_deleted_files(&ctx.store),
                false => Ok(Vec::new()),
            };
            (pauses, deleted)
        })
        .await;
    for (host, until) in pauses {
        let left = Duration::from_secs((until - now) as u64);
        ctx.fetcher.pause_host(&host, left).await;
    }
    match deleted {
        Ok(gone) if !gone.is_empty() => {
            tracing::info!(items = gone.len(), "deleted files became tombstones")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot check for deleted files"),
    }
}

/// Counts the feeds written and tells the WebSub hub (when one is configured) which changed.
async fn announce(ctx: &Context, feeds: &PublishReport) {
    ctx.events.feeds_published(feeds.written.len());
    let Some(hub) = &ctx.config.websub else {
        return;
    };
    let (base, agent) = (&ctx.config.site.base_url, &ctx.config.fetch.user_agent);
    let changed = websub::changed_feed_urls(&feeds.written, base).len();
    let ok = websub::announce(&hub.hub, base, &feeds.written, agent).await;
    ctx.events.websub(ok, changed);
}

/// After the run: the hosts still paused are saved, so a `Retry-After` holds across processes.
async fn postlude(ctx: &Context) {
    let pauses: Vec<(String, i64)> = ctx
        .fetcher
        .host_pauses()
        .await
        .into_iter()
        .map(|(host, left)| (host, Utc::now().timestamp() + left.as_secs() as i64 + 1))
        .collect();
    ctx.blocking(move |ctx| {
        if let Err(e) = ctx.store.save_host_pauses(&pauses) {
            tracing::warn!(error = %e, "cannot save host pauses");
        }
    })
    .await;
}
