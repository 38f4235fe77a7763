//! Uploading the Markdown files a run wrote to `publish.s3.content_prefix` (keys are their
//! paths under `paths.content`), stamped with the store's feed generation read after they were
//! committed: a later version of a file, from any worker, has a larger one, so an older upload
//! never replaces it. Failed files wait for the next run of this process.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::{Config, S3Settings};
use crate::publish::{self, s3};
use crate::store::StoreError;

use super::Context;

/// Markdown files written and committed, waiting to be uploaded (a failed upload stays for the
/// next run of this process).
#[derive(Default)]
pub struct Written(Mutex<Vec<PathBuf>>);

impl Written {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers a committed file, when files are uploaded at all.
    pub(super) fn push(&self, config: &Config, path: &Path) {
        if uploads_content(config) {
            self.lock().push(path.to_path_buf());
        }
    }
}

/// Why Markdown files were not uploaded (the local files are written all the same).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read the feed generation to stamp uploads with: {0}")]
    Generation(StoreError),
    #[error("cannot read {path} to upload it: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error(transparent)]
    S3(Box<s3::S3Error>),
    #[error("{failed} Markdown uploads failed; the first: {first}")]
    Several {
        failed: usize,
        first: Box<UploadError>,
    },
}

fn uploads_content(config: &Config) -> bool {
    content_settings(config).is_some()
}

/// `publish.s3` with the content prefix as its prefix; `None` when files stay local.
fn content_settings(config: &Config) -> Option<S3Settings> {
    let s3 = config.publish.s3.as_ref()?;
    Some(S3Settings {
        prefix: s3.content_prefix.clone()?,
        ..s3.clone()
    })
}

/// Where Markdown files go, stamped with `generation`.
fn remote(config: &Config, settings: &S3Settings, generation: u64) -> s3::Remote {
    let update_interval =
        publish::cadence::update_interval(config.sources.iter().map(|s| &s.schedule));
    s3::Remote::connect(
        settings,
        generation,
        update_interval,
        tokio::runtime::Handle::current(),
    )
}

/// A Markdown file's path below `paths.content`, `/`-separated: its key under the prefix.
fn content_key(config: &Config, path: &Path) -> Option<String> {
    path.strip_prefix(&config.paths.content)
        .ok()
        .and_then(|r| r.to_str())
        .map(|r| r.replace(std::path::MAIN_SEPARATOR, "/"))
}

/// Uploads the Markdown files this process wrote and committed since the last upload.
pub async fn content(ctx: &Context) -> Result<(), UploadError> {
    let Some(settings) = content_settings(&ctx.config) else {
        return Ok(());
    };
    let files = std::mem::take(&mut *ctx.written.lock());
    if files.is_empty() {
        return Ok(());
    }
    ctx.blocking(move |ctx| {
        let generation = match ctx.store.feeds_generation() {
            Ok(g) => g,
            Err(e) => {
                ctx.written.lock().extend(files);
                return Err(UploadError::Generation(e));
            }
        };
        let remote = remote(&ctx.config, &settings, generation);
        let mut errors = Vec::new();
        let mut uploaded = 0;
        for path in files {
            match upload_one(&ctx.config, &remote, &path) {
                Ok(true) => uploaded += 1,
                Ok(false) => {}
                Err(e) => {
                    errors.push(e);
                    ctx.written.lock().push(path);
                }
            }
        }
        tracing::info!(uploaded, failed = errors.len(), bucket = %remote.bucket(), "Markdown files uploaded");
        let failed = errors.len();
        match errors.into_iter().next() {
            None => Ok(()),
            Some(first) if failed == 1 => Err(first),
            Some(first) => Err(UploadError::Several {
                failed,
                first: Box::new(first),
            }),
        }
    })
    .await
}

/// Uploads one file; `false` when there was nothing to upload (forgotten since, or outside
/// `paths.content`).
fn upload_one(config: &Config, remote: &s3::Remote, path: &Path) -> Result<bool, UploadError> {
    let Some(key) = content_key(config, path) else {
        tracing::warn!(path = %path.display(), "Markdown file outside paths.content: not uploaded");
        return Ok(false);
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(cause) => {
            return Err(UploadError::Read {
                path: path.display().to_string(),
                cause,
            });
        }
    };
    remote
        .upload(&key, &bytes)
        .map_err(|e| UploadError::S3(Box::new(e)))?;
    Ok(true)
}

/// Deletes a forgotten item's Markdown file from `publish.s3.content_prefix`, when uploads go
/// there (unless a newer generation wrote it since).
pub async fn remove(ctx: &Context, path: &str) -> Result<(), UploadError> {
    let Some(settings) = content_settings(&ctx.config) else {
        return Ok(());
    };
    let Some(key) = content_key(&ctx.config, Path::new(path)) else {
        return Ok(());
    };
    ctx.blocking(move |ctx| {
        let generation = ctx
            .store
            .feeds_generation()
            .map_err(UploadError::Generation)?;
        remote(&ctx.config, &settings, generation)
            .remove(&key)
            .map_err(|e| UploadError::S3(Box::new(e)))?;
        Ok(())
    })
    .await
}
