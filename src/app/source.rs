//! One source's run: list its links, run its pages (up to `fetch.concurrency` at once), then
//! record its state and run, and re-judge its extraction health. A source never fails as a
//! whole: its outcome is in its report.

use chrono::Utc;
use futures::StreamExt;
use tracing::Instrument;

use crate::config::Source;
use crate::model::{SourceState, Validators};
use crate::obs::events::PageOutcome;
use crate::obs::health::{self, Health};
use crate::obs::metrics::SOURCE;
use crate::store::RunRecord;

use super::report::{SourceFailure, SourceReport};
use super::{Context, listing, page};

/// Runs `source` once.
pub async fn run(ctx: &Context, source: &Source) -> SourceReport {
    let span = tracing::info_span!("source", source = %source.name);
    SOURCE
        .scope(
            source.name.clone(),
            run_in_span(ctx, source).instrument(span),
        )
        .await
}

async fn run_in_span(ctx: &Context, source: &Source) -> SourceReport {
    let mut report = SourceReport {
        source: source.name.clone(),
        ..Default::default()
    };
    let name = source.name.clone();
    let mut state = ctx
        .blocking(move |ctx| ctx.store.source_state(&name).unwrap_or_default())
        .await;
    let listed = listing::list(&ctx.fetcher, source, &state, ctx.config.site.timezone).await;
    state.last_run = Some(Utc::now());
    let listed = match listed {
        Ok(l) => l,
        Err(error) => {
            ctx.events.listed(&source.name, Err(&error));
            report.error = Some(SourceFailure {
                source: source.name.clone(),
                error,
            });
            finish(ctx, source, state, &report, None).await;
            return report;
        }
    };
    let (links, take) = (listed.links.len(), listed.links.len().min(source.max_items));
    ctx.events.listed(&source.name, Ok((links, take)));
    let mut pages = futures::stream::iter(listed.links.into_iter().take(source.max_items))
        .map(|link| page::process(ctx, source, link))
        .buffer_unordered(ctx.config.fetch.concurrency);
    while let Some(result) = pages.next().await {
        match result {
            Ok(outcome) => report.counts.add(outcome),
            Err(failure) => {
                report.counts.add(PageOutcome::Failed);
                report.pages.push(failure);
            }
        }
    }
    finish(ctx, source, state, &report, Some(listed.validators)).await;
    report
}

/// Records the source's state and run and re-judges its extraction health; a new alert is
/// logged once. `validators`: the listing's, kept only when every page ran clean (else the
/// failed pages would never be retried: a 304 would skip them).
async fn finish(
    ctx: &Context,
    source: &Source,
    mut state: SourceState,
    report: &SourceReport,
    validators: Option<Validators>,
) {
    let error = match &report.error {
        Some(f) => Some(f.error.to_string()),
        None => report.pages.first().map(ToString::to_string),
    };
    match error {
        Some(e) => {
            state.failures += 1;
            state.last_error = Some(e);
        }
        None => {
            if let Some(v) = validators {
                state.etag = v.etag;
                state.last_modified = v.last_modified;
            }
            state.failures = 0;
            state.last_error = None;
            state.last_ok = state.last_run;
        }
    }
    let c = report.counts;
    ctx.events
        .source_done(&source.name, &c, report.error.is_some(), report.clean());
    let run = RunRecord {
        finished: Some(Utc::now()),
        ok: report.clean(),
        new: c.new,
        updated: c.updated,
        unchanged: c.unchanged,
        failed: c.failed,
        error: report.first_error(),
    };
    let name = source.name.clone();
    let judged = ctx
        .blocking(move |ctx| record(ctx, &name, &state, &run, c.wrote()))
        .await;
    if let Some((h, changed)) = judged {
        ctx.events
            .health(&source.name, &h.recent, h.alert.as_deref(), changed);
    }
}

/// Stores the source's state and run; after a run that wrote something, judges its
/// extraction health and stores its alert (`true`: the alert is new or gone).
fn record(
    ctx: &Context,
    name: &str,
    state: &SourceState,
    run: &RunRecord,
    wrote: bool,
) -> Option<(Health, bool)> {
    if let Err(e) = ctx.store.put_source_state(name, state) {
        tracing::error!(error = %e, "cannot record source state");
    }
    if let Err(e) = ctx.store.record_run(name, run) {
        tracing::error!(error = %e, "cannot record run");
    }
    if !wrote {
        return None;
    }
    let h = match health::evaluate(&ctx.store, name) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "cannot evaluate extraction health");
            return None;
        }
    };
    let changed = ctx
        .store
        .set_health_alert(name, h.alert.as_deref())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot record health alert");
            false
        });
    Some((h, changed))
}
