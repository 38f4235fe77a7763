//! `agg extract`: many files or URLs through the same charset detection and extraction as the
//! fetcher, one result per input. Results are data; a bad input never stops the batch.

use chrono_tz::Tz;
use serde::Serialize;
use url::Url;

use crate::config::FetchSettings;
use crate::fetch::{Fetcher, charset};

#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// The page URL to assume (resolves relative links, picks site rules).
    pub url: Option<String>,
    /// Zone of naive dates; `None` picks Asia/Shanghai for Chinese pages, else UTC.
    pub timezone: Option<Tz>,
    pub allow_private_networks: bool,
}

/// One input's result, in the JSON shape the scoring tools read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractResult {
    pub input: String,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub title: Option<String>,
    pub published: Option<String>,
    pub author: Option<String>,
    pub summary: Option<String>,
    pub thumbnail: Option<String>,
    pub lang: Option<String>,
    pub text: Option<String>,
    pub markdown: Option<String>,
    pub error: Option<String>,
}

impl ExtractResult {
    /// A human-readable rendering: metadata lines, then the Markdown body.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        for (k, v) in [
            ("title", &self.title),
            ("url", &self.url),
            ("canonical_url", &self.canonical_url),
            ("published", &self.published),
            ("author", &self.author),
            ("thumbnail", &self.thumbnail),
            ("lang", &self.lang),
        ] {
            if let Some(v) = v {
                s.push_str(&format!("{k}: {v}\n"));
            }
        }
        s.push('\n');
        s.push_str(self.markdown.as_deref().unwrap_or(""));
        s
    }
}

pub async fn extract_input(input: &str, opts: &BatchOptions) -> ExtractResult {
    let mut result = ExtractResult {
        input: input.to_string(),
        ..Default::default()
    };
    let (bytes, content_type, fetched_url) = match load(input, opts).await {
        Ok(v) => v,
        Err(e) => {
            result.error = Some(e);
            return result;
        }
    };
    let url = match &opts.url {
        Some(u) => match Url::parse(u) {
            Ok(u) => u,
            Err(e) => {
                result.error = Some(format!("bad --url {u:?}: {e}"));
                return result;
            }
        },
        None => fetched_url,
    };
    let tz_opt = opts.timezone;
    let out = tokio::task::spawn_blocking(move || {
        let html = charset::decode(&bytes, content_type.as_deref());
        let tz = tz_opt.unwrap_or_else(|| guess_zone(&html));
        let o = super::Options {
            timezone: tz,
            rule: None,
            hint: None,
        };
        super::extract(&html, &url, &o).map(|a| (a, url))
    })
    .await;
    match out {
        Ok(Ok((a, url))) => {
            result.url = Some(url.to_string());
            result.canonical_url = a.canonical_url;
            result.title = a.title;
            result.published = a.published.map(|d| d.to_rfc3339());
            result.author = a.author;
            result.summary = a.description;
            result.thumbnail = a.thumbnail;
            result.lang = a.lang;
            result.text = Some(a.text);
            result.markdown = Some(a.markdown);
        }
        Ok(Err(e)) => result.error = Some(e.to_string()),
        Err(e) => result.error = Some(format!("extraction panicked: {e}")),
    }
    result
}

async fn load(input: &str, opts: &BatchOptions) -> Result<(Vec<u8>, Option<String>, Url), String> {
    if input.starts_with("http://") || input.starts_with("https://") {
        let url = Url::parse(input).map_err(|e| format!("bad URL: {e}"))?;
        // One page asked for by hand: no politeness wait, no robots.txt round trip.
        let settings = FetchSettings {
            max_body_bytes: 10_000_000,
            per_host_interval_ms: 0,
            respect_robots_txt: false,
            allow_private_networks: opts.allow_private_networks,
            ..FetchSettings::default()
        };
        let fetcher = Fetcher::new(&settings).map_err(|e| e.to_string())?;
        let page = fetcher.get(&url, false).await.map_err(|e| e.to_string())?;
        return Ok((page.body, page.content_type, page.url));
    }
    let path = std::path::absolute(input).map_err(|e| format!("bad path: {e}"))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| format!("cannot read: {e}"))?;
    let url = Url::from_file_path(&path).map_err(|_| "bad path".to_string())?;
    Ok((bytes, None, url))
}

/// Chinese news sites write naive dates in Beijing time.
fn guess_zone(html: &str) -> Tz {
    let cjk = html
        .chars()
        .take(200_000)
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .take(50)
        .count();
    if cjk >= 50 {
        chrono_tz::Asia::Shanghai
    } else {
        Tz::UTC
    }
}
