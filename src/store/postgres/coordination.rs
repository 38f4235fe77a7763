//! What only workers sharing one PostgreSQL store need, as a separate object the PostgreSQL
//! backend alone offers (a single process on SQLite needs none of it, and has none):
//! - `source_leases`: when each source is next due and which worker holds it until when. A due
//!   source is claimed with `FOR UPDATE SKIP LOCKED`, so exactly one worker gets it; the lease
//!   is renewed while the run goes on and expires if the worker dies, and whoever claims it
//!   next runs it again.
//! - `host_slots`: the next start time per host, reserved atomically, so request spacing holds
//!   across workers.
//! - advisory locks serialise the duplicate decision (one story, one item, across workers) and
//!   feed publishing (one publisher at a time, always from the database).
//!
//! It shares the store's connection: a lock taken here is held by the session the store's
//! statements run on, so a lost connection fails them (`StoreError::LockLost`) instead of
//! carrying on without the lock.

use std::sync::Arc;

use crate::store::StoreError;
use crate::store::db::Db;

/// The advisory locks workers take (keys arbitrary, fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The duplicate decision of one page, to its commit.
    Decide,
    /// Publishing the feeds.
    Publish,
}

impl Lock {
    fn key(self) -> i64 {
        match self {
            Lock::Decide => 0x6167_6702,
            Lock::Publish => 0x6167_6703,
        }
    }
}

/// Leases, host slots and advisory locks of workers sharing a PostgreSQL store.
pub struct Coordination {
    db: Arc<Db>,
}

/// A source's row in `source_leases`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub next_due_ms: i64,
    pub owner: Option<String>,
    pub until_ms: Option<i64>,
}

/// Held while an advisory lock is taken; released on drop.
pub struct LockGuard<'a> {
    coordination: &'a Coordination,
    key: i64,
    epoch: u64,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        match self.coordination.db.pg_unlock(self.key, self.epoch) {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = self.key, "advisory lock was already gone at release")
            }
            Err(e) => tracing::warn!(error = %e, key = self.key, "cannot release advisory lock"),
        }
    }
}

/// How long a worker waits for a shared lock before giving up on the page or publish.
pub const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// The database's clock (ms): leases and host slots compare times from several machines.
fn db_now_ms(c: &mut impl postgres::GenericClient) -> Result<i64, StoreError> {
    Ok(c.query_one(
        "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        &[],
    )?
    .get(0))
}

impl Coordination {
    pub(in crate::store) fn new(db: Arc<Db>) -> Coordination {
        Coordination { db }
    }

    /// Takes `lock`, waiting for other workers (at most [`LOCK_WAIT`]).
    pub fn lock(&self, lock: Lock) -> Result<LockGuard<'_>, StoreError> {
        let key = lock.key();
        let started = std::time::Instant::now();
        loop {
            if let Some(epoch) = self.db.pg_try_lock(key)? {
                return Ok(LockGuard {
                    coordination: self,
                    key,
                    epoch,
                });
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(StoreError::LockTimeout {
                    key,
                    secs: LOCK_WAIT.as_secs(),
                });
            }
            // Not waiting inside PostgreSQL keeps this worker's connection free for its leases.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    fn pg<R: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<R, StoreError> + Send,
    ) -> Result<R, StoreError> {
        self.db.pg_client(f).unwrap_or_else(|| {
            Err(StoreError::Corrupt(
                "coordination without PostgreSQL".into(),
            ))
        })
    }

    /// Adds the configured sources to the lease table, first due at the given times (ms).
    pub fn register_sources(&self, due: &[(String, i64)]) -> Result<(), StoreError> {
        self.pg(|c| {
            let mut tx = c.transaction()?;
            for (name, at) in due {
                // A schedule changed to run sooner (or fixed after it had no future run) takes
                // effect now; a running source keeps its holder's next time.
                tx.execute(
                    "INSERT INTO source_leases(name, next_due_ms) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE
                        SET next_due_ms = LEAST(source_leases.next_due_ms, excluded.next_due_ms)
                        WHERE source_leases.owner IS NULL",
                    &[name, at],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Claims up to `limit` of `names` that are due and not leased (or whose lease expired),
    /// for `owner` until now + `lease_ms`. Exactly one worker gets each.
    pub fn claim_sources(
        &self,
        names: &[String],
        owner: &str,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.pg(|c| {
            let mut tx = c.transaction()?;
            let now = db_now_ms(&mut tx)?;
            let rows = tx.query(
                "SELECT name FROM source_leases
                 WHERE name = ANY($1) AND next_due_ms <= $2
                   AND (lease_until_ms IS NULL OR lease_until_ms < $2)
                 ORDER BY next_due_ms, name LIMIT $3
                 FOR UPDATE SKIP LOCKED",
                &[&names, &now, &limit],
            )?;
            let claimed: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            if !claimed.is_empty() {
                tx.execute(
                    "UPDATE source_leases SET owner = $1, lease_until_ms = $2 WHERE name = ANY($3)",
                    &[&owner, &(now + lease_ms), &claimed],
                )?;
            }
            tx.commit()?;
            Ok(claimed)
        })
    }

    /// Extends `owner`'s leases on `names`; returns the ones it still holds.
    pub fn renew_leases(
        &self,
        names: &[String],
        owner: &str,
        lease_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        self.pg(|c| {
            let until = db_now_ms(c)? + lease_ms;
            let rows = c.query(
                "UPDATE source_leases SET lease_until_ms = $1
                 WHERE name = ANY($2) AND owner = $3 RETURNING name",
                &[&until, &names, &owner],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// Ends `owner`'s lease on `name` and sets when it is next due (ms). False when the lease
    /// was lost (expired and taken by another worker): the next due time is then theirs.
    pub fn finish_source(
        &self,
        name: &str,
        owner: &str,
        next_due_ms: i64,
    ) -> Result<bool, StoreError> {
        self.pg(|c| {
            let n = c.execute(
                "UPDATE source_leases SET next_due_ms = $1, owner = NULL, lease_until_ms = NULL
                 WHERE name = $2 AND owner = $3",
                &[&next_due_ms, &name, &owner],
            )?;
            Ok(n == 1)
        })
    }

    /// A source's lease row: when it is next due, and who holds it until when.
    pub fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        self.pg(|c| {
            let row = c.query_opt(
                "SELECT next_due_ms, owner, lease_until_ms FROM source_leases WHERE name = $1",
                &[&name],
            )?;
            Ok(row.map(|r| Lease {
                next_due_ms: r.get(0),
                owner: r.get(1),
                until_ms: r.get(2),
            }))
        })
    }

    /// The earliest time (ms) one of `names` is due or its lease expires.
    pub fn next_due(&self, names: &[String]) -> Result<Option<i64>, StoreError> {
        self.pg(|c| {
            let row = c.query_one(
                "SELECT MIN(CASE WHEN lease_until_ms IS NULL THEN next_due_ms
                                 ELSE GREATEST(next_due_ms, lease_until_ms + 1) END)
                 FROM source_leases WHERE name = ANY($1)",
                &[&names],
            )?;
            Ok(row.get(0))
        })
    }

    /// Reserves the next start on `host`, `spacing_ms` after the previous one whichever worker
    /// made it; returns how long from now (ms, by the database's clock) that start is.
    pub fn reserve_host_slot(&self, host: &str, spacing_ms: i64) -> Result<i64, StoreError> {
        self.pg(|c| {
            let now = db_now_ms(c)?;
            let row = c.query_one(
                "INSERT INTO host_slots(host, next_ms) VALUES ($1, $2::BIGINT + $3::BIGINT)
                 ON CONFLICT (host) DO UPDATE
                    SET next_ms = GREATEST(host_slots.next_ms, $2::BIGINT) + $3::BIGINT
                 RETURNING next_ms - $3::BIGINT",
                &[&host, &now, &spacing_ms],
            )?;
            // How long from now, by the same clock.
            Ok(row.get::<_, i64>(0) - now)
        })
    }
}

impl crate::fetch::host::SharedSlots for Coordination {
    fn reserve(&self, host: &str, spacing: std::time::Duration) -> Option<std::time::Duration> {
        let spacing_ms = i64::try_from(spacing.as_millis()).unwrap_or(i64::MAX / 4);
        match self.reserve_host_slot(host, spacing_ms) {
            Ok(wait) => Some(std::time::Duration::from_millis(
                u64::try_from(wait).unwrap_or(0),
            )),
            Err(e) => {
                tracing::warn!(host, error = %e, "cannot reserve a shared host slot");
                None
            }
        }
    }
}
