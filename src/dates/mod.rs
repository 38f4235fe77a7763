//! Date parsing for the many ways news sites write a publish time.
//!
//! Feeds, `<meta>` tags, JSON APIs and page text use RFC 3339, RFC 2822 (often broken), plain
//! `YYYY-MM-DD HH:MM`, Chinese `2025年02月10日 07:02`, or Unix timestamps. Rather than a list of
//! `strftime` patterns (which cannot cope with dates embedded in longer text) this module has
//! two small scanners: a numeric one (`year-month-day [time] [offset]`, the year first) and a
//! word one (RFC 2822 and its relatives: month names, tokens in any order). Values without an
//! offset are local times in the site's time zone.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

mod scan;
mod words;

pub use scan::{Found, scan};
use words::parse_words;

/// Parses a date as found in feeds, meta tags, JSON APIs and page text. Naive dates (no offset)
/// are read in `tz`. Returns `None` for anything not recognisably a date.
pub fn parse(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let parsed = parse_unix(s, tz)
        .or_else(|| parse_numeric(s))
        .or_else(|| parse_words(s))?;
    let dt = match parsed {
        Parsed::Aware(dt) => dt,
        Parsed::Naive(naive) => localize(naive, tz)?,
    };
    plausible(dt).then_some(dt)
}

/// A Unix time in milliseconds, shown in `tz`, if it is a plausible publish time (APIs send `0`
/// for "unknown").
pub fn from_unix_millis(millis: i64, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let dt = DateTime::from_timestamp_millis(millis)?
        .with_timezone(&tz)
        .fixed_offset();
    plausible(dt).then_some(dt)
}

/// A scanner's result: either it saw an offset or the value is a local time in the site zone.
#[derive(Debug, Clone, Copy)]
enum Parsed {
    Aware(DateTime<FixedOffset>),
    Naive(NaiveDateTime),
}

/// Attaches `offset_secs` when known, else leaves the value naive for the caller's zone.
fn with_offset(naive: NaiveDateTime, offset_secs: Option<i32>) -> Option<Parsed> {
    match offset_secs {
        Some(secs) => {
            let offset = FixedOffset::east_opt(secs)?;
            Some(Parsed::Aware(offset.from_local_datetime(&naive).single()?))
        }
        None => Some(Parsed::Naive(naive)),
    }
}

/// Reads a local time in `tz`. Ambiguous times (DST fall-back) take the earlier instant; a time
/// inside a spring-forward gap does not exist, so it is read an hour later, which is what the
/// writer's wall clock showed.
fn localize(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<FixedOffset>> {
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + TimeDelta::hours(1)))
                .earliest()
        })
        .map(|dt| dt.fixed_offset())
}

/// Years before the web news era or beyond the near future are typos or placeholders
/// (`0001-01-01`, `2099-…`), and a wrong date is worse than none.
fn plausible(dt: DateTime<FixedOffset>) -> bool {
    (1990..=Utc::now().year() + 2).contains(&dt.year())
}

/// Unix seconds (10 digits) or milliseconds (13 digits), as JSON APIs send them in strings.
fn parse_unix(s: &str, tz: Tz) -> Option<Parsed> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    let millis = match s.len() {
        10 => n.checked_mul(1000)?,
        13 => n,
        _ => return None,
    };
    from_unix_millis(millis, tz).map(Parsed::Aware)
}

/// A byte cursor over the input; all separators we look for are ASCII or the CJK date marks.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    /// Consumes `lit` when the input continues with it.
    fn eat(&mut self, lit: &str) -> bool {
        let hit = self.rest().starts_with(lit);
        if hit {
            self.pos += lit.len();
        }
        hit
    }

    fn eat_spaces(&mut self) -> usize {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
        n
    }

    /// Consumes between `min` and `max` ASCII digits and returns their value.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self
            .rest()
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if n < min {
            return None;
        }
        let value = self.rest()[..n].parse().ok()?;
        self.pos += n;
        Some(value)
    }
}

/// The numeric scanner: the first `YYYY-MM-DD` (or `/`, `.`, `年月日`) run anywhere in `s`,
/// then an optional time and offset. Text around the run is ignored, which is how
/// "2025-02-10 07:02:16 来源：xxx" and "发布时间：2025年02月10日" parse.
fn parse_numeric(s: &str) -> Option<Parsed> {
    let bytes = s.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
        .find_map(|start| numeric_at(&mut Cursor { s, pos: start }).map(|(p, _)| p))
}

/// A year-first date at the cursor, and whether a time followed it.
fn numeric_at(c: &mut Cursor) -> Option<(Parsed, bool)> {
    let year = c.digits(4, 4)? as i32;
    let sep = ["-", "/", ".", "年"].into_iter().find(|sep| c.eat(sep))?;
    let month = c.digits(1, 2)?;
    let second_sep = if sep == "年" { "月" } else { sep };
    if !c.eat(second_sep) {
        return None;
    }
    let day = c.digits(1, 2)?;
    // A fifth digit would make this `2025-02-101`, not a date.
    if c.rest().starts_with(|ch: char| ch.is_ascii_digit()) {
        return None;
    }
    if sep == "年" {
        c.eat("日");
    }
    let date = NaiveDate::from_ymd_opt(year, month, day)?;

    let before_time = c.pos;
    if !c.eat("T") && !c.eat("t") {
        c.eat_spaces();
    }
    let Some(time) = time_at(c) else {
        // Date only: midnight local time (any offset after a bare date is not ours to read).
        c.pos = before_time;
        return with_offset(date.and_time(NaiveTime::MIN), None).map(|p| (p, false));
    };
    let time = meridiem_at(c, time)?;
    let offset = offset_at(c);
    with_offset(date.and_time(time), offset).map(|p| (p, true))
}

/// `HH:MM[:SS[.fraction]]`, or the Chinese `07时02分[16秒]` / `07点02分`.
fn time_at(c: &mut Cursor) -> Option<NaiveTime> {
    let start = c.pos;
    let hour = c.digits(1, 2)?;
    let (minute, second, nanos) = if c.eat(":") {
        let minute = c.digits(2, 2)?;
        let (second, nanos) = if c.eat(":") {
            let second = c.digits(2, 2)?;
            (second, fraction_at(c))
        } else {
            (0, 0)
        };
        (minute, second, nanos)
    } else if c.eat("时") || c.eat("点") || c.eat("時") {
        let minute = c.digits(1, 2)?;
        c.eat("分");
        let second = c.digits(1, 2).unwrap_or(0);
        c.eat("秒");
        (minute, second, 0)
    } else {
        c.pos = start;
        return None;
    };
    hms(hour, minute, second, nanos)
}

/// An `AM`/`PM` after a time (`9:23:57 PM`) turns it into a 24-hour time; a time past 12
/// with a meridiem is no time at all.
fn meridiem_at(c: &mut Cursor, time: NaiveTime) -> Option<NaiveTime> {
    let start = c.pos;
    c.eat_spaces();
    let rest = c.rest().as_bytes();
    let pm = match rest.get(..2).map(|b| b.to_ascii_lowercase()).as_deref() {
        Some(b"am") => false,
        Some(b"pm") => true,
        _ => {
            c.pos = start;
            return Some(time);
        }
    };
    if rest.get(2).is_some_and(u8::is_ascii_alphanumeric) {
        c.pos = start;
        return Some(time);
    }
    c.pos += 2;
    words::twelve_hour(time, pm)
}

/// Builds a time, reading second 60 as chrono's leap-second representation.
fn hms(hour: u32, minute: u32, second: u32, nanos: u32) -> Option<NaiveTime> {
    if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
    }
}

/// `.123` or `,123456789…` after the seconds, as nanoseconds (digits past nine are dropped).
fn fraction_at(c: &mut Cursor) -> u32 {
    let start = c.pos;
    if !(c.eat(".") || c.eat(",")) {
        return 0;
    }
    let digits: String = c.rest().chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        c.pos = start;
        return 0;
    }
    c.pos += digits.len();
    let mut padded: String = digits.chars().take(9).collect();
    while padded.len() < 9 {
        padded.push('0');
    }
    padded.parse().unwrap_or(0)
}

/// `Z`, `+08:00`, `+0800`, `+08`, ` UTC`, ` GMT` after a time; `None` when there is none.
fn offset_at(c: &mut Cursor) -> Option<i32> {
    let start = c.pos;
    c.eat_spaces();
    if c.eat("Z") || c.eat("z") {
        return Some(0);
    }
    if let Some(secs) = numeric_offset(c) {
        return Some(secs);
    }
    for name in ["UTC", "GMT", "UT"] {
        if c.eat(name) {
            return Some(numeric_offset(c).unwrap_or(0));
        }
    }
    c.pos = start;
    None
}

/// `+08:00`, `+0800` or `+08`, as seconds east of UTC.
fn numeric_offset(c: &mut Cursor) -> Option<i32> {
    let start = c.pos;
    let sign = if c.eat("+") {
        1
    } else if c.eat("-") || c.eat("−") {
        -1
    } else {
        return None;
    };
    let parsed = (|| {
        let hours = c.digits(2, 2)? as i32;
        let minutes = if c.eat(":") {
            c.digits(2, 2)? as i32
        } else {
            c.digits(2, 2).map_or(0, |m| m as i32)
        };
        // A trailing digit means this was something else (`-20250` is not an offset).
        if c.rest().starts_with(|ch: char| ch.is_ascii_digit()) || hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60))
    })();
    if parsed.is_none() {
        c.pos = start;
    }
    parsed
}

#[cfg(test)]
mod tests;
