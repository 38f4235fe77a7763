//! The store on PostgreSQL, shared by several workers (`store.url: postgres://...`).
//!
//! The tables are those of the SQLite store (same queries, see `db`), created by numbered
//! migrations that run under an advisory lock, so workers starting together migrate once.
//! What only a shared store needs lives here too:
//! - `source_leases`: when each source is next due and which worker holds it until when. A due
//!   source is claimed with `FOR UPDATE SKIP LOCKED`, so exactly one worker gets it; the lease
//!   is renewed while the run goes on and expires if the worker dies, and whoever claims it
//!   next runs it again.
//! - `host_slots`: the next start time per host, reserved atomically, so request spacing holds
//!   across workers.
//! - advisory locks serialise the duplicate decision (one story, one item, across workers) and
//!   feed publishing (one publisher at a time, always from the database).

use std::path::Path;

use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::db::{Db, off_runtime};
use crate::store::{Store, StoreError};

/// Advisory lock keys (arbitrary, fixed): schema migration, duplicate decision, publishing.
const LOCK_MIGRATE: i64 = 0x6167_6701;
pub const LOCK_DECIDE: i64 = 0x6167_6702;
pub const LOCK_PUBLISH: i64 = 0x6167_6703;

const MIGRATIONS: &[(i32, &str)] = &[(1, V1)];

const V1: &str = "
CREATE TABLE items (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,
    path TEXT NOT NULL,
    published TEXT NOT NULL,
    published_ts BIGINT NOT NULL,
    updated TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    author TEXT,
    thumbnail TEXT,
    categories TEXT NOT NULL,
    tags TEXT NOT NULL,
    lang TEXT,
    content_hash TEXT NOT NULL
);
CREATE INDEX items_published ON items(published_ts DESC, id);
CREATE TABLE seen (url TEXT PRIMARY KEY, item_id TEXT, first_seen TEXT NOT NULL);
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_run TEXT,
    last_ok TEXT,
    last_error TEXT,
    failures BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE fingerprints (
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    item_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    simhash BIGINT
);
CREATE TABLE fingerprint_bands (
    band BIGINT NOT NULL,
    value BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (band, value, item_id)
);
CREATE INDEX fingerprint_bands_item ON fingerprint_bands(item_id);
CREATE TABLE paragraphs (
    source TEXT NOT NULL,
    hash BIGINT NOT NULL,
    item_id TEXT NOT NULL,
    PRIMARY KEY (source, hash, item_id)
);
CREATE INDEX paragraphs_hash ON paragraphs(hash);
CREATE INDEX paragraphs_item ON paragraphs(item_id);
CREATE TABLE sketches (item_id TEXT PRIMARY KEY, total BIGINT NOT NULL, entries BYTEA NOT NULL);
CREATE TABLE alternates (
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    url TEXT PRIMARY KEY,
    item_id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT,
    distance BIGINT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX alternates_item ON alternates(item_id);
CREATE TABLE tombstones (
    key TEXT PRIMARY KEY,
    item_id TEXT,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX tombstones_item ON tombstones(item_id);
CREATE TABLE item_validators (
    item_id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE TABLE dedup_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
CREATE TABLE runs (
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    source TEXT NOT NULL,
    finished TEXT NOT NULL,
    finished_ts BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    new BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX runs_source ON runs(source, finished_ts DESC);
CREATE TABLE item_health (
    rowid BIGINT GENERATED ALWAYS AS IDENTITY,
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    seen_ts BIGINT NOT NULL,
    has_title BOOLEAN NOT NULL,
    has_date BOOLEAN NOT NULL,
    has_thumbnail BOOLEAN NOT NULL,
    body_chars BIGINT NOT NULL
);
CREATE INDEX item_health_source ON item_health(source, seen_ts DESC);
CREATE TABLE host_pauses (host TEXT PRIMARY KEY, until_ts BIGINT NOT NULL);
CREATE TABLE health_alerts (source TEXT PRIMARY KEY, alert TEXT NOT NULL);
CREATE TABLE item_terms (
    kind BIGINT NOT NULL,
    slug TEXT NOT NULL,
    item_id TEXT NOT NULL,
    name TEXT NOT NULL,
    published_ts BIGINT NOT NULL,
    PRIMARY KEY (kind, slug, item_id)
);
CREATE INDEX item_terms_newest ON item_terms(kind, slug, published_ts DESC, item_id);
CREATE INDEX item_terms_item ON item_terms(item_id);
CREATE TABLE feed_topics (kind BIGINT NOT NULL, slug TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (kind, slug));
CREATE SEQUENCE feed_dirty_seq;
CREATE TABLE feed_dirty (
    seq BIGINT NOT NULL DEFAULT nextval('feed_dirty_seq'),
    kind BIGINT NOT NULL,
    slug TEXT NOT NULL,
    PRIMARY KEY (kind, slug)
);
CREATE INDEX feed_dirty_seq_idx ON feed_dirty(seq);
CREATE TABLE feed_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO feed_meta(key, value) VALUES ('terms', '1');
CREATE FUNCTION agg_items_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feed_dirty(kind, slug) SELECT kind, slug FROM item_terms WHERE item_id = OLD.id
        ON CONFLICT (kind, slug) DO UPDATE SET seq = nextval('feed_dirty_seq');
    INSERT INTO feed_dirty(kind, slug) VALUES (0, '')
        ON CONFLICT (kind, slug) DO UPDATE SET seq = nextval('feed_dirty_seq');
    DELETE FROM item_terms WHERE item_id = OLD.id;
    RETURN OLD;
END $$;
CREATE TRIGGER items_deleted_leave_feeds AFTER DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION agg_items_deleted();
CREATE TABLE source_leases (
    name TEXT PRIMARY KEY,
    next_due_ms BIGINT NOT NULL,
    owner TEXT,
    lease_until_ms BIGINT
);
CREATE TABLE host_slots (host TEXT PRIMARY KEY, next_ms BIGINT NOT NULL);
";

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The TLS connector: the system's root certificates plus those in `ca_file`. With
/// `sslmode=prefer` (the default) TLS is used when the server offers it; `sslmode=require` in
/// the URL insists on it, `sslmode=disable` turns it off.
pub(super) fn tls(ca_file: Option<&Path>) -> Result<MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A broken system certificate is not ours to refuse: skip it.
        let _ = roots.add(cert);
    }
    if let Some(path) = ca_file {
        let err = |e: &dyn std::fmt::Display| {
            StoreError::Tls(format!("store.ca_file {}: {e}", path.display()))
        };
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(|e| err(&e))? {
            roots.add(cert.map_err(|e| err(&e))?).map_err(|e| err(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(err(&"no certificate in the file"));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

pub(super) fn open(url: &str, ca_file: Option<&Path>) -> Result<Store, StoreError> {
    let connect_err = |source| StoreError::Connect {
        url: redact(url),
        source,
    };
    let tls = tls(ca_file)?;
    let client = off_runtime(|| -> Result<postgres::Client, StoreError> {
        let mut client = postgres::Client::connect(url, tls.clone()).map_err(connect_err)?;
        migrate(&mut client).map_err(connect_err)?;
        Ok(client)
    })?;
    Ok(Store::from_db(Db::postgres(client, url, tls), true))
}

fn migrate(client: &mut postgres::Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATE])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS agg_migrations (
            version INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )?;
    let done: Option<i32> = tx
        .query_one("SELECT MAX(version) FROM agg_migrations", &[])?
        .get(0);
    for (version, sql) in MIGRATIONS {
        if done.is_some_and(|d| d >= *version) {
            continue;
        }
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO agg_migrations(version) VALUES ($1)",
            &[version],
        )?;
        tracing::info!(version, "store migrated");
    }
    tx.commit()
}

/// A source's row in `source_leases`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub next_due_ms: i64,
    pub owner: Option<String>,
    pub until_ms: Option<i64>,
}

/// Held while an advisory lock is taken; released on drop.
pub struct SharedLock<'a> {
    store: Option<&'a Store>,
    key: i64,
    epoch: u64,
}

impl Drop for SharedLock<'_> {
    fn drop(&mut self) {
        let Some(store) = self.store else { return };
        match store.db.pg_unlock(self.key, self.epoch) {
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

impl Store {
    /// Takes advisory lock `key` on a shared store (waiting for other workers); nothing on
    /// SQLite, whose single process serialises itself.
    pub fn shared_lock(&self, key: i64) -> Result<SharedLock<'_>, StoreError> {
        if !self.shared {
            return Ok(SharedLock {
                store: None,
                key,
                epoch: 0,
            });
        }
        let started = std::time::Instant::now();
        loop {
            if let Some(epoch) = self.db.pg_try_lock(key)? {
                return Ok(SharedLock {
                    store: Some(self),
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
        self.db
            .pg_client(f)
            .unwrap_or_else(|| Err(StoreError::Corrupt("not a shared store".into())))
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

impl crate::fetch::host::SharedSlots for Store {
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
