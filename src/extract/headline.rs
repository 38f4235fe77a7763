//! The headline, checked against what the page shows.
//!
//! The metadata title (JSON-LD headline, OpenGraph, `<title>` without its site suffix) is right
//! on most pages. On older portals, forums and blogs the `<title>` is often the site's or the
//! board's name (`网易娱乐`, `谢谢您访问…`, `bjreader的博客`), or missing, while the real
//! headline sits in a heading right above the article. So: a metadata title that the page also
//! shows in its text is kept; otherwise the heading nearest above the article body (an `h1`-`h4`
//! or an element whose class or id says title) is the headline; failing that, the metadata
//! title stands.

use scraper::{Html, Selector};
use std::sync::LazyLock;

use super::textmap::{TextMap, collapse};

static HEADINGS: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(
        "h1, h2, h3, h4, [class*='tit' i], [id*='tit' i], [class*='headline' i], \
         [class*='biaoti' i], [class*='subject' i]",
    )
    .expect("static selector")
});

/// How far above the body (bytes of page text) a heading may sit and still be its headline.
const NEAR: usize = 600;

/// Picks the headline given the metadata title and where the body starts in `map`.
pub fn choose(
    doc: &Html,
    map: &TextMap<'_>,
    body_start: Option<usize>,
    meta_title: Option<String>,
) -> Option<String> {
    if let Some(t) = &meta_title
        && shown(map, t)
    {
        return meta_title;
    }
    body_start
        .and_then(|b| nearest_heading(doc, map, b).or_else(|| line_above(map, b)))
        .or(meta_title)
}

/// Whether the page text shows `title` (its first dozen characters, at least two).
fn shown(map: &TextMap<'_>, title: &str) -> bool {
    let t = collapse(title);
    if t.chars().count() < 2 {
        return false;
    }
    let key: String = t.chars().take(12).collect();
    map.text.contains(&key)
}

/// The heading whose text ends closest above `body_start`, within [`NEAR`].
fn nearest_heading(doc: &Html, map: &TextMap<'_>, body_start: usize) -> Option<String> {
    let window_start = body_start.saturating_sub(NEAR);
    let mut window_start = window_start;
    while !map.text.is_char_boundary(window_start) {
        window_start -= 1;
    }
    let window = map.text.get(window_start..body_start)?;
    let rest = &map.text[body_start..];
    doc.select(&HEADINGS)
        .filter_map(|h| {
            let text = collapse(&h.text().collect::<String>());
            // Six characters, four of them letters: a headline, not a label (`随笔分类`) or a
            // date in a cell classed as a title.
            let n = text.chars().count();
            let letters = text.chars().filter(|c| c.is_alphabetic()).count();
            if !(6..=100).contains(&n) || letters < 4 {
                return None;
            }
            // Above the body, or the body's own first line.
            if rest.starts_with(&text) {
                return Some((0, text));
            }
            let end = window.rfind(&text)? + text.len();
            Some((window.len() - end, text))
        })
        .min_by_key(|(gap, _)| *gap)
        .map(|(_, text)| text)
}

/// Words that start a label line rather than a headline.
const LABELS: &[&str] = &[
    "作者",
    "来源",
    "时间",
    "日期",
    "发布",
    "编辑",
    "责任编辑",
    "您的位置",
    "当前位置",
    "位置",
    "您现在的位置",
    "by ",
];

/// The last plain line of text above the body that reads like a headline: not a link, not a
/// label (`作者：`, `来源：`) or breadcrumb (`>>`), no date, URL or sentence in it, six to
/// eighty characters.
fn line_above(map: &TextMap<'_>, body_start: usize) -> Option<String> {
    let from = body_start.saturating_sub(NEAR);
    let headline_like = |t: &&str| {
        let n = t.chars().count();
        let letters = t.chars().filter(|c| c.is_alphabetic()).count();
        (6..=80).contains(&n)
            && letters >= 4
            && !t.ends_with([':', '：', '。', '．'])
            && !t.contains("://")
            && !t.contains(['>', '»', '→', '，', '。'])
            && !LABELS.iter().any(|l| t.to_lowercase().starts_with(l))
            && crate::dates::scan(t).is_empty()
    };
    // One of the body's first lines when it is a headline (no sentence, no label in it), else
    // the last headline-like line above it.
    let first = map
        .runs
        .iter()
        .skip_while(|r| r.start < body_start)
        .take_while(|r| r.start < body_start + 200)
        .filter(|r| {
            let t = &map.text[r.start..r.end];
            !r.in_link && !t.contains([':', '：', '、'])
        });
    first
        .chain(
            map.runs
                .iter()
                .rev()
                .skip_while(|r| r.start >= body_start)
                .take_while(|r| r.end > from)
                .filter(|r| !r.in_link),
        )
        .map(|r| &map.text[r.start..r.end])
        .find(headline_like)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(html: &str, meta: Option<&str>) -> Option<String> {
        let doc = Html::parse_document(html);
        let map = TextMap::build(&doc);
        let body = map.text.find("正文").unwrap();
        choose(&doc, &map, Some(body), meta.map(str::to_string))
    }

    #[test]
    fn shown_metadata_title_stays() {
        let html = "<body><td class='title'>栏目</td><h1>市政协会议开幕</h1><p>正文很长</p></body>";
        assert_eq!(
            pick(html, Some("市政协会议开幕")).as_deref(),
            Some("市政协会议开幕")
        );
    }

    #[test]
    fn site_name_title_gives_way_to_heading_above_body() {
        let html = "<body><div>网站首页 论坛</div><div class='post-title'>湘菜粤菜 兵分两路 (图)</div>\
                    <div>2005-06-14</div><p>正文很长，内容丰富。</p></body>";
        assert_eq!(
            pick(html, Some("谢谢您访问本站")).as_deref(),
            Some("湘菜粤菜 兵分两路 (图)")
        );
        // No <title> at all.
        assert_eq!(pick(html, None).as_deref(), Some("湘菜粤菜 兵分两路 (图)"));
    }

    #[test]
    fn no_heading_keeps_metadata_title() {
        let html = "<body><div>导航</div><p>正文很长，内容丰富。</p></body>";
        assert_eq!(pick(html, Some("某某新闻")).as_deref(), Some("某某新闻"));
    }

    #[test]
    fn plain_line_above_body_when_title_is_not_shown() {
        let html = "<body><a href='/'>首页</a> <a href='/n'>新闻</a><div>广汽回应合资内幕 全面合作即将展开</div>\
                    <div>http://www.example.com/ 2005-07-18 13:03:17</div><div>作者：某某</div>\
                    <p>正文很长，内容丰富。</p></body>";
        assert_eq!(
            pick(html, None).as_deref(),
            Some("广汽回应合资内幕 全面合作即将展开")
        );
    }
}
