//! The files `agg serve` may send: request paths mapped safely into the feeds folder, and each
//! file read whole into memory, with its validators and gzip form computed once.
//!
//! The publisher replaces files by rename, so a file opened by path is always one complete
//! version; the cache is keyed by what a `stat` tells (device, inode, length, mtime), so a
//! replaced file is read again on the next request and a half-written view is impossible.
//! Path mapping refuses anything that could leave the folder or show a file not meant to be
//! served: `..` and `.` segments, encoded slashes and backslashes, NUL, and hidden names (the
//! publisher's `.agg-tmp-*` files among them).
use bytes::Bytes;
use hyper::header::HeaderValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// Files kept in memory at most; past that, new files are served without being cached.
const MAX_ENTRIES: usize = 4096;
/// Files larger than this are not served (the publisher writes nothing near it).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Smaller bodies are not worth compressing.
const MIN_GZIP_BYTES: usize = 256;

/// Why a request path maps to no file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A path no well-behaved client sends (traversal, encoded separators, NUL, bad UTF-8).
    BadRequest,
    NotFound,
}

/// Maps a request path (still percent-encoded) to a path relative to the feeds folder.
/// A path ending in `/` names that folder's `index.html`.
pub fn relative_path(raw: &str) -> Result<String, Refusal> {
    let lower = raw.to_ascii_lowercase();
    if !raw.starts_with('/')
        || ["%2f", "%5c", "%00", "\\"]
            .iter()
            .any(|s| lower.contains(s))
    {
        return Err(Refusal::BadRequest);
    }
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| Refusal::BadRequest)?;
    let mut segments = Vec::new();
    for segment in decoded.split('/').skip(1) {
        match segment {
            "" => continue,
            "." | ".." => return Err(Refusal::BadRequest),
            s if s.chars().any(char::is_control) => return Err(Refusal::BadRequest),
            s if s.starts_with('.') => return Err(Refusal::NotFound),
            s => segments.push(s),
        }
    }
    if decoded.ends_with('/') {
        segments.push("index.html");
    }
    Ok(segments.join("/"))
}

pub use crate::publish::media::content_type;

/// What identifies one version of a file on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileKey {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: Option<SystemTime>,
}

impl FileKey {
    fn of(meta: &std::fs::Metadata) -> FileKey {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        FileKey {
            dev,
            ino,
            len: meta.len(),
            mtime: meta.modified().ok(),
        }
    }
}

/// One version of one file, ready to send.
#[derive(Debug)]
pub struct Entry {
    key: FileKey,
    pub rel: String,
    pub body: Bytes,
    /// The gzip form, for compressible bodies.
    pub gzip: Option<Bytes>,
    /// Strong validator of `body`: a hash of its bytes, quoted.
    pub etag: HeaderValue,
    /// Strong validator of `gzip` (a different representation, so a different tag).
    pub etag_gzip: HeaderValue,
    /// The mtime to the second (what `Last-Modified` can say).
    pub modified: SystemTime,
    pub last_modified: HeaderValue,
    pub content_type: HeaderValue,
}

impl Entry {
    fn read(path: &Path, rel: &str) -> std::io::Result<Entry> {
        let mut file = std::fs::File::open(path)?;
        // The opened file's own metadata: the version read below, whatever renames follow.
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(std::io::Error::other("file too large to serve"));
        }
        let mut body = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut body)?;
        let hash = Sha256::digest(&body);
        let hex: String = hash.iter().take(10).map(|b| format!("{b:02x}")).collect();
        let ct = content_type(rel);
        let compressible = !ct.starts_with("image/") || ct.starts_with("image/svg");
        let gzip = (compressible && body.len() >= MIN_GZIP_BYTES)
            .then(|| gzip(&body))
            .transpose()?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(SystemTime::UNIX_EPOCH, |d| {
                SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs())
            });
        let value = |s: String| HeaderValue::from_str(&s).expect("ASCII header value");
        Ok(Entry {
            key: FileKey::of(&meta),
            rel: rel.to_string(),
            body: Bytes::from(body),
            gzip: gzip.map(Bytes::from),
            etag: value(format!("\"{hex}\"")),
            etag_gzip: value(format!("\"{hex}-gz\"")),
            modified,
            last_modified: value(httpdate::fmt_http_date(modified)),
            content_type: HeaderValue::from_static(content_type(rel)),
        })
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::default(),
    );
    enc.write_all(body)?;
    enc.finish()
}

/// The feeds folder and the versions of its files read so far.
pub struct Files {
    root: PathBuf,
    /// `root`, canonical: every file served must resolve below it (no symlinks out).
    canonical_root: PathBuf,
    cache: RwLock<HashMap<String, Arc<Entry>>>,
}

impl Files {
    pub fn new(root: PathBuf) -> Files {
        let canonical_root = std::fs::canonicalize(&root).unwrap_or_else(|_| root.clone());
        Files {
            root,
            canonical_root,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The current version of `rel` (from [`relative_path`]); `None` when there is no such
    /// regular file below the folder.
    pub async fn get(self: &Arc<Self>, rel: &str) -> std::io::Result<Option<Arc<Entry>>> {
        let path = self.root.join(rel);
        // A stat is cheap next to a read; the file is read again only when it changed.
        let Ok(meta) = std::fs::metadata(&path) else {
            self.forget(rel);
            return Ok(None);
        };
        if !meta.is_file() {
            return Ok(None);
        }
        let key = FileKey::of(&meta);
        if let Some(entry) = self.cache.read().expect("cache lock").get(rel)
            && entry.key == key
        {
            return Ok(Some(entry.clone()));
        }
        let this = self.clone();
        let rel = rel.to_string();
        tokio::task::spawn_blocking(move || this.load(&path, rel))
            .await
            .map_err(std::io::Error::other)?
    }

    fn load(&self, path: &Path, rel: String) -> std::io::Result<Option<Arc<Entry>>> {
        let canonical = match std::fs::canonicalize(path) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !canonical.starts_with(&self.canonical_root) {
            tracing::warn!(path = %path.display(), "refused a file outside the feeds folder");
            return Ok(None);
        }
        let entry = match Entry::read(path, &rel) {
            Ok(e) => Arc::new(e),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut cache = self.cache.write().expect("cache lock");
        if cache.len() < MAX_ENTRIES || cache.contains_key(&rel) {
            cache.insert(rel, entry.clone());
        }
        Ok(Some(entry))
    }

    fn forget(&self, rel: &str) {
        if self.cache.read().expect("cache lock").contains_key(rel) {
            self.cache.write().expect("cache lock").remove(rel);
        }
    }
}
