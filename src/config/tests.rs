use super::*;

const GOOD: &str = r#"site:
  title: "T"
  base_url: "https://news.example.org/feeds"
  timezone: "Asia/Shanghai"
sources:
  - name: a
    kind: feed
    url: "https://ex.com/rss.xml"
    schedule: "*/15 * * * *"
  - name: b
    kind: html
    url: "file:fixtures/list.html"
    links: "a[href*='/rain/a/']"
    schedule: "0 */10 * * * *"
    extract:
      published: "meta[name='pubdate']@content"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/agg/agg.yaml"))
}

fn issues(text: &str) -> Vec<ConfigIssue> {
    match parse(text) {
        Err(ConfigError::Invalid { issues }) => issues,
        other => panic!("expected issues, got {other:?}"),
    }
}

#[test]
fn good_config_compiles() {
    let c = parse(GOOD).unwrap();
    assert_eq!(c.site.base_url.as_str(), "https://news.example.org/feeds/");
    assert_eq!(c.site.timezone, chrono_tz::Asia::Shanghai);
    assert_eq!(c.sources.len(), 2);
    assert_eq!(
        c.sources[1].url().unwrap().as_str(),
        "file:///etc/agg/fixtures/list.html"
    );
    let spec = c.sources[1].extract.published.as_ref().unwrap();
    assert_eq!(spec.attr.as_deref(), Some("content"));
    assert_eq!(c.feeds.items, 50);
    assert_eq!(c.fetch.concurrency, 8);
}

#[test]
fn unknown_key_is_rejected_with_its_line() {
    let text = GOOD.replace(
        "    schedule: \"*/15 * * * *\"",
        "    schedule: \"*/15 * * * *\"\n    colour: blue",
    );
    let found = issues(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 10, "{found:?}");
    assert!(
        found[0].message.contains("unknown field `colour`"),
        "{found:?}"
    );
    assert!(
        found[0].to_string().starts_with("/etc/agg/agg.yaml:10: "),
        "{}",
        found[0]
    );
}

#[test]
fn every_semantic_error_is_reported_with_line_and_key() {
    let text = GOOD
        .replace("Asia/Shanghai", "Mars/Olympus")
        .replace("*/15 * * * *", "every day")
        .replace("a[href*='/rain/a/']", "a[[[")
        .replace("meta[name='pubdate']@content", "::nope");
    let found = issues(&text);
    let got: Vec<(usize, &str)> = found.iter().map(|i| (i.line, i.key.as_str())).collect();
    assert_eq!(
        got,
        [
            (4, "site.timezone"),
            (9, "sources[0].schedule"),
            (13, "sources[1].links"),
            (16, "sources[1].extract.published"),
        ],
        "{found:#?}"
    );
}

#[test]
fn cron_accepts_five_and_six_fields_and_shortcuts() {
    assert!(parse_schedule("*/15 * * * *").is_ok());
    assert!(parse_schedule("0 */10 * * * *").is_ok());
    assert!(parse_schedule("@hourly").is_ok());
    assert!(parse_schedule("* * *").is_err());
    assert!(parse_schedule("61 * * * *").is_err());
}

#[test]
fn bad_urls_and_duplicate_names() {
    let text = GOOD
        .replace("https://ex.com/rss.xml", "ftp://ex.com/x")
        .replace("name: b", "name: a");
    let keys: Vec<String> = issues(&text).into_iter().map(|i| i.key).collect();
    assert_eq!(keys, ["sources[0].url", "sources[1].name"]);
}

#[test]
fn publish_s3_compiles_with_defaults() {
    let c = parse(&format!(
        "{GOOD}publish:\n  s3:\n    bucket: \"news-feeds\"\n    endpoint: \"http://127.0.0.1:9000\"\n    prefix: \"/site/feeds/\"\n"
    ))
    .unwrap();
    let s3 = c.publish.s3.expect("publish.s3 set");
    assert_eq!(s3.bucket, "news-feeds");
    assert_eq!(s3.endpoint.as_str(), "http://127.0.0.1:9000/");
    assert_eq!(s3.prefix, "site/feeds");
    assert_eq!(s3.region, DEFAULT_S3_REGION);
    assert!(parse(GOOD).unwrap().publish.s3.is_none());
}

#[test]
fn publish_s3_bad_keys_are_issues() {
    let found = issues(&format!(
        "{GOOD}publish:\n  s3:\n    bucket: \"No_Such\"\n    endpoint: \"ftp://x\"\n    prefix: \"a/../b\"\n    region: \"eu-west-1\"\n"
    ));
    let keys: Vec<&str> = found.iter().map(|i| i.key.as_str()).collect();
    assert!(keys.contains(&"publish.s3.bucket"), "{found:?}");
    assert!(keys.contains(&"publish.s3.endpoint"), "{found:?}");
    assert!(keys.contains(&"publish.s3.prefix"), "{found:?}");
    let unknown = issues(&format!(
        "{GOOD}publish:\n  s3:\n    bucket: \"b-1\"\n    endpoint: \"http://h\"\n    secret: \"x\"\n"
    ));
    assert!(!unknown.is_empty());
}
