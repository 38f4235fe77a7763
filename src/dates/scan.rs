//! Every date written in a run of page text, with where it sits.
//!
//! [`parse`](super::parse) reads one value; a page's text holds many dates (the publish line,
//! related links, copyright years, dates the article talks about), and choosing among them needs
//! their positions and whether they carry a time. Two shapes are found: year first
//! (`2012-03-05 10:23`, `2012年3月5日10:23`, `2012/03/05`) and year last with slashes
//! (`9/17/2004 5:54:13 AM`, `06/02/2022 - 13:48`), whose day/month order is ambiguous when both
//! are 12 or less: the month-first (US) reading is kept, the other is offered as
//! [`Found::alternative`].

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::{Cursor, Parsed, localize, meridiem_at, numeric_at, plausible, time_at, with_offset};

/// One date found in text.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    /// Byte range of the date (and its time) in the scanned text.
    pub start: usize,
    pub end: usize,
    /// Whether a time of day followed the date.
    pub has_time: bool,
    value: Parsed,
    alt: Option<Parsed>,
}

impl Found {
    /// The date, naive values read in `tz`; `None` when implausible (see `parse`).
    pub fn resolve(&self, tz: Tz) -> Option<DateTime<FixedOffset>> {
        resolve(self.value, tz)
    }

    /// The day-first reading of an ambiguous `dd/mm/yyyy`, if there is one.
    pub fn alternative(&self, tz: Tz) -> Option<DateTime<FixedOffset>> {
        resolve(self.alt?, tz)
    }
}

fn resolve(p: Parsed, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let dt = match p {
        Parsed::Aware(dt) => dt,
        Parsed::Naive(n) => localize(n, tz)?,
    };
    plausible(dt).then_some(dt)
}

/// All dates in `s`, in order. Digits glued to other digits (`20120305`, `12012-03-05`) are not
/// dates.
pub fn scan(s: &str) -> Vec<Found> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_run = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
        if !starts_run {
            i += 1;
            continue;
        }
        let mut c = Cursor { s, pos: i };
        let found = numeric_at(&mut c)
            .map(|(value, has_time)| (value, None, has_time))
            .or_else(|| {
                c.pos = i;
                year_last_at(&mut c)
            });
        match found {
            Some((value, alt, has_time)) => {
                out.push(Found {
                    start: i,
                    end: c.pos,
                    has_time,
                    value,
                    alt,
                });
                i = c.pos.max(i + 1);
            }
            None => i += 1,
        }
    }
    out
}

/// `m/d/yyyy` or `d/m/yyyy`, then an optional time (after spaces, `-` or `,`) and `AM`/`PM`.
fn year_last_at(c: &mut Cursor) -> Option<(Parsed, Option<Parsed>, bool)> {
    let a = c.digits(1, 2)?;
    c.eat("/").then_some(())?;
    let b = c.digits(1, 2)?;
    c.eat("/").then_some(())?;
    let year = c.digits(4, 4)? as i32;
    if c.rest().starts_with(|ch: char| ch.is_ascii_digit()) {
        return None;
    }
    let month_first = NaiveDate::from_ymd_opt(year, a, b);
    let day_first = NaiveDate::from_ymd_opt(year, b, a);
    let (date, other) = match (month_first, day_first) {
        (Some(m), Some(d)) if m != d => (m, Some(d)),
        (Some(m), _) => (m, None),
        (None, Some(d)) => (d, None),
        (None, None) => return None,
    };
    let after_date = c.pos;
    c.eat_spaces();
    if c.eat("-") || c.eat(",") {
        c.eat_spaces();
    }
    let time = time_at(c).and_then(|t| meridiem_at(c, t));
    if time.is_none() {
        c.pos = after_date;
    }
    let at = |d: NaiveDate| with_offset(d.and_time(time.unwrap_or(NaiveTime::MIN)), None);
    Some((at(date)?, other.and_then(at), time.is_some()))
}
