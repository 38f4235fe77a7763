//! The date finder on synthetic pages modelled on the portals' patterns: the publish line under
//! the headline, metadata with and without a time, script-only and URL-only dates, and the
//! dates that are not the publish date (related lists, copyright lines).

use chrono_tz::Tz;
use url::Url;

use super::url_date;
use crate::extract::{Options, extract};

const SH: Tz = chrono_tz::Asia::Shanghai;

/// A paragraph long enough for the body detector.
fn body() -> String {
    "<p>记者从有关部门获悉，今年以来各项工作稳步推进，取得了明显成效，群众满意度持续提高。</p>"
        .repeat(6)
}

fn published_at(url: &str, html: &str) -> Option<String> {
    let url = Url::parse(url).unwrap();
    let opts = Options {
        timezone: SH,
        rule: None,
        hint: None,
    };
    let a = extract(html, &url, &opts).expect("extracts");
    a.published.map(|d| d.to_rfc3339())
}

fn published(html: &str) -> Option<String> {
    published_at("https://news.example.com/a/1.html", html)
}

#[test]
fn date_line_under_headline_beats_related_and_copyright() {
    let html = format!(
        "<html><head><title>地方经济稳步回升_新闻中心_某某网</title></head><body>\
         <div class='nav'><a href='/'>首页</a> <a href='/n'>新闻</a></div>\
         <ul><li><a href='/b'>另一条新闻的标题在这里</a> 2012-03-04 09:00</li></ul>\
         <h1>地方经济稳步回升</h1>\
         <div class='info'>2012年03月05日 10:23 来源：新华网</div>{}\
         <ul><li><a href='/c'>相关：上月的旧闻标题</a> (2012-02-01 08:00)</li></ul>\
         <div class='foot'>Copyright © 2012-12-31 某某网 版权所有</div></body></html>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2012-03-05T10:23:00+08:00")
    );
}

#[test]
fn labelled_time_without_headline_markup() {
    let html = format!(
        "<body><table><tr><td><b>多数夫妻生活有名无实 问题严重(图)</b></td></tr>\
         <tr><td class='ygg'>2005-04-05 06:40更新 来源：转载文章</td></tr></table>{}\
         <p>发布时间：2005-04-01 09:56 的旧帖</p></body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2005-04-05T06:40:00+08:00")
    );
}

#[test]
fn meta_day_takes_the_time_shown_on_the_same_day() {
    let html = format!(
        "<head><meta name='publishdate' content='2022-02-13'></head><body>\
         <h1>中央军委主席签署命令 发布规定</h1>\
         <div class='source'><span>2022-02-13 07:00:00</span><span>来源：央广网</span></div>{}</body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2022-02-13T07:00:00+08:00")
    );
}

#[test]
fn utc_metadata_takes_the_offset_the_page_shows() {
    let html = format!(
        "<head><meta property='article:published_time' content='2022-02-06T12:48:06+00:00'></head>\
         <body><h1>马克龙星期一在莫斯科与普京会面</h1>\
         <p>发表时间： <time datetime='2022-02-06T12:48:06+00:00'>06/02/2022 - 13:48</time></p>{}</body>",
        body()
    );
    // The same instant, in the page's own offset.
    assert_eq!(
        published(&html).as_deref(),
        Some("2022-02-06T13:48:06+01:00")
    );
}

#[test]
fn timed_metadata_wins_over_text() {
    let html = format!(
        "<head><meta property='article:published_time' content='2024-05-13T09:16:04+08:00'></head>\
         <body><h1>标题标题标题</h1><div>2024-05-12 08:00 来源：某报</div>{}</body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2024-05-13T09:16:04+08:00")
    );
}

#[test]
fn us_order_with_meridiem_and_a_label() {
    let html = format!(
        "<body><div>作者： 来源： 发布日期： 9/17/2004 5:54:13 AM</div><p>某某：巴黎举行座谈会</p>{}</body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2004-09-17T05:54:13+08:00")
    );
}

#[test]
fn date_only_in_script_or_hidden_field() {
    let html = format!(
        "<body><h1>广汽回应合资内幕 全面合作项目即将展开</h1>\
         <a href='#' onclick=\"var JSignDate=escape('2005-07-18 13:03:17');gaojian(1)\">我要说说</a>{}</body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2005-07-18T13:03:17+08:00")
    );
    let html = format!(
        "<body><h1>标题</h1>{}<input type='hidden' name='pubtime' value='2022-02-13 04:22:18'></body>",
        body()
    );
    assert_eq!(
        published(&html).as_deref(),
        Some("2022-02-13T04:22:18+08:00")
    );
}

#[test]
fn url_is_the_last_resort() {
    let html = format!("<body><h1>没有日期的文章标题</h1>{}</body>", body());
    assert_eq!(
        published_at("http://www.example.cn/2012-03/05/content_1.htm", &html).as_deref(),
        Some("2012-03-05T00:00:00+08:00")
    );
    assert_eq!(published(&html), None);
}

#[test]
fn dates_in_urls() {
    let d = |u: &str| url_date(&Url::parse(u).unwrap(), SH).map(|d| d.date_naive().to_string());
    assert_eq!(
        d("http://a.cn/2012-03/05/c_1.htm").as_deref(),
        Some("2012-03-05")
    );
    assert_eq!(
        d("http://a.cn/20120305/n1.shtml").as_deref(),
        Some("2012-03-05")
    );
    assert_eq!(
        d("http://a.cn/2012/03/05/x.html").as_deref(),
        Some("2012-03-05")
    );
    assert_eq!(
        d("http://a.cn/n1/2024/0510/c1004-4.html").as_deref(),
        Some("2024-05-10")
    );
    assert_eq!(
        d("http://a.cn/gn/202405/t20240513_1.htm").as_deref(),
        Some("2024-05-13")
    );
    assert_eq!(d("http://a.cn/a/2019050315127.html"), None);
    assert_eq!(d("http://a.cn/c1004-40232587.html"), None);
    assert_eq!(d("http://a.cn/2012-13/05/x.html"), None);
}
