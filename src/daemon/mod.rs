//! The daemon: runs each source on its cron schedule (in the site's time zone) until SIGINT or
//! SIGTERM. A signal cancels; the loop stops taking new runs, a run in progress gets a grace
//! period to finish and is then abandoned ([`drain`]), which is safe because every file is
//! replaced atomically and the store commits after the file.
//!
//! One process owning its store schedules its sources itself ([`run`]); workers sharing a
//! PostgreSQL store claim them with leases instead ([`leased`]).

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::app::schedule::next_run;
use crate::app::{self, Context, RunReport};

pub mod leased;

pub use leased::CLAIM_BATCH;

/// How long a run in progress may go on after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs until `cancel` fires: with leases on a shared store, else on this process's own
/// schedule, where sources due at the same instant run together.
pub async fn run(ctx: Context, cancel: CancellationToken) {
    if let Some(coordination) = ctx.coordination.clone() {
        return leased::run(ctx, coordination, cancel).await;
    }
    let tz = ctx.config.site.timezone;
    loop {
        let now = Utc::now().with_timezone(&tz);
        let next = ctx
            .blocking(move |ctx| {
                let sources = ctx.config.sources.iter();
                sources
                    .filter_map(|s| {
                        let state = ctx.store.source_state(&s.name).unwrap_or_default();
                        next_run(s, &state, now).map(|t| (t, s.name.clone()))
                    })
                    .collect::<Vec<_>>()
            })
            .await;
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
        let Some(report) = drain(app::run(&ctx, &due), &cancel).await else {
            tracing::warn!("run abandoned after the grace period; it resumes next start");
            return;
        };
        log_report(&report);
        if cancel.is_cancelled() {
            return;
        }
    }
}

/// Awaits `run`; once `cancel` fires, lets it go on for [`SHUTDOWN_GRACE`] and then abandons it
/// (`None`).
pub async fn drain(
    run: impl Future<Output = RunReport>,
    cancel: &CancellationToken,
) -> Option<RunReport> {
    tokio::pin!(run);
    tokio::select! {
        r = &mut run => Some(r),
        _ = cancel.cancelled() => {
            tracing::info!("stop requested; letting the current run finish");
            tokio::time::timeout(SHUTDOWN_GRACE, &mut run).await.ok()
        }
    }
}

/// One log line per source of a finished run.
fn log_report(report: &RunReport) {
    for s in &report.sources {
        let c = &s.counts;
        let error = s
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info!(source = %s.source, new = c.new, updated = c.updated, unchanged = c.unchanged, failed = c.failed, error = %error, "run finished");
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
