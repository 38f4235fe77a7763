//! What Hugo and feed readers show of an article (issue 16): the rendering fixture page
//! (`tests/fixtures/render/page.html`: undated, bold next to CJK punctuation, back-to-back bold
//! runs, a `---` paragraph, list-like text, a table, a figure caption, an image URL with `>`
//! and `|`) through a real `agg fetch-once`, its Markdown rendered by a CommonMark renderer and
//! its feeds read back.

use std::collections::HashMap;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::common::{self, Route, Server};

const HOSTILE_ENCODED: &str =
    "https://img.example.com/p/1.jpg?imageView2/2/w/1080x%3E/strip/ignore-error/1%7Cimageslim";

/// Runs agg over the fixture page; returns the Markdown file and the feeds folder's path.
fn fetch_fixture(dir: &std::path::Path) -> String {
    let server = Server::start(HashMap::new());
    server.set(
        "/news/ferry",
        Route::ok(
            "text/html; charset=utf-8",
            common::fixture("render/page.html"),
        ),
    );
    let source = format!(
        "  - name: render\n    kind: urls\n    urls: [\"{}/news/ferry\"]\n    lang: \"zh-CN\"\n    \
         categories: [\"港城\"]\n    extract: {{title: \"h1\", body: \".content-article\"}}\n",
        server.base
    );
    let out = common::agg(dir, &common::config(dir, &source), &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let content = dir.join("content/render");
    let files = common::files(&content);
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read_to_string(content.join(&files[0])).unwrap()
}

/// The body's text and the text of each `<strong>`, as pulldown-cmark renders them (GFM tables
/// and strikethrough, and smart punctuation as Hugo's typographer does).
fn render(body: &str) -> (String, Vec<String>, String) {
    let opts =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION;
    let events: Vec<Event> = Parser::new_ext(body, opts).collect();
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.clone().into_iter());
    let (mut text, mut strong, mut open) = (String::new(), Vec::new(), None::<String>);
    for e in events {
        match e {
            Event::Start(Tag::Strong) => open = Some(String::new()),
            Event::End(TagEnd::Strong) => strong.extend(open.take()),
            Event::Text(t) => {
                text.push_str(&t);
                if let Some(s) = &mut open {
                    s.push_str(&t);
                }
            }
            Event::End(TagEnd::Paragraph) => text.push('\n'),
            _ => {}
        }
    }
    (text, strong, html)
}

#[test]
fn article_renders_in_commonmark_and_feeds_carry_encoded_urls() {
    let dir = tempfile::tempdir().unwrap();
    let md = fetch_fixture(dir.path());
    let (front, body) = md
        .strip_prefix("---\n")
        .and_then(|r| r.split_once("\n---\n"))
        .unwrap();
    assert!(
        front.contains(&format!("thumbnail: \"{HOSTILE_ENCODED}\"\n")),
        "{front}"
    );

    let (text, strong, html) = render(body);
    assert!(!text.contains('*'), "literal asterisks: {html}");
    for bold in [
        "李金泽",
        "DeepSeek“上车”",
        "“船长：我们准备好了。",
        "很好",
        "B线",
    ] {
        assert!(strong.iter().any(|s| s == bold), "{bold} not bold: {html}");
    }
    // Rules and list-like text stay text, as written.
    for line in [
        "---\n",
        "- 不是列表，只是一句以短横线开头的话。\n",
        "1. 也不是编号列表。\n",
    ] {
        assert!(text.contains(line), "{line:?} missing: {html}");
    }
    assert!(html.contains("<th>航线</th>"), "{html}");
    assert!(html.contains("alt=\"新渡轮“晨光号”停靠在码头\"",), "{html}");
    assert!(html.contains("alt=\"码头全景\""), "{html}");
    assert!(!html.contains('|'), "a URL kept its `|`: {html}");

    // Feeds: the thumbnail encoded everywhere, dates to the second, the items' language.
    let feeds = dir.path().join("feeds");
    let rss = std::fs::read_to_string(feeds.join("rss.xml")).unwrap();
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert_eq!(channel.language(), Some("zh-CN"));
    let item = &channel.items()[0];
    assert_eq!(item.enclosure().unwrap().url(), HOSTILE_ENCODED);
    assert!(
        !rss.contains("1080x>") && !rss.contains("|imageslim"),
        "{rss}"
    );
    let atom = std::fs::read_to_string(feeds.join("atom.xml")).unwrap();
    let feed = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
    let published = feed.entries()[0].published().unwrap();
    assert_eq!(published.timestamp_subsec_nanos(), 0, "{atom}");
    assert!(!atom.contains("1080x>"), "{atom}");
    let json = std::fs::read_to_string(feeds.join("feed.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["items"][0]["image"], HOSTILE_ENCODED);
    assert!(
        !json["items"][0]["date_published"]
            .as_str()
            .unwrap()
            .contains('.')
    );
}
