//! Publishing to S3-compatible object storage (`publish.s3`), beside the local feeds folder.
//!
//! Every feed file the publisher renders in a run (each feed in scope in every format, then
//! `index.html` and `opml.xml`) is uploaded to `{prefix}/{same relative path}` with the
//! `Content-Type` and `Cache-Control` that `agg serve` would send; a feed the local publisher
//! removes (no items left) is deleted from the bucket too. Nothing else is ever deleted.
//!
//! # Generations and conditional puts
//!
//! Several publishers may write the same bucket (several `agg` processes sharing one store).
//! Each object carries, in its user metadata, the **generation** of the store state it was
//! rendered from ([`crate::store::Store::feeds_generation`]: the count of every change the
//! store ever made to what the feeds show, which only grows) and the SHA-256 of its bytes.
//! The generation is read before any feed is, so a publisher's documents are at least as new
//! as the generation they carry. Before writing a key the publisher reads the object's
//! metadata (a `HEAD`):
//!
//! - no object: `PutMode::Create` (`If-None-Match: *`);
//! - a stored generation newer than ours: skip (someone published a newer state);
//! - the same generation and the same bytes: nothing to do;
//! - otherwise: `PutMode::Update` with the e-tag just read (`If-Match`).
//!
//! A precondition failure (another publisher wrote in between) re-reads and decides again, at
//! most [`MAX_ATTEMPTS`] times. So an older state never replaces a newer one, and two
//! publishers never overwrite each other blindly. Generations only order states of one store:
//! publishers with separate stores should use separate prefixes. One limit: an S3 e-tag is the
//! MD5 of the body, so if a key goes back to bytes it held before (A, B, A) between another
//! publisher's read and write, that write's `If-Match` still matches.
//!
//! Failures are [`S3Error`]s naming the bucket and key. After the first failure that is not a
//! lost race, the remaining uploads of the run are not attempted (an unreachable endpoint
//! would otherwise cost every file its retries); the local files are written regardless.
use crate::config::S3Settings;
use object_store::aws::{AmazonS3, AmazonS3Builder, S3ConditionalPut};
use object_store::client::{HttpClient, HttpConnector};
use object_store::path::Path as KeyPath;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt,
    PutMode, PutOptions, PutPayload, RetryConfig, UpdateVersion,
};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Reads and conditional writes of one key before giving up on a contended object.
pub const MAX_ATTEMPTS: usize = 5;
/// User metadata (`x-amz-meta-…`) naming the store generation an object was rendered from.
pub const GENERATION_KEY: &str = "agg-generation";
/// User metadata holding the hex SHA-256 of the object's bytes.
pub const DIGEST_KEY: &str = "agg-sha256";

#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("publish.s3: cannot upload to bucket {bucket}: {message}")]
    Setup { bucket: String, message: String },
    #[error("cannot upload s3://{bucket}/{key}: {source}")]
    Upload {
        bucket: String,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot delete s3://{bucket}/{key}: {source}")]
    Delete {
        bucket: String,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error(
        "cannot upload s3://{bucket}/{key}: still contended after {MAX_ATTEMPTS} conditional writes"
    )]
    Contended { bucket: String, key: String },
    #[error("did not upload s3://{bucket}/{key}: an earlier upload of this run failed")]
    NotAttempted { bucket: String, key: String },
}

/// What happened to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Written (created or replaced).
    Uploaded,
    /// The object already holds these bytes at this generation.
    Unchanged,
    /// The object is from a newer generation: left alone.
    Newer,
    /// Deleted (or already absent).
    Deleted,
}

/// One run's connection to the bucket.
pub struct Remote {
    /// The client, or why there is none (reported by the first upload).
    client: Result<AmazonS3, String>,
    bucket: String,
    prefix: String,
    generation: u64,
    cache_control: String,
    runtime: tokio::runtime::Handle,
    broken: AtomicBool,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// The metadata read before a write.
struct Current {
    e_tag: Option<String>,
    version: Option<String>,
    generation: Option<u64>,
    digest: Option<String>,
}

impl Remote {
    /// Connects to `settings`' bucket (nothing is sent yet). `generation` stamps every object
    /// of this run; `update_interval` sets `Cache-Control` as `agg serve` does; blocking calls
    /// run their requests on `runtime` (they must not be made from inside it). A client that
    /// cannot be built (no credentials) fails the first upload, not the local publishing.
    pub fn connect(
        settings: &S3Settings,
        generation: u64,
        update_interval: Option<Duration>,
        runtime: tokio::runtime::Handle,
    ) -> Remote {
        let keys = env_keys();
        Remote::with_keys(settings, keys, generation, update_interval, runtime)
    }

    /// [`Remote::connect`] with the credentials given (access key id, secret, session token)
    /// or the reason there are none, instead of the environment's.
    pub fn with_keys(
        settings: &S3Settings,
        keys: Result<Keys, String>,
        generation: u64,
        update_interval: Option<Duration>,
        runtime: tokio::runtime::Handle,
    ) -> Remote {
        let cap = crate::serve::MAX_AGE_CAP;
        let max_age = update_interval.unwrap_or(cap).min(cap);
        Remote {
            client: keys.and_then(|k| client(settings, k)),
            bucket: settings.bucket.clone(),
            prefix: settings.prefix.clone(),
            generation,
            cache_control: format!("public, max-age={}", max_age.as_secs()),
            runtime,
            broken: AtomicBool::new(false),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The object key of a path relative to the feeds folder.
    pub fn key(&self, rel: &str) -> String {
        object_key(&self.prefix, rel)
    }

    /// Uploads one file's bytes (blocking), following the protocol in the module docs.
    pub fn upload(&self, rel: &str, bytes: &[u8]) -> Result<Outcome, S3Error> {
        let key = self.key(rel);
        if self.broken.load(Ordering::Relaxed) {
            return Err(S3Error::NotAttempted {
                bucket: self.bucket.clone(),
                key,
            });
        }
        let result = match self.ready() {
            Ok(client) => self
                .runtime
                .block_on(self.upload_async(client, rel, &key, bytes)),
            Err(e) => Err(e),
        };
        self.note(&result);
        match &result {
            Ok(Outcome::Newer) => tracing::info!(
                bucket = %self.bucket,
                key = %key,
                generation = self.generation,
                "newer object in the bucket left alone"
            ),
            Ok(outcome) => {
                tracing::debug!(bucket = %self.bucket, key = %key, ?outcome, "uploaded")
            }
            Err(e) => tracing::error!(error = %e, "upload failed"),
        }
        result
    }

    /// Deletes the object of a feed the local publisher removed, unless it is from a newer
    /// generation (a publisher with a newer state still has items there).
    pub fn remove(&self, rel: &str) -> Result<Outcome, S3Error> {
        let key = self.key(rel);
        if self.broken.load(Ordering::Relaxed) {
            return Err(S3Error::NotAttempted {
                bucket: self.bucket.clone(),
                key,
            });
        }
        let client = self.ready();
        let result = self.runtime.block_on(async {
            let client = client?;
            let path = KeyPath::from(key.as_str());
            let delete_err = |source| S3Error::Delete {
                bucket: self.bucket.clone(),
                key: key.clone(),
                source,
            };
            match current(client, &path).await.map_err(delete_err)? {
                None => Ok(Outcome::Deleted),
                Some(c) if c.generation.is_some_and(|g| g > self.generation) => Ok(Outcome::Newer),
                Some(_) => match client.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(Outcome::Deleted),
                    Err(e) => Err(delete_err(e)),
                },
            }
        });
        self.note(&result);
        match &result {
            Ok(outcome) => {
                tracing::debug!(bucket = %self.bucket, key = %key, ?outcome, "removed")
            }
            Err(e) => tracing::error!(error = %e, "delete failed"),
        }
        result
    }

    /// The client, or the reason there is none.
    fn ready(&self) -> Result<&AmazonS3, S3Error> {
        self.client.as_ref().map_err(|message| S3Error::Setup {
            bucket: self.bucket.clone(),
            message: message.clone(),
        })
    }

    /// A failure other than a lost race stops the run's remaining requests.
    fn note(&self, result: &Result<Outcome, S3Error>) {
        if let Err(S3Error::Upload { .. } | S3Error::Delete { .. } | S3Error::Setup { .. }) = result
        {
            self.broken.store(true, Ordering::Relaxed);
        }
    }

    async fn upload_async(
        &self,
        client: &AmazonS3,
        rel: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<Outcome, S3Error> {
        let path = KeyPath::from(key);
        let upload_err = |source| S3Error::Upload {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            source,
        };
        let digest = hex_sha256(bytes);
        let payload = PutPayload::from(bytes::Bytes::copy_from_slice(bytes));
        for attempt in 1..=MAX_ATTEMPTS {
            let mode = match current(client, &path).await.map_err(upload_err)? {
                None => PutMode::Create,
                Some(c) => {
                    // An object without a readable generation (written by something else) is
                    // older than any of ours.
                    let theirs = c.generation.unwrap_or(0);
                    if c.generation.is_some() && theirs > self.generation {
                        return Ok(Outcome::Newer);
                    }
                    if theirs == self.generation && c.digest.as_deref() == Some(digest.as_str()) {
                        return Ok(Outcome::Unchanged);
                    }
                    PutMode::Update(UpdateVersion {
                        e_tag: c.e_tag,
                        version: c.version,
                    })
                }
            };
            let opts = PutOptions {
                mode,
                attributes: self.attributes(rel, &digest),
                ..Default::default()
            };
            match client.put_opts(&path, payload.clone(), opts).await {
                Ok(_) => return Ok(Outcome::Uploaded),
                Err(
                    e @ (object_store::Error::Precondition { .. }
                    | object_store::Error::AlreadyExists { .. }),
                ) => {
                    tracing::debug!(
                        bucket = %self.bucket,
                        key,
                        attempt,
                        error = %e,
                        "object changed meanwhile; reading it again"
                    );
                }
                Err(e) => return Err(upload_err(e)),
            }
        }
        Err(S3Error::Contended {
            bucket: self.bucket.clone(),
            key: key.to_string(),
        })
    }

    fn attributes(&self, rel: &str, digest: &str) -> Attributes {
        let mut attrs = Attributes::new();
        attrs.insert(
            Attribute::ContentType,
            crate::serve::files::content_type(rel).into(),
        );
        attrs.insert(Attribute::CacheControl, self.cache_control.clone().into());
        attrs.insert(
            Attribute::Metadata(GENERATION_KEY.into()),
            self.generation.to_string().into(),
        );
        attrs.insert(
            Attribute::Metadata(DIGEST_KEY.into()),
            digest.to_string().into(),
        );
        attrs
    }
}

/// The object's e-tag and our metadata, or `None` when there is no object.
async fn current(
    client: &AmazonS3,
    path: &KeyPath,
) -> Result<Option<Current>, object_store::Error> {
    let head = GetOptions {
        head: true,
        ..Default::default()
    };
    match client.get_opts(path, head).await {
        Ok(found) => {
            let meta = |name: &'static str| {
                found
                    .attributes
                    .get(&Attribute::Metadata(name.into()))
                    .map(|v| v.as_ref().trim().to_string())
            };
            Ok(Some(Current {
                e_tag: found.meta.e_tag.clone(),
                version: found.meta.version.clone(),
                generation: meta(GENERATION_KEY).and_then(|g| g.parse().ok()),
                digest: meta(DIGEST_KEY),
            }))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Static credentials: access key id, secret access key, optional session token.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` from the environment.
pub fn env_keys() -> Result<Keys, String> {
    let env = |name: &'static str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{name} is not set (credentials come from the environment)"))
    };
    Ok(Keys {
        access_key_id: env("AWS_ACCESS_KEY_ID")?,
        secret_access_key: env("AWS_SECRET_ACCESS_KEY")?,
        session_token: env("AWS_SESSION_TOKEN").ok(),
    })
}

/// The S3 client for `settings`: static keys only (no instance-metadata probing), short
/// timeouts and few retries (a failed run is retried by the next one).
fn client(settings: &S3Settings, keys: Keys) -> Result<AmazonS3, String> {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&settings.bucket)
        .with_endpoint(settings.endpoint.as_str().trim_end_matches('/'))
        .with_region(&settings.region)
        .with_allow_http(settings.endpoint.scheme() == "http")
        .with_access_key_id(keys.access_key_id)
        .with_secret_access_key(keys.secret_access_key)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_client_options(
            ClientOptions::new().with_allow_http(settings.endpoint.scheme() == "http"),
        )
        .with_http_connector(NoProxyConnector)
        .with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(2),
                base: 2.0,
            },
            max_retries: 2,
            retry_timeout: Duration::from_secs(20),
        });
    if let Some(token) = keys.session_token {
        builder = builder.with_token(token);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Builds the S3 HTTP client without proxies from the environment (object_store's default
/// client honours `HTTP_PROXY`; agg ignores proxy variables everywhere, as documented), with
/// short timeouts and no response decompression (object sizes come from `Content-Length`).
#[derive(Debug)]
struct NoProxyConnector;

impl HttpConnector for NoProxyConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .no_gzip()
            .no_brotli()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("agg/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            })?;
        Ok(HttpClient::new(client))
    }
}

/// `{prefix}/{rel}`, or `rel` alone under an empty prefix.
pub fn object_key(prefix: &str, rel: &str) -> String {
    if prefix.is_empty() {
        rel.to_string()
    } else {
        format!("{prefix}/{rel}")
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_generation_grows_with_every_feed_change() {
        use crate::store::{Store, StoredItem};
        let store = Store::memory().unwrap();
        let start = store.feeds_generation().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2025-02-10T08:00:00+08:00").unwrap();
        let mut item = StoredItem {
            id: "a".into(),
            source: "s".into(),
            url: "https://ex.com/a".into(),
            title: "A".into(),
            summary: String::new(),
            content_html: String::new(),
            path: "content/a.md".into(),
            published: at,
            updated: at,
            first_seen: at,
            author: None,
            thumbnail: None,
            categories: vec!["c".into()],
            tags: vec![],
            lang: None,
            content_hash: "h".into(),
        };
        store.put_item(&item, &[]).unwrap();
        let added = store.feeds_generation().unwrap();
        assert!(added > start);
        // Clearing the dirty marks (a publish) never lowers it.
        let dirty = store.dirty_feeds().unwrap();
        store.clear_dirty_feeds(&dirty).unwrap();
        assert_eq!(store.feeds_generation().unwrap(), added);
        item.title = "A, updated".into();
        store.put_item(&item, &[]).unwrap();
        let updated = store.feeds_generation().unwrap();
        assert!(updated > added);
        store
            .tombstone("k", "https://ex.com/a", Some("a"), "forget")
            .unwrap();
        assert!(store.feeds_generation().unwrap() > updated);
    }

    #[test]
    fn keys_keep_the_relative_path_under_the_prefix() {
        assert_eq!(
            object_key("site/feeds", "tags/科技/rss.xml"),
            "site/feeds/tags/科技/rss.xml"
        );
        assert_eq!(object_key("", "index.html"), "index.html");
    }
}
