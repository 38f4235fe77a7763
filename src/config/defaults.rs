//! Every default and cap the config and several modules share, in one place: what a config
//! without a key gets, and the limits no setting can pass.

use std::time::Duration;

/// The config path; `AGG_CONFIG` overrides it.
pub const DEFAULT_CONFIG_PATH: &str = "config/agg.yaml";

/// The user agent when the config names none.
pub const DEFAULT_USER_AGENT: &str =
    concat!("agg/", env!("CARGO_PKG_VERSION"), " (news aggregator)");

/// Region used for signing when `publish.s3.region` is not set.
pub const DEFAULT_S3_REGION: &str = "us-east-1";

/// Where `agg serve` listens when the config has no `server.listen`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// `server.max_connections`: connections served at once; more wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// `server.header_timeout_secs`: time a client gets to send a request's headers.
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// `server.write_timeout_secs`: time a response write may stall.
pub const DEFAULT_WRITE_TIMEOUT_SECS: u64 = 30;

/// The smallest `feeds.max_bytes` the config accepts: room for a feed's header and one item
/// with a capped title and summary, so the budget is always met with at least one item.
pub const MIN_FEED_BYTES: usize = 16 * 1024;

/// `Cache-Control: max-age` never exceeds this, however rarely the sources run (feeds served by
/// `agg serve` and uploaded to S3 alike).
pub const MAX_AGE_CAP: Duration = Duration::from_secs(3600);

/// Defaults of the `dedup:` config section, measured with `scripts/bench-dedup`.
/// The SimHash threshold only finds candidates now (shared paragraphs find the rest): 8 keeps
/// the band index small.
pub const DEFAULT_THRESHOLD: u32 = 8;
/// In Latin-letter equivalents (`dedup::text::weight`): about 35 English words or 100 Chinese
/// characters.
pub const DEFAULT_MIN_CHARS: usize = 200;
/// Percent of a stored story's text a copy must carry. No false merge on the bench set from
/// 40 to 60; edited copies start to be missed above 50.
pub const DEFAULT_CONTAINMENT: u32 = 50;
/// Beyond this the bands get too narrow to find candidates cheaply (and unrelated stories
/// start to collide).
pub const MAX_THRESHOLD: u32 = 15;

/// The compiled `dedup:` settings (used by `dedup` as `dedup::Settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupSettings {
    /// Largest Hamming distance between two fingerprints of the same story.
    pub threshold: u32,
    /// Stories shorter than this (normalised characters, boilerplate removed, see
    /// `dedup::text::weight`) get no fingerprint: too little text to tell two stories apart.
    pub min_chars: usize,
    /// Percent of a stored story's text (shingles) another article must contain to be a copy.
    pub containment: u32,
}

impl Default for DedupSettings {
    fn default() -> Self {
        DedupSettings {
            threshold: DEFAULT_THRESHOLD,
            min_chars: DEFAULT_MIN_CHARS,
            containment: DEFAULT_CONTAINMENT,
        }
    }
}
