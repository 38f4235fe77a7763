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

#[test]
fn byte_budget_drops_the_oldest_items_until_the_feed_fits() {
    let mut items = sample_items();
    for item in &mut items {
        item.content_html = format!("<p>{}</p>", "long body ".repeat(300));
    }
    let dir = tempfile::tempdir().unwrap();
    publish(&items, &site(), &opts(10), dir.path()).unwrap();
    let full = fs::metadata(dir.path().join("rss.xml")).unwrap().len() as usize;

    let budget = full * 3 / 5;
    let dir = tempfile::tempdir().unwrap();
    let opts = FeedOptions {
        max_bytes: budget,
        ..opts(10)
    };
    publish(&items, &site(), &opts, dir.path()).unwrap();
    for rel in ["rss.xml", "atom.xml", "feed.json"] {
        let len = fs::metadata(dir.path().join(rel)).unwrap().len() as usize;
        assert!(len <= budget, "{rel}: {len} > {budget}");
    }
    let rss = read_rss(dir.path(), "rss.xml");
    let ids: Vec<_> = rss
        .items()
        .iter()
        .map(|i| i.guid().unwrap().value())
        .collect();
    // The newest ones stay, in order.
    assert_eq!(
        ids,
        ["urn:agg:0a1b2c3d4e5f6071", "urn:agg:1111222233334444"]
    );

    // A budget smaller than one item still leaves the newest item.
    let dir = tempfile::tempdir().unwrap();
    let opts = FeedOptions {
        max_bytes: 100,
        ..opts
    };
    publish(&items, &site(), &opts, dir.path()).unwrap();
    assert_eq!(read_rss(dir.path(), "rss.xml").items().len(), 1);
    assert_eq!(
        read_json(dir.path(), "feed.json")["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
