//! One run, start to end: for each source, list its links, fetch and extract each new page,
//! write its Markdown file, store it, then publish every feed.
//!
//! ```text
//! Source --list--> Link --fetch--> Page --extract--> Article --render--> content/{source}/{id}.md
//!                                                              \--store--> Item --publish--> feeds/
//! ```
//! One failing source or page never stops the others: outcomes are data ([`SourceReport`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{FixedOffset, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tracing::Instrument;
use url::Url;

use crate::config::{Config, Source};
use crate::dedup::{
    self,
    index::{After, Before},
    url::identity_key,
};
use crate::extract::{self, ExtractError};
use crate::fetch::{FetchError, Fetched, Fetcher};
use crate::listing;
use crate::markdown::{self, Document};
use crate::metrics::Metrics;
use crate::model::{Article, Link};
use crate::publish::{self, FeedOptions, PublishReport, SiteInfo};
use crate::store::{Alternate, SourceState, Store, StoreError, StoredItem};

/// What one source's run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceReport {
    pub source: String,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Why the source as a whole failed (its listing could not be read).
    pub error: Option<String>,
    /// One line per failed page.
    pub page_errors: Vec<String>,
}

impl SourceReport {
    pub fn clean(&self) -> bool {
        self.error.is_none() && self.failed == 0
    }
}

/// What a whole run did.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    pub sources: Vec<SourceReport>,
    /// How the `after_run` hook ended, when it ran.
    pub hook: Option<crate::hooks::HookOutcome>,
    pub feeds: PublishReport,
    pub publish_error: Option<String>,
}

impl RunReport {
    pub fn clean(&self) -> bool {
        self.publish_error.is_none()
            && self.sources.iter().all(SourceReport::clean)
            && self
                .hook
                .as_ref()
                .is_none_or(|h| *h == crate::hooks::HookOutcome::Ok)
    }
    pub fn wrote_anything(&self) -> bool {
        self.sources.iter().any(|s| s.new + s.updated > 0) || !self.feeds.written.is_empty()
    }
}

/// The long-lived parts a run needs.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<Config>,
    pub fetcher: Arc<Fetcher>,
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    /// Told about each source's progress (the CLI draws it on a terminal).
    pub progress: Option<Arc<dyn Progress>>,
    /// Serialises duplicate decisions and holds the stories decided but not yet committed
    /// (see `finish_page`).
    decisions: Arc<Decisions>,
    /// Markdown files written and committed, waiting to be uploaded (`publish.s3.content_prefix`);
    /// a failed upload stays here for the next run of this process.
    written: Arc<std::sync::Mutex<Vec<PathBuf>>>,
    /// Pages being processed at once: one per core plus one (a page waiting on its file write
    /// leaves the core to another). More would only add memory and switching.
    cpu: Arc<tokio::sync::Semaphore>,
}

/// Receives progress as a run goes: listing sizes and pages done, per source.
pub trait Progress: Send + Sync {
    fn listed(&self, source: &str, links: usize);
    fn page_done(&self, source: &str);
    fn source_done(&self, report: &SourceReport);
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Context {
    /// Opens the store and builds the fetcher; sweeps temp files a crash left behind.
    pub fn open(config: Config) -> Result<Context, PipelineError> {
        let metrics = Metrics::new();
        let fetcher = Fetcher::new(&config.fetch)?.with_metrics(metrics.clone());
        let store = Arc::new(match &config.store.url {
            Some(url) => Store::postgres_with(url, config.store.ca_file.as_deref())?,
            None => Store::open(&config.paths.state)?,
        });
        let fetcher = match store.is_shared() {
            true => fetcher.with_shared_hosts(store.clone()),
            false => fetcher,
        };
        for dir in [&config.paths.content, &config.paths.feeds] {
            match crate::fsutil::sweep_temp_files(dir) {
                Ok(n) if n > 0 => {
                    tracing::info!(path = %dir.display(), removed = n, "swept orphaned temp files")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(path = %dir.display(), error = %e, "cannot sweep temp files")
                }
            }
        }
        Ok(Context {
            config: Arc::new(config),
            fetcher: Arc::new(fetcher),
            store,
            metrics,
            progress: None,
            decisions: Arc::default(),
            written: Arc::default(),
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) + 1,
            )),
        })
    }
}

/// Runs the given sources (all when `names` is empty) and publishes the feeds.
pub async fn run(ctx: &Context, names: &[String]) -> RunReport {
    // Hosts that asked us to wait (429/503 Retry-After) in an earlier process stay paused.
    let now = Utc::now().timestamp();
    for (host, until) in ctx.store.host_pauses(now).unwrap_or_default() {
        ctx.fetcher
            .pause_host(&host, std::time::Duration::from_secs((until - now) as u64))
            .await;
    }
    // Items whose Markdown file the user deleted become tombstones: never recreated, and gone
    // from the feeds published below.
    // On a shared store other workers' files may live on other machines: there, deletions go
    // through `agg forget`.
    let deleted = match ctx.store.is_shared() {
        true => Ok(Vec::new()),
        false => ctx.store.tombstone_deleted_files(),
    };
    match deleted {
        Ok(gone) if !gone.is_empty() => {
            tracing::info!(items = gone.len(), "deleted files became tombstones")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot check for deleted files"),
    }
    let sources: Vec<&Source> = ctx
        .config
        .sources
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
        .collect();
    let reports = futures::future::join_all(sources.into_iter().map(|s| run_source(ctx, s))).await;
    let mut report = RunReport {
        sources: reports,
        ..Default::default()
    };
    if let Err(e) = upload_content(ctx).await {
        tracing::error!(error = %e, "uploading Markdown files failed");
        report.publish_error = Some(e);
    }
    match publish_changed_feeds(ctx).await {
        Ok(p) => report.feeds = p,
        Err(e) => {
            tracing::error!(error = %e, "publishing feeds failed");
            report.publish_error = Some(e);
        }
    }
    ctx.metrics
        .feeds_published
        .inc_by(report.feeds.written.len() as u64);
    if let Some(websub) = &ctx.config.websub {
        let c = &ctx.config;
        let changed =
            publish::websub::changed_feed_urls(&report.feeds.written, &c.site.base_url).len();
        let ok = publish::websub::announce(
            &websub.hub,
            &c.site.base_url,
            &report.feeds.written,
            &c.fetch.user_agent,
        )
        .await;
        let pings = &ctx.metrics.websub_pings;
        pings
            .get_or_create(&crate::metrics::Outcome {
                outcome: "ok".into(),
            })
            .inc_by(ok as u64);
        pings
            .get_or_create(&crate::metrics::Outcome {
                outcome: "failed".into(),
            })
            .inc_by(changed.saturating_sub(ok) as u64);
    }
    if report.sources.iter().any(|s| s.new + s.updated > 0)
        && let Some(outcome) = crate::hooks::after_run(&ctx.config.hooks).await
    {
        let label = outcome.label().to_string();
        ctx.metrics
            .hook_runs
            .get_or_create(&crate::metrics::Outcome { outcome: label })
            .inc();
        report.hook = Some(outcome);
    }
    let pauses: Vec<(String, i64)> = ctx
        .fetcher
        .host_pauses()
        .await
        .into_iter()
        .map(|(host, left)| (host, Utc::now().timestamp() + left.as_secs() as i64 + 1))
        .collect();
    if let Err(e) = ctx.store.save_host_pauses(&pauses) {
        tracing::warn!(error = %e, "cannot save host pauses");
    }
    report
}

/// Where Markdown files are uploaded (`publish.s3` with `content_prefix`), stamped with
/// `generation`; `None` when they stay local.
fn content_remote(
    config: &crate::config::Config,
    generation: u64,
    runtime: tokio::runtime::Handle,
) -> Option<publish::s3::Remote> {
    let s3 = config.publish.s3.as_ref()?;
    let settings = crate::config::S3Settings {
        prefix: s3.content_prefix.clone()?,
        ..s3.clone()
    };
    let update_interval =
        publish::cadence::update_interval(config.sources.iter().map(|s| &s.schedule));
    Some(publish::s3::Remote::connect(
        &settings,
        generation,
        update_interval,
        runtime,
    ))
}

/// A Markdown file's path below `paths.content`, `/`-separated: its key under the prefix.
fn content_key(config: &crate::config::Config, path: &Path) -> Option<String> {
    path.strip_prefix(&config.paths.content)
        .ok()
        .and_then(|r| r.to_str())
        .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
}

fn uploads_content(config: &crate::config::Config) -> bool {
    config
        .publish
        .s3
        .as_ref()
        .is_some_and(|s| s.content_prefix.is_some())
}

/// Uploads the Markdown files this process wrote to `publish.s3.content_prefix` (keys are
/// their paths under `paths.content`), stamped with the store's feed generation read after
/// they were committed: a later version of a file, from any worker, has a larger one, so an
/// older upload never replaces it. Failed files wait for the next run of this process.
async fn upload_content(ctx: &Context) -> Result<(), String> {
    if !uploads_content(&ctx.config) {
        return Ok(());
    }
    let files: Vec<PathBuf> =
        std::mem::take(&mut *ctx.written.lock().unwrap_or_else(|p| p.into_inner()));
    if files.is_empty() {
        return Ok(());
    }
    let ctx = ctx.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let keep = |files: Vec<PathBuf>| {
            ctx.written
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(files)
        };
        let generation = match ctx.store.feeds_generation() {
            Ok(g) => g,
            Err(e) => {
                keep(files);
                return Err(e.to_string());
            }
        };
        let remote = content_remote(&ctx.config, generation, runtime).expect("checked above");
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        let mut uploaded = 0;
        for path in files {
            let Some(rel) = content_key(&ctx.config, &path) else {
                tracing::warn!(path = %path.display(), "Markdown file outside paths.content: not uploaded");
                continue;
            };
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                // Forgotten since: nothing to upload.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    errors.push(format!("{}: {e}", path.display()));
                    failed.push(path);
                    continue;
                }
            };
            match remote.upload(&rel, &bytes) {
                Ok(_) => uploaded += 1,
                Err(e) => {
                    errors.push(e.to_string());
                    failed.push(path);
                }
            }
        }
        tracing::info!(uploaded, failed = failed.len(), bucket = %remote.bucket(), "Markdown files uploaded");
        keep(failed);
        match errors.len() {
            0 => Ok(()),
            n => Err(format!("{n} Markdown upload(s) failed; first: {}", errors[0])),
        }
    })
    .await
    .map_err(|e| format!("upload task failed: {e}"))?
}

/// Deletes a forgotten item's Markdown file from `publish.s3.content_prefix`, when uploads go
/// there (unless a newer generation wrote it since).
pub async fn remove_uploaded_content(ctx: &Context, path: &str) -> Result<(), String> {
    if !uploads_content(&ctx.config) {
        return Ok(());
    }
    let Some(rel) = content_key(&ctx.config, Path::new(path)) else {
        return Ok(());
    };
    let ctx = ctx.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let generation = ctx.store.feeds_generation().map_err(|e| e.to_string())?;
        let remote = content_remote(&ctx.config, generation, runtime).expect("checked above");
        remote.remove(&rel).map(|_| ()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("removal task failed: {e}"))?
}

/// Rebuilds every feed from the store (`agg build-feeds`).
pub async fn publish_feeds(ctx: &Context) -> Result<PublishReport, String> {
    publish_from_store(ctx, true).await
}

/// Republishes the feeds that new, updated and removed items are in, then the index and OPML;
/// every feed when the feed settings changed since the last publish or its main files are gone.
pub async fn publish_changed_feeds(ctx: &Context) -> Result<PublishReport, String> {
    publish_from_store(ctx, false).await
}

/// Each feed reads only its newest items from the store's feed index: memory stays bounded
/// whatever the corpus. Dirty marks are cleared only after their feeds were written.
async fn publish_from_store(ctx: &Context, everything: bool) -> Result<PublishReport, String> {
    let ctx = ctx.clone();
    tokio::task::spawn_blocking(move || {
        let c = &ctx.config;
        let site = SiteInfo {
            title: c.site.title.clone(),
            base_url: c.site.base_url.clone(),
            language: Some(c.site.language.clone()),
            timezone: c.site.timezone,
            description: c.site.description.clone(),
            icon: c.site.icon.clone(),
            logo: c.site.logo.clone(),
            hub: c.websub.as_ref().map(|w| w.hub.clone()),
        };
        let opts = FeedOptions {
            items: c.feeds.items,
            formats: c.feeds.formats.clone(),
            max_bytes: c.feeds.max_bytes,
            update_interval: publish::cadence::update_interval(
                c.sources.iter().map(|s| &s.schedule),
            ),
        };
        let store = &*ctx.store;
        // One publisher at a time among workers sharing the store; each publishes from the
        // database, so the feeds hold every worker's items.
        let _publishing = store
            .shared_lock(crate::store::LOCK_PUBLISH)
            .map_err(|e| e.to_string())?;
        // Read before any feed is: every object uploaded is at least this new.
        let remote = match &c.publish.s3 {
            Some(s3) => Some(publish::s3::Remote::connect(
                s3,
                store.feeds_generation().map_err(|e| e.to_string())?,
                opts.update_interval,
                tokio::runtime::Handle::current(),
            )),
            None => None,
        };
        let dirty = store.dirty_feeds().map_err(|e| e.to_string())?;
        let stamp = publish::publishing_stamp(&site, &opts, c.publish.s3.as_ref());
        let full = everything
            || store.feeds_stamp().map_err(|e| e.to_string())?.as_deref() != Some(stamp.as_str())
            || !publish::outputs_present(&c.paths.feeds, &opts);
        let scope = if full {
            store.refresh_feed_topics().map_err(|e| e.to_string())?;
            publish::Scope::All
        } else {
            publish::Scope::Only(&dirty.keys)
        };
        let report =
            publish::publish_to(store, scope, &site, &opts, &c.paths.feeds, remote.as_ref())
                .map_err(|e| e.to_string())?;
        store.clear_dirty_feeds(&dirty).map_err(|e| e.to_string())?;
        if full {
            store.set_feeds_stamp(&stamp).map_err(|e| e.to_string())?;
        }
        tracing::debug!(
            full,
            feeds = dirty.keys.len(),
            written = report.written.len(),
            "published"
        );
        Ok(report)
    })
    .await
    .map_err(|e| format!("publishing task failed: {e}"))?
}

/// Runs one source: never fails as a whole; its outcome is in the report.
pub async fn run_source(ctx: &Context, source: &Source) -> SourceReport {
    let span = tracing::info_span!("source", source = %source.name);
    crate::fetch::SOURCE
        .scope(
            source.name.clone(),
            run_source_inner(ctx, source).instrument(span),
        )
        .await
}

async fn run_source_inner(ctx: &Context, source: &Source) -> SourceReport {
    let mut report = SourceReport {
        source: source.name.clone(),
        ..Default::default()
    };
    let mut state = ctx.store.source_state(&source.name).unwrap_or_default();
    let listed = listing::list(&ctx.fetcher, source, &state, ctx.config.site.timezone).await;
    ctx.metrics.listing(&source.name, listed.is_ok());
    state.last_run = Some(Utc::now());
    let (links, validators) = match listed {
        Ok(l) => (l.links, l.validators),
        Err(e) => {
            let msg = format!("source {}: {e}", source.name);
            tracing::warn!(error = %e, "listing failed");
            report.error = Some(msg);
            record_state(ctx, source, state, Some(e.to_string()));
            finish_source(ctx, source, &report);
            return report;
        }
    };
    tracing::info!(links = links.len(), "listed");
    if let Some(p) = &ctx.progress {
        p.listed(&source.name, links.len().min(source.max_items));
    }
    let concurrency = ctx.config.fetch.concurrency;
    let mut outcomes = futures::stream::iter(links.into_iter().take(source.max_items))
        .map(|link| process_link(ctx, source, link))
        .buffer_unordered(concurrency);
    while let Some(outcome) = outcomes.next().await {
        if let Some(p) = &ctx.progress {
            p.page_done(&source.name);
        }
        match outcome {
            Outcome::New => report.new += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Failed(e) => {
                report.failed += 1;
                report.page_errors.push(e);
            }
        }
    }
    let error = (report.failed > 0).then(|| report.page_errors[0].clone());
    if error.is_none() {
        // Only a fully processed listing may be skipped next time on a 304; otherwise the
        // failed pages would never be retried.
        state.etag = validators.etag;
        state.last_modified = validators.last_modified;
    }
    record_state(ctx, source, state, error);
    finish_source(ctx, source, &report);
    report
}

/// Records the run and re-judges the source's extraction health; a new alert is logged once.
fn finish_source(ctx: &Context, source: &Source, report: &SourceReport) {
    if let Some(p) = &ctx.progress {
        p.source_done(report);
    }
    let run = crate::store::RunRecord {
        finished: Some(Utc::now()),
        ok: report.clean(),
        new: report.new,
        updated: report.updated,
        unchanged: report.unchanged,
        failed: report.failed,
        error: report
            .error
            .clone()
            .or_else(|| report.page_errors.first().cloned()),
    };
    if let Err(e) = ctx.store.record_run(&source.name, &run) {
        tracing::error!(error = %e, "cannot record run");
    }
    if report.new + report.updated == 0 {
        return;
    }
    match crate::health::evaluate(&ctx.store, &source.name) {
        Ok(h) => {
            ctx.metrics.health(&source.name, &h.recent);
            match ctx.store.set_health_alert(&source.name, h.alert.as_deref()) {
                Ok(true) => match &h.alert {
                    Some(a) => tracing::warn!(alert = %a, "extraction degraded (site redesign?)"),
                    None => tracing::info!("extraction healthy again"),
                },
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "cannot record health alert"),
            }
        }
        Err(e) => tracing::error!(error = %e, "cannot evaluate extraction health"),
    }
}

fn record_state(ctx: &Context, source: &Source, mut state: SourceState, error: Option<String>) {
    match error {
        Some(e) => {
            state.failures += 1;
            state.last_error = Some(e);
        }
        None => {
            state.failures = 0;
            state.last_error = None;
            state.last_ok = state.last_run;
            ctx.metrics.source_ok(&source.name);
        }
    }
    if let Err(e) = ctx.store.put_source_state(&source.name, &state) {
        tracing::error!(error = %e, "cannot record source state");
    }
}

enum Outcome {
    New,
    Updated,
    Unchanged,
    Failed(String),
}

async fn process_link(ctx: &Context, source: &Source, link: Link) -> Outcome {
    let url = link.url.clone();
    let outcome = match process_link_inner(ctx, source, link).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(url = %url, error = %e, "page failed");
            Outcome::Failed(format!("source {}: {e}", source.name))
        }
    };
    let label = match outcome {
        Outcome::New => "new",
        Outcome::Updated => "updated",
        Outcome::Unchanged => "unchanged",
        Outcome::Failed(_) => "failed",
    };
    ctx.metrics.page(&source.name, label);
    if matches!(outcome, Outcome::New | Outcome::Updated) {
        ctx.metrics
            .items_written
            .get_or_create(&crate::metrics::SourceOutcome {
                source: source.name.clone(),
                outcome: label.into(),
            })
            .inc();
    }
    outcome
}

#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{url}: bad URL")]
    BadUrl { url: String },
    #[error("{url}: not an HTML page ({content_type})")]
    NotHtml { url: String, content_type: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: extraction task failed")]
    Join { url: String },
}

async fn process_link_inner(
    ctx: &Context,
    source: &Source,
    link: Link,
) -> Result<Outcome, PageError> {
    let mut url = Url::parse(&link.url).map_err(|_| PageError::BadUrl {
        url: link.url.clone(),
    })?;
    url.set_fragment(None);
    let now = Utc::now().fixed_offset();
    let hours = ctx.config.fetch.recheck_hours;
    let (recheck, validators) =
        match dedup::index::before_fetch(&ctx.store, &source.name, &url, hours, now)? {
            Before::Fetch => (None, None),
            Before::Skip => return Ok(Outcome::Unchanged),
            Before::Recheck {
                item_id,
                validators,
            } => (Some(item_id), Some(validators)),
        };
    let fetched = ctx
        .fetcher
        .fetch(&url, source.may_read_file(&url), validators.as_ref())
        .await?;
    let Fetched::Page(page) = fetched else {
        return Ok(Outcome::Unchanged); // 304: the stored item still holds
    };
    // Everything after the fetch is CPU and disk work: it runs on the blocking pool so the
    // async threads keep requests in flight, and pages are extracted in parallel.
    let (task_ctx, name, job_url) = (ctx.clone(), source.name.clone(), url.to_string());
    let span = tracing::Span::current();
    let _cpu = ctx.cpu.acquire().await.expect("semaphore never closed");
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let source = task_ctx
            .config
            .source(&name)
            .expect("source of a running job");
        finish_page(&task_ctx, source, link, url, page, recheck)
    })
    .await
    .map_err(|_| PageError::Join { url: job_url })?
}

/// Extracts a fetched page, decides whether it is new, an update or a copy, and stores it.
fn finish_page(
    ctx: &Context,
    source: &Source,
    link: Link,
    url: Url,
    page: crate::fetch::Page,
    recheck: Option<String>,
) -> Result<Outcome, PageError> {
    if let Some(ct) = &page.content_type
        && !(ct.contains("html") || ct.contains("xml") || ct.starts_with("text/"))
    {
        return Err(PageError::NotHtml {
            url: url.to_string(),
            content_type: ct.clone(),
        });
    }
    let page_url = page.url.clone();
    let page_validators = page.validators.clone();
    let started = std::time::Instant::now();
    let article = {
        let html = page.text();
        let opts = extract::Options {
            timezone: ctx.config.site.timezone,
            rule: Some(&source.extract),
            hint: Some(&link),
        };
        extract::extract(&html, &page.url, &opts)
    };
    ctx.metrics
        .observe_extract(&source.name, started.elapsed().as_secs_f64());
    let article = match article {
        Ok(a) => a,
        Err(e @ ExtractError::NoContent { .. }) if recheck.is_none() => {
            // Remember it so an empty page (a video, a gallery) is not refetched every run.
            ctx.store.mark_seen(url.as_str(), None)?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let canonical = canonical_url(&article, &page_url);
    let parsed = Url::parse(&canonical).map_err(|_| PageError::BadUrl {
        url: canonical.clone(),
    })?;
    let new_id = item_id(&canonical);
    let fp_id = recheck.as_deref().unwrap_or(&new_id);
    let fp = dedup::index::fingerprint(
        &ctx.store,
        &ctx.config.dedup,
        &source.name,
        fp_id,
        &article.text,
    )?;
    let (link_key, key) = (identity_key(&url), identity_key(&parsed));
    let urls = [
        url.as_str(),
        article.url.as_str(),
        canonical.as_str(),
        link_key.as_str(),
        key.as_str(),
    ];
    // One decision at a time: two copies of one story extracted side by side must not both be
    // stored. A page that could be decided differently once a story decided before it is
    // committed (same item, a shared URL, a copy of it) waits for that commit.
    let ids = [new_id.as_str(), fp_id];
    let mut pending = ctx.decisions.lock();
    while pending.blocks(&ids, &urls, &fp, &ctx.config.dedup) {
        pending = ctx
            .decisions
            .released
            .wait(pending)
            .unwrap_or_else(|p| p.into_inner());
    }
    // Workers sharing a PostgreSQL store take the same decision one at a time too.
    let shared = ctx.store.shared_lock(crate::store::LOCK_DECIDE)?;
    let verdict = dedup::index::decide(
        &ctx.store,
        &ctx.config.dedup,
        &parsed,
        &new_id,
        recheck.as_deref(),
        &fp,
    )?;
    let id = match verdict {
        After::Store { id } => id,
        After::Known { id } => {
            for u in urls {
                ctx.store.mark_seen(u, id.as_deref())?;
            }
            return Ok(Outcome::Unchanged);
        }
        After::Copy { item_id, distance } => {
            ctx.store.put_alternate(&Alternate {
                url: canonical.clone(),
                item_id: item_id.clone(),
                source: source.name.clone(),
                title: article.title.clone(),
                distance,
            })?;
            for u in urls {
                ctx.store.mark_seen(u, Some(&item_id))?;
            }
            tracing::info!(item = %item_id, url = %canonical, distance, "copy of a stored story");
            return Ok(Outcome::Unchanged);
        }
    };
    // The file's write (fsync of file and folder) and the commit need not hold the lock: the
    // story is reserved, so the pages decided meanwhile see it (see `Pending::blocks`), and the
    // order of effects per page stays file first, then the store. Other workers sharing a
    // PostgreSQL store cannot see the reservation: there, both locks are kept to the commit.
    let _held = match ctx.store.is_shared() {
        true => Held::Locks(pending, shared),
        false => {
            drop(shared);
            let reservation = ctx.decisions.reserve(pending, &id, &urls, &fp);
            Held::Reservation(reservation)
        }
    };
    let outcome = store_article(ctx, source, &article, &canonical, &id, &urls)?;
    if ctx
        .store
        .item(&id)?
        .is_some_and(|i| i.source == source.name)
    {
        // Only the owner's copy is fingerprinted and re-checked.
        let threshold = ctx.config.dedup.threshold;
        ctx.store
            .put_fingerprint(&id, &source.name, &fp, threshold)?;
        ctx.store
            .put_item_validators(&id, url.as_str(), &page_validators)?;
    }
    Ok(outcome)
}

/// Duplicate decisions (one at a time) and the stories decided as new or updated whose file and
/// item are still being written.
#[derive(Default)]
struct Decisions {
    pending: std::sync::Mutex<Pending>,
    /// Notified when a reservation ends.
    released: std::sync::Condvar,
}

#[derive(Default)]
struct Pending {
    next: u64,
    stories: Vec<Reserved>,
}

/// A story decided as new or updated, not yet committed.
struct Reserved {
    token: u64,
    id: String,
    urls: Vec<String>,
    /// Its fingerprint as a copy candidate (`None` when too short to match anything).
    candidate: Option<dedup::Candidate>,
}

impl Decisions {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reserves story `id` until the returned guard is dropped; releases the decision lock.
    fn reserve(
        &self,
        mut pending: std::sync::MutexGuard<'_, Pending>,
        id: &str,
        urls: &[&str],
        fp: &dedup::Fingerprint,
    ) -> Reservation<'_> {
        pending.next += 1;
        let token = pending.next;
        pending.stories.push(Reserved {
            token,
            id: id.to_string(),
            urls: urls.iter().map(|u| u.to_string()).collect(),
            candidate: fp.simhash.map(|simhash| dedup::Candidate {
                id: id.to_string(),
                simhash,
                sketch: fp.sketch.clone(),
            }),
        });
        Reservation {
            decisions: self,
            token,
        }
    }
}

impl Pending {
    /// Whether a page (its possible item ids, its URLs, its fingerprint) might be decided
    /// differently once the reserved stories are committed: same item, a URL in common, or a
    /// copy of one of them (checked against each whole fingerprint: broader than the store's
    /// lookup, so never less careful).
    fn blocks(
        &self,
        ids: &[&str],
        urls: &[&str],
        fp: &dedup::Fingerprint,
        settings: &dedup::Settings,
    ) -> bool {
        self.stories.iter().any(|r| {
            ids.contains(&r.id.as_str())
                || r.urls.iter().any(|u| urls.contains(&u.as_str()))
                || r.candidate.as_ref().is_some_and(|c| {
                    dedup::find_copy(fp, std::slice::from_ref(c), settings).is_some()
                })
        })
    }
}

/// Ends a reservation (after the commit, or on an error or panic) and wakes waiting pages.
struct Reservation<'a> {
    decisions: &'a Decisions,
    token: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.decisions
            .lock()
            .stories
            .retain(|r| r.token != self.token);
        self.decisions.released.notify_all();
    }
}

/// What a page holds from its decision to its commit.
enum Held<'a> {
    /// Shared store: the decision lock and the workers' advisory lock.
    Locks(
        #[allow(dead_code)] std::sync::MutexGuard<'a, Pending>,
        #[allow(dead_code)] crate::store::SharedLock<'a>,
    ),
    /// Own store: the story's reservation.
    Reservation(#[allow(dead_code)] Reservation<'a>),
}

/// The item's canonical URL (see [`dedup::url`]): `rel=canonical`/`og:url` when it can be
/// trusted, else the URL the page was fetched from; cleaned of tracking parameters and
/// fragments, mapped through the per-site mirror rules.
pub fn canonical_url(article: &Article, fetched: &Url) -> String {
    dedup::url::trusted_canonical(article.canonical_url.as_deref(), fetched)
        .unwrap_or_else(|| dedup::url::clean(fetched))
        .to_string()
}

/// 16 hex digits of SHA-256 of the canonical URL: stable across runs and machines. Issued once,
/// when the item is created; an existing item keeps its id whatever its URLs become.
pub fn item_id(canonical: &str) -> String {
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Writes and stores item `id` (new, or an update of an existing one): the file only when its
/// bytes change, `updated` bumped and `published` kept on an update.
fn store_article(
    ctx: &Context,
    source: &Source,
    article: &Article,
    canonical: &str,
    id: &str,
    urls: &[&str],
) -> Result<Outcome, PageError> {
    let c = &ctx.config;
    let id = id.to_string();
    let existing = ctx.store.item(&id)?;
    if let Some(e) = existing.as_ref().filter(|e| e.source != source.name) {
        // Another source stored this article first (or is storing it in this same run): it
        // stays theirs, and this source's copy is only remembered as seen.
        tracing::debug!(item = %id, owner = %e.source, "already stored by another source");
        for u in urls {
            ctx.store.mark_seen(u, Some(&id))?;
        }
        return Ok(Outcome::Unchanged);
    }
    // An update keeps the item's identity: its URL as first stored.
    let canonical = existing.as_ref().map_or(canonical, |e| e.url.as_str());
    let now = Utc::now().with_timezone(&FixedOffset::east_opt(0).expect("zero offset"));
    let first_seen = existing.as_ref().map_or(now, |e| e.first_seen);
    // Never invented, never moved: an undated item keeps its first-seen time.
    let published = existing
        .as_ref()
        .map(|e| e.published)
        .or(article.published)
        .unwrap_or(first_seen);
    let title = article
        .title
        .clone()
        .unwrap_or_else(|| canonical.to_string());
    let langs = vec![
        source
            .lang
            .clone()
            .or_else(|| article.lang.clone())
            .unwrap_or_else(|| c.site.language.clone()),
    ];
    let summary = markdown::summary_of(&article.text);
    let doc = Document {
        title: &title,
        date: published,
        timezone: c.site.timezone,
        summary: &summary,
        categories: &source.categories,
        langs: &langs,
        tags: &source.tags,
        thumbnail: article.thumbnail.as_deref(),
        front_matter: &c.front_matter,
        body: &article.markdown,
        source: &source.name,
        url: canonical,
    };
    let bytes = markdown::render(&doc);
    let content_hash = item_id(&bytes);
    if let Some(e) = &existing
        && e.content_hash == content_hash
    {
        for u in urls {
            ctx.store.mark_seen(u, Some(&id))?;
        }
        return Ok(Outcome::Unchanged);
    }
    let path: PathBuf = existing
        .as_ref()
        .map(|e| PathBuf::from(&e.path))
        .unwrap_or_else(|| c.paths.content.join(&source.name).join(format!("{id}.md")));
    // File first, then the store: a crash in between re-emits the same bytes next run.
    crate::fsutil::write_if_changed(&path, bytes.as_bytes()).map_err(|source| {
        PageError::Write {
            path: path.display().to_string(),
            source,
        }
    })?;
    let feed_summary = article
        .description
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| summary.clone());
    let item = StoredItem {
        id: id.clone(),
        source: source.name.clone(),
        url: canonical.to_string(),
        title,
        summary: feed_summary,
        content_html: article.body_html.clone(),
        path: path.display().to_string(),
        published,
        updated: if existing.is_some() {
            now
        } else {
            article.updated.unwrap_or(published).max(published)
        },
        first_seen,
        author: article.author.clone(),
        thumbnail: article.thumbnail.clone(),
        categories: source.categories.clone(),
        tags: source.tags.clone(),
        lang: langs.first().cloned(),
        content_hash,
    };
    let mut all_urls: Vec<&str> = urls.to_vec();
    all_urls.push(canonical);
    ctx.store.put_item(&item, &all_urls)?;
    if uploads_content(c) {
        ctx.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(path.clone());
    }
    let health = crate::store::ItemHealth {
        has_title: article
            .title
            .as_deref()
            .is_some_and(|t| !t.trim().is_empty()),
        has_date: article.published.is_some(),
        has_thumbnail: article.thumbnail.is_some(),
        body_chars: article.text.chars().filter(|c| !c.is_whitespace()).count(),
    };
    ctx.store.record_item_health(&id, &source.name, &health)?;
    tracing::info!(item = %id, url = %canonical, path = %item.path, "stored");
    Ok(if existing.is_some() {
        Outcome::Updated
    } else {
        Outcome::New
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "The harbour authority said on Monday that the new solar ferry will \
        enter service in the spring, replacing two diesel boats on the crossing.\n\
        The vessel carries two hundred passengers and charges at the quay in twelve minutes.\n\
        Residents welcomed the quieter crossing, though some asked about the early departure.\n\
        The operator expects the second ferry of the same design to arrive next year.";

    const OTHER: &str = "The city council voted on Tuesday to extend the tram line to the \
        airport, a project first proposed more than a decade ago by the transport board.\n\
        Construction is due to start in autumn and last three years, with six new stops.\n\
        Shop owners along the route asked for compensation during the months of works.";

    #[test]
    fn a_reserved_story_holds_back_its_urls_its_id_and_its_copies_only() {
        let settings = dedup::Settings {
            min_chars: 100,
            ..Default::default()
        };
        let fp = |t: &str| dedup::fingerprint(t, &settings, |_| false);
        let decisions = Decisions::default();
        let reservation =
            decisions.reserve(decisions.lock(), "id1", &["https://a/1", "a/1"], &fp(STORY));
        let pending = decisions.lock();
        let other = fp(OTHER);
        assert!(pending.blocks(&["id1"], &["https://b/2"], &other, &settings));
        assert!(pending.blocks(&["id2"], &["https://b/2", "a/1"], &other, &settings));
        let copy = fp(&format!("{STORY}\nShare this article."));
        assert!(pending.blocks(&["id2"], &["https://b/2"], &copy, &settings));
        assert!(!pending.blocks(&["id2"], &["https://b/2"], &other, &settings));
        drop(pending);
        drop(reservation);
        assert!(
            !decisions
                .lock()
                .blocks(&["id1"], &["a/1"], &copy, &settings)
        );
    }
}
