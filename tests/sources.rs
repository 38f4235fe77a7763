//! Every source kind over real HTTP: feed, sitemap index, HTML list, JSON list, urls, plus a
//! GBK-encoded article page.

use std::collections::HashMap;

use crate::common::{self, Route, Server};

fn article(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Example Times</title>
<meta property="article:published_time" content="2026-03-01T09:30:00+01:00"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav><article><h1>{title}</h1>
<p>{body} The first paragraph carries the news and enough words to look like an article body.</p>
<p>A second paragraph adds detail, quotes and context, as real reporting does, so that the extractor has text to find.</p>
</article><footer>Copyright Example Times</footer></body></html>"#
    )
}

fn site() -> Server {
    let mut routes = HashMap::new();
    for (i, t) in ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
        .iter()
        .enumerate()
    {
        routes.insert(
            format!("/a/{i}.html"),
            Route::ok(
                "text/html; charset=utf-8",
                article(t, &format!("{t} story body.")),
            ),
        );
    }
    routes.insert(
        "/rss.xml".into(),
        Route::ok(
            "application/rss+xml",
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>/</link><description>d</description>
<item><title>Alpha</title><link>/a/0.html</link></item><item><title>Bravo</title><link>/a/1.html</link></item></channel></rss>"#,
        ),
    );
    routes.insert(
        "/sitemap.xml".into(),
        Route::ok(
            "application/xml",
            r#"<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/sitemap-news.xml</loc><lastmod>2026-03-02</lastmod></sitemap></sitemapindex>"#,
        ),
    );
    routes.insert(
        "/sitemap-news.xml".into(),
        Route::ok(
            "application/xml",
            r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>/a/2.html</loc><news:news><news:publication_date>2026-03-01T09:30:00+01:00</news:publication_date><news:title>Charlie</news:title></news:news></url></urlset>"#,
        ),
    );
    routes.insert(
        "/list.html".into(),
        Route::ok("text/html", r#"<html><body><div class="list"><a href="/a/3.html">Delta</a></div><a href="/about">About</a></body></html>"#),
    );
    routes.insert(
        "/list.json".into(),
        Route::ok(
            "application/json",
            r#"{"data":{"items":[{"u":"/a/4.html","t":"Echo"}]}}"#,
        ),
    );
    let gbk_page = "<html><head><meta charset=\"gbk\"><title>中文新闻标题_新浪网</title><meta name=\"pubdate\" content=\"2025-02-10 07:02:16\"></head><body><div class=\"article\"><h1>中文新闻标题</h1><p>北京时间今天上午，记者从有关部门获悉，这是一篇用国标码编写的新闻正文，内容足够长以便识别。</p><p>第二段正文继续介绍相关情况，并引用了专家的观点和评论，说明事件的背景与影响。</p></div></body></html>";
    routes.insert(
        "/gbk.html".into(),
        Route::ok(
            "text/html",
            encoding_rs::GBK.encode(gbk_page).0.into_owned(),
        ),
    );
    Server::start(routes)
}

#[test]
fn every_source_kind_over_http() {
    let server = site();
    let b = &server.base;
    let sources = format!(
        r#"  - name: feed
    kind: feed
    url: "{b}/rss.xml"
    categories: ["World News"]
    tags: ["feed"]
  - name: sitemap
    kind: sitemap
    url: "{b}/sitemap.xml"
    tags: ["sitemap"]
  - name: html
    kind: html
    url: "{b}/list.html"
    links: ".list a"
  - name: json
    kind: json
    url: "{b}/list.json"
    items: "/data/items"
    fields:
      link: "/u"
      title: "/t"
  - name: gbk
    kind: urls
    urls: ["{b}/gbk.html"]
    categories: ["中文"]
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let run = common::fetch_once(dir.path(), &common::config(dir.path(), &sources), &[], &[]);
    assert!(run.success(), "{run}");
    for (source, new) in [
        ("feed", 2),
        ("sitemap", 1),
        ("html", 1),
        ("json", 1),
        ("gbk", 1),
    ] {
        assert_eq!(
            run.line(source),
            format!("{source}: {new} new, 0 updated, 0 unchanged, 0 failed"),
            "{run}"
        );
    }
    let content = dir.path().join("content");
    let read_one = |src: &str| {
        let files = common::files(&content.join(src));
        assert_eq!(files.len(), 1, "{src}: {files:?}");
        std::fs::read_to_string(content.join(src).join(&files[0])).unwrap()
    };
    let charlie = read_one("sitemap");
    assert!(
        charlie.starts_with("---\ntitle: \"Charlie\"\ndate: \"2026-03-01 16:30:00\"\n"),
        "{charlie}"
    );
    assert!(charlie.contains("Charlie story body."));
    assert!(
        !charlie.contains("Copyright Example Times") && !charlie.contains("[World]"),
        "chrome left in:\n{charlie}"
    );
    assert!(
        charlie
            .trim_end()
            .ends_with(&format!("[sitemap]({b}/a/2.html)"))
    );

    let gbk = read_one("gbk");
    assert!(
        gbk.contains("title: \"中文新闻标题\"\ndate: \"2025-02-10 07:02:16\"\n"),
        "{gbk}"
    );
    assert!(gbk.contains("北京时间今天上午，记者从有关部门获悉"));

    // Feeds: everything, each category (slugs readable for Chinese), each tag.
    let feeds = dir.path().join("feeds");
    let all = rss::Channel::read_from(&std::fs::read(feeds.join("rss.xml")).unwrap()[..]).unwrap();
    assert_eq!(all.items().len(), 6);
    let dates: Vec<_> = all
        .items()
        .iter()
        .map(|i| chrono::DateTime::parse_from_rfc2822(i.pub_date().unwrap()).unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
    let world = rss::Channel::read_from(
        &std::fs::read(feeds.join("categories/world-news/rss.xml")).unwrap()[..],
    )
    .unwrap();
    assert_eq!(world.items().len(), 2);
    let zh = atom_syndication::Feed::read_from(
        &std::fs::read(feeds.join("categories/中文/atom.xml")).unwrap()[..],
    )
    .unwrap();
    assert_eq!(zh.entries().len(), 1);
    assert_eq!(zh.entries()[0].title().as_str(), "中文新闻标题");
    assert!(feeds.join("tags/sitemap/feed.json").exists());
}

#[test]
fn feed_items_limit_per_feed() {
    let server = site();
    let sources = format!(
        "  - name: feed\n    kind: urls\n    urls: [\"{b}/a/0.html\", \"{b}/a/1.html\", \"{b}/a/2.html\"]\n",
        b = server.base
    );
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path(), &sources).replace("  items: 50", "  items: 2");
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let all =
        rss::Channel::read_from(&std::fs::read(dir.path().join("feeds/rss.xml")).unwrap()[..])
            .unwrap();
    assert_eq!(all.items().len(), 2, "feeds.items caps each feed");
    assert_eq!(
        common::files(&dir.path().join("content/feed")).len(),
        3,
        "every article is still written"
    );
}
