//! The store: the only state shared between runs (items, the URLs already seen, per-source
//! state, dedup tables, the feed index, run history); everything else is derived from it.
//!
//! [`Store`] is the facade every caller uses, whichever engine is behind it:
//! - [`sqlite`]: one file, the zero-setup default;
//! - [`postgres`]: one database shared by several workers, which alone also offers a
//!   [`Coordination`] (leases, host slots, advisory locks): callers that need coordination get
//!   it as an object, never by asking the store what it is.
//!
//! Each engine has its own schema and numbered migrations; the queries are written once
//! ([`db`]) and grouped by topic: items and seen URLs, sources, feeds, health, dedup.
//!
//! The store reads and writes its database only: files (Markdown, feeds, certificates) are the
//! callers'. Order of effects (see `app::page`): the Markdown file is written atomically
//! first, then the page is committed here in one transaction ([`Store::commit_page`]), so a
//! crash in between re-emits the same bytes to the same path.
//!
//! The drivers are synchronous: call the store from blocking threads ([`blocking`]), never
//! from the threads that drive async tasks.

use std::path::Path;
use std::sync::Arc;

pub use crate::model::{SourceState, StoredItem};

pub(crate) mod db;
mod dedup;
mod feeds;
mod health;
mod items;
pub mod postgres;
mod sources;
mod sqlite;

pub use db::{blocking, spawn_blocking};
pub use dedup::{Alternate, DuplicateGroup, content_dir};
pub use feeds::DirtyFeeds;
pub use health::{HealthShares, ItemHealth, RunRecord};
pub use items::PageCommit;
pub use postgres::{CaCerts, Coordination, Lease, Lock, LockGuard, redact};

/// Why the store failed. Each message says what failed and why, once (no variant returns its
/// cause as a `source()` as well).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {cause}")]
    Open { path: String, cause: String },
    #[error("store query failed: {0}")]
    Query(String),
    /// A PostgreSQL statement failed (kept whole: whether it was a lost connection or a
    /// conflict with another worker decides a retry).
    #[error("postgres store: {0}")]
    Pg(::postgres::Error),
    #[error("postgres store {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("postgres store TLS: {0}")]
    Tls(String),
    #[error("postgres store: the connection was lost while a shared lock was held")]
    LockLost,
    #[error("postgres store: waited {secs} s for shared lock {key} held by another worker")]
    LockTimeout { key: i64, secs: u64 },
    #[error("store holds a bad value: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Query(e.to_string())
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> StoreError {
        StoreError::Pg(e)
    }
}

/// The store's facade. Cheap to share behind an `Arc`; every call is synchronous.
pub struct Store {
    db: Arc<db::Db>,
}

impl Store {
    /// Opens (creating it if needed) the SQLite store at `path`; its folder must exist.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store::from_db(sqlite::open(path)?))
    }

    /// An in-memory SQLite store (tests, benchmarks).
    pub fn memory() -> Result<Store, StoreError> {
        Ok(Store::from_db(sqlite::memory()?))
    }

    /// Connects to the PostgreSQL store at `url` (migrating it if needed), trusting `ca` for
    /// TLS besides the system's roots; with it comes the [`Coordination`] of the workers that
    /// share it.
    pub fn postgres(url: &str, ca: Option<&CaCerts>) -> Result<(Store, Coordination), StoreError> {
        let db = Arc::new(postgres::open(url, ca)?);
        Ok((Store { db: db.clone() }, Coordination::new(db)))
    }

    fn from_db(db: db::Db) -> Store {
        Store { db: Arc::new(db) }
    }
}
