//! Publishing from a corpus too large to hold in memory: the store answers "which feeds exist"
//! and "the newest N items of this feed" from its indexes, and [`publish_from`] renders either
//! every feed (`agg build-feeds`) or only the feeds a run touched ([`Scope::Only`]).
//!
//! A feed is named by a [`FeedKey`]: the feed of everything, or a category or tag by slug. The
//! bytes are the same as [`super::publish`] over all items in memory; the difference is what
//! is read: at most `feeds.items` items per feed rendered, five per feed for `index.html`.
//!
//! A run that republishes only some feeds relies on the others being current, which holds only
//! while the settings that shape every document stay the same: [`settings_stamp`] names them,
//! and a different stamp (or missing main files) calls for a full rebuild.
use super::{FeedOptions, Format, PublishError, PublishReport, Site, SiteInfo};
use super::{fit, index, opml, s3, select, write};
use crate::model::FeedItem;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which family a feed belongs to; the numbers are stored (`item_terms.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeedKind {
    All = 0,
    Category = 1,
    Tag = 2,
}

impl FeedKind {
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> Option<FeedKind> {
        match code {
            0 => Some(FeedKind::All),
            1 => Some(FeedKind::Category),
            2 => Some(FeedKind::Tag),
            _ => None,
        }
    }
}

/// One feed's identity: its kind and slug (empty for the feed of everything).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedKey {
    pub kind: FeedKind,
    pub slug: String,
}

impl FeedKey {
    pub fn all() -> FeedKey {
        FeedKey {
            kind: FeedKind::All,
            slug: String::new(),
        }
    }

    /// Folder relative to the feeds root: `""`, `"categories/{slug}/"` or `"tags/{slug}/"`.
    pub fn dir(&self) -> String {
        match self.kind {
            FeedKind::All => String::new(),
            FeedKind::Category => format!("categories/{}/", self.slug),
            FeedKind::Tag => format!("tags/{}/", self.slug),
        }
    }
}

/// A category or tag name as feeds show it (one line, XML-safe) and its slug; `None` for a
/// name that is blank once cleaned. The store indexes items by exactly this.
pub fn term(name: &str) -> Option<(String, String)> {
    let name = super::text::one_line(name);
    if name.is_empty() {
        return None;
    }
    let slug = crate::util::slug::slugify(&name);
    Some((name, slug))
}

/// Why a corpus could not be read (the store's error, passed on as it is).
pub type CorpusError = Box<dyn std::error::Error + Send + Sync>;

/// Where feeds are read from, by several publishing threads at once. The corpus is the store,
/// whose errors the publisher only passes on.
pub trait Corpus: Sync {
    /// Every category feed then every tag feed, each in slug order, with the name its title
    /// shows (the smallest name among its items).
    fn topics(&self) -> Result<Vec<(FeedKey, String)>, CorpusError>;
    /// One category or tag feed's title name; `None` when no item is in it any more.
    fn topic(&self, key: &FeedKey) -> Result<Option<String>, CorpusError>;
    /// The feed's newest `limit` items, newest first (published, then id). With `full` false,
    /// `summary` and `content_html` may be left empty (the index and OPML do not show them).
    fn newest(&self, key: &FeedKey, limit: usize, full: bool)
    -> Result<Vec<FeedItem>, CorpusError>;
}

/// Which feeds to render.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every feed (and the files of feeds that no longer exist are left alone, as before).
    All,
    /// These feeds only; one left without items has its files removed. `index.html` and
    /// `opml.xml` are re-rendered when the list is not empty.
    Only(&'a [FeedKey]),
}

/// Renders and writes the feeds in `scope`, then the index and OPML, reading from `corpus`.
pub fn publish_from(
    corpus: &dyn Corpus,
    scope: Scope<'_>,
    site: &SiteInfo,
    opts: &FeedOptions,
    feeds_dir: &Path,
) -> Result<PublishReport, PublishError> {
    publish_to(corpus, scope, site, opts, feeds_dir, None)
}

/// [`publish_from`], and with `remote` every file rendered is uploaded too and every feed
/// removed is deleted there (see [`s3`]). Failed uploads fail the whole call with
/// [`PublishError::Upload`] only after every local file was written.
pub fn publish_to(
    corpus: &dyn Corpus,
    scope: Scope<'_>,
    site: &SiteInfo,
    opts: &FeedOptions,
    feeds_dir: &Path,
    remote: Option<&s3::Remote>,
) -> Result<PublishReport, PublishError> {
    let report = publish_local_and_remote(corpus, scope, site, opts, feeds_dir, remote)?;
    if report.upload_errors.is_empty() {
        Ok(report)
    } else {
        Err(PublishError::Upload {
            errors: report.upload_errors,
        })
    }
}

fn publish_local_and_remote(
    corpus: &dyn Corpus,
    scope: Scope<'_>,
    site: &SiteInfo,
    opts: &FeedOptions,
    feeds_dir: &Path,
    remote: Option<&s3::Remote>,
) -> Result<PublishReport, PublishError> {
    let site = Site::new(site, opts.update_interval);
    let formats = Format::parse_all(&opts.formats);
    let mut report = PublishReport::default();
    let keys: Vec<(FeedKey, Option<String>)> = match scope {
        Scope::All => {
            let mut keys = vec![(FeedKey::all(), Some(String::new()))];
            keys.extend(
                corpus
                    .topics()
                    .map_err(PublishError::Read)?
                    .into_iter()
                    .map(|(k, n)| (k, Some(n))),
            );
            keys
        }
        Scope::Only([]) => return Ok(report),
        Scope::Only(keys) => keys
            .iter()
            .map(|k| match k.kind {
                FeedKind::All => Ok((k.clone(), Some(String::new()))),
                _ => corpus.topic(k).map(|n| (k.clone(), n)),
            })
            .collect::<Result<_, _>>()
            .map_err(PublishError::Read)?,
    };
    // Feeds are independent: rendering (CPU) and writing (fsync) overlap across threads. The
    // report keeps the feeds' order whatever thread finished first.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let mut done: Vec<(usize, Result<PublishReport, PublishError>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(keys.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((key, name)) = keys.get(i) else {
                            return out;
                        };
                        let one = publish_one(
                            corpus,
                            key,
                            name.as_deref(),
                            &site,
                            opts,
                            &formats,
                            Out {
                                dir: feeds_dir,
                                remote,
                            },
                        );
                        let failed = one.is_err();
                        out.push((i, one));
                        if failed {
                            return out;
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("publishing thread panicked"))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    for (_, one) in done {
        let one = one?;
        report.written.extend(one.written);
        report.unchanged += one.unchanged;
        report.removed.extend(one.removed);
        report.upload_errors.extend(one.upload_errors);
    }
    write_index_and_opml(
        corpus,
        &site,
        opts,
        &formats,
        feeds_dir,
        remote,
        &mut report,
    )?;
    Ok(report)
}

/// Where one feed's files go: the feeds folder, and the remote target when there is one.
#[derive(Clone, Copy)]
struct Out<'a> {
    dir: &'a Path,
    remote: Option<&'a s3::Remote>,
}

/// Renders and writes one feed in every format, or removes it when `name` is `None` (no items).
fn publish_one(
    corpus: &dyn Corpus,
    key: &FeedKey,
    name: Option<&str>,
    site: &Site,
    opts: &FeedOptions,
    formats: &[Format],
    out: Out<'_>,
) -> Result<PublishReport, PublishError> {
    let Out {
        dir: feeds_dir,
        remote,
    } = out;
    let mut report = PublishReport::default();
    let Some(name) = name else {
        remove_feed(feeds_dir, key, formats, remote, &mut report);
        return Ok(report);
    };
    let items = corpus
        .newest(key, opts.items, true)
        .map_err(PublishError::Read)?;
    let feed = select::feed(key, name, items.iter().collect(), site);
    for &format in formats {
        let path = feed.path(format);
        // Rendering into memory only fails on a writer bug; it is reported as this file's
        // failure rather than a panic.
        let bytes = fit::render_within(&feed, site, format, opts.max_bytes).map_err(|cause| {
            PublishError::Write {
                path: feeds_dir.join(&path).display().to_string(),
                cause,
            }
        })?;
        write(feeds_dir, &path, &bytes, remote, &mut report)?;
    }
    Ok(report)
}

/// `index.html` and `opml.xml`: every feed with its few latest items, read without bodies.
fn write_index_and_opml(
    corpus: &dyn Corpus,
    site: &Site,
    opts: &FeedOptions,
    formats: &[Format],
    feeds_dir: &Path,
    remote: Option<&s3::Remote>,
    report: &mut PublishReport,
) -> Result<(), PublishError> {
    let topics = corpus.topics().map_err(PublishError::Read)?;
    // The main feed's date (OPML) is the newest of all its items; the others show five.
    let mut lists = vec![(FeedKey::all(), String::new(), opts.items)];
    let shown = opts.items.min(index::LATEST);
    lists.extend(topics.into_iter().map(|(k, n)| (k, n, shown)));
    let items: Vec<Vec<FeedItem>> = lists
        .iter()
        .map(|(key, _, limit)| corpus.newest(key, *limit, false))
        .collect::<Result<_, _>>()
        .map_err(PublishError::Read)?;
    let feeds: Vec<_> = lists
        .iter()
        .zip(&items)
        .map(|((key, name, _), items)| select::feed(key, name, items.iter().collect(), site))
        .collect();
    let index = index::render(&feeds, site, formats);
    write(feeds_dir, "index.html", index.as_bytes(), remote, report)?;
    let opml = opml::render(&feeds, site, formats);
    write(feeds_dir, "opml.xml", opml.as_bytes(), remote, report)
}

/// A feed with no items left: its files go, so no reader keeps a removed article. With a
/// remote, its objects go too (unless a newer generation wrote them).
fn remove_feed(
    feeds_dir: &Path,
    key: &FeedKey,
    formats: &[Format],
    remote: Option<&s3::Remote>,
    report: &mut PublishReport,
) {
    let dir = key.dir();
    for format in formats {
        let rel = format!("{dir}{}", format.file_name());
        match std::fs::remove_file(feeds_dir.join(&rel)) {
            Ok(()) => report.removed.push(rel.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %rel, error = %e, "cannot remove an empty feed"),
        }
        if let Some(remote) = remote
            && let Err(e) = remote.remove(&rel)
        {
            report.upload_errors.push(e.to_string());
        }
    }
    // Only when empty: anything else a user put there stays.
    let _ = std::fs::remove_dir(feeds_dir.join(&dir));
}

/// Names everything besides the items that shapes the feeds' bytes (site, options, agg's
/// version): feeds published under another stamp must all be rebuilt.
pub fn settings_stamp(site: &SiteInfo, opts: &FeedOptions) -> String {
    let text = format!("{}\n{site:?}\n{opts:?}", env!("CARGO_PKG_VERSION"));
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// [`settings_stamp`], plus the remote target when there is one: publishing to a new bucket
/// or prefix republishes (and so uploads) every feed once. Without one it is the same stamp.
pub fn publishing_stamp(
    site: &SiteInfo,
    opts: &FeedOptions,
    s3: Option<&crate::config::S3Settings>,
) -> String {
    let stamp = settings_stamp(site, opts);
    match s3 {
        None => stamp,
        Some(s3) => {
            let text = format!("{stamp}\n{}\n{}\n{}", s3.endpoint, s3.bucket, s3.prefix);
            let digest = Sha256::digest(text.as_bytes());
            digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// Whether the main feed files and the index exist (a deleted feeds folder means a rebuild).
pub fn outputs_present(feeds_dir: &Path, opts: &FeedOptions) -> bool {
    Format::parse_all(&opts.formats)
        .iter()
        .map(|f| f.file_name())
        .chain(["index.html", "opml.xml"])
        .all(|rel| feeds_dir.join(rel).is_file())
}
