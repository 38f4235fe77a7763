//! Bad input costs nothing else: broken sources and pages fail alone, with their name and URL;
//! a bad config changes nothing on disk.

use std::collections::HashMap;

use crate::common::{self, Route, Server};

const GOOD_PAGE: &str = r#"<html><head><title>Good story</title></head><body><article><h1>Good story</h1>
<p>This is a perfectly good article with several sentences of text. It has enough words to be found by the extractor.</p>
<p>And a second paragraph, so that it really looks like a news story with a body worth keeping.</p></article></body></html>"#;

#[test]
fn broken_sources_and_pages_fail_alone() {
    let mut routes = HashMap::new();
    routes.insert("/good.html".to_string(), Route::ok("text/html", GOOD_PAGE));
    routes.insert("/list.html".to_string(), Route::ok("text/html", r#"<a class="x" href="/good.html">g</a><a class="x" href="/gone.html">gone</a><a class="x" href="/empty.html">e</a>"#));
    routes.insert(
        "/empty.html".to_string(),
        Route::ok(
            "text/html",
            "<html><body><nav><a href='/'>Home</a></nav></body></html>",
        ),
    );
    routes.insert("/500.xml".to_string(), Route::status(500));
    routes.insert(
        "/garbage.xml".to_string(),
        Route::ok("application/rss+xml", "\u{0}\u{1}this is not xml <<<"),
    );
    let server = Server::start(routes);
    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let b = &server.base;
    let sources = format!(
        r#"  - name: good
    kind: html
    url: "{b}/list.html"
    links: "a.x"
  - name: notfound
    kind: feed
    url: "{b}/missing.xml"
  - name: servererror
    kind: feed
    url: "{b}/500.xml"
  - name: garbage
    kind: feed
    url: "{b}/garbage.xml"
  - name: unreachable
    kind: sitemap
    url: "http://127.0.0.1:{closed}/sitemap.xml"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let run = common::fetch_once(dir.path(), &common::config(dir.path(), &sources), &[], &[]);
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    assert_eq!(
        run.line("good"),
        "good: 1 new, 0 updated, 0 unchanged, 2 failed",
        "{run}"
    );
    assert!(
        run.has_error(&format!("source good: {b}/gone.html: HTTP 404")),
        "page failure names its source and URL:\n{run}"
    );
    assert!(
        run.has_error(&format!("{b}/empty.html: no article body found")),
        "{run}"
    );
    assert_eq!(
        run.line("notfound"),
        "notfound: 0 new, 0 updated, 0 unchanged, 0 failed"
    );
    let source_error = |name: &str| run.source_error(name).unwrap_or_default();
    assert_eq!(
        source_error("notfound"),
        format!("source notfound: {b}/missing.xml: HTTP 404")
    );
    assert_eq!(
        source_error("servererror"),
        format!("source servererror: {b}/500.xml: HTTP 500")
    );
    assert!(
        source_error("garbage")
            .starts_with(&format!("source garbage: {b}/garbage.xml: not a feed")),
        "{run}"
    );
    // A closed port: the URL once, then what a person can act on.
    assert_eq!(
        source_error("unreachable"),
        format!("source unreachable: http://127.0.0.1:{closed}/sitemap.xml: connection refused")
    );

    // The good source's article and the feeds are written all the same, with no temp files.
    let files = common::files(dir.path());
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("content/good/") && f.ends_with(".md"))
            .count(),
        1,
        "{files:?}"
    );
    assert!(files.iter().any(|f| f == "feeds/rss.xml"));
    assert!(!files.iter().any(|f| f.contains(".agg-tmp-")), "{files:?}");

    // `agg status` shows the failing sources and exits 1.
    let status = common::agg(
        dir.path(),
        &common::config(dir.path(), &sources),
        &["status"],
    );
    assert_eq!(status.status.code(), Some(1));
    let s = common::stdout(&status);
    assert!(
        s.lines()
            .any(|l| l.starts_with("servererror\t") && l.contains("failing x1")),
        "{s}"
    );

    // The 404 page is retried next run (and still fails); the empty page is not refetched.
    let before = server.hits("/empty.html");
    let again = common::fetch_once(dir.path(), &common::config(dir.path(), &sources), &[], &[]);
    assert_eq!(
        again.line("good"),
        "good: 0 new, 0 updated, 2 unchanged, 1 failed",
        "{again}"
    );
    assert_eq!(server.hits("/empty.html"), before);
    assert_eq!(server.hits("/gone.html"), 2);
}

#[test]
fn bad_config_is_reported_with_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        "  - name: x\n    kind: feed\n    url: \"http://127.0.0.1:1/f.xml\"\n    schedule: \"*/99 * * * *\"\n    colour: red\n",
    );
    let out = common::agg(dir.path(), &config, &["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    let path = dir.path().join("agg.yaml");
    let line_of = |needle: &str| config.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let expected = format!(
        "{}:{}: sources[0].colour: unknown field `colour`",
        path.display(),
        line_of("colour: red")
    );
    assert!(err.contains(&expected), "{err}");

    let bad_cron = config.replace("    colour: red\n", "");
    let out = common::agg(dir.path(), &bad_cron, &["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains(&format!(
            "{}:{}: sources[0].schedule: bad cron expression",
            path.display(),
            line_of("*/99")
        )),
        "{}",
        common::stderr(&out)
    );

    let out = common::agg(dir.path(), &bad_cron, &["fetch-once"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        common::files(dir.path()),
        ["agg.yaml"],
        "nothing written on a bad config"
    );
}

#[test]
fn unknown_source_name_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        "  - name: x\n    kind: urls\n    urls: [\"http://127.0.0.1:1/a\"]\n",
    );
    let out = common::agg(dir.path(), &config, &["fetch-once", "--source", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("no source named \"nope\""));
}
