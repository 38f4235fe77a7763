//! One page, from a listed link to a committed item:
//!
//! 1. before fetching, decide: a new link, a known one, or a young item to re-check;
//! 2. fetch it (conditionally when re-checking: a 304 costs nothing more);
//! 3. on the blocking pool: extract the article, fingerprint it, and decide (under the decision
//!    lock) whether it is a new item, an update, a known page or a copy of a stored story;
//! 4. write its Markdown file, then commit the page in one transaction.
//!
//! A page that fails fails alone: its failure is data ([`PageFailure`]).

use std::path::Path;

use chrono::{FixedOffset, Utc};
use url::Url;

use crate::config::Source;
use crate::dedup::url::identity_key;
use crate::extract::{self, ExtractError};
use crate::fetch::{Fetched, Page};
use crate::model::{Article, Link, Validators};
use crate::obs::events::PageOutcome;
use crate::store::{Alternate, Lock, PageCommit};
use crate::util::fsutil;

use super::Context;
use super::decisions::Held;
use super::dedup::{After, Before};
use super::item;
use super::report::{PageError, PageFailure};

/// Runs one link `source` listed; its outcome, or why it failed.
pub async fn process(
    ctx: &Context,
    source: &Source,
    link: Link,
) -> Result<PageOutcome, PageFailure> {
    let url = link.url.clone();
    let result = fetch_and_finish(ctx, source, link).await;
    let outcome = *result.as_ref().unwrap_or(&PageOutcome::Failed);
    let error = result.as_ref().err().map(|e| e as &dyn std::fmt::Display);
    ctx.events.page(&source.name, &url, outcome, error);
    result.map_err(|error| PageFailure {
        source: source.name.clone(),
        url,
        error,
    })
}

async fn fetch_and_finish(
    ctx: &Context,
    source: &Source,
    link: Link,
) -> Result<PageOutcome, PageError> {
    let mut url = Url::parse(&link.url).map_err(|_| PageError::BadUrl {
        url: link.url.clone(),
    })?;
    url.set_fragment(None);
    let (name, at) = (source.name.clone(), url.clone());
    let before = ctx
        .blocking(move |ctx| {
            let (hours, now) = (ctx.config.fetch.recheck_hours, Utc::now().fixed_offset());
            let deletes = ctx.deletes_by_file();
            super::dedup::before_fetch(&ctx.store, &name, &at, hours, now, deletes)
        })
        .await?;
    let (recheck, validators) = match before {
        Before::Fetch => (None, None),
        Before::Skip => return Ok(PageOutcome::Unchanged),
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
        return Ok(PageOutcome::Unchanged); // 304: the stored item still holds
    };
    // Everything after the fetch is CPU and disk work: it runs on the blocking pool so the
    // async threads keep requests in flight, and pages are extracted in parallel.
    let _cpu = ctx.cpu.acquire().await.expect("semaphore never closed");
    let (task, name, job_url) = (ctx.clone(), source.name.clone(), url.to_string());
    let span = tracing::Span::current();
    crate::store::spawn_blocking(move || {
        let _entered = span.enter();
        let source = task.config.source(&name).expect("source of a running job");
        finish(&task, source, &link, &url, &page, recheck)
    })
    .await
    .map_err(|_| PageError::Join { url: job_url })?
}

/// Extracts a fetched page, decides whether it is new, an update, known or a copy, and
/// stores it. `recheck`: the stored item this fetch re-checks.
fn finish(
    ctx: &Context,
    source: &Source,
    link: &Link,
    url: &Url,
    page: &Page,
    recheck: Option<String>,
) -> Result<PageOutcome, PageError> {
    if let Some(ct) = &page.content_type
        && !(ct.contains("html") || ct.contains("xml") || ct.starts_with("text/"))
    {
        return Err(PageError::NotHtml {
            url: url.to_string(),
            content_type: ct.clone(),
        });
    }
    let article = match extract_article(ctx, source, link, page) {
        Err(e @ ExtractError::NoContent { .. }) if recheck.is_none() => {
            // Remember it so an empty page (a video, a gallery) is not refetched every run.
            ctx.store.mark_seen(url.as_str(), None)?;
            return Err(e.into());
        }
        r => r?,
    };
    let canonical = item::canonical_url(&article, &page.url);
    let parsed = Url::parse(&canonical).map_err(|_| PageError::BadUrl {
        url: canonical.clone(),
    })?;
    let new_id = item::item_id(&canonical);
    let fp_id = recheck.as_deref().unwrap_or(&new_id);
    let fp = super::dedup::fingerprint(
        &ctx.store,
        &ctx.config.dedup,
        &source.name,
        fp_id,
        &article.text,
    )?;
    let (link_key, key) = (identity_key(url), identity_key(&parsed));
    let urls = [
        url.as_str(),
        article.url.as_str(),
        canonical.as_str(),
        link_key.as_str(),
        key.as_str(),
    ];
    let found = Found {
        source,
        article: &article,
        canonical: &canonical,
        urls: &urls,
        fp: &fp,
        fetched_from: url.as_str(),
        validators: &page.validators,
    };
    decide_and_store(ctx, &found, &parsed, &new_id, recheck.as_deref())
}

/// Extracts the article, timing it.
fn extract_article(
    ctx: &Context,
    source: &Source,
    link: &Link,
    page: &Page,
) -> Result<Article, ExtractError> {
    let started = std::time::Instant::now();
    let html = page.text();
    let opts = extract::Options {
        timezone: ctx.config.site.timezone,
        rule: Some(&source.extract),
        hint: Some(link),
    };
    let article = extract::extract(&html, &page.url, &opts);
    ctx.events
        .extracted(&source.name, started.elapsed().as_secs_f64());
    article
}

/// What a page gave, ready to be decided on and stored.
struct Found<'a> {
    source: &'a Source,
    article: &'a Article,
    canonical: &'a str,
    /// Every URL the page is known by: as listed, as fetched, canonical, and their keys.
    urls: &'a [&'a str],
    fp: &'a crate::dedup::Fingerprint,
    /// The URL fetched and the validators the page answered with (for re-checks).
    fetched_from: &'a str,
    validators: &'a Validators,
}

/// Takes the duplicate decision one page at a time, then writes and commits a new or updated
/// item. A page that could be decided differently once a story decided before it is committed
/// (same item, a shared URL, a copy of it) waits for that commit.
fn decide_and_store(
    ctx: &Context,
    found: &Found<'_>,
    canonical: &Url,
    new_id: &str,
    recheck: Option<&str>,
) -> Result<PageOutcome, PageError> {
    let settings = &ctx.config.dedup;
    let ids = [new_id, recheck.unwrap_or(new_id)];
    let mut pending = ctx.decisions.lock();
    while pending.blocks(&ids, found.urls, found.fp, settings) {
        pending = ctx
            .decisions
            .released
            .wait(pending)
            .unwrap_or_else(|p| p.into_inner());
    }
    // Workers sharing a PostgreSQL store take the same decision one at a time too.
    let shared = match &ctx.coordination {
        Some(c) => Some(c.lock(Lock::Decide)?),
        None => None,
    };
    let store = &ctx.store;
    let id = match super::dedup::decide(store, settings, canonical, new_id, recheck, found.fp)? {
        After::Store { id } => id,
        After::Known { id } => {
            let seen = seen(found.urls, id.as_deref());
            store.commit_page(&seen)?;
            return Ok(PageOutcome::Unchanged);
        }
        After::Copy { item_id, distance } => {
            store_copy(ctx, found, &item_id, distance)?;
            return Ok(PageOutcome::Unchanged);
        }
    };
    // The file's write (fsync of file and folder) and the commit need not hold the lock: the
    // story is reserved, so the pages decided meanwhile see it (see `Pending::blocks`), and the
    // order of effects per page stays file first, then the store. Other workers sharing a
    // PostgreSQL store cannot see the reservation: there, both locks are kept to the commit.
    let _held = match shared {
        Some(lock) => Held::Locks(pending, lock),
        None => Held::Reservation(ctx.decisions.reserve(pending, &id, found.urls, found.fp)),
    };
    write_and_commit(ctx, found, &id)
}

/// The commit of a page that only adds URLs leading to `item_id`.
fn seen<'a>(urls: &'a [&'a str], item_id: Option<&'a str>) -> PageCommit<'a> {
    PageCommit {
        seen: urls.to_vec(),
        seen_item: item_id,
        ..Default::default()
    }
}

/// Records a copy of stored story `item_id` as its alternate.
fn store_copy(
    ctx: &Context,
    found: &Found<'_>,
    item_id: &str,
    distance: u32,
) -> Result<(), PageError> {
    let alternate = Alternate {
        url: found.canonical.to_string(),
        item_id: item_id.to_string(),
        source: found.source.name.clone(),
        title: found.article.title.clone(),
        distance,
    };
    ctx.store.commit_page(&PageCommit {
        alternate: Some(&alternate),
        ..seen(found.urls, Some(item_id))
    })?;
    tracing::info!(item = %item_id, url = %found.canonical, distance, "copy of a stored story");
    Ok(())
}

/// Writes and stores item `id` (new, or an update of an existing one): the file only when its
/// bytes change, then the page's commit.
fn write_and_commit(ctx: &Context, found: &Found<'_>, id: &str) -> Result<PageOutcome, PageError> {
    let source = found.source;
    let existing = ctx.store.item(id)?;
    if let Some(e) = existing.as_ref().filter(|e| e.source != source.name) {
        // Another source stored this article first (or is storing it in this same run): it
        // stays theirs, and this source's copy is only remembered as seen.
        tracing::debug!(item = %id, owner = %e.source, "already stored by another source");
        ctx.store.commit_page(&seen(found.urls, Some(id)))?;
        return Ok(PageOutcome::Unchanged);
    }
    let now = Utc::now().with_timezone(&FixedOffset::east_opt(0).expect("zero offset"));
    let (config, article) = (&ctx.config, found.article);
    let made = item::assemble(
        config,
        source,
        article,
        found.canonical,
        id,
        existing.as_ref(),
        now,
    );
    // Only the owner's copy is fingerprinted and re-checked.
    let owned = PageCommit {
        fingerprint: Some((id, &source.name, found.fp, config.dedup.threshold)),
        validators: Some((id, found.fetched_from, found.validators)),
        ..Default::default()
    };
    if existing
        .as_ref()
        .is_some_and(|e| e.content_hash == made.item.content_hash)
    {
        ctx.store.commit_page(&PageCommit {
            seen: found.urls.to_vec(),
            seen_item: Some(id),
            ..owned
        })?;
        return Ok(PageOutcome::Unchanged);
    }
    let path = Path::new(&made.item.path);
    // File first, then the store: a crash in between re-emits the same bytes next run.
    fsutil::write_if_changed(path, made.markdown.as_bytes()).map_err(|cause| PageError::Write {
        path: made.item.path.clone(),
        cause,
    })?;
    let mut urls = found.urls.to_vec();
    urls.push(&made.item.url);
    ctx.store.commit_page(&PageCommit {
        item: Some((&made.item, urls)),
        health: Some((id, &source.name, made.health)),
        ..owned
    })?;
    ctx.written.push(config, path);
    tracing::info!(item = %id, url = %made.item.url, path = %made.item.path, "stored");
    Ok(match existing {
        Some(_) => PageOutcome::Updated,
        None => PageOutcome::New,
    })
}
