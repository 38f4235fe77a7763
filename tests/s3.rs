//! Publishing to S3-compatible storage (`publish.s3`) against a real S3 server on 127.0.0.1:
//! moto, started by each test on a free port. Without moto installed the tests print a notice
//! and pass, except under `CI=true`, where they fail.
//!
//! What moto (5.2) honours, read from its PutObject handler and seen here: `If-Match` (e-tag
//! compared without quotes; 412 PreconditionFailed on a mismatch, 404 NoSuchKey when the key is
//! absent) and `If-None-Match: *` only (412 when the key exists; other values are ignored).
//! DeleteObject honours `If-Match` too. That is `object_store`'s
//! `S3ConditionalPut::ETagMatch` (its default), which agg sets explicitly; it turns the 404 into
//! a precondition failure, as for real S3. As on S3, the e-tag is the MD5 of the body, so user
//! metadata alone does not change it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use agg::config::S3Settings;
use agg::publish::s3::{self, Keys, Outcome, Remote};
use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as KeyPath;
use object_store::{Attribute, ObjectStore, ObjectStoreExt};

use crate::common::{self, Moto, Route, Server};

/// Three unrelated stories (near-duplicates would be folded into one item).
const STORIES: [&str; 3] = [
    "The harbour authority said on Monday that the new solar ferry will enter service in the \
     spring, replacing two diesel boats on the crossing to the islands.\n\nThe vessel carries two \
     hundred passengers and charges at the quay in twelve minutes, the operator said, adding that \
     trials in rough weather had gone better than expected.",
    "Librarians in the old town opened a reading room that stays lit until midnight, after \
     students asked for somewhere quiet to work during the examination season.\n\nVolunteers \
     run the late shifts, and a bakery across the square donates bread rolls that are left over \
     at closing time, the head librarian explained.",
    "A cycling club finished mapping every mountain pass in the province, publishing gradients, \
     surfaces and water stops for riders planning long summer tours.\n\nThe survey took three \
     years of weekend rides, and the club says the next edition will add gravel tracks that \
     farmers have opened to the public.",
];

/// Article `n`: its own title and date, so every article is a separate item.
fn article(n: usize) -> String {
    let paras: String = STORIES[(n - 1) % STORIES.len()]
        .split("\n\n")
        .map(|p| format!("<p>{p}</p>\n"))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Ferry story {n}</title>
<meta property="article:published_time" content="2026-03-{n:02}T09:30:00+08:00"></head>
<body><article><h1>Ferry story number {n}</h1>
{paras}</article></body></html>"#
    )
}

/// A fixture server with articles `/a/1` … `/a/{n}`.
fn articles(n: usize) -> Server {
    let server = Server::start(HashMap::new());
    for i in 1..=n {
        server.set(
            &format!("/a/{i}"),
            Route::ok("text/html; charset=utf-8", article(i)),
        );
    }
    server
}

/// A `urls` source over the first `n` articles, in one category and one tag.
fn source(server: &Server, n: usize) -> String {
    let urls: Vec<String> = (1..=n)
        .map(|i| format!("\"{}/a/{i}\"", server.base))
        .collect();
    format!(
        "  - name: ferry\n    kind: urls\n    urls: [{}]\n    schedule: \"@hourly\"\n    categories: [\"Harbour\"]\n    tags: [\"solar\"]\n",
        urls.join(", ")
    )
}

fn config(
    dir: &Path,
    server: &Server,
    n: usize,
    endpoint: &str,
    bucket: &str,
    prefix: &str,
) -> String {
    format!(
        "{}{}",
        common::config(dir, &source(server, n)),
        common::s3_config(endpoint, bucket, prefix)
    )
}

fn run_ok(dir: &Path, config: &str, args: &[&str]) -> String {
    let out = common::agg_env(dir, config, args, common::S3_ENV);
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        common::stdout(&out),
        common::stderr(&out)
    );
    common::stdout(&out)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A plain client of the test bucket, to read what agg uploaded.
fn client(moto: &Moto, bucket: &str) -> AmazonS3 {
    AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_endpoint(&moto.endpoint)
        .with_region("us-east-1")
        .with_allow_http(true)
        .with_access_key_id("agg-test")
        .with_secret_access_key("agg-test-secret")
        .build()
        .unwrap()
}

/// One stored object: bytes, and the attributes the server returned with it.
struct Object {
    bytes: Vec<u8>,
    content_type: String,
    cache_control: String,
    generation: Option<u64>,
}

/// Every object under `prefix/`, keyed by the path relative to it.
fn objects(
    rt: &tokio::runtime::Runtime,
    store: &AmazonS3,
    prefix: &str,
) -> BTreeMap<String, Object> {
    rt.block_on(async {
        let listed: Vec<_> = store
            .list(Some(&KeyPath::from(prefix)))
            .try_collect()
            .await
            .unwrap();
        let mut out = BTreeMap::new();
        for meta in listed {
            let got = store.get(&meta.location).await.unwrap();
            let attr = |a: &Attribute| {
                got.attributes
                    .get(a)
                    .map(|v| v.as_ref().to_string())
                    .unwrap_or_default()
            };
            let content_type = attr(&Attribute::ContentType);
            let cache_control = attr(&Attribute::CacheControl);
            let generation = got
                .attributes
                .get(&Attribute::Metadata(s3::GENERATION_KEY.into()))
                .and_then(|v| v.as_ref().parse().ok());
            let bytes = got.bytes().await.unwrap().to_vec();
            let rel = meta
                .location
                .as_ref()
                .strip_prefix(&format!("{prefix}/"))
                .unwrap()
                .to_string();
            out.insert(
                rel,
                Object {
                    bytes,
                    content_type,
                    cache_control,
                    generation,
                },
            );
        }
        out
    })
}

/// Items in a feed document (RSS, Atom or JSON Feed).
fn entries(bytes: &[u8]) -> usize {
    feed_rs::parser::parse(bytes).unwrap().entries.len()
}

#[test]
fn s3_fetch_once_uploads_every_feed_file_byte_for_byte() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket("agg-feeds");
    let server = articles(2);
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &server,
        2,
        &moto.endpoint,
        "agg-feeds",
        "site/feeds",
    );
    run_ok(dir.path(), &config, &["fetch-once"]);

    let feeds = dir.path().join("feeds");
    let local = common::files(&feeds);
    for f in ["rss.xml", "atom.xml", "feed.json", "index.html", "opml.xml"] {
        assert!(local.contains(&f.to_string()), "{local:?}");
    }
    assert!(
        local.iter().any(|f| f.starts_with("categories/")),
        "{local:?}"
    );
    assert!(
        local.iter().any(|f| f.starts_with("tags/solar/")),
        "{local:?}"
    );
    let rt = runtime();
    let store = client(&moto, "agg-feeds");
    let remote = objects(&rt, &store, "site/feeds");
    assert_eq!(remote.keys().cloned().collect::<Vec<_>>(), local);
    for (rel, obj) in &remote {
        assert_eq!(obj.bytes, std::fs::read(feeds.join(rel)).unwrap(), "{rel}");
        let name = rel.rsplit('/').next().unwrap();
        let want = match name {
            "rss.xml" => "application/rss+xml; charset=utf-8",
            "atom.xml" => "application/atom+xml; charset=utf-8",
            "feed.json" => "application/feed+json",
            "opml.xml" => "text/x-opml; charset=utf-8",
            "index.html" => "text/html; charset=utf-8",
            other => panic!("unexpected file {other}"),
        };
        assert_eq!(obj.content_type, want, "{rel}");
        // As `agg serve` sends it: the hourly schedule, capped at an hour.
        assert_eq!(obj.cache_control, "public, max-age=3600", "{rel}");
        assert!(obj.generation.is_some_and(|g| g > 0), "{rel}");
        if matches!(name, "rss.xml" | "atom.xml" | "feed.json") {
            assert_eq!(entries(&obj.bytes), 2, "{rel}");
        }
    }
    assert!(String::from_utf8_lossy(&remote["opml.xml"].bytes).contains("<opml"));

    // A run that changes nothing rewrites no object.
    let tags: Vec<_> = rt.block_on(async {
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        listed
            .into_iter()
            .map(|m| (m.location, m.last_modified))
            .collect()
    });
    std::thread::sleep(Duration::from_millis(1100));
    run_ok(dir.path(), &config, &["build-feeds"]);
    let again: Vec<_> = rt.block_on(async {
        let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
        listed
            .into_iter()
            .map(|m| (m.location, m.last_modified))
            .collect()
    });
    assert_eq!(tags, again);
}

/// With `content_prefix`, the Markdown files a run writes go to the bucket too, byte for byte,
/// under their path below `paths.content`; the feeds keep their own prefix.
#[test]
fn s3_markdown_files_go_under_the_content_prefix() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket("agg-site");
    let server = articles(3);
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &server, 3, &moto.endpoint, "agg-site", "feeds")
        + "    content_prefix: \"site/content\"\n";
    run_ok(dir.path(), &config, &["fetch-once"]);
    let content = dir.path().join("content");
    let local = common::files(&content);
    assert_eq!(local.len(), 3, "{local:?}");
    let rt = runtime();
    let store = client(&moto, "agg-site");
    let remote = objects(&rt, &store, "site/content");
    assert_eq!(remote.keys().cloned().collect::<Vec<_>>(), local);
    for (rel, obj) in &remote {
        assert_eq!(
            obj.bytes,
            std::fs::read(content.join(rel)).unwrap(),
            "{rel}"
        );
        assert_eq!(obj.content_type, "text/markdown; charset=utf-8", "{rel}");
        assert!(obj.generation.is_some_and(|g| g > 0), "{rel}");
    }
    assert!(objects(&rt, &store, "feeds").contains_key("rss.xml"));
    // `agg forget` removes the uploaded file too.
    let out = common::agg_env(
        dir.path(),
        &config,
        &["forget", &format!("{}/a/2", server.base)],
        common::S3_ENV,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let left = objects(&rt, &store, "site/content");
    assert_eq!(left.len(), 2, "{:?}", left.keys().collect::<Vec<_>>());
    assert_eq!(
        left.keys().cloned().collect::<Vec<_>>(),
        common::files(&content)
    );
    // The same prefix for both is refused: feeds and files would share keys.
    let clash = config.replace("site/content", "feeds");
    let out = common::agg(dir.path(), &clash, &["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("publish.s3.content_prefix"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn s3_an_older_store_state_never_overwrites_a_newer_object() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket("agg-race");
    let server = articles(3);
    let newer = tempfile::tempdir().unwrap();
    let older = tempfile::tempdir().unwrap();
    let endpoint = &moto.endpoint;
    // One store with two articles, published; a copy of it is the older publisher's state.
    run_ok(
        newer.path(),
        &config(newer.path(), &server, 2, endpoint, "agg-race", "shared"),
        &["fetch-once"],
    );
    copy_dir(&newer.path().join("state"), &older.path().join("state"));
    // The store moves on (a third article) and publishes first.
    run_ok(
        newer.path(),
        &config(newer.path(), &server, 3, endpoint, "agg-race", "shared"),
        &["fetch-once"],
    );
    let rt = runtime();
    let store = client(&moto, "agg-race");
    let before = objects(&rt, &store, "shared");
    assert_eq!(entries(&before["rss.xml"].bytes), 3);

    // Then the older state publishes everything: every object keeps the newer items.
    let cfg = config(older.path(), &server, 2, endpoint, "agg-race", "shared");
    let out = common::agg_env(older.path(), &cfg, &["build-feeds"], common::S3_ENV);
    let log = common::stderr(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("newer object in the bucket left alone"),
        "{log}"
    );
    let older_rss = std::fs::read(older.path().join("feeds/rss.xml")).unwrap();
    assert_eq!(
        entries(&older_rss),
        2,
        "the older publisher still writes its own files"
    );
    let after = objects(&rt, &store, "shared");
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    for (rel, obj) in &after {
        assert_eq!(obj.bytes, before[rel].bytes, "{rel} was overwritten");
        assert_eq!(obj.generation, before[rel].generation, "{rel}");
        let newer_local = std::fs::read(newer.path().join("feeds").join(rel)).unwrap();
        assert_eq!(obj.bytes, newer_local, "{rel}");
    }
    for f in ["rss.xml", "atom.xml", "feed.json", "tags/solar/rss.xml"] {
        assert_eq!(entries(&after[f].bytes), 3, "{f}");
    }
}

#[test]
fn s3_racing_publishers_never_replace_a_newer_generation() {
    let Some(moto) = Moto::start() else { return };
    moto.create_bucket("agg-cas");
    let rt = runtime();
    let settings = S3Settings {
        bucket: "agg-cas".into(),
        endpoint: url::Url::parse(&moto.endpoint).unwrap(),
        prefix: "p".into(),
        region: "us-east-1".into(),
        content_prefix: None,
    };
    let keys = Keys {
        access_key_id: "agg-test".into(),
        secret_access_key: "agg-test-secret".into(),
        session_token: None,
    };
    let remote = |generation| {
        Remote::with_keys(
            &settings,
            Ok(keys.clone()),
            generation,
            None,
            rt.handle().clone(),
        )
    };
    let (old, new) = (remote(10), remote(11));
    assert_eq!(old.upload("rss.xml", b"old 0").unwrap(), Outcome::Uploaded);
    // Same generation, same bytes: nothing to write.
    assert_eq!(old.upload("rss.xml", b"old 0").unwrap(), Outcome::Unchanged);
    // Both publish the same key at once, many times: whatever the interleaving, once the newer
    // generation has written, the older one never replaces it.
    const ROUNDS: usize = 15;
    let last_new = std::thread::scope(|s| {
        let older = s.spawn(|| {
            for i in 1..=ROUNDS {
                match old.upload("rss.xml", format!("old {i}").as_bytes()) {
                    Ok(_) | Err(s3::S3Error::Contended { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        });
        let mut last = None;
        for i in 1..=ROUNDS {
            let bytes = format!("new {i}");
            match new.upload("rss.xml", bytes.as_bytes()) {
                Ok(Outcome::Uploaded) => last = Some(bytes),
                Ok(other) => panic!("the newest generation got {other:?}"),
                Err(s3::S3Error::Contended { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        older.join().unwrap();
        last.expect("the newer publisher wrote at least once")
    });
    let store = client(&moto, "agg-cas");
    let now = objects(&rt, &store, "p");
    assert_eq!(String::from_utf8_lossy(&now["rss.xml"].bytes), last_new);
    assert_eq!(now["rss.xml"].generation, Some(11));
    assert_eq!(old.upload("rss.xml", b"late").unwrap(), Outcome::Newer);
    // A newer generation still replaces it (If-Match on the e-tag just read).
    assert_eq!(
        remote(12).upload("rss.xml", b"newest").unwrap(),
        Outcome::Uploaded
    );
    let now = objects(&rt, &store, "p");
    assert_eq!(now["rss.xml"].bytes, b"newest");
    // A removed feed goes from the bucket too, unless a newer generation wrote it.
    assert_eq!(old.remove("rss.xml").unwrap(), Outcome::Newer);
    assert_eq!(remote(13).remove("rss.xml").unwrap(), Outcome::Deleted);
    assert!(objects(&rt, &store, "p").is_empty());
}

#[test]
fn s3_endpoint_down_fails_the_run_naming_the_bucket_and_keeps_local_feeds() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let server = articles(2);
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &server, 2, &endpoint, "agg-down", "feeds");
    let started = std::time::Instant::now();
    let run = common::fetch_once(dir.path(), &cfg, &[], common::S3_ENV);
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    assert!(run.line("ferry").starts_with("ferry: 2 new"), "{run}");
    assert!(
        run.report["publish_error"]
            .as_str()
            .is_some_and(|e| e.contains("s3://agg-down/feeds/")),
        "{run}"
    );
    assert!(common::stderr(&run.out).contains("agg-down"), "{run}");
    assert!(started.elapsed() < Duration::from_secs(60));
    let feeds = dir.path().join("feeds");
    for f in ["rss.xml", "atom.xml", "feed.json", "index.html", "opml.xml"] {
        let bytes = std::fs::read(feeds.join(f)).unwrap();
        if matches!(f, "rss.xml" | "atom.xml" | "feed.json") {
            assert_eq!(entries(&bytes), 2, "{f}");
        }
    }

    // Without credentials the run fails the same way, naming what is missing.
    let out = common::agg(dir.path(), &cfg, &["build-feeds"]);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        assert!(!out.status.success());
        let all = format!("{}{}", common::stdout(&out), common::stderr(&out));
        assert!(all.contains("AWS_ACCESS_KEY_ID"), "{all}");
    }

    // Once the bucket is reachable (same endpoint), the next run uploads what the failed one
    // could not, though no local file changes.
    let Some(moto) = Moto::start_at(Some(port)) else {
        return;
    };
    moto.create_bucket("agg-down");
    let run = common::fetch_once(dir.path(), &cfg, &[], common::S3_ENV);
    assert!(run.success(), "{run}");
    assert_eq!(run.feeds_written(), 0, "{run}");
    let rt = runtime();
    let remote = objects(&rt, &client(&moto, "agg-down"), "feeds");
    assert_eq!(
        remote.keys().cloned().collect::<Vec<_>>(),
        common::files(&feeds)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}
