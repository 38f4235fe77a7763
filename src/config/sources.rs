//! Compiling `sources:`: each source's kind with its URL and selectors or pointers, its cron
//! schedule and its extraction rule, checked so that nothing fails later in a run.

use std::str::FromStr;

use scraper::Selector;
use url::Url;

use super::compile::Compiler;
use super::locate::Seg::{Idx, Key};
use super::raw;
use super::{ExtractRule, JsonFields, SelectorSpec, Source, SourceKind};

impl Compiler<'_> {
    /// Source `i`, or `None` after an issue.
    pub(super) fn compile_source(&mut self, i: usize, rs: raw::RawSource) -> Option<Source> {
        let at = |k: &'static str| [Key("sources"), Idx(i), Key(k)];
        let before = self.issues.len();
        if rs.name.is_empty()
            || !rs
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.issue(
                &at("name"),
                format!(
                    "source name {:?} must be letters, digits, '-' or '_' (it names a folder)",
                    rs.name
                ),
            );
        }
        let schedule_raw = rs.schedule.clone();
        let schedule = parse_schedule(&rs.schedule)
            .map_err(|e| {
                self.issue(
                    &at("schedule"),
                    format!("bad cron expression {:?}: {e}", rs.schedule),
                )
            })
            .ok();
        let kind = self.kind(i, &rs);
        let extract = self.extract_rule(i, rs.extract.unwrap_or_default());
        if self.issues.len() > before {
            return None;
        }
        Some(Source {
            name: rs.name,
            kind: kind?,
            schedule: schedule?,
            schedule_raw,
            categories: rs.categories,
            tags: rs.tags,
            lang: rs.lang,
            max_items: rs.max_items.unwrap_or(50),
            extract,
        })
    }

    /// How source `i` lists its articles, or `None` after an issue.
    fn kind(&mut self, i: usize, rs: &raw::RawSource) -> Option<SourceKind> {
        let at = |k: &'static str| [Key("sources"), Idx(i), Key(k)];
        let url = rs
            .url
            .as_deref()
            .and_then(|u| self.url(u).map_err(|e| self.issue(&at("url"), e)).ok());
        if matches!(rs.kind.as_str(), "feed" | "sitemap" | "html" | "json") && rs.url.is_none() {
            self.issue(
                &at("name"),
                format!("source {:?} of kind {} needs a url", rs.name, rs.kind),
            );
        }
        match rs.kind.as_str() {
            "feed" => url.map(|url| SourceKind::Feed { url }),
            "sitemap" => url.map(|url| SourceKind::Sitemap { url }),
            "html" => {
                let links = self.links(i, rs.links.as_deref());
                url.zip(links)
                    .map(|(url, links)| SourceKind::Html { url, links })
            }
            "json" => {
                let items = self.items_pointer(i, rs.items.clone().unwrap_or_default());
                let fields = self.fields(i, rs.fields.clone());
                url.zip(fields)
                    .map(|(url, fields)| SourceKind::Json { url, items, fields })
            }
            "urls" => Some(SourceKind::Urls {
                urls: self.urls(i, &rs.urls),
            }),
            other => {
                self.issue(
                    &at("kind"),
                    format!("unknown kind {other:?} (feed, sitemap, html, json or urls)"),
                );
                None
            }
        }
    }

    /// An html source's `links` selector.
    fn links(&mut self, i: usize, links: Option<&str>) -> Option<Selector> {
        let at = |k: &'static str| [Key("sources"), Idx(i), Key(k)];
        match links {
            Some(s) => Selector::parse(s)
                .map_err(|e| self.issue(&at("links"), format!("bad CSS selector {s:?}: {e}")))
                .ok(),
            None => {
                self.issue(
                    &at("kind"),
                    "an html source needs `links` (a CSS selector for article links)",
                );
                None
            }
        }
    }

    /// A json source's `items` pointer (empty: the document is the array).
    fn items_pointer(&mut self, i: usize, items: String) -> String {
        if !(items.is_empty() || items.starts_with('/')) {
            self.issue(
                &[Key("sources"), Idx(i), Key("items")],
                format!("{items:?} is not a JSON pointer (it starts with '/')"),
            );
        }
        items
    }

    /// A json source's `fields` pointers.
    fn fields(&mut self, i: usize, fields: Option<JsonFields>) -> Option<JsonFields> {
        let Some(f) = fields else {
            self.issue(
                &[Key("sources"), Idx(i), Key("kind")],
                "a json source needs `fields` (at least `link`)",
            );
            return None;
        };
        for (k, p) in [
            ("link", Some(&f.link)),
            ("title", f.title.as_ref()),
            ("published", f.published.as_ref()),
            ("thumbnail", f.thumbnail.as_ref()),
            ("summary", f.summary.as_ref()),
            ("author", f.author.as_ref()),
        ] {
            if let Some(p) = p
                && !(p.is_empty() || p.starts_with('/'))
            {
                self.issue(
                    &[Key("sources"), Idx(i), Key("fields"), Key(k)],
                    format!("{p:?} is not a JSON pointer (it starts with '/')"),
                );
            }
        }
        Some(f)
    }

    /// A urls source's `urls`, each checked.
    fn urls(&mut self, i: usize, raw: &[String]) -> Vec<Url> {
        let mut urls = Vec::new();
        if raw.is_empty() {
            self.issue(
                &[Key("sources"), Idx(i), Key("kind")],
                "a urls source needs `urls`",
            );
        }
        for (j, u) in raw.iter().enumerate() {
            match self.url(u) {
                Ok(u) => urls.push(u),
                Err(e) => self.issue(&[Key("sources"), Idx(i), Key("urls"), Idx(j)], e),
            }
        }
        urls
    }

    fn extract_rule(&mut self, i: usize, r: raw::RawExtract) -> ExtractRule {
        let mut spec = |key: &'static str, s: Option<String>| {
            let s = s?;
            match parse_selector_spec(&s) {
                Ok(spec) => Some(spec),
                Err(e) => {
                    self.issue(&[Key("sources"), Idx(i), Key("extract"), Key(key)], e);
                    None
                }
            }
        };
        ExtractRule {
            title: spec("title", r.title),
            body: spec("body", r.body),
            published: spec("published", r.published),
            thumbnail: spec("thumbnail", r.thumbnail),
            author: spec("author", r.author),
        }
    }

    /// Parses a source URL. `file:` URLs with a relative path (`file:demo/list.xml`) are
    /// anchored at the config file's folder, so demos work from any checkout.
    fn url(&self, s: &str) -> Result<Url, String> {
        if let Some(rest) = s.strip_prefix("file:")
            && !rest.starts_with('/')
        {
            let p = self.dir.join(rest);
            let abs = std::path::absolute(&p).map_err(|e| format!("bad file path {s:?}: {e}"))?;
            return Url::from_file_path(&abs).map_err(|_| format!("bad file path {s:?}"));
        }
        let u = Url::parse(s).map_err(|e| format!("bad URL {s:?}: {e}"))?;
        match u.scheme() {
            "http" | "https" if u.host().is_some() => Ok(u),
            "file" => Ok(u),
            _ => Err(format!(
                "bad URL {s:?}: only http, https and file URLs are fetched"
            )),
        }
    }
}

/// Parses a cron expression: 5 fields (minute precision), 6 with seconds, 7 with years, or
/// `@hourly`-style shortcuts.
pub fn parse_schedule(s: &str) -> Result<cron::Schedule, String> {
    let s = s.trim();
    let fields = s.split_whitespace().count();
    let expr = if !s.starts_with('@') && fields == 5 {
        format!("0 {s}")
    } else {
        s.to_string()
    };
    if !s.starts_with('@') && !(5..=7).contains(&fields) {
        return Err(format!("expected 5 or 6 fields, found {fields}"));
    }
    cron::Schedule::from_str(&expr).map_err(|e| e.to_string())
}

/// Parses `css selector@attr` (the `@attr` part optional).
pub fn parse_selector_spec(s: &str) -> Result<SelectorSpec, String> {
    let (sel, attr) = match s.rsplit_once('@') {
        // An `@` inside brackets or quotes belongs to the selector.
        Some((sel, attr))
            if !attr.is_empty()
                && attr
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':') =>
        {
            (sel.trim(), Some(attr.to_string()))
        }
        _ => (s.trim(), None),
    };
    let selector = Selector::parse(sel).map_err(|e| format!("bad CSS selector {sel:?}: {e}"))?;
    Ok(SelectorSpec {
        raw: s.to_string(),
        selector,
        attr,
    })
}
