//! The long-lived parts every use case needs, opened once: the config, the fetcher, the store
//! (and, on a shared PostgreSQL store, the workers' coordination), metrics and run events.

use std::path::Path;
use std::sync::Arc;

use crate::config::Config;
use crate::fetch::{FetchError, Fetcher};
use crate::obs::events::{Progress, RunEvents};
use crate::obs::metrics::Metrics;
use crate::store::{CaCerts, Coordination, Store, StoreError};

use super::decisions::Decisions;
use super::upload::Written;

/// Why agg could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot create folder for store {path}: {cause}")]
    StateDir { path: String, cause: std::io::Error },
    #[error("store.ca_file {path}: {cause}")]
    CaFile { path: String, cause: std::io::Error },
}

/// The long-lived parts a run needs. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<Config>,
    pub fetcher: Arc<Fetcher>,
    pub store: Arc<Store>,
    /// Leases, host slots and locks of the workers sharing a PostgreSQL store; `None` on
    /// SQLite, where one process owns the store (and the Markdown files are all local).
    pub coordination: Option<Arc<Coordination>>,
    pub metrics: Arc<Metrics>,
    pub events: RunEvents,
    /// Duplicate decisions and the stories decided but not yet committed (see `app::page`).
    pub(super) decisions: Arc<Decisions>,
    /// Markdown files written and committed, waiting to be uploaded.
    pub(super) written: Arc<Written>,
    /// Work on the blocking pool at once (pages being processed, store calls): one per core
    /// plus one (a page waiting on its file write leaves the core to another). More would only
    /// add threads (each with its stack and malloc arena), memory and switching.
    pub(super) cpu: Arc<tokio::sync::Semaphore>,
}

impl Context {
    /// Opens the store and builds the fetcher; sweeps temp files a crash left behind. Blocks
    /// (the store connects): call it from a blocking thread or outside the runtime.
    pub fn open(config: Config) -> Result<Context, OpenError> {
        let metrics = Metrics::new();
        let fetcher = Fetcher::new(&config.fetch)?.with_observer(metrics.clone());
        let (store, coordination) = open_store(&config)?;
        let coordination = coordination.map(Arc::new);
        let fetcher = match &coordination {
            Some(c) => fetcher.with_shared_hosts(c.clone()),
            None => fetcher,
        };
        sweep_temp_files(&config);
        Ok(Context {
            config: Arc::new(config),
            fetcher: Arc::new(fetcher),
            store: Arc::new(store),
            coordination,
            events: RunEvents::new(metrics.clone()),
            metrics,
            decisions: Arc::default(),
            written: Arc::default(),
            cpu: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) + 1,
            )),
        })
    }

    /// [`Context::open`] from async code.
    pub async fn open_async(config: Config) -> Result<Context, OpenError> {
        crate::store::blocking(move || Context::open(config)).await
    }

    /// Also shows the run's progress through `progress`.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Context {
        self.events = self.events.with_progress(progress);
        self
    }

    /// Whether a Markdown file deleted by hand means "forget this article". Only where every
    /// item's file is local: on a shared store other workers' files live on other machines,
    /// and deletions go through `agg forget`.
    pub fn deletes_by_file(&self) -> bool {
        self.coordination.is_none()
    }

    /// Runs `f` with this context on the blocking pool, where the store may be called, in the
    /// current tracing span, as one of the pages' units of blocking work (`cpu`). A panic in
    /// `f` is resumed here.
    pub async fn blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Context) -> R + Send + 'static,
    ) -> R {
        let _permit = self.cpu.acquire().await.expect("never closed");
        let (ctx, span) = (self.clone(), tracing::Span::current());
        crate::store::blocking(move || span.in_scope(|| f(&ctx))).await
    }
}

/// The SQLite file `paths.state` (its folder created), or the PostgreSQL database
/// `store.url` with its coordination.
fn open_store(config: &Config) -> Result<(Store, Option<Coordination>), OpenError> {
    let Some(url) = &config.store.url else {
        let path = &config.paths.state;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|cause| OpenError::StateDir {
                path: path.display().to_string(),
                cause,
            })?;
        }
        return Ok((Store::open(path)?, None));
    };
    let ca = match &config.store.ca_file {
        Some(path) => Some(read_ca(path)?),
        None => None,
    };
    let (store, coordination) = Store::postgres(url, ca.as_ref())?;
    Ok((store, Some(coordination)))
}

fn read_ca(path: &Path) -> Result<CaCerts, OpenError> {
    let pem = std::fs::read(path).map_err(|cause| OpenError::CaFile {
        path: path.display().to_string(),
        cause,
    })?;
    Ok(CaCerts {
        origin: format!("store.ca_file {}", path.display()),
        pem,
    })
}

/// Removes the temp files a crash left in the content and feeds folders.
fn sweep_temp_files(config: &Config) {
    for dir in [&config.paths.content, &config.paths.feeds] {
        match crate::util::fsutil::sweep_temp_files(dir) {
            Ok(n) if n > 0 => {
                tracing::info!(path = %dir.display(), removed = n, "swept orphaned temp files")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(path = %dir.display(), error = %e, "cannot sweep temp files"),
        }
    }
}
