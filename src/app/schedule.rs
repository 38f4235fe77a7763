//! When each source runs next: its cron schedule (in the site's time zone), pushed back while
//! it fails (exponential backoff), and never twice within one period after a late start.

use std::time::Duration;

use crate::config::Source;
use crate::model::SourceState;

/// The source's next run after a run that started at `started` and ended at `now`: its next
/// cron time, but never sooner than one schedule period after the start. A run that started
/// late (every worker busy) skips the tick it overlapped instead of running again at once.
pub fn next_after_run<Tz: chrono::TimeZone>(
    source: &Source,
    state: &SourceState,
    started: chrono::DateTime<Tz>,
    now: chrono::DateTime<Tz>,
) -> Option<chrono::DateTime<Tz>> {
    let mut fires = source.schedule.after(&started);
    let period = match (fires.next(), fires.next()) {
        (Some(a), Some(b)) => b - a,
        _ => chrono::Duration::zero(),
    };
    let earliest = (started + period - chrono::Duration::milliseconds(1)).max(now);
    next_run(source, state, earliest)
}

/// A failing source waits at least this long, doubled per consecutive failure, capped.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
pub const BACKOFF_MAX: Duration = Duration::from_secs(6 * 3600);

/// The source's next run after `now`: its next cron time, pushed back while it is failing
/// (exponential backoff from its last run).
pub fn next_run<Tz: chrono::TimeZone>(
    source: &Source,
    state: &SourceState,
    now: chrono::DateTime<Tz>,
) -> Option<chrono::DateTime<Tz>> {
    let mut earliest = now.clone();
    if state.failures > 0
        && let Some(last) = state.last_run
    {
        let factor = 1u32 << state.failures.saturating_sub(1).min(16);
        let wait = BACKOFF_BASE.saturating_mul(factor).min(BACKOFF_MAX);
        let resume = (last + chrono::Duration::from_std(wait).ok()?).with_timezone(&now.timezone());
        if resume > earliest {
            earliest = resume;
        }
    }
    source.schedule.after(&earliest).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::TimeZone;

    fn source(schedule: &str) -> crate::config::Source {
        let yaml = format!(
            "site: {{title: t, base_url: \"https://x/\"}}\nsources:\n  - {{name: s, kind: urls, urls: [\"https://x/a\"], schedule: \"{schedule}\"}}\n"
        );
        crate::Config::parse(&yaml, std::path::Path::new("t.yaml"))
            .unwrap()
            .sources
            .remove(0)
    }

    #[test]
    fn a_late_run_skips_the_tick_it_overlapped() {
        let s = source("*/8 * * * * *");
        let at = |sec| {
            chrono::Utc
                .with_ymd_and_hms(2026, 1, 1, 12, 0, sec)
                .unwrap()
        };
        let ok = SourceState::default();
        // On time: the next tick.
        assert_eq!(next_after_run(&s, &ok, at(0), at(1)).unwrap(), at(8));
        // Started 5 s late for the 12:00:00 tick: 12:00:08 would follow 3 s after; skip it.
        assert_eq!(next_after_run(&s, &ok, at(5), at(6)).unwrap(), at(16));
        // A run longer than the period: the first tick after it ends.
        assert_eq!(next_after_run(&s, &ok, at(0), at(20)).unwrap(), at(24));
    }

    #[test]
    fn failing_sources_back_off_exponentially() {
        let s = source("* * * * *");
        let now = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 30).unwrap();
        let ok = SourceState::default();
        assert_eq!(
            next_run(&s, &ok, now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 1, 0).unwrap()
        );
        let failing = |n| SourceState {
            failures: n,
            last_run: Some(now),
            ..Default::default()
        };
        // 1 failure: 1 min; 3 failures: 4 min; 20 failures: capped at 6 h.
        assert_eq!(
            next_run(&s, &failing(1), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 2, 0).unwrap()
        );
        assert_eq!(
            next_run(&s, &failing(3), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 12, 5, 0).unwrap()
        );
        assert_eq!(
            next_run(&s, &failing(20), now).unwrap(),
            chrono::Utc.with_ymd_and_hms(2026, 1, 1, 18, 1, 0).unwrap()
        );
    }
}
