//! Tests of date parsing and scanning.

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

/// Each date `scan` finds in `s`, as (matched text, RFC 3339 in Shanghai time).
fn scanned(s: &str) -> Vec<(String, String)> {
    scan(s)
        .iter()
        .filter_map(|f| Some((s[f.start..f.end].to_string(), f.resolve(SH)?.to_rfc3339())))
        .collect()
}

#[test]
fn scan_finds_every_date_with_its_span() {
    let s = "发布时间：2012-03-05 10:23:11 来源: 新华网 相关：2011年12月1日 旧闻 2013/4/5";
    let got = scanned(s);
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0],
        (
            "2012-03-05 10:23:11".to_string(),
            "2012-03-05T10:23:11+08:00".to_string()
        )
    );
    assert_eq!(got[1].0, "2011年12月1日");
    assert_eq!(got[2].1, "2013-04-05T00:00:00+08:00");
    let f = scan(s);
    assert!(f[0].has_time && !f[1].has_time && !f[2].has_time);
}

#[test]
fn scan_glued_time_and_chinese_time() {
    assert_eq!(
        scanned("BUSINESS.SOHU.COM　2005年3月11日12:12 来源：人民网")[0].1,
        "2005-03-11T12:12:00+08:00"
    );
    assert_eq!(
        scanned("2005-04-05 06:40更新")[0].1,
        "2005-04-05T06:40:00+08:00"
    );
}

#[test]
fn scan_year_last_with_meridiem() {
    assert_eq!(
        scanned("发布日期： 9/17/2004 5:54:13 AM</font>")[0].1,
        "2004-09-17T05:54:13+08:00"
    );
    let f = scan("7/5/2005 9:23:57 PM");
    assert_eq!(
        f[0].resolve(SH).unwrap().to_rfc3339(),
        "2005-07-05T21:23:57+08:00"
    );
    assert_eq!(
        f[0].alternative(SH).unwrap().to_rfc3339(),
        "2005-05-07T21:23:57+08:00"
    );
    // Day first when the first number cannot be a month.
    assert_eq!(
        scanned("06/02/2022 - 13:48")[0].1,
        "2022-06-02T13:48:00+08:00"
    );
    assert_eq!(
        scanned("26/02/2022 - 13:48")[0].1,
        "2022-02-26T13:48:00+08:00"
    );
}

#[test]
fn scan_ignores_digit_runs_and_nonsense() {
    assert!(scan("id 20120305 v1.2.3 12:30 2025-13-01 12/32/2020 20251/5/6").is_empty());
    // Found, but not a plausible publish date.
    assert!(scanned("1234/5/6").is_empty());
    assert!(scan("").is_empty());
}

#[test]
fn meridiem_after_year_first_dates() {
    ok("2025-02-10 07:02 PM", "2025-02-10T19:02:00+08:00");
    ok("2025-02-10 12:05 am", "2025-02-10T00:05:00+08:00");
}
