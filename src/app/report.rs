//! What a run did, as data: per source the pages new, updated, unchanged and failed, with a
//! typed failure for each page that failed and for a source whose listing could not be read;
//! the feeds written; how publishing and the hook ended. A failure prints as one line a person
//! can act on (`source qq: https://…: cannot resolve host i.news.qq.com`). The command line
//! prints a report as text ([`RunReport::text`]) or as JSON (its `Serialize`).

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::extract::ExtractError;
use crate::fetch::FetchError;
use crate::obs::events::Counts;
use crate::publish::PublishReport;
use crate::store::StoreError;

use super::hooks::HookOutcome;
use super::listing::ListError;
use super::publish::FeedsError;
use super::upload::UploadError;

/// Why a page failed.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{url}: bad URL")]
    BadUrl { url: String },
    #[error("{url}: not an HTML page ({content_type})")]
    NotHtml { url: String, content_type: String },
    #[error("cannot write {path}: {cause}")]
    Write { path: String, cause: std::io::Error },
    /// Extraction panicked (a bug): the page fails alone.
    #[error("{url}: extraction task failed")]
    Join { url: String },
}

/// A page of a source that failed.
#[derive(Debug)]
pub struct PageFailure {
    pub source: String,
    /// The link as the source listed it.
    pub url: String,
    pub error: PageError,
}

impl std::fmt::Display for PageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "source {}: {}", self.source, self.error)
    }
}

/// A source whose listing could not be read: none of its pages ran.
#[derive(Debug)]
pub struct SourceFailure {
    pub source: String,
    pub error: ListError,
}

impl std::fmt::Display for SourceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "source {}: {}", self.source, self.error)
    }
}

/// What one source's run did.
#[derive(Debug, Default)]
pub struct SourceReport {
    pub source: String,
    pub counts: Counts,
    /// Why the source as a whole failed.
    pub error: Option<SourceFailure>,
    /// The pages that failed, in the order they ended.
    pub pages: Vec<PageFailure>,
}

impl SourceReport {
    pub fn clean(&self) -> bool {
        self.error.is_none() && self.counts.failed == 0
    }

    /// The source's failure, else its first page's: what `agg status` shows as its last error.
    pub fn first_error(&self) -> Option<String> {
        self.error
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| self.pages.first().map(ToString::to_string))
    }
}

/// Why the feeds or the Markdown files were not (all) published.
#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    #[error(transparent)]
    Upload(#[from] UploadError),
    #[error(transparent)]
    Feeds(#[from] FeedsError),
}

/// What a whole run did.
#[derive(Debug, Default)]
pub struct RunReport {
    pub sources: Vec<SourceReport>,
    pub feeds: PublishReport,
    pub publish_error: Option<PublishFailure>,
    /// How the `after_run` hook ended, when it ran.
    pub hook: Option<HookOutcome>,
}

impl RunReport {
    pub fn clean(&self) -> bool {
        self.publish_error.is_none()
            && self.sources.iter().all(SourceReport::clean)
            && self.hook.as_ref().is_none_or(|h| *h == HookOutcome::Ok)
    }

    /// The summary people read: a line per source, one per failed page, then the feeds.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for s in &self.sources {
            let c = &s.counts;
            out.push_str(&format!(
                "{}: {} new, {} updated, {} unchanged, {} failed",
                s.source, c.new, c.updated, c.unchanged, c.failed
            ));
            if let Some(e) = &s.error {
                out.push_str(&format!(" (error: {e})"));
            }
            out.push('\n');
            for p in &s.pages {
                out.push_str(&format!("  failed: {p}\n"));
            }
        }
        out.push_str(&format!(
            "feeds: {} written, {} unchanged\n",
            self.feeds.written.len(),
            self.feeds.unchanged
        ));
        if let Some(e) = &self.publish_error {
            out.push_str(&format!("feeds failed: {e}\n"));
        }
        if let Some(e) = self.hook.as_ref().and_then(HookOutcome::failure) {
            out.push_str(&format!("hook failed: {e}\n"));
        }
        out
    }
}

/// `{"sources": [{"source", "new", "updated", "unchanged", "failed", "error", "pages":
/// [{"url", "error"}]}], "feeds": {"written": [...], "unchanged", "removed": [...]},
/// "publish_error", "hook": null | "ok" | "failed" | "timeout", "hook_error", "clean"}`;
/// errors as their one-line messages.
impl Serialize for RunReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("RunReport", 6)?;
        r.serialize_field("sources", &self.sources)?;
        r.serialize_field("feeds", &Feeds(&self.feeds))?;
        r.serialize_field(
            "publish_error",
            &self.publish_error.as_ref().map(ToString::to_string),
        )?;
        r.serialize_field("hook", &self.hook.as_ref().map(HookOutcome::label))?;
        r.serialize_field(
            "hook_error",
            &self.hook.as_ref().and_then(HookOutcome::failure),
        )?;
        r.serialize_field("clean", &self.clean())?;
        r.end()
    }
}

impl Serialize for SourceReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("SourceReport", 7)?;
        r.serialize_field("source", &self.source)?;
        r.serialize_field("new", &self.counts.new)?;
        r.serialize_field("updated", &self.counts.updated)?;
        r.serialize_field("unchanged", &self.counts.unchanged)?;
        r.serialize_field("failed", &self.counts.failed)?;
        r.serialize_field("error", &self.error.as_ref().map(ToString::to_string))?;
        r.serialize_field("pages", &self.pages)?;
        r.end()
    }
}

impl Serialize for PageFailure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("PageFailure", 2)?;
        r.serialize_field("url", &self.url)?;
        r.serialize_field("error", &self.to_string())?;
        r.end()
    }
}

struct Feeds<'a>(&'a PublishReport);

impl Serialize for Feeds<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut r = s.serialize_struct("Feeds", 3)?;
        r.serialize_field("written", &self.0.written)?;
        r.serialize_field("unchanged", &self.0.unchanged)?;
        r.serialize_field("removed", &self.0.removed)?;
        r.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::error::{line, repeats_cause};

    /// Every failure a report carries says its cause once: in its message, not also as a
    /// `source()` that `{e:#}` or a log would print again.
    #[test]
    fn failures_print_their_cause_once() {
        let io = || std::io::Error::other("No space left on device");
        let store: StoreError = rusqlite::Error::InvalidQuery.into();
        let errors: Vec<Box<dyn std::error::Error>> = vec![
            Box::new(PageError::Write {
                path: "content/s/1.md".into(),
                cause: io(),
            }),
            Box::new(PageError::Fetch(FetchError::File {
                path: "/srv/list.xml".into(),
                cause: io(),
            })),
            Box::new(PageError::Store(store)),
            Box::new(crate::config::ConfigError::Read {
                path: "agg.yaml".into(),
                cause: io(),
            }),
            Box::new(UploadError::Several {
                failed: 2,
                first: Box::new(UploadError::Read {
                    path: "content/s/1.md".into(),
                    cause: io(),
                }),
            }),
            Box::new(crate::serve::ServeError::Bind {
                addr: "127.0.0.1:80".into(),
                cause: io(),
            }),
        ];
        for e in &errors {
            assert!(!repeats_cause(e.as_ref()), "{e}");
            assert_eq!(line(e.as_ref()), e.to_string(), "one line, cause included");
            let text = e.to_string();
            let cause = ["No space left on device", "Query is not read-only"]
                .into_iter()
                .find(|c| text.contains(c))
                .unwrap_or_else(|| panic!("cause missing from {text:?}"));
            assert_eq!(text.matches(cause).count(), 1, "{text}");
        }
        let page = PageFailure {
            source: "qq".into(),
            url: "https://i.news.qq.com/x".into(),
            error: PageError::Fetch(FetchError::Network {
                url: "https://i.news.qq.com/x".into(),
                message: "cannot resolve host i.news.qq.com".into(),
            }),
        };
        assert_eq!(
            page.to_string(),
            "source qq: https://i.news.qq.com/x: cannot resolve host i.news.qq.com"
        );
    }
}
