//! Hostile sources, crashes and bad input: nothing lost, nobody let in. Each test runs the real
//! `agg` binary against [`server::Hostile`] on 127.0.0.1.

mod bounds;
mod crash;
mod diskfull;
mod politeness;
mod props;
mod round2;
mod safety;
mod server;
mod ssrf;

use std::path::Path;

use crate::common;

/// A page with enough text to be an article.
pub fn article(title: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<article><h1>{title}</h1><p>{title}: the first paragraph of a real looking story, long enough for the extractor to keep it as the body of the article.</p>
<p>A second paragraph adds quotes and context so the page reads like news rather than a menu.</p></article></body></html>"#
    )
}

/// An HTML list page linking every path.
pub fn list(paths: &[&str]) -> String {
    let links: String = paths
        .iter()
        .map(|p| format!("<a class=\"l\" href=\"{p}\">{p}</a>\n"))
        .collect();
    format!("<html><body>{links}</body></html>")
}

/// The common test config with its `fetch:` block replaced by `fetch` (YAML lines, indented).
pub fn config_with_fetch(dir: &Path, fetch: &str, sources: &str) -> String {
    let base = common::config(dir, sources);
    let start = base.find("fetch:\n").unwrap();
    let end = base[start..].find("feeds:\n").unwrap() + start;
    format!("{}fetch:\n{fetch}{}", &base[..start], &base[end..])
}

pub use crate::common::agg_env;
