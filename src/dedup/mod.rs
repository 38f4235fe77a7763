//! Deduplication: one story, one item.
//!
//! The same article reaches agg under many URLs, is edited after publication and is reprinted
//! by other outlets. Three mechanisms keep readers from seeing it twice:
//! - identity ([`url`], [`mirror`]): the canonical URL names the item and its identity key
//!   folds harmless URL variants, so a known article is recognised before it is fetched;
//! - content ([`simhash`], [`text`]): a 64-bit SimHash over character shingles of the story's
//!   text finds the same story under another URL or from another source; the later copy
//!   becomes an *alternate* of the first-seen item (no file, no feed entry);
//! - tombstones: an item deleted from the content folder, or forgotten with `agg forget`, is
//!   remembered so no later run recreates it (nor a copy of it).
//!
//! This module decides; the pipeline fetches and writes and the store remembers.

pub mod index;
pub mod mirror;
pub mod report;
pub mod simhash;
pub mod text;
pub mod url;

/// Defaults of the `dedup:` config section.
/// 8, measured (`scripts/bench-dedup`): no false merge on the bench set up to 10, and 3 catches
/// too few edited copies (a changed sentence moves a 1,000-character story 2 to 10 bits).
pub const DEFAULT_THRESHOLD: u32 = 8;
pub const DEFAULT_MIN_CHARS: usize = 200;
/// Beyond this the bands get too narrow to find candidates cheaply (and unrelated stories
/// start to collide).
pub const MAX_THRESHOLD: u32 = 15;

/// The compiled `dedup:` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Largest Hamming distance between two fingerprints of the same story.
    pub threshold: u32,
    /// Stories shorter than this (normalised characters, boilerplate removed) get no
    /// fingerprint: too little text to tell two stories apart.
    pub min_chars: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: DEFAULT_THRESHOLD,
            min_chars: DEFAULT_MIN_CHARS,
        }
    }
}

/// An article's content fingerprint and the paragraph hashes it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// `None` when the story is shorter than `min_chars`: it never matches anything.
    pub simhash: Option<u64>,
    pub paragraphs: Vec<u64>,
}

/// Fingerprints `text` (an article's plain text); `repeated` says whether a paragraph hash is
/// learned boilerplate of the article's source.
pub fn fingerprint(text: &str, settings: &Settings, repeated: impl Fn(u64) -> bool) -> Fingerprint {
    fingerprint_paragraphs(&text::paragraphs(text), settings, repeated)
}

/// [`fingerprint`] of text already split into paragraphs.
pub fn fingerprint_paragraphs(
    paras: &[text::Paragraph],
    settings: &Settings,
    repeated: impl Fn(u64) -> bool,
) -> Fingerprint {
    let story = text::story_chars(paras, repeated);
    Fingerprint {
        simhash: (story.len() >= settings.min_chars).then(|| simhash::simhash(&story)),
        paragraphs: paras.iter().map(|p| p.hash).collect(),
    }
}

/// The closest of `candidates` (item id, fingerprint) within the threshold, if any: the
/// item this story is a copy of. Ties go to the first candidate (the store lists them oldest
/// first).
pub fn closest<'a>(
    fp: u64,
    candidates: &'a [(String, u64)],
    settings: &Settings,
) -> Option<(&'a str, u32)> {
    candidates
        .iter()
        .map(|(id, c)| (id.as_str(), simhash::distance(fp, *c)))
        .filter(|(_, d)| *d <= settings.threshold)
        .min_by_key(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_stories_get_no_fingerprint() {
        let s = Settings::default();
        assert_eq!(fingerprint("短讯：今日无事。", &s, |_| false).simhash, None);
        let long = "一段足够长的新闻正文。".repeat(30);
        assert!(fingerprint(&long, &s, |_| false).simhash.is_some());
        let para = fingerprint(&long, &s, |_| false).paragraphs[0];
        assert_eq!(
            fingerprint(&long, &s, |h| h == para).simhash,
            None,
            "all boilerplate"
        );
    }

    #[test]
    fn closest_within_threshold_wins() {
        let s = Settings::default();
        let c = vec![("a".to_string(), 0b1111u64), ("b".to_string(), 0b0001u64)];
        assert_eq!(closest(0, &c, &s), Some(("b", 1)));
        assert_eq!(closest(u64::MAX, &c, &s), None);
    }
}
