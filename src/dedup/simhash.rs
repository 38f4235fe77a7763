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

/// CJK ideographs (Extension A and the unified block): letters without case, all of them
/// (see the test), so they skip the Unicode tables.
const IDEOGRAPHS: [std::ops::RangeInclusive<u32>; 2] = [0x3400..=0x4DBF, 0x4E00..=0x9FFF];

/// Letters and digits of `text`, lower-cased, full-width ASCII folded to ASCII.
pub fn normalise(text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        // ASCII and Chinese first: most text is, and the Unicode tables are slow.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            }
            continue;
        }
        if IDEOGRAPHS.iter().any(|r| r.contains(&(c as u32))) {
            out.push(c);
            continue;
        }
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The 64-bit SimHash of normalised characters.
pub fn simhash(chars: &[char]) -> u64 {
    let shingles: super::shingles::Set = chars
        .windows(SHINGLE.min(chars.len().max(1)))
        .map(hash_chars)
        .collect();
    // Set bits per position; a bit of the fingerprint is set when more than half the shingles
    // have it set. Counted eight at a time: each byte of a hash adds its spread-out bits to
    // one of eight byte-lane counters, emptied into `ones` before a lane can overflow.
    let mut ones = [0u32; 64];
    let mut lanes = [0u64; 8];
    let flush = |lanes: &mut [u64; 8], ones: &mut [u32; 64]| {
        for (j, lane) in lanes.iter_mut().enumerate() {
            for (i, n) in ones[8 * j..8 * j + 8].iter_mut().enumerate() {
                *n += (*lane >> (8 * i) & 0xff) as u32;
            }
            *lane = 0;
        }
    };
    for (k, h) in shingles.iter().enumerate() {
        for (j, lane) in lanes.iter_mut().enumerate() {
            *lane += SPREAD[(h >> (8 * j) & 0xff) as usize];
        }
        if k % 255 == 254 {
            flush(&mut lanes, &mut ones);
        }
    }
    flush(&mut lanes, &mut ones);
    let half = shingles.len() as u32;
    ones.iter()
        .enumerate()
        .filter(|(_, n)| 2 * **n > half)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// `SPREAD[b]` holds bit `i` of `b` in its byte `i`.
const SPREAD: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut i = 0;
        while i < 8 {
            if b >> i & 1 == 1 {
                t[b] |= 1 << (8 * i);
            }
            i += 1;
        }
        b += 1;
    }
    t
};

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

const FNV_PRIME: u64 = 0x0100_0000_01b3;
const FNV_PRIME_2: u64 = FNV_PRIME.wrapping_mul(FNV_PRIME);
const FNV_PRIME_3: u64 = FNV_PRIME_2.wrapping_mul(FNV_PRIME);

/// FNV-1a over the characters (each as its 4 little-endian UTF-32 bytes), then a SplitMix64
/// finaliser so every output bit depends on every input bit (FNV's high bits alone are poorly
/// mixed). The hashes are stored: they must never change.
pub fn hash_chars(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        // XOR with a zero byte changes nothing, so the steps over a character's high zero
        // bytes are one multiplication by a power of the prime (most characters are Latin or
        // in the BMP): the same hash in half the multiplications.
        let v = *c as u32;
        if v < 0x100 {
            h = (h ^ u64::from(v)).wrapping_mul(FNV_PRIME);
            h = h.wrapping_mul(FNV_PRIME_3);
        } else if v < 0x1_0000 {
            h = (h ^ u64::from(v & 0xff)).wrapping_mul(FNV_PRIME);
            h = (h ^ u64::from(v >> 8)).wrapping_mul(FNV_PRIME);
            h = h.wrapping_mul(FNV_PRIME_2);
        } else {
            for b in v.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(FNV_PRIME);
            }
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

    /// The definition: FNV-1a over every byte, then the finaliser.
    fn hash_bytewise(chars: &[char]) -> u64 {
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

    #[test]
    fn hashes_are_those_of_the_bytewise_definition() {
        let text: Vec<char> =
            "aZ9 é中文ニュース뉴스 😀𠀀\u{0}\u{ff}\u{100}\u{ffff}\u{10000}\u{10ffff}"
                .chars()
                .collect();
        for len in 0..=text.len() {
            for w in text.windows(len.max(1)) {
                assert_eq!(hash_chars(w), hash_bytewise(w), "{w:?}");
            }
        }
        // Hashes are stored: fixed values guard the definition itself.
        assert_eq!(hash_chars(&['a', '中']), 0x4408_11ec_f43d_c8dc);
        assert_eq!(hash_chars(&['新', '闻', '😀']), 0x4945_7fa1_ed17_2719);
    }

    #[test]
    fn ideographs_are_caseless_letters() {
        for r in IDEOGRAPHS {
            for c in r.filter_map(char::from_u32) {
                assert!(c.is_alphanumeric(), "{c:?}");
                assert!(c.to_lowercase().eq([c]), "{c:?}");
            }
        }
    }

    #[test]
    fn bits_are_counted_as_one_by_one() {
        // More shingles than a byte lane holds, with bits set in every position.
        let chars: Vec<char> = (0..3000u32)
            .filter_map(|i| char::from_u32(0x4E00 + i * 7 % 5000))
            .collect();
        let shingles: crate::dedup::shingles::Set =
            chars.windows(SHINGLE).map(hash_chars).collect();
        let mut ones = [0u32; 64];
        for h in &shingles {
            for (bit, n) in ones.iter_mut().enumerate() {
                *n += (h >> bit & 1) as u32;
            }
        }
        let half = shingles.len() as u32;
        let want = (0..64)
            .filter(|&b| 2 * ones[b] > half)
            .fold(0u64, |a, b| a | 1 << b);
        assert!(shingles.len() > 1000);
        assert_eq!(simhash(&chars), want);
    }

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
