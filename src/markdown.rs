//! The Hugo Markdown file: YAML front matter in the site's fixed key order, the body, and a
//! source link line. The format is the one in `seed/` byte for byte: double-quoted strings,
//! block lists, `date` as "YYYY-MM-DD HH:MM:SS" in the site's time zone, and a summary of the
//! body's first 50 characters plus "...".
//!
//! Every string goes through [`yaml_str`], so no title can add keys or end the front matter,
//! and every URL through [`crate::weburl`], so a theme can put it in an attribute as it is.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

/// Characters of body text in the front-matter summary.
pub const SUMMARY_CHARS: usize = 50;

/// Everything one Markdown file holds.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub title: &'a str,
    pub date: DateTime<FixedOffset>,
    pub timezone: Tz,
    pub summary: &'a str,
    pub categories: &'a [String],
    pub langs: &'a [String],
    pub tags: &'a [String],
    pub thumbnail: Option<&'a str>,
    /// Extra keys from the config, in order. `thumbnail` is written right after `menu` when
    /// the extra keys have one (the seed's position), else after `tags`.
    pub front_matter: &'a [(String, serde_yaml::Value)],
    pub body: &'a str,
    pub source: &'a str,
    pub url: &'a str,
}

/// Renders the file's bytes.
pub fn render(doc: &Document<'_>) -> String {
    let mut out = String::with_capacity(doc.body.len() + 1024);
    out.push_str("---\n");
    key_str(&mut out, "title", doc.title);
    let date = doc
        .date
        .with_timezone(&doc.timezone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    key_str(&mut out, "date", &date);
    key_str(&mut out, "summary", doc.summary);
    key_list(&mut out, "categories", doc.categories);
    key_list(&mut out, "lang", doc.langs);
    key_list(&mut out, "translations", doc.langs);
    key_list(&mut out, "tags", doc.tags);
    let thumbnail = doc.thumbnail.map(output_url).unwrap_or_default();
    let thumbnail = thumbnail.as_str();
    let has_menu = doc.front_matter.iter().any(|(k, _)| k == "menu");
    if !has_menu {
        key_str(&mut out, "thumbnail", thumbnail);
    }
    for (k, v) in doc.front_matter {
        if is_builtin(k) {
            continue;
        }
        key_value(&mut out, k, v);
        if k == "menu" {
            key_str(&mut out, "thumbnail", thumbnail);
        }
    }
    out.push_str("---\n\n");
    let body = neutralize_shortcodes(doc.body.trim());
    if !body.is_empty() {
        out.push_str(&body);
        out.push_str("\n\n");
    }
    // Parentheses would end the link destination early.
    let url = output_url(doc.url).replace('(', "%28").replace(')', "%29");
    out.push_str(&format!("[{}]({url})\n", escape_link_text(doc.source)));
    out
}

/// An http(s) URL percent-encoded for output; anything else is kept as it is.
pub fn output_url(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => crate::weburl::encode_parsed(&u),
        _ => url.to_owned(),
    }
}

fn is_builtin(k: &str) -> bool {
    matches!(
        k,
        "title"
            | "date"
            | "summary"
            | "categories"
            | "lang"
            | "translations"
            | "tags"
            | "thumbnail"
    )
}

/// The front-matter summary: the first 50 characters of the body text (whitespace runs
/// collapsed), plus "..." when the text is longer.
pub fn summary_of(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = collapsed.chars();
    let head: String = chars.by_ref().take(SUMMARY_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

fn key_str(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(&yaml_str(value));
    out.push('\n');
}

fn key_list(out: &mut String, key: &str, values: &[String]) {
    if values.is_empty() {
        out.push_str(key);
        out.push_str(": []\n");
        return;
    }
    out.push_str(key);
    out.push_str(":\n");
    for v in values {
        out.push_str("  - ");
        out.push_str(&yaml_str(v));
        out.push('\n');
    }
}

fn key_value(out: &mut String, key: &str, v: &serde_yaml::Value) {
    use serde_yaml::Value;
    let key = if plain_key(key) {
        key.to_string()
    } else {
        yaml_str(key)
    };
    match v {
        Value::Sequence(items) => {
            if items.is_empty() {
                out.push_str(&format!("{key}: []\n"));
            } else {
                out.push_str(&format!("{key}:\n"));
                for item in items {
                    out.push_str(&format!("  - {}\n", scalar(item)));
                }
            }
        }
        other => out.push_str(&format!("{key}: {}\n", scalar(other))),
    }
}

/// Whether a front-matter key can be written unquoted and still read back as that string: an
/// identifier that is not one of YAML's null or boolean words.
fn plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        )
}

fn scalar(v: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_str(s),
        // Nested lists and maps in flow style, every string through `yaml_str`.
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(scalar).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        Value::Tagged(tagged) => scalar(&tagged.value),
    }
}

/// A double-quoted YAML string with every character that could end or alter it escaped.
pub fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            // C1 controls (U+0085 is handled above) are outside YAML's printable set:
            // go-yaml (Hugo) refuses the whole file when one appears raw.
            c @ '\u{80}'..='\u{9f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{feff}' => out.push_str("\\ufeff"),
            c @ ('\u{fffe}' | '\u{ffff}') => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Hugo would run `{{< x >}}` / `{{% x %}}` found in article text as shortcodes; a zero-width
/// joiner between the braces keeps the text visible and inert.
pub fn neutralize_shortcodes(s: &str) -> String {
    s.replace("{{<", "{\u{200d}{<")
        .replace("{{%", "{\u{200d}{%")
}

fn escape_link_text(s: &str) -> String {
    s.replace('[', "\\[").replace(']', "\\]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fm() -> Vec<(String, serde_yaml::Value)> {
        serde_yaml::from_str::<serde_yaml::Mapping>(
            "menu: \"\"\nlead: \"\"\ncomments: false\nwidgets: [\"a\", \"b\"]\n",
        )
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v))
        .collect()
    }

    #[test]
    fn hostile_title_round_trips_and_adds_no_keys() {
        let title = "a \"quoted\" \\ back\nslash\n---\nkey: value # &anchor *ref";
        let fm = fm();
        let doc = Document {
            title,
            date: DateTime::parse_from_rfc3339("2025-02-09T23:02:16Z").unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            summary: "s",
            categories: &["c".into()],
            langs: &["zh-CN".into()],
            tags: &[],
            thumbnail: None,
            front_matter: &fm,
            body: "body {{< shortcode >}}",
            source: "src",
            url: "https://x/a",
        };
        let out = render(&doc);
        let yaml = out
            .strip_prefix("---\n")
            .unwrap()
            .split("\n---\n")
            .next()
            .unwrap();
        let parsed: serde_yaml::Mapping = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(parsed.get("title").and_then(|v| v.as_str()), Some(title));
        assert_eq!(
            parsed.get("date").and_then(|v| v.as_str()),
            Some("2025-02-10 07:02:16")
        );
        let keys: Vec<_> = parsed.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "title",
                "date",
                "summary",
                "categories",
                "lang",
                "translations",
                "tags",
                "menu",
                "thumbnail",
                "lead",
                "comments",
                "widgets"
            ]
        );
        assert!(!out.contains("{{<"));
        assert!(out.ends_with("\n\n[src](https://x/a)\n"));
    }

    #[test]
    fn urls_are_percent_encoded() {
        let doc = Document {
            title: "t",
            date: DateTime::parse_from_rfc3339("2025-02-09T23:02:16Z").unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            summary: "s",
            categories: &[],
            langs: &[],
            tags: &[],
            thumbnail: Some("https://img.example.com/p/1.jpg?w/1080x>/1|imageslim"),
            front_matter: &[],
            body: "b",
            source: "src",
            url: "https://x.example/a (1)|b",
        };
        let out = render(&doc);
        assert!(
            out.contains(
                "thumbnail: \"https://img.example.com/p/1.jpg?w/1080x%3E/1%7Cimageslim\"\n"
            ),
            "{out}"
        );
        assert!(
            out.ends_with("[src](https://x.example/a%20%281%29%7Cb)\n"),
            "{out}"
        );
    }

    #[test]
    fn summary_is_fifty_chars_plus_ellipsis() {
        let text = "一二三四五六七八九十".repeat(6);
        assert_eq!(summary_of(&text).chars().count(), 53);
        assert!(summary_of(&text).ends_with("十..."));
        assert_eq!(summary_of("short  text\n\nhere"), "short text here");
    }
}
