//! The daemon: runs each source on its cron schedule (in the site's time zone) until SIGINT or
//! SIGTERM. A signal cancels; the loop stops taking new runs, a run in progress gets a grace
//! period to finish and is then abandoned, which is safe because every file is replaced
//! atomically and the store commits after the file.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::app::schedule::{next_after_run, next_run};
use crate::app::{self, Context};

/// How long a run in progress may go on after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs until `cancel` fires. Sources due at the same instant run together. On a shared
/// (PostgreSQL) store, sources are claimed with leases instead: see [`run_shared`].
pub async fn run(ctx: Context, cancel: CancellationToken) {
    if ctx.store.is_shared() {
        return run_shared(ctx, cancel).await;
    }
    let tz = ctx.config.site.timezone;
    loop {
        let now = Utc::now().with_timezone(&tz);
        let next: Vec<(chrono::DateTime<chrono_tz::Tz>, String)> = ctx
            .config
            .sources
            .iter()
            .filter_map(|s| {
                let state = ctx.store.source_state(&s.name).unwrap_or_default();
                next_run(s, &state, now).map(|t| (t, s.name.clone()))
            })
            .collect();
        let Some(at) = next.iter().map(|(t, _)| *t).min() else {
            tracing::warn!("no source has a future run; daemon idle until stopped");
            cancel.cancelled().await;
            return;
        };
        let due: Vec<String> = next
            .into_iter()
            .filter(|(t, _)| *t == at)
            .map(|(_, n)| n)
            .collect();
        let wait = (at.with_timezone(&Utc) - Utc::now())
            .to_std()
            .unwrap_or_default();
        tracing::info!(next_run = %at, sources = ?due, "waiting");
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let run = app::run(&ctx, &due);
        tokio::pin!(run);
        let report = tokio::select! {
            r = &mut run => r,
            _ = cancel.cancelled() => {
                tracing::info!("stop requested; letting the current run finish");
                match tokio::time::timeout(SHUTDOWN_GRACE, &mut run).await {
                    Ok(r) => r,
                    Err(_) => {
                        tracing::warn!("run abandoned after the grace period; it resumes next start");
                        return;
                    }
                }
            }
        };
        for s in &report.sources {
            tracing::info!(source = %s.source, new = s.new, updated = s.updated, unchanged = s.unchanged, failed = s.failed, error = s.error.as_deref().unwrap_or(""), "run finished");
        }
        if cancel.is_cancelled() {
            return;
        }
    }
}

/// How many due sources a worker claims at once on a shared store: small enough that a burst
/// of due sources spreads over the workers.
pub const CLAIM_BATCH: i64 = 16;

fn ms<Tz: chrono::TimeZone>(t: Option<chrono::DateTime<Tz>>) -> i64 {
    t.map_or(i64::MAX, |t| t.timestamp_millis())
}

/// Runs `f` on the blocking pool (store calls on PostgreSQL wait on the network).
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|p| std::panic::resume_unwind(p.into_panic()))
}

/// The daemon of one worker among several sharing a PostgreSQL store. Each source's next due
/// time and lease live in the store: a worker claims due sources nobody holds (or whose holder
/// stopped renewing), renews its leases while it runs them, and on finishing sets the next due
/// time from the source's schedule (and backoff). A killed worker's sources are claimed by
/// another once its lease expires; a finished source is not due again before its next
/// scheduled time, whichever worker looks.
pub async fn run_shared(ctx: Context, cancel: CancellationToken) {
    let tz = ctx.config.site.timezone;
    let owner = ctx.config.store.worker.clone();
    let lease_ms = ctx.config.store.lease.as_millis() as i64;
    let names: Vec<String> = ctx.config.sources.iter().map(|s| s.name.clone()).collect();
    let now = Utc::now().with_timezone(&tz);
    let due: Vec<(String, i64)> = ctx
        .config
        .sources
        .iter()
        .map(|s| {
            let state = ctx.store.source_state(&s.name).unwrap_or_default();
            (s.name.clone(), ms(next_run(s, &state, now)))
        })
        .collect();
    tracing::info!(worker = %owner, sources = names.len(), "worker started on a shared store");
    let mut registered = false;
    loop {
        if cancel.is_cancelled() {
            return;
        }
        // Until the sources are registered nothing can be claimed: retry every round.
        if !registered {
            let (store, due) = (ctx.store.clone(), due.clone());
            match blocking(move || store.register_sources(&due)).await {
                Ok(()) => registered = true,
                Err(e) => {
                    tracing::error!(error = %e, "cannot register sources in the shared store")
                }
            }
        }
        let (store, n, o) = (ctx.store.clone(), names.clone(), owner.clone());
        let claimed =
            match blocking(move || store.claim_sources(&n, &o, lease_ms, CLAIM_BATCH)).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim sources");
                    Vec::new()
                }
            };
        if claimed.is_empty() {
            let (store, n) = (ctx.store.clone(), names.clone());
            let next = blocking(move || store.next_due(&n)).await.ok().flatten();
            let wait = next
                .map(|at| {
                    Duration::from_millis(
                        u64::try_from(at - Utc::now().timestamp_millis()).unwrap_or(0),
                    )
                })
                .unwrap_or(ctx.config.store.poll)
                .clamp(Duration::from_millis(10), ctx.config.store.poll);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        tracing::info!(worker = %owner, sources = ?claimed, "claimed");
        let started = Utc::now().with_timezone(&tz);
        let heartbeat = {
            let (store, c, o) = (ctx.store.clone(), claimed.clone(), owner.clone());
            let every = ctx.config.store.lease / 3;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    let (store, names, o) = (store.clone(), c.clone(), o.clone());
                    match blocking(move || store.renew_leases(&names, &o, lease_ms)).await {
                        Ok(held) if held.len() < c.len() => {
                            tracing::warn!(held = ?held, claimed = ?c, "lost a lease")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "cannot renew leases"),
                    }
                }
            })
        };
        let run = app::run(&ctx, &claimed);
        tokio::pin!(run);
        let report = tokio::select! {
            r = &mut run => Some(r),
            _ = cancel.cancelled() => {
                tracing::info!("stop requested; letting the current run finish");
                tokio::time::timeout(SHUTDOWN_GRACE, &mut run).await.ok()
            }
        };
        heartbeat.abort();
        let Some(report) = report else {
            tracing::warn!(
                "run abandoned after the grace period; its leases expire for another worker"
            );
            return;
        };
        for s in &report.sources {
            tracing::info!(source = %s.source, new = s.new, updated = s.updated, unchanged = s.unchanged, failed = s.failed, error = s.error.as_deref().unwrap_or(""), "run finished");
        }
        let now = Utc::now().with_timezone(&tz);
        for source in ctx
            .config
            .sources
            .iter()
            .filter(|s| claimed.contains(&s.name))
        {
            let state = ctx.store.source_state(&source.name).unwrap_or_default();
            let next = ms(next_after_run(source, &state, started, now));
            let (store, name, o) = (ctx.store.clone(), source.name.clone(), owner.clone());
            match blocking(move || store.finish_source(&name, &o, next)).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(source = %source.name, "lease was lost before the run finished")
                }
                Err(e) => tracing::warn!(source = %source.name, error = %e, "cannot release lease"),
            }
        }
        if cancel.is_cancelled() {
            return;
        }
    }
}

/// A token cancelled by SIGINT or SIGTERM.
pub fn shutdown_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("install SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("stop signal received");
        t.cancel();
    });
    token
}
