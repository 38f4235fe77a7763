//! Per-source state between runs: the listing's cache validators and the last run's outcome.

use chrono::{DateTime, Utc};

use super::db::p;
use super::{SourceState, Store, StoreError};

impl Store {
    pub fn source_state(&self, name: &str) -> Result<SourceState, StoreError> {
        let row = self.db.with(|c| {
            c.one(
                "SELECT etag, last_modified, last_run, last_ok, last_error, failures FROM sources WHERE name = ?1",
                p![name],
                |r| {
                    Ok((
                        r.get::<Option<String>>(0)?,
                        r.get::<Option<String>>(1)?,
                        r.get::<Option<String>>(2)?,
                        r.get::<Option<String>>(3)?,
                        r.get::<Option<String>>(4)?,
                        r.get::<i64>(5)?,
                    ))
                },
            )
        })?;
        let Some((etag, last_modified, last_run, last_ok, last_error, failures)) = row else {
            return Ok(SourceState::default());
        };
        let ts = |s: Option<String>| {
            s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map(|d| d.with_timezone(&Utc))
        };
        Ok(SourceState {
            etag,
            last_modified,
            last_run: ts(last_run),
            last_ok: ts(last_ok),
            last_error,
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
        })
    }

    pub fn put_source_state(&self, name: &str, s: &SourceState) -> Result<(), StoreError> {
        let ts = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339());
        self.db.with(|c| {
            c.exec(
                "INSERT INTO sources(name, etag, last_modified, last_run, last_ok, last_error, failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(name) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                    last_run = excluded.last_run, last_ok = excluded.last_ok, last_error = excluded.last_error,
                    failures = excluded.failures",
                p![name, s.etag, s.last_modified, ts(s.last_run), ts(s.last_ok), s.last_error, i64::from(s.failures)],
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_state_round_trips() {
        let store = Store::memory().unwrap();
        assert_eq!(store.source_state("q").unwrap(), SourceState::default());
        let s = SourceState {
            etag: Some("\"abc\"".into()),
            last_modified: None,
            last_run: Some(DateTime::from_timestamp(1000, 0).unwrap()),
            last_ok: None,
            last_error: Some("q: HTTP 500".into()),
            failures: 2,
        };
        store.put_source_state("q", &s).unwrap();
        assert_eq!(store.source_state("q").unwrap(), s);
    }
}
