//! Crash safety: `fetch-once` killed with SIGKILL at twenty moments leaves no torn Markdown or
//! feed file, an intact store, and loses or duplicates nothing once a run completes.

use std::process::{Command, Stdio};
use std::time::Duration;

use super::server::{Behaviour, Hostile, ok};
use super::{article, config_with_fetch, list};
use crate::common;

const ARTICLES: usize = 40;

/// Every output file is whole. Temp files (`.agg-tmp-*`, dot files that Hugo, `agg serve` and
/// the feed folder's readers skip) of the killed process are not outputs: the next run sweeps
/// them.
fn check_outputs_whole(dir: &std::path::Path) {
    for f in common::files(dir) {
        if f.rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with(".agg-tmp-"))
        {
            continue;
        }
        let p = dir.join(&f);
        if f.ends_with(".md") {
            let md = std::fs::read_to_string(&p).unwrap();
            assert!(
                md.starts_with("---\n") && md.contains("\n---\n\n"),
                "torn front matter in {f}"
            );
            assert!(
                md.ends_with(")\n") && md.lines().last().unwrap().starts_with("[crash]("),
                "torn body in {f}"
            );
        } else if f.ends_with("rss.xml") {
            rss::Channel::read_from(&std::fs::read(&p).unwrap()[..])
                .unwrap_or_else(|e| panic!("torn {f}: {e}"));
        } else if f.ends_with("atom.xml") {
            atom_syndication::Feed::read_from(&std::fs::read(&p).unwrap()[..])
                .unwrap_or_else(|e| panic!("torn {f}: {e}"));
        } else if f.ends_with("feed.json") {
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(&p).unwrap())
                .unwrap_or_else(|e| panic!("torn {f}: {e}"));
        }
    }
}

#[test]
fn sigkill_at_twenty_moments_loses_and_tears_nothing() {
    let s = Hostile::start();
    let paths: Vec<String> = (0..ARTICLES).map(|i| format!("/a/{i}.html")).collect();
    for (i, p) in paths.iter().enumerate() {
        let page = ok(
            "text/html",
            article(&format!("Crash test story number {i}")),
        );
        s.on(
            p,
            Behaviour::Delayed(
                Duration::from_millis(20 + (i as u64 * 7) % 60),
                Box::new(page),
            ),
        );
    }
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    s.on("/list.html", ok("text/html", list(&refs)));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: crash\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.l\"\n    max_items: 100\n",
        s.base
    );
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 0\n  per_host_concurrency: 4\n  concurrency: 4\n  allow_private_networks: true\n";
    let config = config_with_fetch(dir.path(), fetch, &sources);
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, &config).unwrap();

    // A fixed pseudo-random sequence of kill moments between 20 and 600 ms.
    let mut seed = 0x9e37_79b9_u64;
    for _ in 0..20 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let after = Duration::from_millis(20 + (seed >> 33) % 580);
        let mut child = Command::new(env!("CARGO_BIN_EXE_agg"))
            .args(["-q", "fetch-once", "--config"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check_outputs_whole(&dir.path().join("content"));
        check_outputs_whole(&dir.path().join("feeds"));
    }

    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(
        out.status.success(),
        "{}\n{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    let files = common::files(dir.path());
    assert!(
        !files.iter().any(|f| f.contains(".agg-tmp-")),
        "temp files swept: {files:?}"
    );
    let md: Vec<_> = files
        .iter()
        .filter(|f| f.starts_with("content/crash/"))
        .collect();
    assert_eq!(md.len(), ARTICLES, "every article exactly once");
    check_outputs_whole(&dir.path().join("content"));
    let db = rusqlite::Connection::open(dir.path().join("state/agg.db")).unwrap();
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let items: i64 = db
        .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items as usize, ARTICLES);
    let rss =
        rss::Channel::read_from(&std::fs::read(dir.path().join("feeds/rss.xml")).unwrap()[..])
            .unwrap();
    let mut titles: Vec<_> = rss
        .items()
        .iter()
        .map(|i| i.title().unwrap().to_string())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), ARTICLES, "no item duplicated in the feed");
}
