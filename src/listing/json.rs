//! `json` sources: a list API plus JSON pointers for the items and their fields.
//!
//! News sites' list APIs (Tencent's `getSubNewsMixedList` and its kin) differ only in where
//! the array sits and what its fields are called, so the config names both with RFC 6901
//! pointers and this module reads them leniently: a field of the wrong type is a missing hint,
//! not a failed source.
use crate::model::Link;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use serde_json::Value;
use url::Url;

use super::SourceError;

pub use crate::config::JsonFields;

/// Reads the array at pointer `items` and one link per element. Relative links resolve against
/// `base`; `published` may be Unix seconds (number or string), RFC 3339, or
/// "YYYY-MM-DD HH:MM:SS" in `tz`. Elements without a usable link are skipped.
pub fn parse(
    bytes: &[u8],
    base: &Url,
    items: &str,
    fields: &JsonFields,
    tz: Tz,
) -> Result<Vec<Link>, SourceError> {
    // A UTF-8 BOM is legal in what servers send but not in what serde_json accepts.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| SourceError::Json(e.to_string()))?;
    let list = doc
        .pointer(items)
        .and_then(Value::as_array)
        .ok_or_else(|| SourceError::Json(format!("no array at pointer {items:?}")))?;
    Ok(list
        .iter()
        .filter_map(|item| read_item(item, base, fields, tz))
        .collect())
}

fn read_item(item: &Value, base: &Url, fields: &JsonFields, tz: Tz) -> Option<Link> {
    let url = resolve(base, string_at(item, &fields.link)?)?;
    let text = |ptr: &Option<String>| {
        ptr.as_deref()
            .and_then(|p| string_at(item, p))
            .map(str::to_string)
    };
    Some(Link {
        url,
        title: text(&fields.title),
        published: fields
            .published
            .as_deref()
            .and_then(|p| item.pointer(p))
            .and_then(|v| date(v, tz)),
        thumbnail: fields
            .thumbnail
            .as_deref()
            .and_then(|p| thumbnail(item.pointer(p)?, base)),
        summary: text(&fields.summary),
        author: text(&fields.author),
        content_html: None,
    })
}

/// A non-empty, trimmed string at `ptr`.
fn string_at<'a>(item: &'a Value, ptr: &str) -> Option<&'a str> {
    item.pointer(ptr)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An absolute http(s) URL; APIs mix absolute, protocol-relative and path-only links.
fn resolve(base: &Url, href: &str) -> Option<String> {
    let href = href.trim();
    // An empty string would "resolve" to the list URL itself.
    if href.is_empty() {
        return None;
    }
    let url = base.join(href).ok()?;
    // A `file://` list (an offline dump or demo) may link `file://` articles.
    (matches!(url.scheme(), "http" | "https") || url.scheme() == base.scheme()).then(|| url.into())
}

/// Unix seconds, or milliseconds when too large to be seconds (a number past 1e12 would be the
/// year 33658), or any string `dates::parse` reads.
fn date(v: &Value, tz: Tz) -> Option<DateTime<FixedOffset>> {
    match v {
        Value::Number(n) => {
            let n = n.as_f64()?;
            let millis = if n > 1e12 { n } else { n * 1000.0 };
            crate::dates::from_unix_millis(millis as i64, tz)
        }
        Value::String(s) => crate::dates::parse(s, tz),
        _ => None,
    }
}

/// A thumbnail field is a URL string, or an array of them (`thumbnails_qqnews`) of which the
/// first usable one wins.
fn thumbnail(v: &Value, base: &Url) -> Option<String> {
    match v {
        Value::String(s) => resolve(base, s),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .find_map(|s| resolve(base, s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn base() -> Url {
        Url::parse("https://new.qq.com/ch/list").unwrap()
    }

    fn fields(link: &str) -> JsonFields {
        JsonFields {
            link: link.into(),
            ..JsonFields::default()
        }
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sources")
            .join(name);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn qq_list_api() {
        let fields = JsonFields {
            link: "/url".into(),
            title: Some("/title".into()),
            published: Some("/timestamp".into()),
            thumbnail: Some("/thumbnails_qqnews".into()),
            summary: Some("/abstract".into()),
            author: Some("/source".into()),
        };
        let links = parse(&fixture("qq-list.json"), &base(), "/newslist", &fields, SH).unwrap();
        assert_eq!(links.len(), 1);
        let l = &links[0];
        assert_eq!(l.url, "https://new.qq.com/rain/a/20250210A010IU00");
        assert_eq!(
            l.title.as_deref(),
            Some("厂商加速布局，重塑产业生态，多行业引入DeepSeek升级智能化")
        );
        assert_eq!(
            l.published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+08:00"
        );
        assert_eq!(
            l.thumbnail.as_deref(),
            Some(
                "https://inews.gtimg.com/om_ls/Oang7dBZCDXSdKnVsLHR7Nv4KRcDduoUVOJ1fchc0S6jcAA_640360/0"
            )
        );
        assert!(l.summary.as_deref().unwrap().starts_with("【环球时报报道"));
        assert_eq!(l.author.as_deref(), Some("环球时报"));
        assert_eq!(l.content_html, None);
    }

    #[test]
    fn qq_list_api_with_pointer_into_array_and_string_time() {
        let fields = JsonFields {
            published: Some("/time".into()),
            thumbnail: Some("/thumbnails_qqnews/0".into()),
            ..fields("/url")
        };
        let links = parse(&fixture("qq-list.json"), &base(), "/newslist", &fields, SH).unwrap();
        assert_eq!(
            links[0].published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+08:00"
        );
        assert!(
            links[0]
                .thumbnail
                .as_deref()
                .unwrap()
                .starts_with("https://inews.gtimg.com/")
        );
    }

    #[test]
    fn relative_links_resolved_and_linkless_items_skipped() {
        let body = br#"{"data":{"list":[
            {"u":"/a/1","img":"//img.example.com/1.jpg","t":1739142136000},
            {"u":""},
            {"title":"no link"},
            {"u":42},
            {"u":"javascript:void(0)"},
            {"u":"https://other.example.com/a/2","img":["", 5, "/2.jpg"],"t":"2025-02-10T07:02:16Z"}
        ]}}"#;
        let fields = JsonFields {
            thumbnail: Some("/img".into()),
            published: Some("/t".into()),
            ..fields("/u")
        };
        let links = parse(body, &base(), "/data/list", &fields, SH).unwrap();
        let urls: Vec<_> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            ["https://new.qq.com/a/1", "https://other.example.com/a/2"]
        );
        assert_eq!(
            links[0].thumbnail.as_deref(),
            Some("https://img.example.com/1.jpg")
        );
        assert_eq!(
            links[0].published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+08:00"
        );
        assert_eq!(
            links[1].thumbnail.as_deref(),
            Some("https://new.qq.com/2.jpg")
        );
        assert_eq!(
            links[1].published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+00:00"
        );
    }

    #[test]
    fn zero_or_absurd_timestamps_are_no_date() {
        let body = br#"[{"u":"/a","t":0},{"u":"/b","t":-5},{"u":"/c","t":true}]"#;
        let fields = JsonFields {
            published: Some("/t".into()),
            ..fields("/u")
        };
        let links = parse(body, &base(), "", &fields, SH).unwrap();
        assert_eq!(links.len(), 3);
        assert!(links.iter().all(|l| l.published.is_none()));
    }

    #[test]
    fn items_pointer_must_be_an_array() {
        let err = parse(
            br#"{"newslist":{}}"#,
            &base(),
            "/newslist",
            &fields("/url"),
            SH,
        )
        .unwrap_err();
        assert!(
            matches!(&err, SourceError::Json(m) if m.contains("/newslist")),
            "{err}"
        );
        let err = parse(br#"{"ret":0}"#, &base(), "/data/list", &fields("/url"), SH).unwrap_err();
        assert!(err.to_string().contains("/data/list"), "{err}");
    }

    #[test]
    fn invalid_json_is_an_error() {
        assert!(matches!(
            parse(b"<html>", &base(), "", &fields("/url"), SH),
            Err(SourceError::Json(_))
        ));
    }

    #[test]
    fn bom_is_tolerated() {
        let links = parse(
            b"\xEF\xBB\xBF[{\"u\":\"/a\"}]",
            &base(),
            "",
            &fields("/u"),
            SH,
        )
        .unwrap();
        assert_eq!(links[0].url, "https://new.qq.com/a");
    }
}
