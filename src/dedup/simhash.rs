//! SimHash: a 64-bit fingerprint of a text whose Hamming distance to another text's
//! fingerprint grows with how much the two differ.
//!
//! Features are character shingles of the normalised text (see [`normalise`]): letters and
//! digits only, lower-cased, full-width forms folded, everything else dropped. Characters,
//! not words, so that Chinese (no spaces) and English work the same; each distinct shingle
//! counts once, so a repeated line cannot outweigh the story.
//!
//! Candidates are found without a scan by banding: a fingerprint is cut into `threshold + 1`
//! bands; two fingerprints within `threshold` bits agree exactly on at least one band
//! (pigeonhole), and the store indexes every band.

/// Shingle length in characters.
pub const SHINGLE: usize = 4;

/// Letters and digits of `text`, lower-cased, full-width ASCII folded to ASCII.
pub fn normalise(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The 64-bit SimHash of normalised characters.
pub fn simhash(chars: &[char]) -> u64 {
    let shingles: super::shingles::Set = chars
        .windows(SHINGLE.min(chars.len().max(1)))
        .map(hash_chars)
        .collect();
    // Set bits per position, counted branch-free (the compiler vectorises this); a bit of the
    // fingerprint is set when more than half the shingles have it set.
    let mut ones = [0u32; 64];
    for h in &shingles {
        for (bit, n) in ones.iter_mut().enumerate() {
            *n += (h >> bit & 1) as u32;
        }
    }
    let half = shingles.len() as u32;
    ones.iter()
        .enumerate()
        .filter(|(_, n)| 2 * **n > half)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// Number of differing bits.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The bands of `fp` for a search within `threshold` bits: `threshold + 1` of them, as
/// (band number, value). Wide thresholds make narrow bands and more candidates to check.
pub fn bands(fp: u64, threshold: u32) -> Vec<(u32, u64)> {
    let n = threshold.min(super::MAX_THRESHOLD) + 1;
    let width = 64 / n;
    (0..n)
        .map(|i| {
            let start = i * width;
            let len = if i == n - 1 { 64 - start } else { width };
            let mask = if len == 64 {
                u64::MAX
            } else {
                (1u64 << len) - 1
            };
            (i, fp >> start & mask)
        })
        .collect()
}

/// FNV-1a over the characters, then a SplitMix64 finaliser so every output bit depends on
/// every input bit (FNV's high bits alone are poorly mixed).
pub fn hash_chars(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in (*c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "北京时间今天上午，记者从有关部门获悉，一批新的基础设施项目将于下月开工建设。\
        项目涉及交通、能源和水利等多个领域，总投资超过三千亿元。专家表示，这些项目将有效带动就业，\
        促进区域经济协调发展。有关负责人介绍，项目审批流程已经全部完成，资金来源也已落实。\
        预计项目建成后，将显著改善当地群众的出行条件和生活质量，为经济长期稳定增长打下坚实基础。";

    #[test]
    fn normalising_drops_punctuation_and_folds_width() {
        assert_eq!(
            normalise("Ａｂ，c d！1"),
            "abcd1".chars().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_copy_is_close_and_another_story_is_far() {
        let a = simhash(&normalise(STORY));
        let spaced = STORY.replace('，', ", ");
        assert_eq!(distance(a, simhash(&normalise(&spaced))), 0);
        let edited = STORY.replace("总投资超过三千亿元", "总投资约为三千二百亿元");
        assert!(distance(a, simhash(&normalise(&edited))) <= 6);
        let other = "The city council voted on Tuesday to expand the bus network to the northern \
            suburbs, adding six routes and forty stops over the next two years.";
        assert!(distance(a, simhash(&normalise(other))) > 16);
    }

    #[test]
    fn close_fingerprints_share_a_band() {
        let a = 0x0123_4567_89ab_cdefu64;
        for threshold in [0, 3, 7] {
            let b = a ^ (1 << 3) ^ (1 << 40) ^ (1 << 63);
            let shared = bands(a, threshold)
                .iter()
                .zip(bands(b, threshold))
                .any(|(x, y)| *x == y);
            assert_eq!(shared, threshold >= 3, "threshold {threshold}");
            assert_eq!(bands(a, threshold).len() as u32, threshold + 1);
        }
    }
}
