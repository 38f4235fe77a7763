//! The word scanner: dates written with English month names, RFC 2822 and its relatives.

use chrono::{NaiveDate, NaiveTime, Timelike};

use super::{Cursor, Parsed, numeric_offset, offset_at, time_at, with_offset};

/// The word scanner: RFC 2822 (`Mon, 10 Feb 2025 07:02:16 +0800`) and its broken relatives
/// (`UTC`, no weekday, a wrong weekday, `+08:00`, full month names, `Feb 10, 2025 7:02 PM`,
/// `Mon Feb 10 07:02:16 2025`, `GMT+0800 (China Standard Time)`). Tokens may come in any order;
/// a month name is required, so plain numbers never land here by accident.
pub(super) fn parse_words(s: &str) -> Option<Parsed> {
    let mut w = Words::default();
    for token in strip_comments(s).split(|ch: char| ch.is_whitespace() || ch == ',') {
        if !token.is_empty() {
            w.take(token)?;
        }
    }
    let date = NaiveDate::from_ymd_opt(w.year?, w.month?, w.day?)?;
    let mut time = w.time.unwrap_or(NaiveTime::MIN);
    if let Some(pm) = w.pm {
        time = twelve_hour(time, pm)?;
    }
    with_offset(date.and_time(time), w.offset)
}

/// What the word scanner has found so far.
#[derive(Default)]
struct Words {
    day: Option<u32>,
    month: Option<u32>,
    year: Option<i32>,
    time: Option<NaiveTime>,
    offset: Option<i32>,
    pm: Option<bool>,
}

impl Words {
    /// Files one token; `None` for a token that cannot be part of a date.
    fn take(&mut self, token: &str) -> Option<()> {
        let token = token.trim_end_matches('.');
        // Before the time check: `+08:00` has a colon too.
        if let Some(offset) = whole(token, numeric_offset) {
            self.offset = Some(offset);
            return Some(());
        }
        if token.contains(':') {
            return self.take_time(token);
        }
        if token.bytes().all(|b| b.is_ascii_digit()) {
            return self.take_number(token);
        }
        let lower = token.to_ascii_lowercase();
        if let Some(month) = month_number(&lower) {
            self.month.replace(month).is_none().then_some(())
        } else if is_weekday(&lower) || lower == "at" {
            Some(())
        } else if lower == "am" || lower == "pm" {
            self.pm = Some(lower == "pm");
            Some(())
        } else {
            self.offset = Some(zone_offset(token)?);
            Some(())
        }
    }

    /// `07:02[:16]`, possibly glued to an offset (`07:02:16+0800`, `07:02:16Z`).
    fn take_time(&mut self, token: &str) -> Option<()> {
        let mut c = Cursor { s: token, pos: 0 };
        let time = time_at(&mut c)?;
        if !c.rest().is_empty() {
            self.offset = Some(whole(c.rest(), offset_at)?);
        }
        self.time = Some(time);
        Some(())
    }

    /// A bare number: a four-digit year, else the day, else a two-digit year (`10 Feb 25`).
    fn take_number(&mut self, token: &str) -> Option<()> {
        let n: u32 = token.parse().ok()?;
        match token.len() {
            4 if self.year.is_none() => self.year = Some(n as i32),
            1 | 2 if self.day.is_none() => self.day = Some(n),
            // RFC 2822 4.3: two-digit years 00-49 are 20xx, 50-99 are 19xx.
            2 if self.year.is_none() => {
                self.year = Some(if n < 50 { 2000 + n } else { 1900 + n } as i32)
            }
            _ => return None,
        }
        Some(())
    }
}

/// Runs a cursor parser over all of `s`; succeeds only when it consumed everything.
fn whole<T>(s: &str, f: fn(&mut Cursor) -> Option<T>) -> Option<T> {
    let mut c = Cursor { s, pos: 0 };
    let value = f(&mut c)?;
    c.rest().is_empty().then_some(value)
}

/// Drops `(...)` comments, as in `+0800 (CST)` or `GMT+0800 (China Standard Time)`.
fn strip_comments(s: &str) -> String {
    let mut depth = 0usize;
    s.chars()
        .filter(|&ch| match ch {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

pub(super) fn twelve_hour(time: NaiveTime, pm: bool) -> Option<NaiveTime> {
    let hour = match (time.hour(), pm) {
        (h, _) if !(1..=12).contains(&h) => return None,
        (12, false) => 0,
        (12, true) => 12,
        (h, true) => h + 12,
        (h, false) => h,
    };
    time.with_hour(hour)
}

/// English month names and their three-letter (or `Sept`) abbreviations.
fn month_number(lower: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if lower.len() < 3 {
        return None;
    }
    let full_or_abbrev =
        |name: &&str| *name == lower || (lower.len() <= 4 && name.starts_with(lower));
    MONTHS.iter().position(full_or_abbrev).map(|i| i as u32 + 1)
}

fn is_weekday(lower: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    lower.len() >= 3
        && DAYS
            .iter()
            .any(|d| *d == lower || (lower.len() <= 4 && d.starts_with(lower)))
}

/// Zone names as written after a time. The US names follow RFC 822 (so `CST` is US Central,
/// not China Standard Time, even on Chinese feeds: that is what the standard says and what
/// other readers do). `GMT+0800` (JavaScript's `Date.toString`) is accepted too.
fn zone_offset(token: &str) -> Option<i32> {
    let upper = token.to_ascii_uppercase();
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            return if rest.is_empty() {
                Some(0)
            } else {
                whole(rest, numeric_offset)
            };
        }
    }
    let hours = match upper.as_str() {
        "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "BST" | "CET" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "HKT" | "SGT" | "AWST" => 8,
        "JST" | "KST" => 9,
        _ => return None,
    };
    Some(hours * 3600)
}
