//! Extraction health: whether a source's latest items still have titles, dates, thumbnails
//! and real bodies. A site redesign usually shows up as a sudden drop in one of these shares;
//! [`evaluate`] turns the numbers into an alert that `agg status`, the metrics and the log use.

use crate::store::{HealthShares, Store, StoreError};

/// Items in the "recent" window.
pub const RECENT: usize = 10;
/// Items in the "before" window the recent one is compared with.
pub const BEFORE: usize = 30;
/// A body shorter than this many characters counts as missing.
pub const MIN_BODY_CHARS: usize = 200;

/// The recent shares and the alert they raise, if any.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Health {
    pub recent: HealthShares,
    pub alert: Option<String>,
}

/// Judges `source` by its latest items.
pub fn evaluate(store: &Store, source: &str) -> Result<Health, StoreError> {
    let recent = store.health(source, 0, RECENT, MIN_BODY_CHARS)?;
    let before = store.health(source, RECENT, BEFORE, MIN_BODY_CHARS)?;
    Ok(Health {
        recent,
        alert: judge(&recent, &before),
    })
}

/// The rule: with at least 5 recent items, a field that was present on >= 70% of the items
/// before and dropped by 50 points or more is "lost"; bodies are also judged on their own
/// (fewer than half long enough is an alert even without history).
pub fn judge(recent: &HealthShares, before: &HealthShares) -> Option<String> {
    if recent.items < 5 {
        return None;
    }
    let mut alerts = Vec::new();
    if before.items >= 5 {
        for (name, now, was) in [
            ("titles", recent.title, before.title),
            ("dates", recent.date, before.date),
            ("thumbnails", recent.thumbnail, before.thumbnail),
            ("bodies", recent.body, before.body),
        ] {
            if was >= 0.7 && now <= was - 0.5 {
                alerts.push(format!(
                    "lost {name}: {:.0}% of the last {} items, was {:.0}%",
                    now * 100.0,
                    recent.items,
                    was * 100.0
                ));
            }
        }
    }
    if recent.body < 0.5 && !alerts.iter().any(|a| a.starts_with("lost bodies")) {
        alerts.push(format!(
            "short bodies: only {:.0}% of the last {} items have {MIN_BODY_CHARS}+ characters",
            recent.body * 100.0,
            recent.items
        ));
    }
    (!alerts.is_empty()).then(|| alerts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(items: usize, title: f64, date: f64, thumbnail: f64, body: f64) -> HealthShares {
        HealthShares {
            items,
            title,
            date,
            thumbnail,
            body,
        }
    }

    #[test]
    fn sudden_losses_raise_alerts_and_steady_sources_do_not() {
        let good = shares(30, 1.0, 0.9, 0.8, 1.0);
        assert_eq!(judge(&shares(10, 1.0, 0.9, 0.7, 1.0), &good), None);
        assert_eq!(
            judge(&shares(10, 1.0, 0.9, 0.1, 1.0), &good).as_deref(),
            Some("lost thumbnails: 10% of the last 10 items, was 80%")
        );
        let a = judge(&shares(10, 1.0, 0.0, 0.8, 0.2), &good).unwrap();
        assert!(
            a.contains("lost dates") && a.contains("lost bodies") && !a.contains("short bodies"),
            "{a}"
        );
        // A source that never had thumbnails is not alerted for lacking them.
        assert_eq!(
            judge(
                &shares(10, 1.0, 1.0, 0.0, 1.0),
                &shares(30, 1.0, 1.0, 0.0, 1.0)
            ),
            None
        );
        // Short bodies without history, and too few items to judge.
        assert!(
            judge(&shares(6, 1.0, 1.0, 1.0, 0.3), &HealthShares::default())
                .unwrap()
                .starts_with("short bodies")
        );
        assert_eq!(judge(&shares(3, 0.0, 0.0, 0.0, 0.0), &good), None);
    }
}
