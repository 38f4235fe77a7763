//! One story, one item: URL variants, in-place updates, republished copies, short pages,
//! tombstones (`agg forget`, deleted files) and `agg dedup-report`, each with the real binary
//! against a local server.

use std::collections::HashMap;
use std::path::Path;

use crate::common::{self, Route, Server};

const STORY_A: &str = "北京时间今天上午，记者从有关部门获悉，一批新的基础设施项目将于下月开工建设。\n\n\
项目涉及交通、能源和水利等多个领域，总投资超过三千亿元。专家表示，这些项目将有效带动就业，促进区域经济协调发展。\n\n\
有关负责人介绍，项目审批流程已经全部完成，资金来源也已落实。预计项目建成后，将显著改善当地群众的出行条件和生活质量。\n\n\
业内人士认为，此次集中开工释放了稳增长的积极信号，各地将加快推进前期工作，确保项目早日形成实物工作量。\n\n\
据了解，今年以来各地重大项目储备明显增加，一季度新开工项目数量和计划总投资均保持较快增长。\n\n\
分析人士指出，后续还需加强项目资金保障和要素支持，推动更多实物工作量尽快落地，为全年经济平稳运行提供有力支撑。";

const STORY_B: &str = "The harbour authority said on Monday that the new solar ferry will enter service in \
the spring, replacing two diesel boats on the crossing to the islands.\n\nThe vessel carries two hundred \
passengers and charges at the quay in twelve minutes, the operator said, adding that trials in rough \
weather had gone better than expected.\n\nResidents welcomed the quieter crossing, though some asked \
whether the timetable would keep its early departure for commuters.";

/// A page in one site's chrome (navigation, related links, footer).
fn page(site: &str, title: &str, body: &str, canonical: Option<&str>) -> String {
    let canonical = canonical
        .map(|c| format!(r#"<link rel="canonical" href="{c}">"#))
        .unwrap_or_default();
    let paras: String = body
        .split("\n\n")
        .map(|p| format!("<p>{p}</p>\n"))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title} | {site}</title>{canonical}
<meta property="article:published_time" content="2026-03-01T09:30:00+08:00"></head>
<body><nav><a href="/">{site} 首页</a> <a href="/world">国际</a> <a href="/tech">科技</a></nav>
<article><h1>{title}</h1>
{paras}</article>
<aside><h3>{site} 热门</h3><ul><li><a href="/x/1">{site} 另一条新闻的标题</a></li><li><a href="/x/2">{site} 还有一条</a></li></ul></aside>
<footer>Copyright {site} 版权所有</footer></body></html>"#
    )
}

fn html(body: String) -> Route {
    Route::ok("text/html; charset=utf-8", body)
}

fn with_etag(body: String, etag: &str) -> Route {
    let mut r = html(body);
    r.headers.push(("ETag".into(), etag.into()));
    r
}

fn urls_source(name: &str, urls: &[String]) -> String {
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    format!(
        "  - name: {name}\n    kind: urls\n    urls: [{}]\n",
        list.join(", ")
    )
}

fn run(dir: &Path, config: &str, args: &[&str]) -> String {
    let out = common::agg(dir, config, args);
    assert!(
        out.status.success(),
        "{}\n{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    common::stdout(&out)
}

/// `agg fetch-once` with `args`, which must succeed; its report.
fn fetch(dir: &Path, config: &str, args: &[&str]) -> common::Run {
    let run = common::fetch_once(dir, config, args, &[]);
    assert!(run.success(), "{run}");
    run
}

fn json_feed(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("feeds/feed.json")).unwrap()).unwrap()
}

#[test]
fn tracking_parameter_and_mobile_host_variants_give_one_item() {
    let server = Server::start(HashMap::new());
    let b = &server.base;
    for path in [
        "/news/1.html?utm_source=feed&utm_medium=rss",
        "/news/1.html?from=timeline",
    ] {
        server.set(path, html(page("Daily", "Solar ferry", STORY_B, None)));
    }
    let qq = "20250301A0ABCD00";
    let mobile = format!("https://view.inews.qq.com/a/{qq}");
    let desktop = format!("https://new.qq.com/omn/{qq}.html?spm=a.b");
    server.set(
        "/m/1.html",
        html(page("腾讯新闻", "基建项目开工", STORY_A, Some(&mobile))),
    );
    server.set(
        "/pc/1.html",
        html(page("腾讯网", "基建项目开工", STORY_A, Some(&desktop))),
    );
    let urls = [
        format!("{b}/news/1.html?utm_source=feed&utm_medium=rss"),
        format!("{b}/news/1.html?from=timeline#comments"),
        format!("{b}/m/1.html"),
        format!("{b}/pc/1.html"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path(), &urls_source("v", &urls));
    let fetched = fetch(dir.path(), &config, &[]);
    assert_eq!(
        fetched.line("v"),
        "v: 2 new, 0 updated, 2 unchanged, 0 failed",
        "{fetched}"
    );
    let content = dir.path().join("content/v");
    let files = common::files(&content);
    assert_eq!(files.len(), 2, "{files:?}");
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(content.join(f)).unwrap())
        .collect();
    assert!(
        texts.iter().any(|t| t
            .trim_end()
            .ends_with(&format!("[v](https://new.qq.com/rain/a/{qq})"))),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.trim_end().ends_with(&format!("[v]({b}/news/1.html)"))),
        "{texts:?}"
    );
}

#[test]
fn an_edited_article_updates_in_place() {
    let server = Server::start(HashMap::new());
    server.set(
        "/e/1.html",
        with_etag(page("Daily", "Ferry", STORY_B, None), "\"v1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &urls_source("e", &[format!("{}/e/1.html", server.base)]),
    );
    assert!(
        fetch(dir.path(), &config, &[])
            .line("e")
            .starts_with("e: 1 new")
    );
    let files = common::files(&dir.path().join("content/e"));
    let path = dir.path().join("content/e").join(&files[0]);
    let before = std::fs::read_to_string(&path).unwrap();
    let feed_before = json_feed(dir.path());

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let edited = STORY_B.replace("two hundred", "two hundred and fifty");
    server.set(
        "/e/1.html",
        with_etag(page("Daily", "Ferry", &edited, None), "\"v2\""),
    );
    let fetched = fetch(dir.path(), &config, &[]);
    assert_eq!(
        fetched.line("e"),
        "e: 0 new, 1 updated, 0 unchanged, 0 failed",
        "{fetched}"
    );
    assert_eq!(
        common::files(&dir.path().join("content/e")),
        files,
        "same file, same id"
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("two hundred and fifty") && !before.contains("two hundred and fifty"));
    let date = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("date:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(date(&before), date(&after), "published stays");
    let feed_after = json_feed(dir.path());
    let (i0, i1) = (&feed_before["items"][0], &feed_after["items"][0]);
    assert_eq!(i0["id"], i1["id"]);
    assert_eq!(i0["date_published"], i1["date_published"]);
    let modified = |i: &serde_json::Value| {
        chrono::DateTime::parse_from_rfc3339(i["date_modified"].as_str().unwrap()).unwrap()
    };
    assert!(modified(i1) > modified(i0), "updated moves: {i0} -> {i1}");

    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let fetched = fetch(dir.path(), &config, &[]);
    assert_eq!(
        fetched.line("e"),
        "e: 0 new, 0 updated, 1 unchanged, 0 failed",
        "{fetched}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        mtime,
        "unchanged writes nothing"
    );
}

#[test]
fn a_republished_copy_in_other_chrome_becomes_an_alternate_and_is_reported() {
    let server = Server::start(HashMap::new());
    let b = &server.base;
    server.set(
        "/gt/story.html",
        html(page("环球时报", "基建项目开工", STORY_A, None)),
    );
    let copy = format!(
        "原标题：基建项目开工\n\n{}\n\n责任编辑：李四",
        STORY_A.replace("三千亿元", "三千亿元人民币")
    );
    server.set(
        "/sina/copy.html",
        html(page("新浪新闻", "多地基建项目集中开工", &copy, None)),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = urls_source("gt", &[format!("{b}/gt/story.html")])
        + &urls_source("sina", &[format!("{b}/sina/copy.html")]);
    let config = common::config(dir.path(), &sources);
    run(dir.path(), &config, &["fetch-once", "--source", "gt"]);
    let fetched = fetch(dir.path(), &config, &["--source", "sina"]);
    assert_eq!(
        fetched.line("sina"),
        "sina: 0 new, 0 updated, 1 unchanged, 0 failed",
        "{fetched}"
    );
    assert_eq!(common::files(&dir.path().join("content/gt")).len(), 1);
    assert!(
        common::files(&dir.path().join("content/sina")).is_empty(),
        "no second file"
    );
    assert_eq!(
        json_feed(dir.path())["items"].as_array().unwrap().len(),
        1,
        "no second feed entry"
    );

    let report = run(dir.path(), &config, &["dedup-report"]);
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines.len(), 3, "{report}");
    assert!(
        lines[0].contains(&format!("\tgt\t{b}/gt/story.html\t基建项目开工")),
        "{report}"
    );
    assert!(
        lines[1].starts_with("  ~") && lines[1].contains(&format!("\tsina\t{b}/sina/copy.html\t")),
        "{report}"
    );
    assert_eq!(lines[2], "1 groups, 1 alternates");
}

#[test]
fn short_pages_in_the_same_chrome_do_not_collide() {
    let server = Server::start(HashMap::new());
    let b = &server.base;
    let disclaimer = "免责声明：本文仅代表作者个人观点，与本网站无关，不构成任何投资建议。";
    server.set(
        "/s/1.html",
        html(page(
            "快讯",
            "快讯一",
            &format!("市政府今天发布了道路施工的通知。\n\n{disclaimer}"),
            None,
        )),
    );
    server.set(
        "/s/2.html",
        html(page(
            "快讯",
            "快讯二",
            &format!("气象台预计明天将有小到中雨。\n\n{disclaimer}"),
            None,
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &urls_source("s", &[format!("{b}/s/1.html"), format!("{b}/s/2.html")]),
    );
    let fetched = fetch(dir.path(), &config, &[]);
    assert!(fetched.line("s").starts_with("s: 2 new"), "{fetched}");
    assert_eq!(common::files(&dir.path().join("content/s")).len(), 2);
}

#[test]
fn a_deleted_file_is_not_recreated() {
    let server = Server::start(HashMap::new());
    server.set(
        "/d/1.html",
        with_etag(page("Daily", "Ferry", STORY_B, None), "\"v1\""),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &urls_source("d", &[format!("{}/d/1.html", server.base)]),
    );
    run(dir.path(), &config, &["fetch-once"]);
    let content = dir.path().join("content/d");
    let files = common::files(&content);
    assert_eq!(files.len(), 1);
    std::fs::remove_file(content.join(&files[0])).unwrap();
    // Even an edited page (which a young item would be updated from) does not bring it back.
    server.set(
        "/d/1.html",
        with_etag(
            page("Daily", "Ferry", &STORY_B.replace("spring", "summer"), None),
            "\"v2\"",
        ),
    );
    run(dir.path(), &config, &["fetch-once"]);
    run(dir.path(), &config, &["fetch-once"]);
    assert!(
        common::files(&content).is_empty(),
        "{:?}",
        common::files(&content)
    );
    assert!(
        json_feed(dir.path())["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "gone from the feeds"
    );
}

#[test]
fn forget_removes_an_article_and_keeps_it_away() {
    let server = Server::start(HashMap::new());
    let b = &server.base;
    server.set("/f/1.html", html(page("Daily", "Ferry", STORY_B, None)));
    server.set("/f/2.html", html(page("腾讯", "基建", STORY_A, None)));
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &urls_source("f", &[format!("{b}/f/1.html"), format!("{b}/f/2.html")]),
    );
    run(dir.path(), &config, &["fetch-once"]);
    assert_eq!(common::files(&dir.path().join("content/f")).len(), 2);

    let out = run(
        dir.path(),
        &config,
        &["forget", &format!("{b}/f/1.html?utm_source=x")],
    );
    assert!(out.starts_with("forgot "), "{out}");
    assert_eq!(common::files(&dir.path().join("content/f")).len(), 1);
    assert_eq!(
        json_feed(dir.path())["items"].as_array().unwrap().len(),
        1,
        "feeds rebuilt without it"
    );
    // Never stored, forgotten in advance: never fetched.
    let out = run(dir.path(), &config, &["forget", &format!("{b}/f/3.html")]);
    assert!(out.contains("not stored"), "{out}");
    server.set(
        "/f/3.html",
        html(page(
            "Daily",
            "Later",
            &STORY_B.replace("ferry", "tram"),
            None,
        )),
    );
    let config = common::config(
        dir.path(),
        &urls_source(
            "f",
            &[
                format!("{b}/f/1.html"),
                format!("{b}/f/2.html"),
                format!("{b}/f/3.html"),
            ],
        ),
    );
    run(dir.path(), &config, &["fetch-once"]);
    assert_eq!(common::files(&dir.path().join("content/f")).len(), 1);
    assert_eq!(server.hits("/f/3.html"), 0);
}

const STORY_C: &str = "市气象台今天发布消息，受冷空气影响，本周后期全市将出现明显降温和大风天气，最低气温将降至零下五度。\n\n\
气象专家提醒，市民出行应注意防寒保暖，驾车时减速慢行；农业部门要做好设施大棚的加固和保温工作。\n\n\
据介绍，此次降温过程持续时间较长，预计下周初气温才会逐步回升，部分地区还可能出现道路结冰现象。\n\n\
交通部门表示，已提前部署除冰物资和人员，确保主要道路和桥梁的安全通行，公交线路将根据天气情况调整。";

#[test]
fn a_copy_doubled_by_leaked_chrome_is_an_alternate_and_a_story_sharing_its_lead_is_not() {
    let server = Server::start(HashMap::new());
    let b = &server.base;
    server.set(
        "/gt/a.html",
        html(page("环球时报", "基建项目开工", STORY_A, None)),
    );
    // The reprinting site's related-story blurbs came out with the story: twice its length.
    let blurbs: Vec<String> = (1..=12)
        .map(|i| format!("相关阅读{i}：本站记者第{i}篇报道，关于城市更新、文化旅游和体育赛事的最新进展与各方评论。"))
        .collect();
    let padded = format!("{STORY_A}\n\n{}", blurbs.join("\n\n"));
    server.set(
        "/nets/copy.html",
        html(page("网易新闻", "基建项目集中开工", &padded, None)),
    );
    // Another story that opens with the same lead paragraph.
    let lead = STORY_A.split("\n\n").next().unwrap();
    server.set(
        "/nets/topic.html",
        html(page(
            "网易新闻",
            "降温",
            &format!("{lead}\n\n{STORY_C}"),
            None,
        )),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = urls_source("gt", &[format!("{b}/gt/a.html")])
        + &urls_source(
            "nets",
            &[
                format!("{b}/nets/copy.html"),
                format!("{b}/nets/topic.html"),
            ],
        );
    let config = common::config(dir.path(), &sources);
    run(dir.path(), &config, &["fetch-once", "--source", "gt"]);
    let fetched = fetch(dir.path(), &config, &["--source", "nets"]);
    assert_eq!(
        fetched.line("nets"),
        "nets: 1 new, 0 updated, 1 unchanged, 0 failed",
        "{fetched}"
    );
    let files = common::files(&dir.path().join("content/nets"));
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(dir.path().join("content/nets").join(&files[0])).unwrap();
    assert!(
        text.contains("降温"),
        "the same-topic story is its own item"
    );
    let report = run(dir.path(), &config, &["dedup-report"]);
    assert!(
        report.contains(&format!("{b}/nets/copy.html")) && !report.contains("topic.html"),
        "{report}"
    );
}
