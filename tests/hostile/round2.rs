//! Hostile input, round two (issue 17): cases the first suite did not try.

use super::server::{Hostile, ok};
use super::{config_with_fetch, list};
use crate::common;

const FETCH: &str =
    "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_private_networks: true\n";

/// YAML 1.2's printable set (what go-yaml, and so Hugo, accepts in a document).
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

fn front_matter(md: &str) -> &str {
    md.strip_prefix("---\n")
        .unwrap()
        .split("\n---\n")
        .next()
        .unwrap()
}

/// One page titled with a C1 control, U+FFFE and U+FFFF (raw and as character references) must
/// not stop the Hugo site: every character of the front matter is printable YAML, and the
/// title still reads back with the characters the page had.
#[test]
fn control_and_noncharacters_in_titles_are_escaped_in_front_matter() {
    let s = Hostile::start();
    let title = "Title with C1 \u{81} control &#xFFFF; and &#xFFFE; \u{9f} end";
    let page = format!(
        "<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><article><h1>{title}</h1>\
<p>{title}: the first paragraph of a real looking story, long enough for the extractor to keep it.</p>\
<p>A second paragraph adds quotes and context so the page reads like news rather than a menu.</p>\
</article></body></html>"
    );
    s.on("/c1.html", ok("text/html; charset=utf-8", page));
    s.on("/list.html", ok("text/html", list(&["/c1.html"])));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: c1\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.l\"\n    tags: [\"tag \\x81 \\uFFFF\"]\n",
        s.base
    );
    let config = config_with_fetch(dir.path(), FETCH, &sources).replace(
        "front_matter:\n",
        "front_matter:\n  extra: {\"k\\x85\": [\"v\\x9f\", \"\\uFFFE\"]}\n",
    );
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let content = dir.path().join("content/c1");
    let files = common::files(&content);
    assert_eq!(files.len(), 1);
    let md = std::fs::read_to_string(content.join(&files[0])).unwrap();
    let yaml = front_matter(&md);
    let bad: Vec<String> = yaml
        .chars()
        .filter(|&c| !yaml_printable(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(
        bad.is_empty(),
        "raw non-printable characters {bad:?} in\n{yaml}"
    );
    let fm: serde_yaml::Mapping = serde_yaml::from_str(yaml).unwrap();
    let got = fm.get("title").and_then(|v| v.as_str()).unwrap();
    for c in ['\u{81}', '\u{9f}', '\u{fffe}', '\u{ffff}'] {
        assert!(got.contains(c), "title lost U+{:04X}: {got:?}", c as u32);
    }
    let tag = fm["tags"][0].as_str().unwrap();
    assert_eq!(tag, "tag \u{81} \u{ffff}");
    let extra = &fm["extra"];
    assert_eq!(extra["k\u{85}"][0].as_str(), Some("v\u{9f}"));
    assert_eq!(extra["k\u{85}"][1].as_str(), Some("\u{fffe}"));
}

/// IPv6 ranges that are not global unicast (IPv4-translated, Teredo, site-local, discard-only)
/// are refused like the rest, on redirect hops and as literal article URLs, before any
/// connection is tried.
#[test]
fn special_purpose_ipv6_ranges_are_refused() {
    let s = Hostile::start();
    let port = s.port;
    s.on("/secret.html", ok("text/html", super::article("Secret")));
    let literals = ["::ffff:0:7f00:1", "2001::1", "fec0::1", "100::1"];
    let mut paths = Vec::new();
    for (i, ip) in literals.iter().enumerate() {
        let path = format!("/r{i}");
        s.on(
            &path,
            super::server::redirect(&format!("http://[{ip}]:{port}/secret.html")),
        );
        paths.push(path);
    }
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    s.on("/list.html", ok("text/html", list(&paths)));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: v6\n    kind: html\n    url: \"http://localhost:{port}/list.html\"\n    links: \"a.l\"\n  - name: lit\n    kind: urls\n    urls: [\"http://[fec0::1]:{port}/a.html\", \"http://[::ffff:0:7f00:1]:{port}/b.html\"]\n"
    );
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_hosts: [\"localhost\"]\n";
    let run = common::fetch_once(
        dir.path(),
        &config_with_fetch(dir.path(), fetch, &sources),
        &[],
        &[],
    );
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    for ip in literals {
        assert!(
            run.has_error(&format!("refusing non-public address {ip}")),
            "{ip} not refused:\n{run}"
        );
    }
    assert_eq!(s.hits("/secret.html"), 0);
}

/// Tags `C++`, `C` and `c#` are three topics: three tag feeds, one item each.
#[test]
fn tags_differing_by_a_meaningful_symbol_get_their_own_feeds() {
    let s = Hostile::start();
    let mut sources = String::new();
    for (i, tag) in ["C++", "C", "c#"].iter().enumerate() {
        let page = super::article(&format!("Story number {i} about a language"));
        s.on(&format!("/a{i}.html"), ok("text/html", page));
        sources.push_str(&format!(
            "  - name: s{i}\n    kind: urls\n    urls: [\"{}/a{i}.html\"]\n    tags: [\"{tag}\"]\n",
            s.base
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = common::agg(
        dir.path(),
        &config_with_fetch(dir.path(), FETCH, &sources),
        &["fetch-once"],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    for slug in ["c-plus-plus", "c", "c-sharp"] {
        let feed = dir.path().join(format!("feeds/tags/{slug}/feed.json"));
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&feed).unwrap_or_else(|e| {
                panic!("{}: {e}", feed.display());
            }))
            .unwrap();
        assert_eq!(json["items"].as_array().unwrap().len(), 1, "{slug}");
    }
}

/// `agg status` (a health check in a loop) must not delete the temp files of a daemon that is
/// writing at that moment; it still removes those whose writer has died.
#[test]
fn temp_sweep_spares_files_of_running_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sources = "  - name: s\n    kind: urls\n    urls: [\"http://127.0.0.1:9/a.html\"]\n";
    let config = config_with_fetch(dir.path(), FETCH, sources);
    let posts = dir.path().join("content/s");
    std::fs::create_dir_all(&posts).unwrap();
    let mut writer = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let busy = posts.join(format!(".agg-tmp-{}-0-abc.md", writer.id()));
    let orphan = posts.join(format!(".agg-tmp-{dead}-0-def.md"));
    std::fs::write(&busy, "being written").unwrap();
    std::fs::write(&orphan, "left by a crash").unwrap();
    let out = common::agg(dir.path(), &config, &["status"]);
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert!(out.status.code().is_some(), "{}", common::stderr(&out));
    assert!(busy.exists(), "the live writer's temp file was deleted");
    assert!(!orphan.exists(), "the dead writer's temp file was kept");
}

/// A WebSub hub that answers a ping with a redirect (here to another path; on the web, to
/// `[::1]` or a metadata address) is not followed, and a 3xx is not retried.
#[test]
fn websub_hub_redirects_are_not_followed() {
    let s = Hostile::start();
    s.on(
        "/a.html",
        ok("text/html", super::article("A story to announce")),
    );
    s.on(
        "/hub",
        super::server::redirect(&format!("{}/inside", s.base)),
    );
    s.on("/inside", ok("text/plain", "reached"));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: s\n    kind: urls\n    urls: [\"{}/a.html\"]\n",
        s.base
    );
    let config = config_with_fetch(dir.path(), FETCH, &sources).replace(
        "feeds:\n",
        &format!("websub:\n  hub: \"{}/hub\"\nfeeds:\n", s.base),
    );
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(
        std::fs::read_dir(dir.path().join("content/s")).is_ok(),
        "{}",
        common::stderr(&out)
    );
    assert!(s.hits("/hub") >= 1, "the hub was pinged");
    assert_eq!(s.hits("/inside"), 0, "the hub's redirect was followed");
    let feeds = common::files(&dir.path().join("feeds"))
        .into_iter()
        .filter(|f| f.ends_with("rss.xml") || f.ends_with("atom.xml") || f.ends_with("feed.json"))
        .count();
    assert!(feeds > 0);
    assert_eq!(
        s.hits("/hub"),
        feeds,
        "one ping per feed: a 3xx is not retried"
    );
}

/// Proxy variables are ignored for S3 uploads too (the README says so): with every proxy
/// variable pointing at a port where nothing listens, the feeds still reach the bucket.
#[test]
fn s3_uploads_ignore_proxy_variables() {
    let Some(moto) = common::Moto::start() else {
        return;
    };
    moto.create_bucket("proxied");
    let s = Hostile::start();
    s.on(
        "/a.html",
        ok("text/html", super::article("A story to upload")),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: s\n    kind: urls\n    urls: [\"{}/a.html\"]\n",
        s.base
    );
    let config = format!(
        "{}{}",
        config_with_fetch(dir.path(), FETCH, &sources),
        common::s3_config(&moto.endpoint, "proxied", "feeds")
    );
    let mut env: Vec<(&str, &str)> = common::S3_ENV.to_vec();
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        env.push((var, "http://127.0.0.1:9"));
    }
    let out = common::agg_env(dir.path(), &config, &["fetch-once"], &env);
    assert!(
        out.status.success(),
        "{}\n{}",
        common::stdout(&out),
        common::stderr(&out)
    );
    // A failed upload fails the run ("feeds failed: cannot upload s3://…"); the listing
    // shows the objects arrived.
    let (status, listing) =
        common::http_request(moto.port(), "GET", "/proxied?list-type=2", &[]).unwrap();
    assert_eq!(status, 200, "{listing}");
    assert!(listing.contains("<Key>feeds/rss.xml</Key>"), "{listing}");
}

fn urlset(base: &str, paths: &[&str]) -> String {
    let urls: String = paths
        .iter()
        .map(|p| format!("<url><loc>{base}{p}</loc></url>"))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"
    )
}

fn sitemap_index(base: &str, children: &[&str]) -> String {
    let items: String = children
        .iter()
        .map(|c| format!("<sitemap><loc>{base}{c}</loc></sitemap>"))
        .collect();
    format!(
        "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{items}</sitemapindex>"
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A sitemap index whose every child fails is a failed source (exit 1, `status` failing),
/// not a clean run with nothing new.
#[test]
fn sitemap_index_with_only_failing_children_fails_the_source() {
    let s = Hostile::start();
    s.on(
        "/sitemap.xml",
        ok(
            "application/xml",
            sitemap_index(&s.base, &["/gone-1.xml", "/gone-2.xml"]),
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: idx\n    kind: sitemap\n    url: \"{}/sitemap.xml\"\n",
        s.base
    );
    let config = config_with_fetch(dir.path(), FETCH, &sources);
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    let error = run.source_error("idx").unwrap_or_default();
    assert!(error.contains("every child sitemap failed"), "{run}");
    assert!(
        error.contains("/gone-1.xml"),
        "the first failure is named: {run}"
    );
    let status = common::agg(dir.path(), &config, &["status"]);
    assert_eq!(status.status.code(), Some(1), "{}", common::stdout(&status));
}

/// Gzipped sitemaps (`.xml.gz` served as `application/x-gzip`, no Content-Encoding) are read;
/// one that decodes past `fetch.max_body_bytes` is refused with a clear error.
#[test]
fn gzipped_sitemaps_are_read_under_the_size_cap() {
    let s = Hostile::start();
    for p in ["/a1.html", "/a2.html"] {
        s.on(p, ok("text/html", super::article(&format!("Story at {p}"))));
    }
    s.on(
        "/news.xml.gz",
        ok(
            "application/x-gzip",
            gzip(urlset(&s.base, &["/a1.html", "/a2.html"]).as_bytes()),
        ),
    );
    // 4 MB of whitespace inside a urlset: a few KB gzipped, over the 1 MB cap decoded.
    let bomb = format!(
        "<?xml version=\"1.0\"?><urlset>{}</urlset>",
        " ".repeat(4 << 20)
    );
    s.on(
        "/bomb.xml.gz",
        ok("application/x-gzip", gzip(bomb.as_bytes())),
    );
    s.on(
        "/sitemap.xml.gz",
        ok(
            "application/octet-stream",
            gzip(sitemap_index(&s.base, &["/news.xml.gz", "/bomb.xml.gz"]).as_bytes()),
        ),
    );
    s.on(
        "/only-bomb.xml",
        ok("application/xml", sitemap_index(&s.base, &["/bomb.xml.gz"])),
    );
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: gz\n    kind: sitemap\n    url: \"{0}/sitemap.xml.gz\"\n  - name: bomb\n    kind: sitemap\n    url: \"{0}/only-bomb.xml\"\n",
        s.base
    );
    let fetch = format!("{FETCH}  max_body_bytes: 1048576\n");
    let config = config_with_fetch(dir.path(), &fetch, &sources);
    let run = common::fetch_once(dir.path(), &config, &[], &[]);
    assert_eq!(
        common::files(&dir.path().join("content/gz")).len(),
        2,
        "{run}"
    );
    assert!(
        run.source_error("bomb")
            .is_some_and(|e| e.contains("decodes to more than 1048576 bytes")),
        "the bomb is named: {run}"
    );
    assert_eq!(
        run.out.status.code(),
        Some(1),
        "the bomb-only source failed: {run}"
    );
}

/// One 1.1 MB article (and a 100 KB title) must not evict the other items from the shared
/// feeds: it is published as a summary with a capped title, every feed stays under
/// `feeds.max_bytes`.
#[test]
fn one_huge_article_does_not_empty_the_shared_feeds() {
    let s = Hostile::start();
    let mut sources = String::new();
    for i in 0..3 {
        s.on(
            &format!("/small{i}.html"),
            ok(
                "text/html",
                super::article(&format!("Small story number {i} of the day")),
            ),
        );
    }
    let para = "A very long article paragraph that goes on and on about the same subject. ";
    let body: String = (0..1_100_000 / (para.len() * 20))
        .map(|n| format!("<p>{n} {}</p>\n", para.repeat(20)))
        .collect();
    let title = format!("Huge {}", "title word ".repeat(10_000));
    let huge = format!(
        "<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"
    );
    assert!(huge.len() > 1_100_000);
    s.on("/huge.html", ok("text/html", huge));
    sources.push_str(&format!(
        "  - name: s\n    kind: urls\n    urls: [\"{0}/small0.html\", \"{0}/small1.html\", \"{0}/huge.html\", \"{0}/small2.html\"]\n    categories: [\"news\"]\n    tags: [\"daily\"]\n",
        s.base
    ));
    let dir = tempfile::tempdir().unwrap();
    let fetch = format!("{FETCH}  max_body_bytes: 4000000\n");
    let config = config_with_fetch(dir.path(), &fetch, &sources).replace(
        "feeds:\n  items: 50\n",
        "feeds:\n  items: 50\n  max_bytes: 1000000\n",
    );
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(common::files(&dir.path().join("content/s")).len(), 4);
    for feed in ["", "categories/news/", "tags/daily/"] {
        for name in ["rss.xml", "atom.xml", "feed.json"] {
            let path = dir.path().join(format!("feeds/{feed}{name}"));
            let len = std::fs::metadata(&path).unwrap().len();
            assert!(len <= 1_000_000, "{}: {len} bytes", path.display());
        }
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("feeds/{feed}feed.json"))).unwrap(),
        )
        .unwrap();
        let items = json["items"].as_array().unwrap();
        assert_eq!(items.len(), 4, "{feed}feed.json kept every item");
        for item in items {
            let t = item["title"].as_str().unwrap();
            assert!(
                t.chars().count() <= 301,
                "title of {} chars",
                t.chars().count()
            );
        }
    }
}

/// A `file:` listing may only pull files from its own folder: links to a file elsewhere
/// (`../secret.txt`, an absolute `/etc/passwd`, a symlink out of the folder) are refused and
/// their text never reaches a feed.
#[test]
fn file_listings_read_only_their_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("posts")).unwrap();
    std::fs::write(
        dir.path().join("secret.html"),
        super::article("Private key material from outside"),
    )
    .unwrap();
    std::fs::write(
        site.join("posts/ok.html"),
        super::article("A local article in the folder"),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.html"), site.join("posts/link.html"))
        .unwrap();
    let secret_url = url::Url::from_file_path(dir.path().join("secret.html")).unwrap();
    std::fs::write(
        site.join("index.html"),
        format!(
            "<html><body><a class=\"l\" href=\"posts/ok.html\">ok</a>\
<a class=\"l\" href=\"../secret.html\">up</a><a class=\"l\" href=\"{secret_url}\">abs</a>\
<a class=\"l\" href=\"posts/link.html\">link</a></body></html>"
        ),
    )
    .unwrap();
    let sources =
        "  - name: local\n    kind: html\n    url: \"file:site/index.html\"\n    links: \"a.l\"\n";
    let run = common::fetch_once(
        dir.path(),
        &config_with_fetch(dir.path(), FETCH, sources),
        &[],
        &[],
    );
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    let files = common::files(&dir.path().join("content/local"));
    assert_eq!(
        files.len(),
        1,
        "only the file in the folder: {files:?}\n{run}"
    );
    assert!(run.has_error("outside the source's own folder"), "{run}");
    let feed = std::fs::read_to_string(dir.path().join("feeds/rss.xml")).unwrap();
    assert!(feed.contains("A local article in the folder"));
    assert!(!feed.contains("Private key material"), "{feed}");
    // The local article has no web address: no feed publishes its file: URL.
    for f in common::files(&dir.path().join("feeds")) {
        let text = std::fs::read_to_string(dir.path().join("feeds").join(&f)).unwrap();
        assert!(
            !text.contains("file:"),
            "{f} publishes a file: URL:\n{text}"
        );
    }
}
