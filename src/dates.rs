//! Date parsing for the many ways news sites write a publish time.
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

/// Parses a date as found in feeds, meta tags, JSON APIs and page text. Naive dates (no offset)
/// are read in `tz`. Returns `None` for anything not recognisably a date.
pub fn parse(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let _ = (s, tz);
    todo!("helper B")
}
