//! `agg status`: one line (or JSON object) per source: last run and outcome, items written in
//! the last run and the last 24 hours, consecutive failures with the last error, extraction
//! health and the next run. A failing or degraded source makes the status unhealthy, so the
//! command can serve as a health check.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::Context;
use crate::obs::health;
use crate::store::{HealthShares, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub source: String,
    pub kind: String,
    /// ok, failing, degraded, or never (not run yet).
    pub state: String,
    pub last_run: Option<DateTime<Utc>>,
    pub last_ok: Option<DateTime<Utc>>,
    pub last_run_new: usize,
    pub last_run_updated: usize,
    pub last_run_failed: usize,
    pub new_24h: usize,
    pub updated_24h: usize,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub health: HealthShares,
    pub health_alert: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    /// On a shared store: the worker holding the source's lease now (running it).
    pub worker: Option<String>,
}

impl SourceStatus {
    pub fn unhealthy(&self) -> bool {
        matches!(self.state.as_str(), "failing" | "degraded")
    }
}

/// The status of every configured source (reads the store: call it from a blocking thread).
pub fn collect(ctx: &Context) -> Result<Vec<SourceStatus>, StoreError> {
    let now = Utc::now();
    let tz = ctx.config.site.timezone;
    ctx.config
        .sources
        .iter()
        .map(|s| {
            let st = ctx.store.source_state(&s.name)?;
            let run = ctx.store.last_run(&s.name)?.unwrap_or_default();
            let (new_24h, updated_24h) = ctx
                .store
                .written_since(&s.name, now - chrono::Duration::hours(24))?;
            let h = health::evaluate(&ctx.store, &s.name)?;
            // On a shared store the next run is what the workers agreed on, not a local guess.
            let lease = match &ctx.coordination {
                Some(c) => c.lease(&s.name)?,
                None => None,
            };
            let next_run = match &lease {
                Some(l) => DateTime::from_timestamp_millis(l.next_due_ms),
                None => crate::app::schedule::next_run(s, &st, now.with_timezone(&tz))
                    .map(|d| d.with_timezone(&Utc)),
            };
            let worker = lease
                .filter(|l| l.until_ms.is_some_and(|u| u > now.timestamp_millis()))
                .and_then(|l| l.owner);
            let state = if st.last_run.is_none() {
                "never"
            } else if st.failures > 0 {
                "failing"
            } else if h.alert.is_some() {
                "degraded"
            } else {
                "ok"
            };
            Ok(SourceStatus {
                source: s.name.clone(),
                kind: s.kind_name().to_string(),
                state: state.to_string(),
                last_run: st.last_run,
                last_ok: st.last_ok,
                last_run_new: run.new,
                last_run_updated: run.updated,
                last_run_failed: run.failed,
                new_24h,
                updated_24h,
                consecutive_failures: st.failures,
                last_error: st.last_error.clone(),
                health: h.recent,
                health_alert: h.alert,
                next_run,
                worker,
            })
        })
        .collect()
}

/// The text table: one line per source, times in the site's zone.
pub fn render_text(statuses: &[SourceStatus], tz: chrono_tz::Tz) -> String {
    let when = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into())
    };
    let pct = |v: f64| format!("{:.0}%", v * 100.0);
    let mut out = String::new();
    for s in statuses {
        let mut line = format!(
            "{}\t{}\t{}\tlast run {}\tlast run +{} new ~{} updated !{} failed\t24h +{} new ~{} updated",
            s.source,
            s.kind,
            s.state,
            when(s.last_run),
            s.last_run_new,
            s.last_run_updated,
            s.last_run_failed,
            s.new_24h,
            s.updated_24h
        );
        if s.consecutive_failures > 0 {
            line.push_str(&format!(
                "\tfailing x{}: {}",
                s.consecutive_failures,
                s.last_error.as_deref().unwrap_or("")
            ));
        }
        if s.health.items > 0 {
            line.push_str(&format!(
                "\thealth({} items) title {} date {} thumb {} body {}",
                s.health.items,
                pct(s.health.title),
                pct(s.health.date),
                pct(s.health.thumbnail),
                pct(s.health.body)
            ));
        }
        if let Some(a) = &s.health_alert {
            line.push_str(&format!("\tALERT {a}"));
        }
        if let Some(w) = &s.worker {
            line.push_str(&format!("\trunning on {w}"));
        }
        line.push_str(&format!("\tnext {}", when(s.next_run)));
        out.push_str(&line);
        out.push('\n');
    }
    out
}
