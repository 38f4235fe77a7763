//! The network guard: non-public addresses are refused before connecting, through redirects
//! and in every IP-literal spelling; proxies from the environment are ignored.

use super::server::{Hostile, ok, redirect};
use super::{article, config_with_fetch, list};
use crate::common;

#[test]
fn redirects_to_private_addresses_are_refused_in_every_spelling() {
    let s = Hostile::start();
    let port = s.port;
    s.on("/ok.html", ok("text/html", article("Allowed story")));
    s.on(
        "/secret.html",
        ok("text/html", article("Secret internal page")),
    );
    let targets = [
        (
            "/r-loopback",
            format!("http://127.0.0.1:{port}/secret.html"),
        ),
        (
            "/r-mapped",
            format!("http://[::ffff:127.0.0.1]:{port}/secret.html"),
        ),
        (
            "/r-decimal",
            format!("http://2130706433:{port}/secret.html"),
        ),
        ("/r-hex", format!("http://0x7f.1:{port}/secret.html")),
        (
            "/r-metadata",
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ),
        ("/r-file", "file:///etc/passwd".to_string()),
        ("/r-ftp", "ftp://localhost/x".to_string()),
    ];
    for (path, to) in &targets {
        s.on(path, redirect(to));
    }
    let mut paths: Vec<&str> = targets.iter().map(|(p, _)| *p).collect();
    paths.push("/ok.html");
    s.on("/list.html", ok("text/html", list(&paths)));

    let dir = tempfile::tempdir().unwrap();
    // Only the name "localhost" is allowed to reach loopback; every redirect hop is checked.
    let sources = format!(
        "  - name: guarded\n    kind: html\n    url: \"http://localhost:{port}/list.html\"\n    links: \"a.l\"\n  - name: literal\n    kind: urls\n    urls: [\"http://127.0.0.1:{port}/ok.html\", \"http://[::1]:{port}/ok.html\"]\n"
    );
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_hosts: [\"localhost\"]\n";
    let config = config_with_fetch(dir.path(), fetch, &sources);
    // Proxies from the environment are ignored: this one does not exist.
    let proxy = [
        ("HTTP_PROXY", "http://127.0.0.1:9"),
        ("http_proxy", "http://127.0.0.1:9"),
        ("ALL_PROXY", "http://127.0.0.1:9"),
    ];
    let run = common::fetch_once(dir.path(), &config, &[], &proxy);
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    assert_eq!(
        run.line("guarded"),
        "guarded: 1 new, 0 updated, 0 unchanged, 7 failed",
        "{run}"
    );
    assert_eq!(
        s.hits("/secret.html"),
        0,
        "no redirect reached the private target"
    );
    for what in ["127.0.0.1", "::ffff:127.0.0.1", "169.254.169.254"] {
        assert!(
            run.has_error(&format!("refusing non-public address {what}")),
            "{what} not refused:\n{run}"
        );
    }
    assert!(
        run.has_error("/r-file: redirect to file:///etc/passwd not followed"),
        "{run}"
    );
    assert!(run.has_error("redirect to unsupported scheme ftp"), "{run}");
    // Literal loopback URLs in a source are refused too, before any connection.
    assert_eq!(
        run.line("literal"),
        "literal: 0 new, 0 updated, 0 unchanged, 2 failed",
        "{run}"
    );
    assert_eq!(s.hits("/ok.html"), 1, "only the allowed name fetched it");
}

#[test]
fn names_resolving_to_loopback_are_refused_by_default() {
    let s = Hostile::start();
    s.on(
        "/feed.xml",
        ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: local\n    kind: feed\n    url: \"http://localhost:{}/feed.xml\"\n",
        s.port
    );
    let config = config_with_fetch(dir.path(), "  timeout_secs: 5\n", &sources);
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    assert_eq!(
        run.source_error("local"),
        Some(format!(
            "source local: http://localhost:{}/feed.xml: localhost resolves only to non-public addresses (refused)",
            s.port
        )),
        "{run}"
    );
    assert_eq!(s.hits("/feed.xml"), 0);
}
