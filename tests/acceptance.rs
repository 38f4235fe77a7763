//! The acceptance case: the qq.com list API plus article page reproduce the seed file.

use std::collections::HashMap;

use crate::common::{self, Route, Server};

fn qq_server() -> Server {
    let server = Server::start(HashMap::new());
    let list = String::from_utf8(common::fixture("qq-seed/list.json.tmpl"))
        .unwrap()
        .replace("{{BASE}}", &server.base);
    server.set("/list.json", Route::ok("application/json", list));
    server.set(
        "/rain/a/20250210A010IU00",
        Route::ok(
            "text/html; charset=utf-8",
            common::fixture("qq-seed/rain/a/20250210A010IU00"),
        ),
    );
    server
}

fn qq_source(base: &str) -> String {
    format!(
        r#"  - name: qq
    kind: json
    url: "{base}/list.json"
    schedule: "*/15 * * * *"
    items: "/newslist"
    fields:
      link: "/url"
      title: "/title"
      published: "/timestamp"
      thumbnail: "/thumbnails_qqnews/0"
      summary: "/abstract"
    categories: ["qq"]
    tags: ["qq"]
    lang: "zh-CN"
"#
    )
}

/// Splits a Markdown file into (front matter, body paragraphs, last line).
fn parts(md: &str) -> (String, Vec<String>, String) {
    let rest = md
        .strip_prefix("---\n")
        .expect("front matter opens the file");
    let (fm, body) = rest.split_once("\n---\n").expect("front matter closes");
    let body = body.trim();
    let (paras, last) = body.rsplit_once("\n\n").expect("body and link line");
    let paras = paras
        .split("\n\n")
        .map(|p| p.replace('*', "").trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (fm.to_string(), paras, last.trim().to_string())
}

#[test]
fn qq_json_source_reproduces_the_seed() {
    let server = qq_server();
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path(), &qq_source(&server.base));
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert!(run.success(), "{run}");
    assert_eq!(
        run.line("qq"),
        "qq: 1 new, 0 updated, 0 unchanged, 0 failed",
        "{run}"
    );

    let content = dir.path().join("content/qq");
    let files = common::files(&content);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0].ends_with(".md") && files[0].len() == 19,
        "{{id}}.md with a 16-hex id: {files:?}"
    );
    let got = std::fs::read_to_string(content.join(&files[0])).unwrap();
    let seed = String::from_utf8(common::fixture("seed/qq-20250210A010IU00.md")).unwrap();
    let (got_fm, got_paras, got_last) = parts(&got);
    let (seed_fm, seed_paras, seed_last) = parts(&seed);
    assert_eq!(got_fm, seed_fm, "front matter byte for byte");
    assert_eq!(got_paras, seed_paras, "body paragraphs, ignoring *");
    assert_eq!(got_last, seed_last);
    assert_eq!(got_last, "[qq](https://new.qq.com/rain/a/20250210A010IU00)");

    // Feeds for everything, the category and the tag.
    let feeds = dir.path().join("feeds");
    for f in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "categories/qq/rss.xml",
        "tags/qq/atom.xml",
        "index.html",
        "opml.xml",
    ] {
        assert!(feeds.join(f).exists(), "missing feed {f}");
    }
    let rss = std::fs::read_to_string(feeds.join("rss.xml")).unwrap();
    let channel = rss::Channel::read_from(rss.as_bytes()).unwrap();
    assert_eq!(channel.items().len(), 1);
    let item = &channel.items()[0];
    assert_eq!(
        item.title(),
        Some("厂商加速布局，重塑产业生态，多行业引入DeepSeek升级智能化")
    );
    assert_eq!(
        item.link(),
        Some("https://new.qq.com/rain/a/20250210A010IU00")
    );
    assert_eq!(item.pub_date(), Some("Mon, 10 Feb 2025 07:02:16 +0800"));
    assert!(item.content().unwrap().contains("开源大模型的核心代码"));
}

#[test]
fn second_run_with_nothing_new_changes_no_file() {
    let server = qq_server();
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(dir.path(), &qq_source(&server.base));
    assert!(
        common::agg(dir.path(), &config, &["fetch-once"])
            .status
            .success()
    );
    let snapshot = |root: &std::path::Path| -> Vec<(String, std::time::SystemTime, Vec<u8>)> {
        common::files(root)
            .into_iter()
            .map(|f| {
                let p = root.join(&f);
                (
                    f,
                    std::fs::metadata(&p).unwrap().modified().unwrap(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    let before = (
        snapshot(&dir.path().join("content")),
        snapshot(&dir.path().join("feeds")),
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert!(run.success(), "{run}");
    assert_eq!(
        run.line("qq"),
        "qq: 0 new, 0 updated, 1 unchanged, 0 failed",
        "{run}"
    );
    let after = (
        snapshot(&dir.path().join("content")),
        snapshot(&dir.path().join("feeds")),
    );
    assert_eq!(before, after, "no file rewritten, not even its mtime");
    assert_eq!(
        server.hits("/rain/a/20250210A010IU00"),
        1,
        "a stored URL is not fetched again"
    );
}
