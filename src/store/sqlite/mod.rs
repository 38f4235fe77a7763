//! The store on SQLite: one file (`paths.state`) in WAL mode, the zero-setup default. Its
//! schema is built by the numbered [`migrations`] when the store opens.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;
use super::db::Db;

mod migrations;

/// Opens (creating it if needed) the SQLite store at `path`, whose folder must exist.
pub(super) fn open(path: &Path) -> Result<Db, StoreError> {
    let open_err = |e: rusqlite::Error| StoreError::Open {
        path: path.display().to_string(),
        cause: e.to_string(),
    };
    let mut conn = Connection::open(path).map_err(open_err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(open_err)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(open_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(open_err)?;
    migrations::migrate(&mut conn).map_err(|e| match e {
        StoreError::Query(cause) => StoreError::Open {
            path: path.display().to_string(),
            cause,
        },
        e => e,
    })?;
    Ok(Db::sqlite(conn))
}

/// An in-memory store (tests, benchmarks).
pub(super) fn memory() -> Result<Db, StoreError> {
    let mut conn = Connection::open_in_memory()?;
    migrations::migrate(&mut conn)?;
    Ok(Db::sqlite(conn))
}
