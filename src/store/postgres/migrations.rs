//! The PostgreSQL store's schema, built by numbered migrations recorded in `agg_migrations`.
//! They run in one transaction under an advisory lock, so workers starting together migrate
//! once. Version 1 holds the tables of the SQLite store (in PostgreSQL's types) and those only
//! a shared store needs (`source_leases`, `host_slots`).

use super::LOCK_MIGRATE;

/// `(version, statements)`, in order; a new version is a new entry at the end, never an edit.
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

pub(super) fn migrate(client: &mut postgres::Client) -> Result<(), postgres::Error> {
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
