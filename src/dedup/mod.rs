//! Deduplication: one story, one item.
//!
//! The same article reaches agg under many URLs, is edited after publication and is reprinted
//! by other outlets. Three mechanisms keep readers from seeing it twice:
//! - identity ([`url`], [`mirror`]): the canonical URL names the item and its identity key
//!   folds harmless URL variants, so a known article is recognised before it is fetched;
//! - content ([`simhash`], [`shingles`], [`text`]): candidates are the stored stories whose
//!   64-bit SimHash is within `threshold` bits or that share a paragraph with the article
//!   (both indexed); a candidate is the same story when enough of its text, sampled by
//!   character shingles, is in the article ([`shingles::is_copy`]), so a copy surrounded by
//!   another site's chrome or with a sentence edited still matches while a same-topic story
//!   sharing one paragraph does not. The later copy becomes an *alternate* of the first-seen
//!   item (no file, no feed entry);
//! - tombstones: an item deleted from the content folder, or forgotten with `agg forget`, is
//!   remembered so no later run recreates it (nor a copy of it).
//!
//! This module decides; the pipeline fetches and writes and the store remembers.

use shingles::Sketch;

pub mod mirror;
pub mod shingles;
pub mod simhash;
pub mod text;
pub mod url;

/// The `dedup:` settings and their defaults live with the config (`config::defaults`).
pub use crate::config::defaults::{
    DEFAULT_CONTAINMENT, DEFAULT_MIN_CHARS, DEFAULT_THRESHOLD, DedupSettings as Settings,
    MAX_THRESHOLD,
};

/// An article's content fingerprint and the paragraph hashes it was made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Fingerprint {
    /// `None` when the story is shorter than `min_chars`: it never matches anything.
    pub simhash: Option<u64>,
    /// Every paragraph's hash (learned boilerplate included: that is how it is learned).
    pub paragraphs: Vec<u64>,
    /// The story's paragraphs long enough to look copies up by (none for a short story).
    pub lookup: Vec<u64>,
    /// The story's distinct shingle hashes (empty for a short story).
    pub shingles: shingles::Set,
    /// The sample of them that is stored (`None` for a short story).
    pub sketch: Option<Sketch>,
}

/// Paragraphs shorter than this (normalised characters) find no candidates: a dateline or a
/// caption is shared by too many stories.
const LOOKUP_CHARS: usize = 20;

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
    let story = text::story(paras, repeated);
    let chars: Vec<char> = story.iter().flat_map(|p| p.chars.iter().copied()).collect();
    let paragraphs = paras.iter().map(|p| p.hash).collect();
    if text::weight(&chars) < settings.min_chars {
        return Fingerprint {
            simhash: None,
            paragraphs,
            lookup: Vec::new(),
            shingles: shingles::Set::default(),
            sketch: None,
        };
    }
    let (all, sketch) = shingles::shingles(&story);
    Fingerprint {
        simhash: Some(simhash::simhash(&chars)),
        paragraphs,
        lookup: story
            .iter()
            .filter(|p| p.chars.len() >= LOOKUP_CHARS)
            .map(|p| p.hash)
            .collect(),
        sketch: Some(sketch),
        shingles: all,
    }
}

/// A stored story that may be the same as a new article.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub simhash: u64,
    /// `None` for items stored before sketches were kept: the SimHash alone decides.
    pub sketch: Option<Sketch>,
}

/// The stored story among `candidates` that `fp` is a copy of, with the Hamming distance of
/// their fingerprints: the one whose text the article contains most of (then: that most of the
/// article is). Ties go to the first candidate (the store lists them oldest first).
pub fn find_copy<'a>(
    fp: &Fingerprint,
    candidates: &'a [Candidate],
    settings: &Settings,
) -> Option<(&'a str, u32)> {
    let h = fp.simhash?;
    let containment = f64::from(settings.containment) / 100.0;
    let mut best: Option<(&str, u32, f64)> = None;
    for c in candidates {
        let distance = simhash::distance(h, c.simhash);
        let score = match &c.sketch {
            Some(sketch) => {
                let o = shingles::overlap(sketch, &fp.shingles);
                shingles::is_copy(&o, containment).then_some(o.contained + o.covered)
            }
            None => (distance <= settings.threshold).then(|| 2.0 - f64::from(distance) / 32.0),
        };
        if let Some(score) = score
            && best.is_none_or(|(_, _, s)| score > s)
        {
            best = Some((&c.id, distance, score));
        }
    }
    best.map(|(id, d, _)| (id, d))
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
    fn short_chinese_counts_double() {
        let s = Settings::default();
        // 60 Chinese characters weigh 120 letters: too short; 110 are enough.
        assert_eq!(fingerprint(&"新".repeat(60), &s, |_| false).simhash, None);
        assert!(
            fingerprint(&"新闻".repeat(55), &s, |_| false)
                .simhash
                .is_some()
        );
    }

    #[test]
    fn the_copy_with_most_of_the_story_wins_and_old_items_use_the_simhash() {
        let s = Settings {
            min_chars: 50,
            ..Settings::default()
        };
        let story = "The harbour authority said on Monday that the new solar ferry will enter \
            service in the spring.\nThe vessel carries two hundred passengers and charges at the \
            quay in twelve minutes, the operator said.\nResidents welcomed the quieter crossing.";
        let fp = fingerprint(story, &s, |_| false);
        let half = fingerprint(&story[..story.len() / 2], &s, |_| false);
        let h = fp.simhash.unwrap();
        let cands = vec![
            Candidate {
                id: "half".into(),
                simhash: h,
                sketch: half.sketch.clone(),
            },
            Candidate {
                id: "same".into(),
                simhash: h ^ 0xff,
                sketch: fp.sketch.clone(),
            },
        ];
        assert_eq!(find_copy(&fp, &cands, &s), Some(("same", 8)));
        let legacy = |d: u64| Candidate {
            id: "old".into(),
            simhash: h ^ d,
            sketch: None,
        };
        assert_eq!(find_copy(&fp, &[legacy(0b11)], &s), Some(("old", 2)));
        assert_eq!(find_copy(&fp, &[legacy(0x1ff)], &s), None);
        let short = fingerprint("Short.", &s, |_| false);
        assert_eq!(find_copy(&short, &[legacy(0)], &s), None);
    }
}
