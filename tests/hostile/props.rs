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

/// Strings drawn from every code point class YAML treats apart: C0, DEL, C1, U+0085, NBSP,
/// line/paragraph separators, surrogate neighbours, U+FEFF, the noncharacters U+FFFE/U+FFFF,
/// astral characters, and plain text, so each class shows up in most cases.
fn any_class_string() -> impl Strategy<Value = String> {
    let class = prop_oneof![
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        Just('\u{7f}'),
        (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
        Just('\u{85}'),
        Just('\u{a0}'),
        Just('\u{2028}'),
        Just('\u{2029}'),
        Just('\u{d7ff}'),
        Just('\u{e000}'),
        Just('\u{feff}'),
        Just('\u{fffd}'),
        Just('\u{fffe}'),
        Just('\u{ffff}'),
        (0x10000u32..0x10ffff).prop_filter_map("scalar", char::from_u32),
        any::<char>(),
        "[ -~]".prop_map(|s| s.chars().next().unwrap()),
    ];
    proptest::collection::vec(class, 0..40).prop_map(|v| v.into_iter().collect())
}

/// YAML 1.2's printable set: what go-yaml (Hugo) accepts raw in a document.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn front_matter_is_printable_yaml_for_every_code_point_class(
        title in any_class_string(),
        summary in any_class_string(),
        tag in any_class_string(),
        cat in any_class_string(),
        thumb in any_class_string(),
        extra in any_class_string(),
    ) {
        let tags = vec![tag.clone()];
        let cats = vec![cat.clone()];
        let langs = vec!["en".to_string()];
        let nested = serde_yaml::Value::Sequence(vec![serde_yaml::Value::String(extra.clone())]);
        let fm_extra = vec![
            ("menu".to_string(), serde_yaml::Value::String(extra.clone())),
            (extra.clone(), nested),
        ];
        let doc = Document {
            title: &title,
            date: chrono::DateTime::parse_from_rfc3339("2025-02-10T07:02:16+08:00").unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            summary: &summary,
            categories: &cats,
            langs: &langs,
            tags: &tags,
            thumbnail: Some(&thumb),
            front_matter: &fm_extra,
            body: &title,
            source: "s",
            url: "https://x/a",
        };
        let md = render(&doc);
        let yaml = md.strip_prefix("---\n").unwrap().split("\n---\n").next().unwrap();
        let raw: Vec<u32> = yaml.chars().filter(|&c| !yaml_printable(c)).map(|c| c as u32).collect();
        prop_assert!(raw.is_empty(), "raw non-printable {:x?} in {:?}", raw, yaml);
        let fm = front_matter(&md);
        prop_assert_eq!(fm.get("title").and_then(|v| v.as_str()), Some(title.as_str()));
        prop_assert_eq!(fm.get("summary").and_then(|v| v.as_str()), Some(summary.as_str()));
        // An http(s) thumbnail is percent-encoded (agg::markdown::output_url), anything else kept.
        let thumb_out = agg::markdown::output_url(&thumb);
        prop_assert_eq!(fm.get("thumbnail").and_then(|v| v.as_str()), Some(thumb_out.as_str()));
        prop_assert_eq!(fm["tags"][0].as_str(), Some(tag.as_str()));
        prop_assert_eq!(fm["categories"][0].as_str(), Some(cat.as_str()));
        prop_assert_eq!(fm.get("menu").and_then(|v| v.as_str()), Some(extra.as_str()));
        if !matches!(extra.as_str(), "title" | "date" | "summary" | "categories" | "lang" | "translations" | "tags" | "thumbnail" | "menu") {
            prop_assert_eq!(fm[extra.as_str()][0].as_str(), Some(extra.as_str()));
        }
    }

    #[test]
    fn front_matter_round_trips(title in any::<String>(), tag in any::<String>(), thumb in "(https?://)?[ -~]{0,40}") {
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
        let thumb_out = agg::markdown::output_url(&thumb);
        prop_assert_eq!(fm.get("thumbnail").and_then(|v| v.as_str()), Some(thumb_out.as_str()));
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
