//! One SQL surface over the two engines the store runs on: SQLite (the zero-setup default, one
//! file) and PostgreSQL (shared by several workers). Queries are written once, in the SQL both
//! understand (`?N` placeholders, `ON CONFLICT ... DO UPDATE/NOTHING`); [`Dialect`] covers the
//! few places where they differ.
//!
//! The drivers are synchronous (the `postgres` client drives its own small runtime, which must
//! not run on a thread that is already driving tokio tasks): async code calls the store through
//! [`blocking`], on tokio's blocking pool. A PostgreSQL call made anywhere else on a runtime
//! thread still works, hopping to a scoped thread first.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::StoreError;

/// A value bound to a query: anything both drivers can send.
pub trait Param: rusqlite::ToSql + postgres::types::ToSql + Sync {}
impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {}

/// A value read from a row: anything both drivers can decode.
pub trait Value: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a> {}
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Value for T {}

/// Query parameters: `p![a, b]` is `&[&a as &dyn Param, &b as &dyn Param]`.
macro_rules! p {
    () => { &[] as &[&dyn $crate::store::db::Param] };
    ($($x:expr),+ $(,)?) => { &[$(&$x as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param] };
}
pub(crate) use p;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The larger of two values (`max(a, b)` in SQLite, `GREATEST(a, b)` in PostgreSQL).
    pub fn greatest(self) -> &'static str {
        match self {
            Dialect::Sqlite => "MAX",
            Dialect::Postgres => "GREATEST",
        }
    }
}

/// One row of a result.
pub enum Row<'a, 'b> {
    Lite(&'a rusqlite::Row<'b>),
    Pg(&'a postgres::Row),
}

impl Row<'_, '_> {
    pub fn get<T: Value>(&self, i: usize) -> Result<T, StoreError> {
        match self {
            Row::Lite(r) => Ok(r.get(i)?),
            Row::Pg(r) => Ok(r.try_get(i)?),
        }
    }
}

/// A connection or a transaction on one.
pub trait Sql {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; returns the number of rows changed.
    fn exec(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64, StoreError>;
    /// Runs a query, calling `f` on each row.
    fn each(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        f: &mut dyn FnMut(&Row<'_, '_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

impl dyn Sql + '_ {
    /// The first row, mapped.
    pub fn one<T>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, params, &mut |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every row, mapped.
    pub fn all<T>(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each(sql, params, &mut |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }
}

pub struct Lite<'c>(pub &'c rusqlite::Connection);

impl Sql for Lite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(
            params.iter().map(|p| *p as &dyn rusqlite::ToSql),
        ))?;
        Ok(n as u64)
    }

    fn each(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        f: &mut dyn FnMut(&Row<'_, '_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(
            params.iter().map(|p| *p as &dyn rusqlite::ToSql),
        ))?;
        while let Some(r) = rows.next()? {
            f(&Row::Lite(r))?;
        }
        Ok(())
    }
}

/// A PostgreSQL connection with its prepared statements.
pub struct PgConn {
    /// `None` only while dropping (see `Drop`) or after a failed reconnect.
    client: Option<postgres::Client>,
    statements: HashMap<String, postgres::Statement>,
    url: String,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// Counts reconnections: a session-level advisory lock belongs to one epoch.
    epoch: u64,
    /// Advisory locks held on this session: while any is, a lost connection is an error,
    /// not a silent reconnect (the server released the lock with the session).
    locks: usize,
}

impl PgConn {
    /// The client, reconnected first when the connection was lost (the server restarted or
    /// dropped us): a daemon outlives its database's restarts. Call off tokio's threads.
    /// Whether `e` (the last statement's failure) means the connection is gone; if so the
    /// client is dropped, so the next [`PgConn::live`] connects again.
    fn lost(&mut self, e: &StoreError) -> bool {
        let gone = match e {
            StoreError::Pg(e) => {
                e.is_closed()
                    || e.code().is_some_and(|c| {
                        *c == postgres::error::SqlState::ADMIN_SHUTDOWN
                            || *c == postgres::error::SqlState::CRASH_SHUTDOWN
                            || *c == postgres::error::SqlState::CANNOT_CONNECT_NOW
                    })
            }
            _ => false,
        } || self.client.as_ref().is_none_or(postgres::Client::is_closed);
        if gone {
            self.client = None;
        }
        gone
    }

    fn live(
        &mut self,
    ) -> Result<
        (
            &mut postgres::Client,
            &mut HashMap<String, postgres::Statement>,
        ),
        StoreError,
    > {
        if self.client.as_ref().is_none_or(postgres::Client::is_closed) {
            if self.locks > 0 {
                return Err(StoreError::LockLost);
            }
            tracing::warn!(url = %super::postgres::redact(&self.url), "store connection lost; reconnecting");
            let client = postgres::Client::connect(&self.url, self.tls.clone())?;
            self.statements.clear();
            self.client = Some(client);
            self.epoch += 1;
        }
        Ok((
            self.client.as_mut().expect("connected above"),
            &mut self.statements,
        ))
    }
}

impl Drop for PgConn {
    /// Closing the client blocks on its runtime: do it off tokio's threads.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            off_runtime(move || drop(client));
        }
    }
}

struct Pg<'c, C: postgres::GenericClient> {
    client: &'c mut C,
    statements: &'c mut HashMap<String, postgres::Statement>,
}

impl<C: postgres::GenericClient> Pg<'_, C> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&dollar_placeholders(sql))?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl<C: postgres::GenericClient> Sql for Pg<'_, C> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[&dyn Param]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        let params = pg_params(params);
        Ok(self.client.execute(&stmt, &params)?)
    }

    fn each(
        &mut self,
        sql: &str,
        params: &[&dyn Param],
        f: &mut dyn FnMut(&Row<'_, '_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let stmt = self.statement(sql)?;
        let params = pg_params(params);
        for r in self.client.query(&stmt, &params)? {
            f(&Row::Pg(&r))?;
        }
        Ok(())
    }
}

fn pg_params<'a>(params: &[&'a dyn Param]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| *p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

/// `?N` placeholders as PostgreSQL's `$N` (outside quoted strings).
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut quoted = false;
    let mut next = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            _ => out.push(c),
        }
    }
    out
}

thread_local! {
    /// Set on the threads [`blocking`] runs its work on.
    static BLOCKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on tokio's blocking pool, where the store's synchronous drivers may block: how
/// async code calls the store. A panic in `f` is resumed in the caller.
pub async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    spawn_blocking(f)
        .await
        .unwrap_or_else(|p| std::panic::resume_unwind(p.into_panic()))
}

/// [`blocking`], handing back the task (its panic as an error) instead of waiting for it.
pub fn spawn_blocking<R: Send + 'static>(
    f: impl FnOnce() -> R + Send + 'static,
) -> tokio::task::JoinHandle<R> {
    tokio::task::spawn_blocking(move || {
        BLOCKING.with(|b| b.set(true));
        f()
    })
}

/// Runs `f` where the `postgres` client may block: in place on a thread of [`blocking`] or
/// outside any runtime, else (a thread that may drive tokio tasks) on a scoped thread.
pub(crate) fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if BLOCKING.with(|b| b.get()) || tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// How often a PostgreSQL transaction is retried after a deadlock or serialization failure
/// (another worker touched the same rows).
const PG_RETRIES: usize = 5;

fn retryable(e: &StoreError) -> bool {
    let StoreError::Pg(e) = e else { return false };
    e.code().is_some_and(|c| {
        *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            || *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
    })
}

pub enum Db {
    Lite(Mutex<rusqlite::Connection>),
    Pg(Box<Mutex<PgConn>>),
}

impl Db {
    pub fn sqlite(conn: rusqlite::Connection) -> Db {
        conn.set_prepared_statement_cache_capacity(64);
        Db::Lite(Mutex::new(conn))
    }

    pub fn postgres(
        client: postgres::Client,
        url: &str,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
    ) -> Db {
        Db::Pg(Box::new(Mutex::new(PgConn {
            client: Some(client),
            statements: HashMap::new(),
            url: url.to_string(),
            tls,
            epoch: 0,
            locks: 0,
        })))
    }

    fn lite(m: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the locked PostgreSQL connection, off tokio's threads.
    fn on_pg<R: Send>(m: &Mutex<PgConn>, f: impl FnOnce(&mut PgConn) -> R + Send) -> R {
        let mut guard = m.lock().unwrap_or_else(|p| p.into_inner());
        let conn = &mut *guard;
        off_runtime(move || f(conn))
    }

    /// Runs `f` on the connection, each statement on its own.
    /// On PostgreSQL, a statement that failed because the connection was lost is run once
    /// more on a new connection.
    pub fn with<R: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Sql) -> Result<R, StoreError> + Send,
    ) -> Result<R, StoreError> {
        match self {
            Db::Lite(m) => f(&mut Lite(&Self::lite(m))),
            Db::Pg(m) => Self::on_pg(m, move |conn| {
                let (client, statements) = conn.live()?;
                match f(&mut Pg { client, statements }) {
                    Err(e) if conn.lost(&e) => {
                        tracing::debug!(error = %e, "retrying on a new connection");
                        let (client, statements) = conn.live()?;
                        f(&mut Pg { client, statements })
                    }
                    r => r,
                }
            }),
        }
    }

    /// Runs `f` in one transaction (committed when it returns `Ok`). On PostgreSQL a deadlock
    /// or serialization failure against another worker reruns `f`.
    pub fn tx<R: Send>(
        &self,
        mut f: impl FnMut(&mut dyn Sql) -> Result<R, StoreError> + Send,
    ) -> Result<R, StoreError> {
        match self {
            Db::Lite(m) => {
                let mut conn = Self::lite(m);
                let tx = conn.transaction()?;
                let r = f(&mut Lite(&tx))?;
                tx.commit()?;
                Ok(r)
            }
            Db::Pg(m) => Self::on_pg(m, move |conn| {
                let mut attempt = 0;
                loop {
                    let r = conn.live().and_then(|(client, statements)| {
                        let mut tx = client.transaction()?;
                        let r = f(&mut Pg {
                            client: &mut tx,
                            statements,
                        })?;
                        tx.commit()?;
                        Ok(r)
                    });
                    match r {
                        Err(e) if attempt < PG_RETRIES && (retryable(&e) || conn.lost(&e)) => {
                            attempt += 1;
                            tracing::debug!(attempt, error = %e, "retrying transaction");
                        }
                        r => return r,
                    }
                }
            }),
        }
    }

    /// Tries session-level advisory lock `key`: the session's epoch when taken. While held, a
    /// lost connection fails every call instead of reconnecting without the lock.
    pub fn pg_try_lock(&self, key: i64) -> Result<Option<u64>, StoreError> {
        let Db::Pg(m) = self else {
            return Ok(Some(0));
        };
        Self::on_pg(m, move |conn| {
            let (client, _) = conn.live()?;
            let got: bool = client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
                .get(0);
            if got {
                conn.locks += 1;
                return Ok(Some(conn.epoch));
            }
            Ok(None)
        })
    }

    /// Releases advisory lock `key` taken in session `epoch`. False when that session is gone
    /// (the server released the lock with it) or the server did not hold it for us.
    pub fn pg_unlock(&self, key: i64, epoch: u64) -> Result<bool, StoreError> {
        let Db::Pg(m) = self else {
            return Ok(true);
        };
        Self::on_pg(m, move |conn| {
            conn.locks = conn.locks.saturating_sub(1);
            if conn.epoch != epoch || conn.client.as_ref().is_none_or(postgres::Client::is_closed) {
                return Ok(false);
            }
            let (client, _) = conn.live()?;
            Ok(client
                .query_one("SELECT pg_advisory_unlock($1)", &[&key])?
                .get(0))
        })
    }

    /// The PostgreSQL client itself, for statements outside the shared surface (locks).
    pub fn pg_client<R: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<R, StoreError> + Send,
    ) -> Option<Result<R, StoreError>> {
        match self {
            Db::Lite(_) => None,
            Db::Pg(m) => Some(Self::on_pg(m, move |conn| f(conn.live()?.0))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_strings() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE k = 'x?1' AND a = ?1 OR b = ?12"),
            "SELECT a FROM t WHERE k = 'x?1' AND a = $1 OR b = $12"
        );
        assert_eq!(dollar_placeholders("VALUES (?, ?)"), "VALUES ($1, $2)");
    }
}
