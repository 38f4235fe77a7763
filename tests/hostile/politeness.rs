//! Politeness: robots.txt, Retry-After, validators sent back byte for byte, per-host spacing.

use std::time::Duration;

use super::server::{Hostile, ok, with_headers};
use super::{article, config_with_fetch, list};
use crate::common;

const FETCH: &str =
    "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_private_networks: true\n";

fn html_source(name: &str, base: &str) -> String {
    format!("  - name: {name}\n    kind: html\n    url: \"{base}/list.html\"\n    links: \"a.l\"\n")
}

#[test]
fn robots_txt_is_honoured_and_5xx_means_disallow() {
    let open = Hostile::start();
    open.on(
        "/robots.txt",
        ok("text/plain", "User-agent: *\nDisallow: /private/\n"),
    );
    open.on(
        "/list.html",
        ok("text/html", list(&["/private/a.html", "/pub/a.html"])),
    );
    open.on("/private/a.html", ok("text/html", article("Private")));
    open.on("/pub/a.html", ok("text/html", article("Public")));
    let broken = Hostile::start();
    broken.on("/robots.txt", with_headers(503, &[], "down"));
    broken.on("/list.html", ok("text/html", list(&["/a.html"])));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "{}{}",
        html_source("open", &open.base),
        html_source("broken", &broken.base)
    );
    let run = common::fetch_once(
        dir.path(),
        &config_with_fetch(dir.path(), FETCH, &sources),
        &[],
        &[],
    );
    assert_eq!(
        run.line("open"),
        "open: 1 new, 0 updated, 0 unchanged, 1 failed",
        "{run}"
    );
    assert!(
        run.has_error(&format!(
            "{}/private/a.html: disallowed by robots.txt",
            open.base
        )),
        "{run}"
    );
    assert_eq!(open.hits("/private/a.html"), 0);
    assert_eq!(
        open.hits("/robots.txt"),
        1,
        "robots.txt is fetched once per origin and cached"
    );
    assert_eq!(
        run.source_error("broken"),
        Some(format!(
            "source broken: {}/list.html: disallowed by robots.txt",
            broken.base
        )),
        "{run}"
    );
    assert_eq!(broken.hits("/list.html"), 0);
    let ua = &open.requests("/robots.txt")[0].headers;
    assert!(
        ua.iter()
            .any(|(k, v)| k == "user-agent" && v.starts_with("agg/")),
        "{ua:?}"
    );
}

#[test]
fn retry_after_postpones_the_host() {
    let s = Hostile::start();
    s.on(
        "/list.html",
        ok("text/html", list(&["/a.html", "/b.html", "/c.html"])),
    );
    s.on(
        "/a.html",
        with_headers(429, &[("Retry-After", "120")], "slow down"),
    );
    s.on("/b.html", ok("text/html", article("B")));
    s.on("/c.html", ok("text/html", article("C")));
    let dir = tempfile::tempdir().unwrap();
    // One request at a time, in listing order, so /a answers before /b and /c are asked.
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 0\n  concurrency: 1\n  per_host_concurrency: 1\n  allow_private_networks: true\n";
    let run = common::fetch_once(
        dir.path(),
        &config_with_fetch(dir.path(), fetch, &html_source("busy", &s.base)),
        &[],
        &[],
    );
    assert_eq!(
        run.line("busy"),
        "busy: 0 new, 0 updated, 0 unchanged, 3 failed",
        "{run}"
    );
    assert!(run.has_error("host asked to wait 1"), "{run}");
    assert_eq!(
        s.hits("/b.html") + s.hits("/c.html"),
        0,
        "postponed pages are not requested"
    );
    // A separate fetch-once process remembers the pause: the host is not asked again yet.
    let again = common::fetch_once(
        dir.path(),
        &config_with_fetch(dir.path(), fetch, &html_source("busy", &s.base)),
        &[],
        &[],
    );
    assert!(
        again
            .source_error("busy")
            .unwrap_or_default()
            .starts_with(&format!(
                "source busy: {}/list.html: host asked to wait",
                s.base
            )),
        "{again}"
    );
    assert_eq!(
        s.hits("/a.html"),
        1,
        "the paused host is not asked again by the next process"
    );
}

#[test]
fn validators_go_back_byte_for_byte_and_a_304_costs_nothing() {
    let s = Hostile::start();
    let feed = "<rss version=\"2.0\"><channel><title>t</title><link>/</link><description>d</description><item><title>A</title><link>/a.html</link></item></channel></rss>";
    let etag = "W/\"x-1\\\"2\"";
    let lm = "Tue, 03 Mar 2026 10:00:00 GMT";
    s.on(
        "/feed.xml",
        with_headers(
            200,
            &[
                ("Content-Type", "application/rss+xml"),
                ("ETag", etag),
                ("Last-Modified", lm),
            ],
            feed,
        ),
    );
    s.on("/a.html", ok("text/html", article("A")));
    let dir = tempfile::tempdir().unwrap();
    let config = config_with_fetch(
        dir.path(),
        FETCH,
        &format!(
            "  - name: f\n    kind: feed\n    url: \"{}/feed.xml\"\n",
            s.base
        ),
    );
    assert!(
        common::agg(dir.path(), &config, &["fetch-once"])
            .status
            .success()
    );
    // Now the server answers 304 with a body that is not a feed: parsing it would fail.
    s.on("/feed.xml", with_headers(304, &[], "garbage <<<"));
    let before = common::files(dir.path());
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert!(run.success(), "{run}");
    assert_eq!(
        run.line("f"),
        "f: 0 new, 0 updated, 0 unchanged, 0 failed",
        "{run}"
    );
    let second = &s.requests("/feed.xml")[1].headers;
    let get = |k: &str| second.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("if-none-match"), Some(etag));
    assert_eq!(get("if-modified-since"), Some(lm));
    assert_eq!(common::files(dir.path()), before);
}

#[test]
fn requests_to_one_host_are_spaced() {
    let s = Hostile::start();
    s.on(
        "/list.html",
        ok("text/html", list(&["/1.html", "/2.html", "/3.html"])),
    );
    for i in 1..=3 {
        s.on(
            &format!("/{i}.html"),
            ok("text/html", article(&format!("Story {i}"))),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 400\n  per_host_concurrency: 4\n  allow_private_networks: true\n";
    let out = common::agg(
        dir.path(),
        &config_with_fetch(dir.path(), fetch, &html_source("spaced", &s.base)),
        &["fetch-once"],
    );
    assert!(out.status.success(), "{}", common::stdout(&out));
    let mut times: Vec<_> = ["/robots.txt", "/list.html", "/1.html", "/2.html", "/3.html"]
        .iter()
        .map(|p| s.requests(p)[0].at)
        .collect();
    times.sort();
    for w in times.windows(2) {
        // Starts are 400 ms apart; arrival can shift by connection set-up, hence the margin.
        assert!(
            w[1] - w[0] >= Duration::from_millis(300),
            "requests closer than the interval: {:?}",
            w[1] - w[0]
        );
    }
}
