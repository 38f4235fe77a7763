//! Run history and extraction health per source, for `agg status`, metrics and alerts.
//!
//! Every run of a source leaves a row in `runs`; every stored item leaves a row in
//! `item_health` saying what extraction found (a title, a date, a thumbnail, how much body).
//! A site redesign shows up as a sudden drop in those shares.

use super::db::{Sql, p};
use chrono::{DateTime, Utc};

use super::{Store, StoreError};

/// One finished run of a source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunRecord {
    pub finished: Option<DateTime<Utc>>,
    pub ok: bool,
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub error: Option<String>,
}

/// What extraction found on one item.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ItemHealth {
    pub has_title: bool,
    pub has_date: bool,
    pub has_thumbnail: bool,
    pub body_chars: usize,
}

/// Shares (0..=1) over a window of a source's latest items.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct HealthShares {
    pub items: usize,
    pub title: f64,
    pub date: f64,
    pub thumbnail: f64,
    pub body: f64,
}

impl Store {
    pub fn record_run(&self, source: &str, run: &RunRecord) -> Result<(), StoreError> {
        let finished = run.finished.unwrap_or_else(Utc::now);
        self.db.with(|c| {
            c.exec(
                "INSERT INTO runs(source, finished, finished_ts, ok, new, updated, unchanged, failed, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                p![
                    source,
                    finished.to_rfc3339(),
                    finished.timestamp(),
                    run.ok,
                    run.new as i64,
                    run.updated as i64,
                    run.unchanged as i64,
                    run.failed as i64,
                    run.error
                ],
            )
        })?;
        Ok(())
    }

    pub fn last_run(&self, source: &str) -> Result<Option<RunRecord>, StoreError> {
        self.db.with(|c| {
            c.one(
                "SELECT finished, ok, new, updated, unchanged, failed, error FROM runs
                 WHERE source = ?1 ORDER BY finished_ts DESC, rowid DESC LIMIT 1",
                p![source],
                |r| {
                    Ok(RunRecord {
                        finished: r
                            .get::<String>(0)
                            .ok()
                            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                            .map(|d| d.with_timezone(&Utc)),
                        ok: r.get(1)?,
                        new: r.get::<i64>(2)? as usize,
                        updated: r.get::<i64>(3)? as usize,
                        unchanged: r.get::<i64>(4)? as usize,
                        failed: r.get::<i64>(5)? as usize,
                        error: r.get(6)?,
                    })
                },
            )
        })
    }

    /// New and updated items of `source` over runs finished since `since`.
    pub fn written_since(
        &self,
        source: &str,
        since: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let row = self.db.with(|c| {
            c.one(
                "SELECT CAST(COALESCE(SUM(new), 0) AS BIGINT), CAST(COALESCE(SUM(updated), 0) AS BIGINT)
                 FROM runs WHERE source = ?1 AND finished_ts >= ?2",
                p![source, since.timestamp()],
                |r| Ok((r.get::<i64>(0)?, r.get::<i64>(1)?)),
            )
        })?;
        let (n, u) = row.unwrap_or_default();
        Ok((n as usize, u as usize))
    }

    pub fn record_item_health(
        &self,
        id: &str,
        source: &str,
        h: &ItemHealth,
    ) -> Result<(), StoreError> {
        self.db.with(|c| write_item_health(c, id, source, h))
    }

    /// Health shares over the `window` latest items of `source`, skipping the `skip` newest.
    pub fn health(
        &self,
        source: &str,
        skip: usize,
        window: usize,
        min_body: usize,
    ) -> Result<HealthShares, StoreError> {
        let rows = self.db.with(|c| {
            c.all(
                "SELECT has_title, has_date, has_thumbnail, body_chars FROM item_health
                 WHERE source = ?1 ORDER BY seen_ts DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                p![source, window as i64, skip as i64],
                |r| {
                    Ok((
                        r.get::<bool>(0)?,
                        r.get::<bool>(1)?,
                        r.get::<bool>(2)?,
                        r.get::<i64>(3)?,
                    ))
                },
            )
        })?;
        let mut s = HealthShares::default();
        for (t, d, th, b) in rows {
            s.items += 1;
            s.title += t as u8 as f64;
            s.date += d as u8 as f64;
            s.thumbnail += th as u8 as f64;
            s.body += (b as usize >= min_body) as u8 as f64;
        }
        if s.items > 0 {
            let n = s.items as f64;
            s.title /= n;
            s.date /= n;
            s.thumbnail /= n;
            s.body /= n;
        }
        Ok(s)
    }

    /// Replaces the saved host pauses (429/503 `Retry-After`) with `pauses` (host, Unix time).
    pub fn save_host_pauses(&self, pauses: &[(String, i64)]) -> Result<(), StoreError> {
        let now = Utc::now().timestamp();
        self.db.tx(|tx| {
            // Other workers may share the table: keep their pauses, drop only expired ones.
            tx.exec("DELETE FROM host_pauses WHERE until_ts <= ?1", p![now])?;
            let upsert = format!(
                "INSERT INTO host_pauses(host, until_ts) VALUES (?1, ?2)
                 ON CONFLICT(host) DO UPDATE SET until_ts = {}(host_pauses.until_ts, excluded.until_ts)",
                tx.dialect().greatest()
            );
            for (host, until) in pauses {
                tx.exec(&upsert, p![host, until])?;
            }
            Ok(())
        })
    }

    /// Host pauses still running at `now` (host, Unix time they end).
    pub fn host_pauses(&self, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        self.db.with(|c| {
            c.all(
                "SELECT host, until_ts FROM host_pauses WHERE until_ts > ?1",
                p![now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    /// The standing health alert of a source, if any.
    pub fn health_alert(&self, source: &str) -> Result<Option<String>, StoreError> {
        self.db.with(|c| {
            c.one(
                "SELECT alert FROM health_alerts WHERE source = ?1",
                p![source],
                |r| r.get(0),
            )
        })
    }

    /// Sets (or clears, with `None`) a source's alert; returns whether it changed.
    pub fn set_health_alert(&self, source: &str, alert: Option<&str>) -> Result<bool, StoreError> {
        if self.health_alert(source)?.as_deref() == alert {
            return Ok(false);
        }
        self.db.with(|c| match alert {
            Some(a) => c.exec(
                "INSERT INTO health_alerts(source, alert) VALUES (?1, ?2)
                 ON CONFLICT(source) DO UPDATE SET alert = excluded.alert",
                p![source, a],
            ),
            None => c.exec("DELETE FROM health_alerts WHERE source = ?1", p![source]),
        })?;
        Ok(true)
    }
}

/// Records what extraction found on item `id` of `source`.
pub(super) fn write_item_health(
    c: &mut dyn Sql,
    id: &str,
    source: &str,
    h: &ItemHealth,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO item_health(id, source, seen_ts, has_title, has_date, has_thumbnail, body_chars)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET has_title = excluded.has_title, has_date = excluded.has_date,
            has_thumbnail = excluded.has_thumbnail, body_chars = excluded.body_chars",
        p![id, source, Utc::now().timestamp(), h.has_title, h.has_date, h.has_thumbnail, h.body_chars as i64],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_health_round_trip() {
        let store = Store::memory().unwrap();
        assert_eq!(store.last_run("s").unwrap(), None);
        let run = RunRecord {
            finished: Some(Utc::now()),
            ok: true,
            new: 3,
            updated: 1,
            unchanged: 2,
            failed: 0,
            error: None,
        };
        store.record_run("s", &run).unwrap();
        store
            .record_run(
                "s",
                &RunRecord {
                    new: 2,
                    ..run.clone()
                },
            )
            .unwrap();
        assert_eq!(store.last_run("s").unwrap().unwrap().new, 2);
        assert_eq!(
            store
                .written_since("s", Utc::now() - chrono::Duration::hours(24))
                .unwrap(),
            (5, 2)
        );
        for i in 0..4 {
            let h = ItemHealth {
                has_title: true,
                has_date: i % 2 == 0,
                has_thumbnail: false,
                body_chars: 500,
            };
            store.record_item_health(&format!("i{i}"), "s", &h).unwrap();
        }
        let s = store.health("s", 0, 10, 200).unwrap();
        assert_eq!(
            (s.items, s.title, s.date, s.thumbnail, s.body),
            (4, 1.0, 0.5, 0.0, 1.0)
        );
        assert!(store.set_health_alert("s", Some("lost dates")).unwrap());
        assert!(!store.set_health_alert("s", Some("lost dates")).unwrap());
        assert_eq!(
            store.health_alert("s").unwrap().as_deref(),
            Some("lost dates")
        );
        assert!(store.set_health_alert("s", None).unwrap());
    }
}
