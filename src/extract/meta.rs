//! Page metadata: JSON-LD, OpenGraph, `<meta>` tags, `<time>` and the `<title>`, read in that
//! order of trust. Every URL comes back absolute, every date with its offset.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use std::sync::LazyLock;
use url::Url;

use crate::dates;

/// What the page says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub modified: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub canonical: Option<String>,
    pub lang: Option<String>,
    pub keywords: Vec<String>,
    /// `articleBody` from JSON-LD, a last resort for the body.
    pub ld_body: Option<String>,
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

static META: LazyLock<Selector> = LazyLock::new(|| sel("meta"));
static LD: LazyLock<Selector> = LazyLock::new(|| sel("script[type='application/ld+json' i]"));
static TITLE: LazyLock<Selector> = LazyLock::new(|| sel("title"));
static H1: LazyLock<Selector> = LazyLock::new(|| sel("h1"));
static CANONICAL: LazyLock<Selector> = LazyLock::new(|| sel("link[rel~='canonical' i][href]"));
static TIME: LazyLock<Selector> = LazyLock::new(|| sel("time[datetime]"));
static HTML: LazyLock<Selector> = LazyLock::new(|| sel("html[lang]"));

/// `<meta>` names (lower case) that carry the publish date, most trusted first.
const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "article:published",
    "og:published_time",
    "weibo: article:create_at",
    "release_date",
];
const MODIFIED_KEYS: &[&str] = &[
    "article:modified_time",
    "og:updated_time",
    "datemodified",
    "dcterms.modified",
];
const AUTHOR_KEYS: &[&str] = &[
    "author",
    "article:author",
    "dc.creator",
    "sailthru.author",
    "parsely-author",
    "byl",
];
const IMAGE_KEYS: &[&str] = &[
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "twitter:image",
    "twitter:image:src",
    "thumbnail",
    "image",
];
const DESCRIPTION_KEYS: &[&str] = &["og:description", "description", "twitter:description"];
const TITLE_KEYS: &[&str] = &["og:title", "twitter:title", "headline", "title"];

/// Reads the metadata of `doc`, fetched from `base`; naive dates are in `tz`.
pub fn read(doc: &Html, base: &Url, tz: Tz) -> Meta {
    let tags = meta_tags(doc);
    let get = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| tags.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    };
    let ld = json_ld(doc);
    let abs = |u: &str| {
        base.join(u.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(String::from)
    };

    let published = ld
        .iter()
        .find_map(|o| str_of(o.get("datePublished")).and_then(|s| dates::parse(&s, tz)))
        .or_else(|| {
            DATE_KEYS.iter().find_map(|k| {
                tags.iter()
                    .filter(|(n, _)| n == k)
                    .find_map(|(_, v)| dates::parse(v, tz))
            })
        })
        .or_else(|| {
            doc.select(&TIME)
                .filter_map(|t| t.value().attr("datetime"))
                .find_map(|d| dates::parse(d, tz))
        });
    let modified = ld
        .iter()
        .find_map(|o| str_of(o.get("dateModified")).and_then(|s| dates::parse(&s, tz)))
        .or_else(|| {
            MODIFIED_KEYS.iter().find_map(|k| {
                tags.iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| dates::parse(v, tz))
            })
        });
    let author = ld
        .iter()
        .find_map(|o| author_of(o.get("author")?))
        .or_else(|| get(AUTHOR_KEYS).filter(|a| !a.starts_with("http")));
    let description =
        get(DESCRIPTION_KEYS).or_else(|| ld.iter().find_map(|o| str_of(o.get("description"))));
    let image = get(IMAGE_KEYS)
        .or_else(|| ld.iter().find_map(|o| image_of(o.get("image")?)))
        .and_then(|u| abs(&u));
    let canonical = doc
        .select(&CANONICAL)
        .find_map(|l| l.value().attr("href"))
        .and_then(abs)
        .or_else(|| {
            tags.iter()
                .find(|(n, _)| n == "og:url")
                .and_then(|(_, v)| abs(v))
        });
    let lang = doc
        .select(&HTML)
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(str::to_string)
        .or_else(|| ld.iter().find_map(|o| str_of(o.get("inLanguage"))))
        .or_else(|| {
            get(&["og:locale", "content-language", "language"]).map(|l| l.replace('_', "-"))
        })
        .filter(|l| !l.trim().is_empty());
    let keywords = get(&["news_keywords", "keywords"])
        .map(|k| {
            k.split([',', '，', ';'])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let ld_body = ld.iter().find_map(|o| str_of(o.get("articleBody")));
    let title = best_title(
        doc,
        ld.iter().find_map(|o| str_of(o.get("headline"))),
        get(TITLE_KEYS),
    );
    Meta {
        title,
        published,
        modified,
        author,
        description,
        image,
        canonical,
        lang,
        keywords,
        ld_body,
    }
}

/// Every `<meta>` as (lower-cased name/property/itemprop/http-equiv, content).
fn meta_tags(doc: &Html) -> Vec<(String, String)> {
    doc.select(&META)
        .filter_map(|m| {
            let v = m.value();
            let name = v
                .attr("property")
                .or_else(|| v.attr("name"))
                .or_else(|| v.attr("itemprop"))
                .or_else(|| v.attr("http-equiv"))?;
            let content = v.attr("content")?.trim();
            (!content.is_empty()).then(|| (name.trim().to_ascii_lowercase(), content.to_string()))
        })
        .collect()
}

/// Article-like JSON-LD objects, from plain objects, arrays and `@graph`s.
fn json_ld(doc: &Html) -> Vec<Value> {
    let mut out = Vec::new();
    for script in doc.select(&LD) {
        let text: String = script.text().collect();
        let Ok(v) = serde_json::from_str::<Value>(text.trim().trim_end_matches(';')) else {
            continue;
        };
        collect_articles(v, &mut out, 0);
    }
    out
}

fn collect_articles(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(a) => a
            .into_iter()
            .for_each(|v| collect_articles(v, out, depth + 1)),
        Value::Object(mut o) => {
            if let Some(g) = o.remove("@graph") {
                collect_articles(g, out, depth + 1);
            }
            let is_article = match o.get("@type") {
                Some(Value::String(t)) => is_article_type(t),
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(is_article_type),
                _ => false,
            };
            if is_article {
                out.push(Value::Object(o));
            }
        }
        _ => {}
    }
}

fn is_article_type(t: &str) -> bool {
    t.ends_with("Article")
        || matches!(
            t,
            "BlogPosting" | "Report" | "LiveBlogPosting" | "WebPage" | "Posting"
        )
}

fn str_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(a) => a.iter().find_map(|v| str_of(Some(v))),
        _ => None,
    }
}

fn author_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Object(o) => str_of(o.get("name")),
        Value::Array(a) => {
            let names: Vec<String> = a.iter().filter_map(author_of).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

fn image_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => str_of(o.get("url")).or_else(|| str_of(o.get("contentUrl"))),
        Value::Array(a) => a.iter().find_map(image_of),
        _ => None,
    }
}

fn text_of(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The title: JSON-LD headline or OpenGraph title when present, else the `<title>` without its
/// site-name suffix (`_腾讯新闻`, ` | Site`), preferring an `<h1>` that the title contains.
fn best_title(doc: &Html, headline: Option<String>, meta_title: Option<String>) -> Option<String> {
    let page_title = doc
        .select(&TITLE)
        .next()
        .map(text_of)
        .filter(|t| !t.is_empty());
    let h1s: Vec<String> = doc
        .select(&H1)
        .map(text_of)
        .filter(|t| !t.is_empty())
        .collect();
    // A short h1 counts only when the title starts with it (`金锺国 - 维基百科`).
    let matches = |pt: &str, h: &str| {
        let n = h.chars().count();
        (n >= 4 && pt.contains(h)) || (n >= 2 && pt.starts_with(h))
    };
    if let Some(pt) = &page_title
        && let Some(h1) = h1s.iter().find(|h| matches(pt, h))
    {
        return Some(h1.clone());
    }
    let h1s: Vec<String> = h1s.into_iter().filter(|t| t.chars().count() >= 4).collect();
    let candidate = headline.or(meta_title).map(|t| strip_site_suffix(&t));
    if candidate.is_some() {
        return candidate;
    }
    page_title
        .map(|t| strip_site_suffix(&t))
        .or_else(|| h1s.into_iter().next())
}

/// Cuts a trailing (or leading) site name off a title: the longest segment between common
/// separators wins when the others look like a site name.
pub fn strip_site_suffix(t: &str) -> String {
    let t = t.trim();
    for sep in [" | ", " - ", " – ", " — ", "_", " :: ", "｜", " · ", "-"] {
        if let Some((head, tail)) = t.rsplit_once(sep) {
            let (head, tail) = (head.trim(), tail.trim());
            if head.chars().count() >= tail.chars().count()
                && tail.chars().count() <= 20
                && head.chars().count() >= 4
            {
                return strip_site_suffix(head);
            }
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_html(html: &str) -> Meta {
        read(
            &Html::parse_document(html),
            &Url::parse("https://ex.com/news/a.html").unwrap(),
            chrono_tz::Asia::Shanghai,
        )
    }

    #[test]
    fn json_ld_graph_and_og() {
        let m = read_html(
            r#"<html lang="en"><head><title>Big story | Ex News</title>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Ex"},
              {"@type":"NewsArticle","headline":"Big story","datePublished":"2024-05-01T10:00:00+02:00",
               "author":[{"@type":"Person","name":"A. Writer"}],"image":{"url":"/img/1.jpg"}}]}</script>
            <meta property="og:image" content="https://cdn.ex.com/og.jpg"><link rel="canonical" href="/news/a">
            </head><body></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Big story"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2024-05-01T10:00:00+02:00"
        );
        assert_eq!(m.author.as_deref(), Some("A. Writer"));
        assert_eq!(m.image.as_deref(), Some("https://cdn.ex.com/og.jpg"));
        assert_eq!(m.canonical.as_deref(), Some("https://ex.com/news/a"));
        assert_eq!(m.lang.as_deref(), Some("en"));
    }

    #[test]
    fn meta_pubdate_is_local_time_and_title_suffix_goes() {
        let m = read_html(
            r#"<html><head><title>厂商加速布局，重塑产业生态_腾讯新闻</title><meta name="pubdate" content="2025-02-10 07:02:16"></head><body></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("厂商加速布局，重塑产业生态"));
        assert_eq!(
            m.published.unwrap().to_rfc3339(),
            "2025-02-10T07:02:16+08:00"
        );
    }

    #[test]
    fn h1_contained_in_title_wins() {
        let m = read_html(
            "<title>Site - Section - The real headline here</title><h1>The real headline here</h1>",
        );
        assert_eq!(m.title.as_deref(), Some("The real headline here"));
    }

    #[test]
    fn short_h1_that_starts_the_title_wins() {
        let m = read_html(
            "<title>金锺国 - 维基百科，自由的百科全书</title><meta property='og:title' content='金锺国 - 维基百科，自由的百科全书'><h1>金锺国</h1>",
        );
        assert_eq!(m.title.as_deref(), Some("金锺国"));
        // A short h1 elsewhere in the title is not the headline.
        let m = read_html("<title>国内新闻 - 某网</title><h1>新闻</h1>");
        assert_eq!(m.title.as_deref(), Some("国内新闻"));
    }
}
