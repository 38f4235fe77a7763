//! Feed quality beyond the round trip: polling hints from the schedule, site images, the WebSub
//! hub, and the byte budget.
use super::*;
use std::time::Duration;

fn rich_site() -> SiteInfo {
    SiteInfo {
        icon: Some(url::Url::parse("https://news.example.org/favicon.png").unwrap()),
        logo: Some(url::Url::parse("https://news.example.org/logo.png").unwrap()),
        hub: Some(url::Url::parse("https://hub.example.org/").unwrap()),
        ..site()
    }
}

#[test]
fn polling_hints_images_and_hub_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let opts = FeedOptions {
        update_interval: Some(Duration::from_secs(900)),
        ..opts(10)
    };
    publish(&sample_items(), &rich_site(), &opts, dir.path()).unwrap();

    let rss = read_rss(dir.path(), "tags/rust/rss.xml");
    assert_eq!(rss.ttl(), Some("15"));
    let sy = rss.syndication_ext().unwrap();
    assert_eq!(
        (sy.period().to_string(), sy.frequency()),
        ("hourly".into(), 4)
    );
    let image = rss.image().unwrap();
    assert_eq!(image.url(), "https://news.example.org/logo.png");
    assert_eq!(image.link(), BASE);
    let links = &rss.extensions()["atom"]["link"];
    let rels: Vec<_> = links.iter().map(|l| l.attrs()["rel"].as_str()).collect();
    assert_eq!(rels, ["self", "hub"]);
    assert_eq!(links[1].attrs()["href"], "https://hub.example.org/");

    let atom = read_atom(dir.path(), "atom.xml");
    assert_eq!(atom.icon(), Some("https://news.example.org/favicon.png"));
    assert_eq!(atom.logo(), Some("https://news.example.org/logo.png"));
    assert_eq!(atom.lang(), Some("zh-CN"));
    let hub = atom.links().iter().find(|l| l.rel() == "hub").unwrap();
    assert_eq!(hub.href(), "https://hub.example.org/");

    let json = read_json(dir.path(), "feed.json");
    assert_eq!(json["icon"], "https://news.example.org/logo.png");
    assert_eq!(json["favicon"], "https://news.example.org/favicon.png");
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    assert_eq!(json["hubs"][0]["url"], "https://hub.example.org/");
}

#[test]
fn without_schedule_or_images_nothing_is_invented() {
    let dir = tempfile::tempdir().unwrap();
    publish(&sample_items(), &site(), &opts(10), dir.path()).unwrap();
    let rss = read_rss(dir.path(), "rss.xml");
    assert_eq!(rss.ttl(), None);
    assert!(rss.syndication_ext().is_none() && rss.image().is_none());
    assert_eq!(rss.extensions()["atom"]["link"].len(), 1, "self only");
    let json = read_json(dir.path(), "feed.json");
    assert!(json.get("hubs").is_none() && json.get("icon").is_none());
}

fn file_len(dir: &std::path::Path, rel: &str) -> usize {
    fs::metadata(dir.join(rel)).unwrap().len() as usize
}

fn budget(max_bytes: usize) -> FeedOptions {
    FeedOptions {
        max_bytes,
        ..opts(10)
    }
}

fn rss_ids_with_content(dir: &std::path::Path) -> Vec<(String, bool)> {
    read_rss(dir, "rss.xml")
        .items()
        .iter()
        .map(|i| (i.guid().unwrap().value().to_string(), i.content().is_some()))
        .collect()
}

#[test]
fn one_huge_item_is_shrunk_to_its_summary_and_evicts_nothing() {
    let mut items = sample_items();
    // The second newest carries a 1.1 MB body; the budget is the default 1 MB.
    items[1].content_html = format!("<p>{}</p>", "huge body ".repeat(110_000));
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &budget(1_000_000), dir.path()).unwrap();
    for rel in ["rss.xml", "atom.xml", "feed.json", "tags/rust/rss.xml"] {
        let len = file_len(dir.path(), rel);
        assert!(len <= 1_000_000, "{rel}: {len} bytes");
    }
    let got = rss_ids_with_content(dir.path());
    assert_eq!(got.len(), items.len(), "every item stays: {got:?}");
    for (i, (id, has_content)) in got.iter().enumerate() {
        assert_eq!(id, &format!("urn:agg:{}", items[i].id));
        assert_eq!(
            *has_content,
            i != 1,
            "only the huge item lost its body: {got:?}"
        );
    }
    let json = read_json(dir.path(), "feed.json");
    let huge = &json["items"][1];
    assert!(huge.get("content_html").is_none());
    assert!(huge["summary"].as_str().is_some_and(|s| !s.is_empty()));
}

#[test]
fn even_bodies_shrink_oldest_first_then_the_oldest_items_go() {
    let mut items = sample_items();
    for item in &mut items {
        item.content_html = format!("<p>{}</p>", "long body ".repeat(300));
    }
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &opts(10), dir.path()).unwrap();
    let full = file_len(dir.path(), "rss.xml");

    // 3/5 of the full size: every item stays, the oldest bodies go first.
    let limit = full * 3 / 5;
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &budget(limit), dir.path()).unwrap();
    for rel in ["rss.xml", "atom.xml", "feed.json"] {
        let len = file_len(dir.path(), rel);
        assert!(len <= limit, "{rel}: {len} > {limit}");
    }
    let got = rss_ids_with_content(dir.path());
    assert_eq!(got.len(), items.len());
    let kept: Vec<bool> = got.iter().map(|(_, c)| *c).collect();
    assert!(kept[0] && !kept[items.len() - 1], "{kept:?}");
    assert!(
        kept.windows(2).all(|w| w[0] >= w[1]),
        "bodies kept by the newest only: {kept:?}"
    );

    // Summary-only items that still do not fit: the oldest are dropped, the newest stay.
    let dir = tempfile::tempdir().unwrap();
    let no_bodies: Vec<FeedItem> = items
        .iter()
        .map(|i| FeedItem {
            content_html: String::new(),
            ..i.clone()
        })
        .collect();
    publish(&no_bodies, &site(), &opts(10), dir.path()).unwrap();
    let lean = file_len(dir.path(), "rss.xml");
    let limit = lean * 3 / 4;
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &budget(limit), dir.path()).unwrap();
    assert!(file_len(dir.path(), "rss.xml") <= limit);
    let got = rss_ids_with_content(dir.path());
    assert!(!got.is_empty() && got.len() < items.len(), "{got:?}");
    for (i, (id, _)) in got.iter().enumerate() {
        assert_eq!(id, &format!("urn:agg:{}", items[i].id), "newest first");
    }
}

#[test]
fn max_bytes_is_a_real_limit() {
    let mut items = sample_items();
    items[0].title = "标题".repeat(500_000);
    items[0].summary = "摘要".repeat(500_000);
    items[0].author = Some("Name ".repeat(100_000));
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &budget(20_000), dir.path()).unwrap();
    for rel in ["rss.xml", "atom.xml", "feed.json"] {
        let len = file_len(dir.path(), rel);
        assert!(len <= 20_000, "{rel}: {len} bytes");
    }
    let rss = read_rss(dir.path(), "rss.xml");
    assert_eq!(
        rss.items().len(),
        items.len(),
        "long fields are capped, not evicting"
    );
    let title = rss.items()[0].title().unwrap();
    assert_eq!(title.chars().count(), text::MAX_TITLE_CHARS + 1);
    assert!(title.ends_with('…'));

    // A budget below one summary-only item: the feed is written without items, within it.
    let empty_dir = tempfile::tempdir().unwrap();
    publish(&[], &site(), &opts(10), empty_dir.path()).unwrap();
    let header = file_len(empty_dir.path(), "rss.xml");
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &budget(header + 20), dir.path()).unwrap();
    assert!(file_len(dir.path(), "rss.xml") <= header + 20);
    assert!(read_rss(dir.path(), "rss.xml").items().is_empty());
}
