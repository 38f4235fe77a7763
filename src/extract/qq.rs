//! The built-in rule for Tencent News article pages (`new.qq.com/rain/a/…`,
//! `view.inews.qq.com/a/…`): the page embeds its article as `window.DATA = {...}` JSON with
//! `title`, `pubtime` (Beijing time), `media` and `originContent.text`, whose
//! `<!--IMG_n-->` placeholders name images listed in `originAttribute`.
//!
//! The JSON is cut out with a string-aware brace scan: a regex would stop at the first `}`
//! inside a string.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::dates;

/// What the rule found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QqArticle {
    pub title: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub body_html: Option<String>,
    pub description: Option<String>,
    pub thumbnail: Option<String>,
}

/// Applies when the page embeds `window.DATA` with an `originContent`.
pub fn extract(html: &str) -> Option<QqArticle> {
    let data = window_data(html)?;
    let origin = data.get("originContent")?;
    let text = origin.get("text").and_then(Value::as_str)?;
    let attrs = data.get("originAttribute");
    let s = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(QqArticle {
        title: s("title"),
        // Tencent writes pubtime in Beijing time whatever the site's zone is.
        published: s("pubtime").and_then(|p| dates::parse(&p, chrono_tz::Asia::Shanghai)),
        author: s("media"),
        body_html: Some(resolve_images(text, attrs)),
        description: s("desc").or_else(|| s("abstract")),
        thumbnail: s("shareImg")
            .or_else(|| s("thumbnail"))
            .filter(|u| u.starts_with("http")),
    })
}

/// Parses the object literal after `window.DATA =`.
fn window_data(html: &str) -> Option<Value> {
    let at = html.find("window.DATA")?;
    let rest = &html[at..];
    let start = rest.find('{')?;
    let json = balanced_object(&rest[start..])?;
    serde_json::from_str(json).ok()
}

/// The text of the JSON object at the start of `s`, braces matched outside strings.
pub fn balanced_object(s: &str) -> Option<&str> {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(&s[..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Replaces `<!--IMG_n-->` with `<img>` tags from `originAttribute` (`IMG_n.origUrl`/`url`).
fn resolve_images(text: &str, attrs: Option<&Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<!--IMG_") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let Some(end) = after.find("-->") else {
            rest = &rest[i..];
            break;
        };
        let key = &after[..end];
        let img = attrs.and_then(|a| a.get(key)).and_then(|a| {
            ["origUrl", "url", "imgurl", "src"]
                .iter()
                .find_map(|k| a.get(k).and_then(Value::as_str))
        });
        if let Some(src) = img {
            out.push_str(&format!("<p><img src=\"{}\"></p>", src.replace('"', "%22")));
        }
        rest = &after[end + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_window_data_with_braces_in_strings_and_images() {
        let html = r#"<script>window.DATA = {"title": "标题 {x}", "pubtime": "2025-02-10 07:02:16", "media": "环球时报",
            "originContent": {"text": "<p>a \"}\" b</p><!--IMG_0--><p>c</p>"},
            "originAttribute": {"IMG_0": {"origUrl": "https://inews.gtimg.com/x/0"}}};
            var other = {};</script>"#;
        let a = extract(html).unwrap();
        assert_eq!(a.title.as_deref(), Some("标题 {x}"));
        assert_eq!(
            a.published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+08:00"
        );
        assert_eq!(a.author.as_deref(), Some("环球时报"));
        assert_eq!(
            a.body_html.as_deref(),
            Some("<p>a \"}\" b</p><p><img src=\"https://inews.gtimg.com/x/0\"></p><p>c</p>")
        );
    }

    #[test]
    fn pages_without_window_data_are_not_matched() {
        assert_eq!(extract("<html><body><p>hi</p></body></html>"), None);
        assert_eq!(
            extract("<script>window.DATA = {\"title\": \"unterminated</script>"),
            None
        );
    }
}
