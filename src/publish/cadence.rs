//! How often the feeds can change, derived from the sources' cron schedules: feeds announce it
//! (RSS `<ttl>`, `sy:updatePeriod`/`sy:updateFrequency`) and `agg serve` turns it into
//! `Cache-Control: max-age`, so well-behaved readers poll about as often as there can be news.
//!
//! The interval is the shortest gap between two consecutive runs of any source, measured from a
//! fixed reference instant rather than "now": a schedule such as `0 9 * * 1-5` has gaps of one
//! and three days, and a value that moved with the calendar would rewrite every feed (and
//! change every ETag) for nothing. The shortest gap is the conservative choice.
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Runs looked at per schedule; enough for the shortest gap of any realistic cron expression.
const RUNS: usize = 256;

/// Every gap is measured from here (a Monday, so weekday schedules start at a week's start).
const REFERENCE: &str = "2025-01-06T00:00:00Z";

/// The shortest gap between two consecutive runs of any of `schedules`, or `None` when no
/// schedule runs twice.
pub fn update_interval<'a>(
    schedules: impl IntoIterator<Item = &'a cron::Schedule>,
) -> Option<Duration> {
    let reference: DateTime<Utc> = REFERENCE.parse().expect("static date");
    schedules
        .into_iter()
        .filter_map(|schedule| {
            let runs: Vec<DateTime<Utc>> = schedule.after(&reference).take(RUNS).collect();
            runs.windows(2)
                .filter_map(|w| (w[1] - w[0]).to_std().ok())
                .filter(|d| !d.is_zero())
                .min()
        })
        .min()
}

/// RSS `<ttl>`: minutes, rounded up, at least one.
pub fn ttl_minutes(interval: Duration) -> u64 {
    interval.as_secs().div_ceil(60).max(1)
}

/// `sy:updatePeriod` and `sy:updateFrequency`: the smallest period the interval fits in, and
/// how many updates per period (at least one).
pub fn syndication(interval: Duration) -> (rss::extension::syndication::UpdatePeriod, u32) {
    use rss::extension::syndication::UpdatePeriod;
    let secs = interval.as_secs().max(1);
    let (period, length) = [
        (UpdatePeriod::Hourly, 3_600),
        (UpdatePeriod::Daily, 86_400),
        (UpdatePeriod::Weekly, 7 * 86_400),
        (UpdatePeriod::Monthly, 30 * 86_400),
    ]
    .into_iter()
    .find(|(_, length)| secs <= *length)
    .unwrap_or((UpdatePeriod::Yearly, 365 * 86_400));
    let frequency = u32::try_from((length / secs).max(1)).unwrap_or(u32::MAX);
    (period, frequency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rss::extension::syndication::UpdatePeriod;

    fn schedule(s: &str) -> cron::Schedule {
        crate::config::parse_schedule(s).unwrap()
    }

    #[test]
    fn shortest_gap_of_any_source() {
        let every_15 = schedule("*/15 * * * *");
        let hourly = schedule("@hourly");
        let interval = update_interval([&hourly, &every_15]);
        assert_eq!(interval, Some(Duration::from_secs(900)));
        let weekdays = schedule("0 9 * * 1-5");
        assert_eq!(
            update_interval([&weekdays]),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(update_interval([]), None);
    }

    #[test]
    fn ttl_and_syndication_follow_the_interval() {
        let fifteen = Duration::from_secs(900);
        assert_eq!(ttl_minutes(fifteen), 15);
        assert_eq!(ttl_minutes(Duration::from_secs(10)), 1);
        assert_eq!(syndication(fifteen), (UpdatePeriod::Hourly, 4));
        assert_eq!(
            syndication(Duration::from_secs(6 * 3600)),
            (UpdatePeriod::Daily, 4)
        );
        assert_eq!(
            syndication(Duration::from_secs(86_400)),
            (UpdatePeriod::Daily, 1)
        );
        assert_eq!(
            syndication(Duration::from_secs(2 * 86_400)),
            (UpdatePeriod::Weekly, 3)
        );
    }
}
