//! Property tests (proptest, on stable, in CI): front matter round trip, and no panic from
//! charset detection, date parsing or extraction on arbitrary input.

use agg::markdown::{Document, render};
use proptest::prelude::*;

fn front_matter(md: &str) -> serde_yaml::Mapping {
    let yaml = md
        .strip_prefix("---\n")
        .unwrap()
        .split("\n---\n")
        .next()
        .unwrap();
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("unparseable front matter: {e}\n{yaml}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn front_matter_round_trips(title in any::<String>(), tag in any::<String>(), thumb in "[ -~]{0,40}") {
        let tags = vec![tag.clone(), "---".to_string()];
        let cats = vec!["c".to_string()];
        let langs = vec!["en".to_string()];
        let doc = Document {
            title: &title,
            date: chrono::DateTime::parse_from_rfc3339("2025-02-10T07:02:16+08:00").unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            summary: &title,
            categories: &cats,
            langs: &langs,
            tags: &tags,
            thumbnail: Some(&thumb),
            front_matter: &[],
            body: &title,
            source: "s",
            url: "https://x/a",
        };
        let md = render(&doc);
        let fm = front_matter(&md);
        prop_assert_eq!(fm.len(), 8);
        prop_assert_eq!(fm.get("title").and_then(|v| v.as_str()), Some(title.as_str()));
        prop_assert_eq!(fm.get("thumbnail").and_then(|v| v.as_str()), Some(thumb.as_str()));
        let got: Vec<&str> = fm.get("tags").unwrap().as_sequence().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        prop_assert_eq!(got, vec![tag.as_str(), "---"]);
    }

    #[test]
    fn charset_detection_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4000), ct in proptest::option::of("[ -~]{0,60}")) {
        let text = agg::fetch::charset::decode(&bytes, ct.as_deref());
        prop_assert!(text.len() >= bytes.len() / 4);
    }

    #[test]
    fn date_parsing_never_panics(s in any::<String>(), digits in "[0-9年月日:/ T+-]{0,30}") {
        let _ = agg::dates::parse(&s, chrono_tz::Asia::Shanghai);
        let _ = agg::dates::parse(&digits, chrono_tz::UTC);
    }

    #[test]
    fn extraction_never_panics(html in "(<(div|p|a|h1|script|table|td|span)( class=\"[a-z ]{0,12}\")?>|</(div|p|a|h1|script|table|td)>|[a-z 中文，。]{0,30}){0,60}") {
        let url = url::Url::parse("https://example.com/a/b.html").unwrap();
        let opts = agg::extract::Options { timezone: chrono_tz::UTC, rule: None, hint: None };
        let _ = agg::extract::extract(&html, &url, &opts);
    }
}
