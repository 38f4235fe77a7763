//! Round-trip tests of the publisher: publish a handful of items into a temp folder, parse every
//! document back with an independent reader (`rss`, `atom_syndication`, `serde_json`) and
//! compare, then publish again and expect no write.
use super::*;
use chrono::DateTime;
use std::fs;
use std::path::PathBuf;

const BASE: &str = "https://news.example.org/feeds/";

fn date(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn item(id: &str, title: &str, published: &str, cats: &[&str], tags: &[&str]) -> FeedItem {
    FeedItem {
        id: id.into(),
        url: format!("https://example.com/a/{id}.html"),
        title: title.into(),
        summary: format!("Summary of {title}"),
        content_html: format!("<p>Body of {}</p>", text::html_escape(title)),
        published: date(published),
        updated: date(published),
        author: None,
        thumbnail: None,
        categories: cats.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        lang: None,
        source: "test".into(),
    }
}

/// Five items, newest first: Chinese and English, with and without thumbnail and author,
/// a tag with a slash, a Chinese tag, a hostile tag, a case variant of a category, and a
/// control character in a title.
fn sample_items() -> Vec<FeedItem> {
    let mut a = item(
        "0a1b2c3d4e5f6071",
        "春节档票房创新高",
        "2025-02-10T15:02:16+08:00",
        &["国内"],
        &["qq", "电影"],
    );
    a.thumbnail = Some("https://inews.gtimg.com/news/pic.png".into());
    a.author = Some("新华社".into());
    a.lang = Some("zh-CN".into());
    a.content_html =
        "<p>春节档<b>票房</b>创新高。</p><img src=\"https://inews.gtimg.com/x.jpg\">".into();
    let mut b = item(
        "1111222233334444",
        "Rust 1.85 released: <edition> 2024 & more",
        "2025-02-10T06:30:00+00:00",
        &["Tech"],
        &["rust", "a/b", "<script>"],
    );
    b.updated = date("2025-02-11T09:00:00+00:00");
    let mut c = item(
        "5555666677778888",
        "国际\u{1}新闻 速览",
        "2025-02-09T20:00:00+08:00",
        &["国际"],
        &["电影", "../../etc"],
    );
    c.thumbnail = Some("https://img.example.com/p/c.webp?w=300".into());
    c.summary = String::new();
    let mut d = item(
        "9999aaaabbbbcccc",
        "Chips and AI",
        "2025-02-08T10:00:00-05:00",
        &["tech"],
        &["a/b"],
    );
    d.thumbnail = Some("https://cdn.example.com/img/123".into());
    d.author = Some("Jane Doe".into());
    let e = item(
        "ddddeeeeffff0000",
        "An older story",
        "2025-01-01T00:00:00+00:00",
        &["Tech"],
        &["rust"],
    );
    vec![a, b, c, d, e]
}

fn site() -> SiteInfo {
    SiteInfo {
        title: "Daily News".into(),
        base_url: url::Url::parse(BASE).unwrap(),
        language: Some("zh-CN".into()),
        timezone: chrono_tz::Asia::Shanghai,
        description: Some("Test feeds".into()),
        icon: None,
        logo: None,
        hub: None,
    }
}

fn opts(items: usize) -> FeedOptions {
    FeedOptions {
        items,
        formats: vec!["rss".into(), "atom".into(), "json".into()],
        max_bytes: 0,
        update_interval: None,
    }
}

fn read_rss(dir: &Path, rel: &str) -> ::rss::Channel {
    let bytes = fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    ::rss::Channel::read_from(&bytes[..]).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn read_atom(dir: &Path, rel: &str) -> atom_syndication::Feed {
    let bytes = fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    atom_syndication::Feed::read_from(&bytes[..]).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn read_json(dir: &Path, rel: &str) -> serde_json::Value {
    let bytes = fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn rss_self_link(ch: &::rss::Channel) -> String {
    ch.extensions()["atom"]["link"][0].attrs()["href"].clone()
}

#[test]
fn publishes_every_feed_at_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let report = publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();
    let feeds = [
        "",
        "categories/国内/",
        "categories/国际/",
        "categories/tech/",
        "tags/qq/",
        "tags/电影/",
        "tags/rust/",
        "tags/a-b/",
        "tags/script/",
        "tags/etc/",
    ];
    let mut expected: Vec<String> = feeds
        .iter()
        .flat_map(|d| ["rss.xml", "atom.xml", "feed.json"].map(|f| format!("{d}{f}")))
        .chain(["index.html".to_string(), "opml.xml".to_string()])
        .collect();
    for rel in &expected {
        assert!(dir.path().join(rel).is_file(), "missing {rel}");
    }
    let mut written = report.written.clone();
    written.sort();
    expected.sort();
    assert_eq!(written, expected);
    assert_eq!(report.unchanged, 0);
}

#[test]
fn rss_round_trips_with_order_limit_and_self_link() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();

    let all = read_rss(dir.path(), "rss.xml");
    assert_eq!(all.title(), "Daily News");
    assert_eq!(all.link(), BASE);
    assert_eq!(all.language(), Some("zh-CN"));
    assert_eq!(all.generator(), Some("agg"));
    assert_eq!(rss_self_link(&all), format!("{BASE}rss.xml"));
    // The newest `updated` (item b), not the time of the run.
    assert_eq!(
        all.last_build_date(),
        Some("Tue, 11 Feb 2025 09:00:00 +0000")
    );
    let titles: Vec<_> = all.items().iter().map(|i| i.title().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "春节档票房创新高",
            "Rust 1.85 released: <edition> 2024 & more",
            "国际新闻 速览",
        ]
    );
    let first = &all.items()[0];
    let guid = first.guid().unwrap();
    assert_eq!(guid.value(), "urn:agg:0a1b2c3d4e5f6071");
    assert!(!guid.is_permalink());
    assert_eq!(
        first.link(),
        Some("https://example.com/a/0a1b2c3d4e5f6071.html")
    );
    assert_eq!(first.pub_date(), Some("Mon, 10 Feb 2025 15:02:16 +0800"));
    assert_eq!(first.description(), Some("Summary of 春节档票房创新高"));
    assert!(first.content().unwrap().contains("<b>票房</b>"));
    assert_eq!(first.dublin_core_ext().unwrap().creators(), ["新华社"]);
    let cats: Vec<_> = first.categories().iter().map(|c| c.name()).collect();
    assert_eq!(cats, ["国内", "qq", "电影"]);
    let enc = first.enclosure().unwrap();
    assert_eq!(
        (enc.url(), enc.mime_type(), enc.length()),
        ("https://inews.gtimg.com/news/pic.png", "image/png", "0")
    );
    let media = &first.extensions()["media"];
    assert_eq!(media["content"][0].attrs()["medium"], "image");
    assert_eq!(media["thumbnail"][0].attrs()["url"], enc.url());
    // The plain-text summary is escaped once more, because RSS readers read it as HTML.
    assert_eq!(
        all.items()[1].description(),
        Some("Summary of Rust 1.85 released: &lt;edition&gt; 2024 &amp; more")
    );
    assert!(all.items()[1].enclosure().is_none());

    // "Tech" and "tech" are one feed, newest first, limited to 3 of its 3 items.
    let tech = read_rss(dir.path(), "categories/tech/rss.xml");
    assert_eq!(tech.title(), "Daily News: Tech");
    let ids: Vec<_> = tech
        .items()
        .iter()
        .map(|i| i.guid().unwrap().value())
        .collect();
    assert_eq!(
        ids,
        [
            "urn:agg:1111222233334444",
            "urn:agg:9999aaaabbbbcccc",
            "urn:agg:ddddeeeeffff0000"
        ]
    );
    let d = &tech.items()[1];
    assert_eq!(d.enclosure().unwrap().mime_type(), "image/jpeg");

    let film = read_rss(dir.path(), "tags/电影/rss.xml");
    assert_eq!(film.title(), "Daily News: #电影");
    assert_eq!(
        rss_self_link(&film),
        format!("{BASE}tags/%E7%94%B5%E5%BD%B1/rss.xml")
    );
    assert_eq!(film.items().len(), 2);
    let slash = read_rss(dir.path(), "tags/a-b/rss.xml");
    assert_eq!(slash.title(), "Daily News: #a/b");
    assert_eq!(slash.items().len(), 2);
}

#[test]
fn atom_round_trips_with_ids_authors_and_enclosures() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();

    let feed = read_atom(dir.path(), "categories/国内/atom.xml");
    let self_url = format!("{BASE}categories/%E5%9B%BD%E5%86%85/atom.xml");
    assert_eq!(feed.id(), self_url);
    assert_eq!(feed.title().as_str(), "Daily News: 国内");
    assert_eq!(feed.lang(), Some("zh-CN"));
    assert_eq!(feed.authors()[0].name(), "Daily News");
    let rels: Vec<_> = feed.links().iter().map(|l| (l.rel(), l.href())).collect();
    assert_eq!(rels, [("self", self_url.as_str()), ("alternate", BASE)]);
    assert_eq!(feed.updated(), &date("2025-02-10T15:02:16+08:00"));
    let entry = &feed.entries()[0];
    assert_eq!(entry.id(), "urn:agg:0a1b2c3d4e5f6071");
    assert_eq!(entry.published(), Some(&date("2025-02-10T15:02:16+08:00")));
    assert_eq!(entry.authors()[0].name(), "新华社");
    let enclosure = entry
        .links()
        .iter()
        .find(|l| l.rel() == "enclosure")
        .unwrap();
    assert_eq!(enclosure.mime_type(), Some("image/png"));
    assert_eq!(entry.content().unwrap().content_type(), Some("html"));
    assert_eq!(
        entry.summary().unwrap().as_str(),
        "Summary of 春节档票房创新高"
    );

    let all = read_atom(dir.path(), "atom.xml");
    assert_eq!(all.entries().len(), 3);
    let second = &all.entries()[1];
    assert_eq!(
        second.title().as_str(),
        "Rust 1.85 released: <edition> 2024 & more"
    );
    assert!(
        second.authors().is_empty(),
        "the feed-level author covers it"
    );
    assert_eq!(second.updated(), &date("2025-02-11T09:00:00+00:00"));
    let terms: Vec<_> = second.categories().iter().map(|c| c.term()).collect();
    assert_eq!(terms, ["Tech", "rust", "a/b", "<script>"]);
    // An empty summary falls back to the title, so no entry is blank.
    assert_eq!(
        all.entries()[2].summary().unwrap().as_str(),
        "国际新闻 速览"
    );
}

#[test]
fn json_feed_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();

    let feed = read_json(dir.path(), "tags/a-b/feed.json");
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "Daily News: #a/b");
    assert_eq!(feed["home_page_url"], BASE);
    assert_eq!(feed["feed_url"], format!("{BASE}tags/a-b/feed.json"));
    assert_eq!(feed["language"], "zh-CN");
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["id"], "urn:agg:1111222233334444");
    assert_eq!(items[0]["date_published"], "2025-02-10T06:30:00Z");
    assert_eq!(items[0]["date_modified"], "2025-02-11T09:00:00Z");
    assert_eq!(items[1]["date_published"], "2025-02-08T10:00:00-05:00");
    assert_eq!(items[1]["image"], "https://cdn.example.com/img/123");
    assert_eq!(items[1]["authors"][0]["name"], "Jane Doe");
    assert_eq!(items[1]["tags"], serde_json::json!(["tech", "a/b"]));
    assert_eq!(items[1]["content_html"], "<p>Body of Chips and AI</p>");

    let all = read_json(dir.path(), "feed.json");
    let titles: Vec<_> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 3);
    assert_eq!(titles[0], "春节档票房创新高");
}

#[test]
fn index_and_opml_list_every_feed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();

    let index = fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(index.contains(&format!(
        "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Daily News (RSS)\" href=\"{BASE}rss.xml\">"
    )));
    assert!(index.contains("type=\"application/atom+xml\""));
    assert!(index.contains("type=\"application/feed+json\""));
    // Relative links, percent-encoded; the address to copy in full.
    assert!(index.contains("<a href=\"tags/%E7%94%B5%E5%BD%B1/rss.xml\""));
    assert!(index.contains(&format!(
        "<code>{BASE}tags/%E7%94%B5%E5%BD%B1/rss.xml</code>"
    )));
    assert!(index.contains("<span class=\"kind\">Tag:</span> #&lt;script&gt;"));
    assert!(index.contains("released: &lt;edition&gt; 2024 &amp; more"));
    assert!(!index.contains("<script>"), "names are escaped");
    assert!(!index.contains("\u{1}"));

    let opml = fs::read_to_string(dir.path().join("opml.xml")).unwrap();
    assert_eq!(opml.matches("type=\"rss\"").count(), 10);
    assert!(opml.contains(&format!("xmlUrl=\"{BASE}tags/%E7%94%B5%E5%BD%B1/rss.xml\"")));
    // Text attributes are HTML to OPML readers: escaped once more.
    assert!(opml.contains("title=\"Daily News: #&amp;lt;script&amp;gt;\""));
}

#[test]
fn second_publish_writes_nothing_and_changes_touch_only_affected_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = sample_items();
    publish(&items, &site(), &opts(3), dir.path()).unwrap();
    let mtime = |rel: &str| {
        fs::metadata(dir.path().join(rel))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = mtime("tags/电影/atom.xml");

    let again = publish(&items, &site(), &opts(3), dir.path()).unwrap();
    assert_eq!(again.written, Vec::<String>::new());
    assert_eq!(again.unchanged, 32);
    assert_eq!(mtime("tags/电影/atom.xml"), before);

    // A new item in one category rewrites that category, the main feeds, the index and OPML
    // (dates changed), and nothing else.
    items.insert(
        0,
        item(
            "aaaa000011112222",
            "New chip",
            "2025-02-12T08:00:00+00:00",
            &["Tech"],
            &[],
        ),
    );
    let report = publish(&items, &site(), &opts(3), dir.path()).unwrap();
    let mut written = report.written.clone();
    written.sort();
    assert_eq!(
        written,
        [
            "atom.xml",
            "categories/tech/atom.xml",
            "categories/tech/feed.json",
            "categories/tech/rss.xml",
            "feed.json",
            "index.html",
            "opml.xml",
            "rss.xml",
        ]
    );
}

#[test]
fn only_configured_formats_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let opts = FeedOptions {
        items: 10,
        formats: vec!["atom".into()],
        ..opts(10)
    };
    let report = publish(&sample_items(), &site(), &opts, dir.path()).unwrap();
    assert!(
        report
            .written
            .iter()
            .all(|p| !p.ends_with("rss.xml") && !p.ends_with(".json"))
    );
    assert!(dir.path().join("categories/国际/atom.xml").is_file());
    assert!(!dir.path().join("rss.xml").exists());
    let opml = fs::read_to_string(dir.path().join("opml.xml")).unwrap();
    assert!(opml.contains(&format!("xmlUrl=\"{BASE}atom.xml\"")));
}

#[test]
fn empty_store_gives_valid_empty_feeds_dated_at_the_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut site = site();
    site.base_url = url::Url::parse("https://news.example.org/feeds").unwrap();
    publish(&[], &site, &opts(50), dir.path()).unwrap();
    let feed = read_atom(dir.path(), "atom.xml");
    assert_eq!(feed.updated(), &date("1970-01-01T00:00:00+00:00"));
    assert_eq!(
        feed.id(),
        format!("{BASE}atom.xml"),
        "a missing trailing slash is added"
    );
    assert!(read_rss(dir.path(), "rss.xml").items().is_empty());
}

/// Writes the sample feeds into `$AGG_FEEDCHECK_OUT` (default `/tmp/agg-feedcheck`) for
/// `scripts/feedcheck.sh`: `cargo test --lib publish::tests::sample -- --ignored`.
#[test]
#[ignore = "writes outside the temp dir; run by hand before feedcheck"]
fn sample_feeds_for_feedcheck() {
    let out = std::env::var_os("AGG_FEEDCHECK_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/agg-feedcheck"));
    // Every optional element on, so the checkers see them all.
    let site = SiteInfo {
        icon: Some(url::Url::parse("https://news.example.org/favicon.png").unwrap()),
        logo: Some(url::Url::parse("https://news.example.org/logo.png").unwrap()),
        hub: Some(url::Url::parse("https://hub.example.org/").unwrap()),
        ..site()
    };
    let opts = FeedOptions {
        update_interval: Some(std::time::Duration::from_secs(900)),
        ..opts(50)
    };
    // Plus an undated item with a hostile image URL (`>` and `|`) as thumbnail and in its body.
    let mut items = sample_items();
    let mut hostile = presentation::hostile_item();
    hostile.content_html = format!(
        "<p>New timetable.</p><img src=\"{}\" alt=\"The ferry\">",
        text::html_escape(presentation::HOSTILE_IMAGE)
    );
    items.insert(0, hostile);
    publish(&items, &site, &opts, &out).unwrap();
}

mod incremental;
mod presentation;
mod quality;
