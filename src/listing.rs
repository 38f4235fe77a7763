//! Listing a source: fetch its listing document(s) conditionally and hand the bytes to the pure
//! parsers in `source`. A 304 means nothing new and costs no parse.

use chrono_tz::Tz;
use url::Url;

use crate::config::{Source, SourceKind};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::model::Link;
use crate::source::{self, SourceError, sitemap::Sitemap};
use crate::store::SourceState;

/// How many child sitemaps of a sitemap index are read per run (newest first).
pub const MAX_CHILD_SITEMAPS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url}: {source}")]
    Parse {
        url: String,
        #[source]
        source: SourceError,
    },
    #[error("{url}: every child sitemap failed ({failed}); first: {first}")]
    Children {
        url: String,
        failed: usize,
        first: Box<ListError>,
    },
}

/// The links a source lists now, and the validators to send next time.
#[derive(Debug, Default)]
pub struct Listed {
    pub links: Vec<Link>,
    pub validators: Validators,
}

/// Turns a fetched listing into links.
type ParseFn = dyn Fn(&crate::fetch::Page) -> Result<Vec<Link>, SourceError> + Send + Sync;

pub async fn list(
    fetcher: &Fetcher,
    src: &Source,
    state: &SourceState,
    tz: Tz,
) -> Result<Listed, ListError> {
    let (url, parse): (&Url, Box<ParseFn>) = match &src.kind {
        SourceKind::Urls { urls } => {
            return Ok(Listed {
                links: urls
                    .iter()
                    .map(|u| Link {
                        url: u.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                validators: Validators::default(),
            });
        }
        SourceKind::Sitemap { url } => return list_sitemap(fetcher, src, url, state, tz).await,
        SourceKind::Feed { url } => (
            url,
            Box::new(move |p| source::feed::parse(&p.body, &p.url, tz)),
        ),
        SourceKind::Html { url, links } => {
            let links = links.clone();
            (
                url,
                Box::new(move |p| Ok(source::html::parse(&p.text(), &p.url, &links))),
            )
        }
        SourceKind::Json { url, items, fields } => {
            let (items, fields) = (items.clone(), fields.clone());
            (
                url,
                Box::new(move |p| source::json::parse(&p.body, &p.url, &items, &fields, tz)),
            )
        }
    };
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    match fetcher
        .fetch(url, src.may_read_file(url), Some(&validators))
        .await?
    {
        Fetched::NotModified => Ok(Listed {
            links: Vec::new(),
            validators,
        }),
        Fetched::Page(page) => {
            let links = parse(&page).map_err(|source| ListError::Parse {
                url: url.to_string(),
                source,
            })?;
            Ok(Listed {
                links,
                validators: page.validators,
            })
        }
    }
}

async fn list_sitemap(
    fetcher: &Fetcher,
    src: &Source,
    url: &Url,
    state: &SourceState,
    tz: Tz,
) -> Result<Listed, ListError> {
    let validators = Validators {
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
    };
    let page = match fetcher
        .fetch(url, src.may_read_file(url), Some(&validators))
        .await?
    {
        Fetched::NotModified => {
            return Ok(Listed {
                links: Vec::new(),
                validators,
            });
        }
        Fetched::Page(p) => p,
    };
    let cap = fetcher.max_body();
    let parse = |p: &crate::fetch::Page| {
        source::sitemap::decompress(&p.body, cap)
            .and_then(|body| source::sitemap::parse(&body, &p.url, tz))
            .map_err(|source| ListError::Parse {
                url: p.url.to_string(),
                source,
            })
    };
    let links = match parse(&page)? {
        Sitemap::Urls(links) => links,
        Sitemap::Index(children) => {
            let mut links = Vec::new();
            let (mut tried, mut failures) = (0, Vec::new());
            for child in children.iter().take(MAX_CHILD_SITEMAPS) {
                let Ok(child_url) = page.url.join(child) else {
                    continue;
                };
                // One bad child sitemap does not hide the others; all of them failing fails the
                // source (an index of dead children is not a clean run).
                tried += 1;
                match fetcher
                    .get(&child_url, src.may_read_file(&child_url))
                    .await
                    .map_err(ListError::from)
                    .and_then(|p| parse(&p))
                {
                    Ok(Sitemap::Urls(l)) => links.extend(l),
                    Ok(Sitemap::Index(_)) => {
                        tracing::warn!(url = %child_url, "nested sitemap index ignored")
                    }
                    Err(e) => {
                        tracing::warn!(url = %child_url, error = %e, "child sitemap failed");
                        failures.push(e);
                    }
                }
            }
            if tried > 0 && failures.len() == tried {
                return Err(ListError::Children {
                    url: page.url.to_string(),
                    failed: tried,
                    first: Box::new(failures.swap_remove(0)),
                });
            }
            links
        }
    };
    // Newest first, so `max_items` keeps the latest articles.
    let mut links = links;
    links.sort_by_key(|l| std::cmp::Reverse(l.published));
    Ok(Listed {
        links,
        validators: page.validators,
    })
}
