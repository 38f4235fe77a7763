//! What readers and validators see beyond the round trip: URLs percent-encoded wherever they
//! are written, each feed's language from its items, dates to the second, OPML folders, and
//! the index page's labels, addresses, times and languages.
use super::*;

/// A CDN image URL with `>` and `|` in it, as Tencent's CDN serves them.
pub const HOSTILE_IMAGE: &str =
    "https://img.example.com/p/1.jpg?imageView2/2/w/1080x>/strip/ignore-error/1|imageslim";
const HOSTILE_IMAGE_ENCODED: &str =
    "https://img.example.com/p/1.jpg?imageView2/2/w/1080x%3E/strip/ignore-error/1%7Cimageslim";

/// An undated English item (dated when first seen, to the nanosecond) with a hostile
/// thumbnail and a link with `|` in it.
pub fn hostile_item() -> FeedItem {
    let mut i = item(
        "abcdefabcdef0001",
        "Ferry timetable",
        "2025-02-10T16:00:00+00:00",
        &["Tech"],
        &["ferry"],
    );
    i.published = date("2025-02-10T16:03:52.169398075+00:00");
    i.updated = i.published;
    i.url = "https://example.com/a/ferry?x=1|2".into();
    i.thumbnail = Some(HOSTILE_IMAGE.into());
    i.lang = Some("en".into());
    i
}

fn attr_values(doc: &str) -> Vec<&str> {
    doc.split("=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect()
}

#[test]
fn every_url_is_percent_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = sample_items();
    items.insert(0, hostile_item());
    publish(&items, &site(), &opts(10), dir.path()).unwrap();

    let rss = read_rss(dir.path(), "rss.xml");
    let first = &rss.items()[0];
    assert_eq!(first.enclosure().unwrap().url(), HOSTILE_IMAGE_ENCODED);
    let media = &first.extensions()["media"];
    assert_eq!(media["thumbnail"][0].attrs()["url"], HOSTILE_IMAGE_ENCODED);
    assert_eq!(media["content"][0].attrs()["url"], HOSTILE_IMAGE_ENCODED);
    assert_eq!(first.link(), Some("https://example.com/a/ferry?x=1%7C2"));

    let atom = read_atom(dir.path(), "atom.xml");
    let hrefs: Vec<_> = atom.entries()[0].links().iter().map(|l| l.href()).collect();
    assert_eq!(
        hrefs,
        ["https://example.com/a/ferry?x=1%7C2", HOSTILE_IMAGE_ENCODED]
    );

    let json = read_json(dir.path(), "feed.json");
    assert_eq!(json["items"][0]["image"], HOSTILE_IMAGE_ENCODED);
    assert_eq!(
        json["items"][0]["url"],
        "https://example.com/a/ferry?x=1%7C2"
    );

    // No attribute anywhere holds a character a URI may not (the W3C validator's check).
    for rel in ["rss.xml", "atom.xml", "opml.xml", "index.html"] {
        let doc = fs::read_to_string(dir.path().join(rel)).unwrap();
        for v in attr_values(&doc) {
            if v.starts_with("http") {
                assert!(
                    !v.contains(['|', '>', '<', ' ', '^', '`', '{', '}']),
                    "{rel}: {v}"
                );
                assert!(v.is_ascii(), "{rel}: {v}");
            }
        }
    }
    let index = fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(index.contains("href=\"https://example.com/a/ferry?x=1%7C2\""));
}

#[test]
fn a_feed_says_the_language_its_items_share() {
    let dir = tempfile::tempdir().unwrap();
    let mut items = sample_items();
    for i in &mut items {
        i.lang = Some(if i.title.is_ascii() { "en" } else { "zh-CN" }.into());
    }
    // One item says "EN": the same language.
    items[3].lang = Some("EN".into());
    publish(&items, &site(), &opts(10), dir.path()).unwrap();

    // Mixed: no language at all, in every format.
    assert_eq!(read_rss(dir.path(), "rss.xml").language(), None);
    assert_eq!(read_atom(dir.path(), "atom.xml").lang(), None);
    assert!(read_json(dir.path(), "feed.json").get("language").is_none());
    // All English: "en", not the site's zh-CN.
    assert_eq!(
        read_rss(dir.path(), "categories/tech/rss.xml").language(),
        Some("en")
    );
    assert_eq!(
        read_atom(dir.path(), "categories/tech/atom.xml").lang(),
        Some("en")
    );
    assert_eq!(
        read_json(dir.path(), "categories/tech/feed.json")["language"],
        "en"
    );
    assert_eq!(
        read_rss(dir.path(), "categories/国内/rss.xml").language(),
        Some("zh-CN")
    );

    // Items that say nothing: the site's language.
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items()[1..], &site(), &opts(10), dir.path()).unwrap();
    assert_eq!(read_rss(dir.path(), "rss.xml").language(), Some("zh-CN"));
}

#[test]
fn undated_items_are_dated_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    publish(&[hostile_item()], &site(), &opts(10), dir.path()).unwrap();
    let atom = fs::read_to_string(dir.path().join("atom.xml")).unwrap();
    assert!(
        atom.contains("<published>2025-02-10T16:03:52+00:00</published>"),
        "{atom}"
    );
    assert!(
        atom.contains("<updated>2025-02-10T16:03:52+00:00</updated>"),
        "{atom}"
    );
    assert!(!atom.contains(".169"), "{atom}");
    let json = read_json(dir.path(), "feed.json");
    assert_eq!(json["items"][0]["date_published"], "2025-02-10T16:03:52Z");
    assert_eq!(json["items"][0]["date_modified"], "2025-02-10T16:03:52Z");
    let rss = read_rss(dir.path(), "rss.xml");
    assert_eq!(
        rss.items()[0].pub_date(),
        Some("Mon, 10 Feb 2025 16:03:52 +0000")
    );
}

#[test]
fn opml_folders_carry_only_their_text() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();
    let opml = fs::read_to_string(dir.path().join("opml.xml")).unwrap();
    assert!(
        opml.contains("    <outline text=\"Categories\">\n"),
        "{opml}"
    );
    assert!(opml.contains("    <outline text=\"Tags\">\n"), "{opml}");
    // Every other outline is a feed with a type.
    let outlines = opml.matches("<outline ").count();
    assert_eq!(outlines, 12);
    assert_eq!(opml.matches("<outline type=\"rss\" ").count(), 10);
    assert_eq!(opml.matches("</outline>").count(), 2);
}

#[test]
fn index_labels_sections_names_its_time_zone_and_languages() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(3), dir.path()).unwrap();
    let index = fs::read_to_string(dir.path().join("index.html")).unwrap();
    // The page's own words are English; the site's title is in the site's language.
    assert!(index.contains("<html lang=\"en\">"), "{index}");
    assert!(
        index.contains("<h1 lang=\"zh-CN\">Daily News</h1>"),
        "{index}"
    );
    assert!(index.contains("Times are Asia/Shanghai time."), "{index}");
    let h2: Vec<_> = index.lines().filter(|l| l.starts_with("<h2>")).collect();
    assert_eq!(
        h2,
        ["<h2>All items</h2>", "<h2>Categories</h2>", "<h2>Tags</h2>"]
    );
    assert!(index.contains("<h3><span class=\"kind\">Category:</span> 国内</h3>"));
    assert!(index.contains("<h3><span class=\"kind\">Tag:</span> #rust</h3>"));
    // Addresses to copy: absolute, one per format.
    assert!(index.contains(&format!(
        "<li><a href=\"categories/tech/rss.xml\" type=\"application/rss+xml\">RSS</a> \
         <code>{BASE}categories/tech/rss.xml</code></li>"
    )));
    // 10:00 at -05:00 is 23:00 in Shanghai; the item's own language is marked.
    assert!(
        index.contains(
            "<time datetime=\"2025-02-08T23:00:00+08:00\" title=\"Asia/Shanghai\">2025-02-08 23:00</time>"
        ),
        "{index}"
    );
    assert!(index.contains("<a href=\"https://example.com/a/0a1b2c3d4e5f6071.html\" lang=\"zh-CN\">春节档票房创新高</a>"));
}
