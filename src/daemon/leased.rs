//! The daemon of one worker among several sharing a PostgreSQL store. Each source's next due
//! time and lease live in the store: a worker claims due sources nobody holds (or whose holder
//! stopped renewing), renews its leases while it runs them, and on finishing sets the next due
//! time from the source's schedule (and backoff). A killed worker's sources are claimed by
//! another once its lease expires; a finished source is not due again before its next
//! scheduled time, whichever worker looks.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::app::schedule::{next_after_run, next_run};
use crate::app::{self, Context};
use crate::store::{Coordination, blocking};

use super::{drain, log_report};

/// How many due sources a worker claims at once: small enough that a burst of due sources
/// spreads over the workers.
pub const CLAIM_BATCH: i64 = 16;

fn ms<Tz: chrono::TimeZone>(t: Option<chrono::DateTime<Tz>>) -> i64 {
    t.map_or(i64::MAX, |t| t.timestamp_millis())
}

/// Runs until `cancel` fires, claiming due sources through `coordination`.
pub async fn run(ctx: Context, coordination: Arc<Coordination>, cancel: CancellationToken) {
    let owner = ctx.config.store.worker.clone();
    let names: Vec<String> = ctx.config.sources.iter().map(|s| s.name.clone()).collect();
    let due = first_due(&ctx).await;
    tracing::info!(worker = %owner, sources = names.len(), "worker started on a shared store");
    let mut registered = false;
    while !cancel.is_cancelled() {
        // Until the sources are registered nothing can be claimed: retry every round.
        if !registered {
            let (c, due) = (coordination.clone(), due.clone());
            match blocking(move || c.register_sources(&due)).await {
                Ok(()) => registered = true,
                Err(e) => {
                    tracing::error!(error = %e, "cannot register sources in the shared store")
                }
            }
        }
        let claimed = claim(&ctx, &coordination, &names).await;
        if claimed.is_empty() {
            let wait = until_due(&ctx, &coordination, &names).await;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        tracing::info!(worker = %owner, sources = ?claimed, "claimed");
        let started = Utc::now().with_timezone(&ctx.config.site.timezone);
        let heartbeat = renew_while_running(&ctx, &coordination, &claimed);
        let report = drain(app::run(&ctx, &claimed), &cancel).await;
        heartbeat.abort();
        let Some(report) = report else {
            tracing::warn!(
                "run abandoned after the grace period; its leases expire for another worker"
            );
            return;
        };
        log_report(&report);
        release(&ctx, &coordination, &claimed, started).await;
    }
}

/// Each source's first due time (ms) by its own schedule and state.
async fn first_due(ctx: &Context) -> Vec<(String, i64)> {
    ctx.blocking(|ctx| {
        let now = Utc::now().with_timezone(&ctx.config.site.timezone);
        let sources = ctx.config.sources.iter();
        sources
            .map(|s| {
                let state = ctx.store.source_state(&s.name).unwrap_or_default();
                (s.name.clone(), ms(next_run(s, &state, now)))
            })
            .collect()
    })
    .await
}

/// Claims up to [`CLAIM_BATCH`] due sources nobody holds.
async fn claim(ctx: &Context, coordination: &Arc<Coordination>, names: &[String]) -> Vec<String> {
    let (c, n, owner) = (
        coordination.clone(),
        names.to_vec(),
        ctx.config.store.worker.clone(),
    );
    let lease_ms = ctx.config.store.lease.as_millis() as i64;
    blocking(move || c.claim_sources(&n, &owner, lease_ms, CLAIM_BATCH))
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot claim sources");
            Vec::new()
        })
}

/// How long to sleep before the next source is due (at most `store.poll_secs`).
async fn until_due(ctx: &Context, coordination: &Arc<Coordination>, names: &[String]) -> Duration {
    let (c, n) = (coordination.clone(), names.to_vec());
    let next = blocking(move || c.next_due(&n)).await.ok().flatten();
    let poll = ctx.config.store.poll;
    next.map(|at| {
        Duration::from_millis(u64::try_from(at - Utc::now().timestamp_millis()).unwrap_or(0))
    })
    .unwrap_or(poll)
    .clamp(Duration::from_millis(10), poll)
}

/// Renews the leases on `claimed` every `store.lease_secs / 3` until aborted.
fn renew_while_running(
    ctx: &Context,
    coordination: &Arc<Coordination>,
    claimed: &[String],
) -> tokio::task::JoinHandle<()> {
    let (c, names, owner) = (
        coordination.clone(),
        claimed.to_vec(),
        ctx.config.store.worker.clone(),
    );
    let lease_ms = ctx.config.store.lease.as_millis() as i64;
    let every = ctx.config.store.lease / 3;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let (c, n, o) = (c.clone(), names.clone(), owner.clone());
            match blocking(move || c.renew_leases(&n, &o, lease_ms)).await {
                Ok(held) if held.len() < names.len() => {
                    tracing::warn!(held = ?held, claimed = ?names, "lost a lease")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot renew leases"),
            }
        }
    })
}

/// Ends the leases on `claimed`, each source next due by its schedule after a run that started
/// at `started` (and its backoff).
async fn release(
    ctx: &Context,
    coordination: &Arc<Coordination>,
    claimed: &[String],
    started: chrono::DateTime<chrono_tz::Tz>,
) {
    let (c, claimed) = (coordination.clone(), claimed.to_vec());
    ctx.blocking(move |ctx| {
        let now = Utc::now().with_timezone(&ctx.config.site.timezone);
        let owner = &ctx.config.store.worker;
        for source in ctx
            .config
            .sources
            .iter()
            .filter(|s| claimed.contains(&s.name))
        {
            let state = ctx.store.source_state(&source.name).unwrap_or_default();
            let next = ms(next_after_run(source, &state, started, now));
            match c.finish_source(&source.name, owner, next) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(source = %source.name, "lease was lost before the run finished")
                }
                Err(e) => tracing::warn!(source = %source.name, error = %e, "cannot release lease"),
            }
        }
    })
    .await;
}
