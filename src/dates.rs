//! Date parsing for the many ways news sites write a publish time.
//!
//! Feeds, `<meta>` tags, JSON APIs and page text use RFC 3339, RFC 2822 (often broken), plain
//! `YYYY-MM-DD HH:MM`, Chinese `2025年02月10日 07:02`, or Unix timestamps. Rather than a list of
//! `strftime` patterns (which cannot cope with dates embedded in longer text) this module has
//! two small scanners: a numeric one (`year-month-day [time] [offset]`, the year first) and a
//! word one (RFC 2822 and its relatives: month names, tokens in any order). Values without an
//! offset are local times in the site's time zone.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

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
        .find_map(|start| numeric_at(&mut Cursor { s, pos: start }))
}

fn numeric_at(c: &mut Cursor) -> Option<Parsed> {
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
        return with_offset(date.and_time(NaiveTime::MIN), None);
    };
    let offset = offset_at(c);
    with_offset(date.and_time(time), offset)
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

/// The word scanner: RFC 2822 (`Mon, 10 Feb 2025 07:02:16 +0800`) and its broken relatives
/// (`UTC`, no weekday, a wrong weekday, `+08:00`, full month names, `Feb 10, 2025 7:02 PM`,
/// `Mon Feb 10 07:02:16 2025`, `GMT+0800 (China Standard Time)`). Tokens may come in any order;
/// a month name is required, so plain numbers never land here by accident.
fn parse_words(s: &str) -> Option<Parsed> {
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

fn twelve_hour(time: NaiveTime, pm: bool) -> Option<NaiveTime> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    /// Parses in Asia/Shanghai and renders RFC 3339, which shows the offset chosen.
    fn p(s: &str) -> Option<String> {
        parse(s, SH).map(|d| d.to_rfc3339())
    }

    fn ok(s: &str, want: &str) {
        assert_eq!(p(s).as_deref(), Some(want), "input {s:?}");
    }

    #[test]
    fn rfc3339_variants() {
        ok("2025-02-10T07:02:16Z", "2025-02-10T07:02:16+00:00");
        ok("2025-02-10T07:02:16+08:00", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10T07:02:16+0800", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10T07:02:16-05", "2025-02-10T07:02:16-05:00");
        ok("2025-02-10 07:02:16+08:00", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10t07:02:16z", "2025-02-10T07:02:16+00:00");
        ok("2025-02-10T07:02Z", "2025-02-10T07:02:00+00:00");
        ok("2025-02-10T07:02:16.123Z", "2025-02-10T07:02:16.123+00:00");
        ok(
            "2025-02-10T07:02:16.123456789123+01:00",
            "2025-02-10T07:02:16.123456789+01:00",
        );
        ok("2025-02-10 07:02:16 +0800", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10 07:02:16 UTC", "2025-02-10T07:02:16+00:00");
    }

    #[test]
    fn naive_values_are_in_site_zone() {
        ok("2025-02-10T07:02:16", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10 07:02:16", "2025-02-10T07:02:16+08:00");
        ok("2025-02-10 07:02", "2025-02-10T07:02:00+08:00");
        ok("2025/02/10 07:02", "2025-02-10T07:02:00+08:00");
        ok("2025/2/10 7:02:16", "2025-02-10T07:02:16+08:00");
        ok("2025.02.10 07:02", "2025-02-10T07:02:00+08:00");
        ok("2025-02-10", "2025-02-10T00:00:00+08:00");
        let ny = parse("2025-07-01 12:00", chrono_tz::America::New_York).unwrap();
        assert_eq!(ny.to_rfc3339(), "2025-07-01T12:00:00-04:00");
    }

    #[test]
    fn dst_edges() {
        let ny = chrono_tz::America::New_York;
        // Fall back: 01:30 happens twice; the earlier (EDT) wins.
        assert_eq!(
            parse("2024-11-03 01:30", ny).unwrap().to_rfc3339(),
            "2024-11-03T01:30:00-04:00"
        );
        // Spring forward: 02:30 never happens; read as the wall clock an hour on.
        assert_eq!(
            parse("2024-03-10 02:30", ny).unwrap().to_rfc3339(),
            "2024-03-10T03:30:00-04:00"
        );
    }

    #[test]
    fn chinese_dates() {
        ok("2025年02月10日 07:02", "2025-02-10T07:02:00+08:00");
        ok("2025年2月10日07:02:16", "2025-02-10T07:02:16+08:00");
        ok("2025年02月10日", "2025-02-10T00:00:00+08:00");
        ok("2025年2月10日 7时02分", "2025-02-10T07:02:00+08:00");
        ok(
            "发布时间：2025年02月10日 07:02 来源：环球时报",
            "2025-02-10T07:02:00+08:00",
        );
    }

    #[test]
    fn first_date_inside_longer_text() {
        ok("2025-02-10 07:02:16 来源：xxx", "2025-02-10T07:02:16+08:00");
        ok(
            "Updated 2025-02-10 07:02 - by staff",
            "2025-02-10T07:02:00+08:00",
        );
        ok("id 12345 posted 2025-02-10", "2025-02-10T00:00:00+08:00");
        ok("2025-02-10 来源 2024-01-01", "2025-02-10T00:00:00+08:00");
    }

    #[test]
    fn rfc2822_and_broken_variants() {
        ok(
            "Mon, 10 Feb 2025 07:02:16 +0800",
            "2025-02-10T07:02:16+08:00",
        );
        ok("Mon, 10 Feb 2025 07:02:16 GMT", "2025-02-10T07:02:16+00:00");
        ok("Mon, 10 Feb 2025 07:02:16 UTC", "2025-02-10T07:02:16+00:00");
        ok("10 Feb 2025 07:02:16 -0500", "2025-02-10T07:02:16-05:00");
        ok("Mon, 10 Feb 2025 07:02 +0000", "2025-02-10T07:02:00+00:00");
        ok(
            "Mon, 10 Feb 2025 07:02:16 +08:00",
            "2025-02-10T07:02:16+08:00",
        );
        // Wrong weekday: the date wins.
        ok(
            "Fri, 10 Feb 2025 07:02:16 +0800",
            "2025-02-10T07:02:16+08:00",
        );
        ok(
            "Monday, 10 February 2025 07:02:16 +0800",
            "2025-02-10T07:02:16+08:00",
        );
        ok("Mon, 10 Feb 25 07:02:16 +0000", "2025-02-10T07:02:16+00:00");
        ok(
            "Mon, 10 Feb 2025 07:02:16 +0800 (CST)",
            "2025-02-10T07:02:16+08:00",
        );
        ok("Mon, 10 Feb 2025 07:02:16", "2025-02-10T07:02:16+08:00");
    }

    #[test]
    fn named_zones_follow_rfc822() {
        ok("Mon, 10 Feb 2025 07:02:16 EST", "2025-02-10T07:02:16-05:00");
        ok("Mon, 10 Feb 2025 07:02:16 PDT", "2025-02-10T07:02:16-07:00");
        // CST is US Central per RFC 822, even though Chinese sites sometimes mean +08:00.
        ok("Mon, 10 Feb 2025 07:02:16 CST", "2025-02-10T07:02:16-06:00");
        ok("Mon, 10 Feb 2025 07:02:16 Z", "2025-02-10T07:02:16+00:00");
    }

    #[test]
    fn other_word_orders() {
        ok("Feb 10, 2025 7:02 PM", "2025-02-10T19:02:00+08:00");
        ok("February 10, 2025 at 12:05 am", "2025-02-10T00:05:00+08:00");
        ok("Mon Feb 10 07:02:16 2025", "2025-02-10T07:02:16+08:00");
        ok(
            "Mon Feb 10 2025 07:02:16 GMT+0800 (China Standard Time)",
            "2025-02-10T07:02:16+08:00",
        );
        ok("10 Feb 2025", "2025-02-10T00:00:00+08:00");
        ok("Mon, 10 Feb 2025 07:02:16Z", "2025-02-10T07:02:16+00:00");
    }

    #[test]
    fn unix_timestamps() {
        ok("1739142136", "2025-02-10T07:02:16+08:00");
        ok("1739142136000", "2025-02-10T07:02:16+08:00");
        ok(" 1739142136123 ", "2025-02-10T07:02:16.123+08:00");
        assert_eq!(p("173914213"), None);
        assert_eq!(p("17391421360"), None);
    }

    #[test]
    fn absurd_years_rejected() {
        assert_eq!(p("0001-01-01T00:00:00Z"), None);
        assert_eq!(p("1989-12-31"), None);
        assert_eq!(p("2999-01-01"), None);
        assert_eq!(p("0000000000"), None);
        ok("1990-01-01", "1990-01-01T00:00:00+08:00");
    }

    #[test]
    fn garbage_rejected() {
        for s in [
            "",
            "   ",
            "yesterday",
            "hello world",
            "2025-13-01",
            "2025-02-30",
            "20250210",
            "2025-02-101",
            "Feb 2025",
            "Mon, 32 Feb 2025 07:02:16 +0800",
            "Mon, 10 Feb 2025 07:02:16 XYZ",
            "12:30",
            "第2025期",
        ] {
            assert_eq!(p(s), None, "input {s:?}");
        }
    }

    #[test]
    fn bad_time_after_good_date_falls_back_to_midnight() {
        // "25:00" is not a time, so only the date is read.
        ok("2025-02-10 25:00", "2025-02-10T00:00:00+08:00");
        ok("2025-02-10T25:00", "2025-02-10T00:00:00+08:00");
    }

    #[test]
    fn leap_second() {
        let d = parse("2016-12-31T23:59:60Z", SH).unwrap();
        assert_eq!(
            d.timestamp(),
            parse("2016-12-31T23:59:59Z", SH).unwrap().timestamp()
        );
    }
}
