//! The daemon: runs each source on its cron schedule (in the site's time zone) until SIGINT or
//! SIGTERM. A signal cancels; the loop stops taking new runs, a run in progress gets a grace
//! period to finish and is then abandoned, which is safe because every file is replaced
//! atomically and the store commits after the file.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::pipeline::{self, Context};

/// How long a run in progress may go on after a stop signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs until `cancel` fires. Sources due at the same instant run together.
pub async fn run(ctx: Context, cancel: CancellationToken) {
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
        let run = pipeline::run(&ctx, &due);
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

/// A failing source waits at least this long, doubled per consecutive failure, capped.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
pub const BACKOFF_MAX: Duration = Duration::from_secs(6 * 3600);

/// The source's next run after `now`: its next cron time, pushed back while it is failing
/// (exponential backoff from its last run).
pub fn next_run<Tz: chrono::TimeZone>(
    source: &crate::config::Source,
    state: &crate::store::SourceState,
    now: chrono::DateTime<Tz>,
) -> Option<chrono::DateTime<Tz>> {
    let mut earliest = now.clone();
    if state.failures > 0
        && let Some(last) = state.last_run
    {
        let factor = 1u32 << state.failures.saturating_sub(1).min(16);
        let wait = BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_MAX);
        let resume = (last + chrono::Duration::from_std(wait).ok()?).with_timezone(&now.timezone());
        if resume > earliest {
            earliest = resume;
        }
    }
    source.schedule.after(&earliest).next()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SourceState;
    use chrono::TimeZone;

    fn source(schedule: &str) -> crate::config::Source {
        let yaml = format!(
            "site: {{title: t, base_url: \"https://x/\"}}\nsources:\n  - {{name: s, kind: urls, urls: [\"https://x/a\"], schedule: \"{schedule}\"}}\n"
        );
        crate::Config::parse(&yaml, std::path::Path::new("t.yaml"))
            .unwrap()
            .sources
            .remove(0)
    }

    #[test]
    fn failing_sources_back_off_exponentially() {
        let s = source("* * * * *");
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap();
        let ok = SourceState::default();
        assert_eq!(
            next_run(&s, &ok, now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).unwrap()
        );
        let failing = |n| SourceState {
            failures: n,
            last_run: Some(now),
            ..Default::default()
        };
        // 1 failure: 1 min; 3 failures: 4 min; 20 failures: capped at 6 h.
        assert_eq!(
            next_run(&s, &failing(1), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 2, 0).unwrap()
        );
        assert_eq!(
            next_run(&s, &failing(3), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 5, 0).unwrap()
        );
        assert_eq!(
            next_run(&s, &failing(20), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 18, 1, 0).unwrap()
        );
    }
}
