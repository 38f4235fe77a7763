//! Verification of a candidate copy: how much of a stored story's text another article
//! carries, from character shingles.
//!
//! SimHash finds candidates cheaply but cannot tell "the story plus another page's chrome"
//! (whose fingerprint moves a long way) from "a different story". Containment can: the share
//! of the stored story's shingles found in the new article is near 1 for a copy however much
//! chrome surrounds it, stays high when a sentence was edited, and is low for another story.
//!
//! A stored story keeps a *sketch*: the [`SKETCH_SIZE`] smallest hashes of its distinct
//! shingles (each with the number of the paragraph it came from) and the number of distinct
//! shingles. The sketch is a uniform sample, so the share of it found in the new article's
//! full shingle set estimates the containment (exactly, for stories of fewer shingles). Shingles
//! never cross a paragraph boundary.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use super::simhash::hash_chars;
use super::text::Paragraph;

/// Shingle length in normalised characters: long enough that common phrases of one language
/// do not match across unrelated stories, short enough that one edit spoils few shingles.
pub const SHINGLE: usize = 6;
/// Hashes kept per stored story.
pub const SKETCH_SIZE: usize = 256;
/// A copy's text is mostly the stored story when this share of it comes from the story.
const MOSTLY: f64 = 0.5;
/// Or the shared text must reach beyond the story's best-matching paragraph by this share of
/// the story: a same-topic article that reuses one paragraph (a lead, a quote) is no copy.
const BEYOND_ONE_PARAGRAPH: f64 = 0.1;

/// Shingle hashes are already well mixed: hashing them again (SipHash) would cost more than
/// everything else in fingerprinting.
#[derive(Default, Clone, Copy)]
pub struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of shingle hashes.
pub type Set = HashSet<u64, BuildHasherDefault<Prehashed>>;

/// The distinct shingle hashes of `paras`, and their sketch (each hash sampled with the first
/// paragraph it occurs in).
pub fn shingles(paras: &[&Paragraph]) -> (Set, Sketch) {
    let windows: usize = paras
        .iter()
        .map(|p| p.chars.len().saturating_sub(SHINGLE - 1).max(1))
        .sum();
    // One table: a hash seen for the first time records its paragraph.
    let mut set = Set::with_capacity_and_hasher(windows, Default::default());
    let mut first = Vec::with_capacity(windows);
    for (i, p) in paras.iter().enumerate() {
        let n = i.min(usize::from(u16::MAX)) as u16;
        for w in p.chars.windows(SHINGLE.min(p.chars.len()).max(1)) {
            let h = hash_chars(w);
            if set.insert(h) {
                first.push((h, n));
            }
        }
    }
    let sketch = Sketch::of(first);
    (set, sketch)
}

/// A stored story's sample of shingles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch {
    /// The smallest hashes, ascending, each with its paragraph number.
    pub entries: Vec<(u64, u16)>,
    /// Distinct shingles in the story.
    pub total: u32,
}

impl Sketch {
    /// The sketch of a story's distinct shingles, each with its paragraph number.
    pub fn of(mut entries: Vec<(u64, u16)>) -> Sketch {
        let total = entries.len() as u32;
        // Only the smallest are kept: select them, then sort those alone.
        if entries.len() > SKETCH_SIZE {
            entries.select_nth_unstable(SKETCH_SIZE);
            entries.truncate(SKETCH_SIZE);
        }
        entries.sort_unstable();
        Sketch { entries, total }
    }

    /// 10 bytes per entry: the hash, then the paragraph number, little-endian.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * 10);
        for (h, p) in &self.entries {
            out.extend_from_slice(&h.to_le_bytes());
            out.extend_from_slice(&p.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8], total: u32) -> Sketch {
        let entries = bytes
            .chunks_exact(10)
            .map(|c| {
                let h = u64::from_le_bytes(c[..8].try_into().unwrap_or_default());
                (h, u16::from_le_bytes([c[8], c[9]]))
            })
            .collect();
        Sketch { entries, total }
    }
}

/// How a candidate's text overlaps a stored story.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overlap {
    /// Share of the stored story found in the candidate.
    pub contained: f64,
    /// Share of the candidate that comes from the stored story.
    pub covered: f64,
    /// Share of the stored story found in the candidate outside the story's best-matching
    /// paragraph.
    pub beyond: f64,
}

/// The overlap of the story sampled by `story` with a text of shingle set `text`.
pub fn overlap(story: &Sketch, text: &Set) -> Overlap {
    if story.entries.is_empty() || text.is_empty() {
        return Overlap {
            contained: 0.0,
            covered: 0.0,
            beyond: 0.0,
        };
    }
    // The paragraph numbers of the sampled shingles found, counted by sorting (at most
    // SKETCH_SIZE of them: cheaper than a hash map per candidate).
    let mut paras: Vec<u16> = story
        .entries
        .iter()
        .filter(|(h, _)| text.contains(h))
        .map(|(_, p)| *p)
        .collect();
    paras.sort_unstable();
    let found = paras.len();
    let best = paras
        .chunk_by(|a, b| a == b)
        .map(<[u16]>::len)
        .max()
        .unwrap_or(0);
    let n = story.entries.len() as f64;
    let contained = found as f64 / n;
    Overlap {
        contained,
        covered: (contained * f64::from(story.total) / text.len() as f64).min(1.0),
        beyond: (found - best) as f64 / n,
    }
}

/// Whether the overlap makes the candidate a copy: at least `containment` (a share) of the
/// story is in it, and either it is mostly the story or it shares more than one paragraph.
pub fn is_copy(o: &Overlap, containment: f64) -> bool {
    o.contained >= containment && (o.covered >= MOSTLY || o.beyond >= BEYOND_ONE_PARAGRAPH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::text::paragraphs;

    fn set(text: &str) -> (Sketch, Set) {
        let paras = paragraphs(text);
        let (all, sketch) = shingles(&paras.iter().collect::<Vec<_>>());
        (sketch, all)
    }

    const STORY: &str = "北京时间今天上午，记者从有关部门获悉，一批新的基础设施项目将于下月开工建设。\n\
        项目涉及交通、能源和水利等多个领域，总投资超过三千亿元。专家表示，这些项目将有效带动就业。\n\
        有关负责人介绍，项目审批流程已经全部完成，资金来源也已落实，预计年内形成实物工作量。";
    const OTHER: &str = "The harbour authority said on Monday that the new solar ferry will enter \
        service in the spring, replacing two diesel boats on the crossing to the islands. The \
        vessel carries two hundred passengers and charges at the quay in twelve minutes.";

    #[test]
    fn a_copy_in_chrome_is_contained_and_a_shared_lead_is_not_a_copy() {
        let (story, _) = set(STORY);
        let chrome: String = (0..40)
            .map(|i| format!("栏目{i}：本站热门文章标题第{i}条\n"))
            .collect();
        let (_, copy) = set(&format!("{chrome}{STORY}\n{chrome}"));
        let o = overlap(&story, &copy);
        assert!(o.contained > 0.99 && o.covered < 0.5, "{o:?}");
        assert!(is_copy(&o, 0.5), "{o:?}");
        let lead = STORY.lines().next().unwrap();
        let (_, topic) = set(&format!("{lead}\n{OTHER}\n{OTHER}"));
        let o = overlap(&story, &topic);
        assert!(o.contained > 0.2 && o.beyond < 0.01, "{o:?}");
        assert!(!is_copy(&o, 0.3), "{o:?}");
        let (_, other) = set(OTHER);
        assert_eq!(overlap(&story, &other).contained, 0.0);
    }

    #[test]
    fn sketches_round_trip_and_stay_small() {
        let long = (0..200)
            .map(|i| format!("Paragraph number {i} of a long story."))
            .collect::<Vec<_>>()
            .join("\n");
        let (s, all) = set(&long);
        assert_eq!(s.entries.len(), SKETCH_SIZE);
        assert_eq!(s.total as usize, all.len());
        assert_eq!(Sketch::from_bytes(&s.to_bytes(), s.total), s);
        assert!(is_copy(&overlap(&s, &all), 1.0));
    }
}
