//! What a run tells the world as it goes, in one interface: the app reports each event once
//! ([`RunEvents`]) and the events become log lines, metrics and progress bars here, instead
//! of tracing calls, metric labels and progress calls spread through the run.

use std::fmt::Display;
use std::sync::Arc;

use super::metrics::{Metrics, Outcome, SourceOutcome};
use crate::store::HealthShares;

/// A page's outcome, as counted in reports and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOutcome {
    New,
    Updated,
    Unchanged,
    Failed,
}

impl PageOutcome {
    pub fn label(self) -> &'static str {
        match self {
            PageOutcome::New => "new",
            PageOutcome::Updated => "updated",
            PageOutcome::Unchanged => "unchanged",
            PageOutcome::Failed => "failed",
        }
    }
}

/// How many pages of a source ended which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl Counts {
    pub fn add(&mut self, outcome: PageOutcome) {
        match outcome {
            PageOutcome::New => self.new += 1,
            PageOutcome::Updated => self.updated += 1,
            PageOutcome::Unchanged => self.unchanged += 1,
            PageOutcome::Failed => self.failed += 1,
        }
    }

    /// Whether the source wrote any file.
    pub fn wrote(&self) -> bool {
        self.new + self.updated > 0
    }
}

/// Receives progress as a run goes: listing sizes and pages done, per source (the command line
/// draws it on a terminal, see [`super::progress`]).
pub trait Progress: Send + Sync {
    fn listed(&self, source: &str, links: usize);
    fn page_done(&self, source: &str);
    /// `listing_failed`: the source's listing could not be read (no pages ran).
    fn source_done(&self, source: &str, counts: &Counts, listing_failed: bool);
}

/// The events of runs: logged, counted in metrics, and shown as progress.
#[derive(Clone)]
pub struct RunEvents {
    metrics: Arc<Metrics>,
    progress: Option<Arc<dyn Progress>>,
}

impl RunEvents {
    pub fn new(metrics: Arc<Metrics>) -> RunEvents {
        RunEvents {
            metrics,
            progress: None,
        }
    }

    /// Also tells `progress` about listings and pages.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> RunEvents {
        self.progress = Some(progress);
        self
    }

    /// A source's listing was read (`Ok(links)`, of which `take` will run) or not.
    pub fn listed(&self, source: &str, listed: Result<(usize, usize), &dyn Display>) {
        self.metrics.listing(source, listed.is_ok());
        match listed {
            Ok((links, take)) => {
                tracing::info!(links, "listed");
                if let Some(p) = &self.progress {
                    p.listed(source, take);
                }
            }
            Err(e) => tracing::warn!(error = %e, "listing failed"),
        }
    }

    /// A page ended with `outcome` (`error` says why it failed).
    pub fn page(&self, source: &str, url: &str, outcome: PageOutcome, error: Option<&dyn Display>) {
        if let Some(e) = error {
            tracing::warn!(url = %url, error = %e, "page failed");
        }
        self.metrics.page(source, outcome.label());
        if matches!(outcome, PageOutcome::New | PageOutcome::Updated) {
            self.metrics
                .items_written
                .get_or_create(&SourceOutcome {
                    source: source.into(),
                    outcome: outcome.label().into(),
                })
                .inc();
        }
        if let Some(p) = &self.progress {
            p.page_done(source);
        }
    }

    /// Extraction of a page of `source` took `seconds`.
    pub fn extracted(&self, source: &str, seconds: f64) {
        self.metrics.observe_extract(source, seconds);
    }

    /// A source's run ended; `ok`: it ran clean.
    pub fn source_done(&self, source: &str, counts: &Counts, listing_failed: bool, ok: bool) {
        if ok {
            self.metrics.source_ok(source);
        }
        if let Some(p) = &self.progress {
            p.source_done(source, counts, listing_failed);
        }
    }

    /// A source's extraction health was judged; `changed`: its alert is new or gone.
    pub fn health(&self, source: &str, recent: &HealthShares, alert: Option<&str>, changed: bool) {
        self.metrics.health(source, recent);
        match (changed, alert) {
            (true, Some(a)) => tracing::warn!(alert = %a, "extraction degraded (site redesign?)"),
            (true, None) => tracing::info!("extraction healthy again"),
            (false, _) => {}
        }
    }

    /// `written` feed files were rewritten.
    pub fn feeds_published(&self, written: usize) {
        self.metrics.feeds_published.inc_by(written as u64);
    }

    /// The WebSub hub took `ok` pings of `changed` feeds.
    pub fn websub(&self, ok: usize, changed: usize) {
        let pings = &self.metrics.websub_pings;
        pings.get_or_create(&outcome("ok")).inc_by(ok as u64);
        pings
            .get_or_create(&outcome("failed"))
            .inc_by(changed.saturating_sub(ok) as u64);
    }

    /// The after-run hook ran and ended as `label` (ok, failed, timeout).
    pub fn hook(&self, label: &str) {
        self.metrics.hook_runs.get_or_create(&outcome(label)).inc();
    }
}

fn outcome(label: &str) -> Outcome {
    Outcome {
        outcome: label.into(),
    }
}
