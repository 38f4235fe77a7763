//! Output safety: hostile markup never reaches Markdown or feeds, hostile titles and tags
//! round-trip through the front matter and never leave the output folders.

use super::server::{Hostile, ok};
use super::{config_with_fetch, list};
use crate::common;

const HOSTILE_TITLE: &str = r#"Evil "quoted" \ title --- key: value # &anchor *ref"#;

fn hostile_page() -> String {
    let title = HOSTILE_TITLE.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        r#"<html><head><title>{title}</title><meta property="og:title" content="{title}"></head><body><article>
<h1>{title}</h1>
<p>Normal paragraph text that makes this page look like an article with a real body of words.</p>
<script>alert('xss')</script>
<p>Click <a href="javascript:alert(1)">here</a> or <a href="data:text/html,evil">there</a> or <a href="/ok">fine</a>.</p>
<img src="/x.png" onerror="alert(2)">
<iframe src="https://evil.example/frame"></iframe>
<p onclick="steal()">Hugo shortcodes {{{{< param "secret" >}}}} and {{{{% include "x" %}}}} stay inert.</p>
<style>body {{ display:none }}</style>
</article></body></html>"#
    )
}

#[test]
fn hostile_markup_titles_and_tags_are_neutralised() {
    let s = Hostile::start();
    s.on("/evil.html", ok("text/html", hostile_page()));
    s.on("/list.html", ok("text/html", list(&["/evil.html"])));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: evil\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.l\"\n    categories: [\"../../etc\", \"a/b\\\\c\"]\n    tags: [\"x\\\"y\", \"con\", \"---\", \"{}\", \"\"]\n",
        s.base,
        "t".repeat(300)
    );
    let fetch = "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_private_networks: true\n";
    let out = common::agg(
        dir.path(),
        &config_with_fetch(dir.path(), fetch, &sources),
        &["fetch-once"],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        common::stdout(&out),
        common::stderr(&out)
    );

    let content = dir.path().join("content/evil");
    let files = common::files(&content);
    assert_eq!(files.len(), 1);
    let md = std::fs::read_to_string(content.join(&files[0])).unwrap();
    let yaml = md
        .strip_prefix("---\n")
        .unwrap()
        .split("\n---\n")
        .next()
        .unwrap();
    let fm: serde_yaml::Mapping = serde_yaml::from_str(yaml).unwrap();
    assert_eq!(
        fm.get("title").and_then(|v| v.as_str()),
        Some(HOSTILE_TITLE)
    );
    let tags: Vec<&str> = fm
        .get("tags")
        .unwrap()
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(tags[..3], ["x\"y", "con", "---"]);
    assert_eq!(
        fm.len(),
        17,
        "no key added by hostile values: {:?}",
        fm.keys().collect::<Vec<_>>()
    );
    let body = md.split("\n---\n").nth(1).unwrap();
    for bad in [
        "<script",
        "alert(",
        "javascript:",
        "data:text",
        "onerror",
        "onclick",
        "<iframe",
        "display:none",
        "{{<",
        "{{%",
    ] {
        assert!(
            !body.contains(bad),
            "{bad:?} survived into the Markdown:\n{body}"
        );
    }
    assert!(body.contains("Normal paragraph text"));

    // Feeds: the same markup never reaches content, and every file stays inside feeds/.
    let feeds = dir.path().join("feeds");
    let rss = rss::Channel::read_from(&std::fs::read(feeds.join("rss.xml")).unwrap()[..]).unwrap();
    let html = rss.items()[0].content().unwrap();
    for bad in ["<script", "javascript:", "onerror", "<iframe"] {
        assert!(!html.contains(bad), "{bad:?} in feed content: {html}");
    }
    let root = feeds.canonicalize().unwrap();
    for f in common::files(&feeds) {
        let p = feeds.join(&f).canonicalize().unwrap();
        assert!(p.starts_with(&root), "{f} escapes the feeds folder");
        for seg in std::path::Path::new(&f).components() {
            let seg = seg.as_os_str().to_string_lossy();
            assert!(
                seg != ".." && !seg.is_empty() && seg.len() <= 120,
                "bad segment {seg:?} in {f}"
            );
        }
    }
    let top: std::collections::BTreeSet<String> = common::files(dir.path())
        .iter()
        .map(|f| f.split('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        top.into_iter().collect::<Vec<_>>(),
        ["agg.yaml", "content", "feeds", "state"]
    );
}
