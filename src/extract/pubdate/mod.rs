//! The publish date: page metadata first, then the date line near the headline, then the URL.
//!
//! Older portals (and many newer ones) put the publish time only in the page text, next to the
//! headline (`2012年03月05日 10:23 来源：新华网`, `发布时间：2012-03-05 10:23:11`), while the
//! same page also shows dates in related-link lists, archives, copyright lines and the article
//! itself. Every date in the visible text is a candidate, scored by where it sits relative to
//! the headline and the article body, by a label before it (`发布时间`, `Published`), by company
//! after it (`来源`, `作者`) and by whether it has a time of day; dates inside links, link lists
//! and copyright lines are out. Metadata still wins, but a metadata date without a time takes
//! the time from a text candidate of the same day, and a UTC metadata instant takes the page's
//! own offset when the page shows the same instant as local wall-clock time.

use chrono::{DateTime, FixedOffset, NaiveTime, TimeDelta, Timelike};
use chrono_tz::Tz;
use url::Url;

use super::textmap::{self, TextMap};
use crate::dates::{self, Found};

/// Where the headline and the body sit in the page text (byte offsets into [`TextMap::text`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Anchors {
    pub title: Option<usize>,
    pub body: Option<(usize, usize)>,
}

impl Anchors {
    /// Finds the headline `title` and the body text `body` in `map`.
    pub fn locate(map: &TextMap<'_>, title: Option<&str>, body: &str) -> Self {
        let text = &map.text;
        let body_text = textmap::collapse(body);
        // The body's first and last 16 characters; inline markup may split the page text
        // where the body text has no space (`当前位置：首页->` is three text nodes), so failing
        // those, its first and last long runs of unspaced text (Chinese phrases).
        let head: String = body_text.chars().take(16).collect();
        let tail: String = {
            let rev: Vec<char> = body_text.chars().rev().take(16).collect();
            rev.into_iter().rev().collect()
        };
        let phrases: Vec<String> = body_text
            .split(' ')
            .filter(|w| w.len() >= 18)
            .map(|w| w.chars().take(16).collect())
            .collect();
        let body_start = (!head.is_empty())
            .then(|| text.find(&head))
            .flatten()
            .or_else(|| phrases.iter().take(8).find_map(|p| text.find(p.as_str())));
        let body = body_start.map(|s| {
            let end = text[s..]
                .rfind(&tail)
                .or_else(|| {
                    phrases
                        .iter()
                        .rev()
                        .take(8)
                        .find_map(|p| text[s..].rfind(p.as_str()))
                })
                .map_or(s + body_text.len(), |e| s + e);
            (s, end.max(s))
        });
        let title = title.map(textmap::collapse).and_then(|t| {
            let key: String = t.chars().take(12).collect();
            let shown = |i: &usize| map.run_at(*i).is_some_and(|r| !r.in_link);
            let hits: Vec<usize> = text
                .match_indices(&key)
                .map(|(i, _)| i)
                .filter(shown)
                .map(|i| i + t.len())
                .collect();
            let before_body = |&&i: &&usize| body_start.is_none_or(|b| i <= b);
            hits.iter().rfind(before_body).or(hits.first()).copied()
        });
        Anchors { title, body }
    }
}

/// Picks the publish date. `meta` is the metadata's (JSON-LD, `<meta>`, `<time>`).
pub fn find(
    html: &str,
    map: &TextMap<'_>,
    at: Anchors,
    meta: Option<DateTime<FixedOffset>>,
    url: &Url,
    tz: Tz,
) -> Option<DateTime<FixedOffset>> {
    let mut cands: Vec<(f64, Found)> = dates::scan(&map.text)
        .into_iter()
        .filter_map(|f| Some((score(map, at, &f)?, f)))
        .collect();
    cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.start.cmp(&b.1.start)));
    if tracing::enabled!(tracing::Level::TRACE) {
        for (s, f) in cands.iter().take(8) {
            let shown = map.text.get(f.start..f.end).unwrap_or("");
            tracing::trace!(score = s, at = f.start, ?at, date = shown, "date candidate");
        }
    }
    let good = cands.iter().filter(|(s, _)| *s >= ACCEPT).map(|(_, f)| f);
    match meta {
        Some(m) if m.time() == NaiveTime::MIN => {
            // A bare day in the metadata: the text may know the time.
            let same_day = |d: &DateTime<FixedOffset>| d.date_naive() == m.date_naive();
            let timed = good.clone().filter(|f| f.has_time).find_map(|f| {
                [f.resolve(tz), f.alternative(tz)]
                    .into_iter()
                    .flatten()
                    .find(same_day)
            });
            Some(timed.unwrap_or(m))
        }
        Some(m) => Some(good.clone().find_map(|f| shown_offset(m, f)).unwrap_or(m)),
        None => good
            .clone()
            .find_map(|f| f.resolve(tz))
            .or_else(|| script_date(html, tz))
            .or_else(|| url_date(url, tz)),
    }
}

/// The lowest score a text candidate needs.
const ACCEPT: f64 = 2.0;

/// `m` in the offset at which the page displays it, when the naive text date `f` is the same
/// instant shown in another whole-quarter-hour offset (`12:48:06+00:00` shown as `13:48`).
fn shown_offset(m: DateTime<FixedOffset>, f: &Found) -> Option<DateTime<FixedOffset>> {
    if !f.has_time {
        return None;
    }
    [f.resolve(Tz::UTC), f.alternative(Tz::UTC)]
        .into_iter()
        .flatten()
        .find_map(|shown| {
            let diff = shown.naive_utc() - m.naive_utc().with_second(0)?;
            let secs = diff.num_seconds();
            let plausible = secs.abs() <= 14 * 3600 && secs % 900 == 0;
            let offset = FixedOffset::east_opt(i32::try_from(secs).ok()?)?;
            plausible.then(|| m.with_timezone(&offset))
        })
}

/// Labels that introduce a publish date, strongest first (lower case).
const LABELS: &[&str] = &[
    "发布时间",
    "发表时间",
    "发布日期",
    "发稿时间",
    "更新时间",
    "出版时间",
    "时间",
    "日期",
    "发布",
    "发表于",
    "发表",
    "更新",
    "published",
    "posted",
    "updated",
    "date",
    "time",
];
/// Words that follow a publish date on the same line.
const AFTER: &[&str] = &[
    "来源", "作者", "编辑", "更新", "发表", "发布", "点击", "浏览", "阅读", "by", "source",
];
/// Words that make a date something else.
const REJECT: &[&str] = &["©", "copyright", "版权", "备案", "截至", "截止", "原标题"];

/// A candidate's score, or `None` when it cannot be the publish date.
fn score(map: &TextMap<'_>, at: Anchors, f: &Found) -> Option<f64> {
    let text = &map.text;
    let run = map.run_at(f.start)?;
    if run.in_link {
        return None;
    }
    let before = lower_window(text, f.start.saturating_sub(96), f.start);
    if REJECT.iter().any(|r| before.contains(r)) {
        return None;
    }
    let near_before = lower_window(text, f.start.saturating_sub(18), f.start);
    let labelled = LABELS.iter().any(|l| near_before.contains(l));
    if !labelled && run.block.is_some_and(|b| textmap::link_density(b) > 0.5) {
        return None;
    }
    let mut s = if f.has_time { 3.0 } else { 0.0 };
    // "<a>Some story</a> 2012-03-05": the date of the linked story, as in related lists.
    let after_link = map
        .run_before(f.start)
        .is_some_and(|r| r.in_link && f.start - r.end <= 24);
    if after_link && !labelled {
        s -= 2.0;
    }
    let after = lower_window(text, f.end, (f.end + 30).min(text.len()));
    s += if labelled {
        2.0
    } else if near_before.ends_with('于') || near_before.ends_with('在') {
        1.0
    } else {
        0.0
    };
    s += if AFTER.iter().any(|w| after.contains(w)) {
        1.0
    } else {
        0.0
    };
    Some(s + position(at, f.start))
}

/// How well a position fits the publish line: between headline and body is best, then just
/// after the body (a post's footer), then before the headline; far from both is poor.
fn position(at: Anchors, p: usize) -> f64 {
    let far = |d: usize, per: f64, cap: f64| (d as f64 / per).min(cap);
    // The first lines of a body may be its dateline, the last its footer ("发表于 ...").
    let in_body = |b: usize, e: usize| {
        if p < b + 300 {
            2.0
        } else if p + 150 < e {
            -1.0
        } else {
            1.0 - far(p.saturating_sub(e), 300.0, 3.0)
        }
    };
    match (at.title, at.body) {
        (Some(t), Some((b, e))) if t <= b => {
            if p >= t && p <= b {
                4.0
            } else if p < t {
                1.0 - far(t - p, 300.0, 3.0)
            } else {
                in_body(b, e)
            }
        }
        (Some(t), _) if p >= t => 3.0 - far(p - t, 500.0, 3.0),
        (Some(t), None) => -far(t - p, 300.0, 2.0),
        (_, Some((b, _))) if p < b => 2.0 - far(b - p, 500.0, 3.0),
        (_, Some((b, e))) => in_body(b, e),
        (None, None) => 1.0 - far(p, 5000.0, 2.0),
    }
}

/// The text between two byte offsets, widened to char boundaries, lower-cased.
fn lower_window(text: &str, mut from: usize, mut to: usize) -> String {
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    while !text.is_char_boundary(to) {
        to += 1;
    }
    text[from..to].to_lowercase()
}

/// Names under which page scripts and hidden form fields keep the publish time
/// (`var pubtime = "..."`, `JSignDate=escape('...')`, `<input name="pubtime" value="...">`).
const SCRIPT_KEYS: &[&str] = &[
    "pubdate",
    "pubtime",
    "publishdate",
    "publishtime",
    "publish_date",
    "publish_time",
    "signdate",
    "posttime",
];

/// A date with a time right after a publish-time name anywhere in the markup: the last resort
/// before the URL for pages that show the date only through script.
fn script_date(html: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let lower = html.to_ascii_lowercase();
    SCRIPT_KEYS.iter().find_map(|key| {
        lower.match_indices(key).find_map(|(i, _)| {
            let from = i + key.len();
            let mut to = (from + 48).min(html.len());
            while !html.is_char_boundary(to) {
                to += 1;
            }
            let window = html.get(from..to)?;
            let f = dates::scan(window).into_iter().next()?;
            // Only a value right after the name: `="`, `=escape('`, `" value="`.
            let gap = &window[..f.start];
            let tight = gap.len() <= 20 && !gap.contains(['<', '>', ';']);
            (tight && f.has_time).then(|| f.resolve(tz)).flatten()
        })
    })
}

/// A day in the URL path (`/2012-03/05/`, `/20120305/`, `/2012/03/05/`, `/n1/2024/0510/`),
/// read as midnight in `tz`.
pub fn url_date(url: &Url, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let b = url.path().as_bytes();
    let num = |i: usize, n: usize| -> Option<u32> {
        let s = b.get(i..i + n)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(s).ok()?.parse().ok())?
    };
    let is_sep = |i: usize| matches!(b.get(i), Some(b'-' | b'/' | b'_'));
    (0..b.len()).find_map(|i| {
        if i > 0 && b[i - 1].is_ascii_digit() {
            return None;
        }
        let year = num(i, 4)?;
        let mut j = i + 4 + usize::from(is_sep(i + 4));
        let month = num(j, 2)?;
        j += 2 + usize::from(is_sep(j + 2));
        let day = num(j, 2)?;
        if b.get(j + 2).is_some_and(u8::is_ascii_digit) || !(1995..=2099).contains(&year) {
            return None;
        }
        let s = format!("{year:04}-{month:02}-{day:02}");
        dates::parse(&s, tz)
            .filter(|d| d.date_naive() <= chrono::Utc::now().date_naive() + TimeDelta::days(1))
    })
}

#[cfg(test)]
mod tests;
