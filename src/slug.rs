//! Safe, readable path segments for category and tag names (Chinese stays Chinese).
//!
//! A slug names a folder under `feeds/categories/` or `feeds/tags/`, and so a URL path segment,
//! so it must be safe on every file system and server: no separators, no `..`, no control or
//! invisible characters, not empty, not too long, not a name Windows reserves. It should still
//! read like the name: letters and digits of every script are kept (CJK as is), ASCII is
//! lowercased, everything else becomes `-`.
//!
//! Names that differ only in case or separators ("Rust Lang", "rust-lang") share a slug on
//! purpose: they are one topic, and the publisher merges them into one feed. Symbols that make
//! a different word are spelled out instead ("C++" `c-plus-plus`, "C#" `c-sharp`, "Q&A"
//! `q-and-a`), so "C", "C++" and "C#" keep three feeds.

/// Longest slug in bytes; file systems allow 255, but URLs and paths stay readable this way.
const MAX_BYTES: usize = 80;

/// Device names Windows refuses as file or folder names, whatever the extension.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Turns a name into one safe path segment: no `/`, `\`, `..`, control characters, never empty.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            // `to_lowercase` is a no-op for CJK; for cased scripts it keeps "Rust" and "rust"
            // in one feed.
            slug.extend(c.to_lowercase());
        } else if let Some(word) = spelled(c, &slug) {
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
            slug.push_str(word);
            slug.push('-');
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        // Nothing readable (e.g. "!!!" or an emoji): a hash keeps distinct names apart.
        return format!("x{}", short_hash(name));
    }
    if slug.len() > MAX_BYTES {
        // The hash is taken over the full slug, so two long names that share their first 70
        // bytes still get different folders, while case variants still share one.
        let hash = short_hash(&slug);
        let mut cut = MAX_BYTES - hash.len() - 1;
        while !slug.is_char_boundary(cut) {
            cut -= 1;
        }
        slug.truncate(cut);
        while slug.ends_with('-') {
            slug.pop();
        }
        slug.push('-');
        slug.push_str(&hash);
    }
    if WINDOWS_RESERVED.contains(&slug.as_str()) {
        // `_` never comes out of the loop above, so "con_" cannot collide with another name.
        slug.push('_');
    }
    slug
}

/// The word for a symbol that changes what a name means: `+` and `&` anywhere, `#` after a
/// letter or digit (`C#`, `F#`; a leading hashtag `#` is only a marker).
fn spelled(c: char, before: &str) -> Option<&'static str> {
    match c {
        '+' => Some("plus"),
        '&' => Some("and"),
        '#' if before.chars().last().is_some_and(char::is_alphanumeric) => Some("sharp"),
        _ => None,
    }
}

/// 8 hex digits of FNV-1a (64-bit, folded): tiny, and fixed forever, unlike std's `Hasher`,
/// whose output may change between Rust releases and would move feeds to new folders.
fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08x}", (h ^ (h >> 32)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_safe(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= MAX_BYTES + 1
            && !s.contains(['/', '\\', '\0', '.'])
            && !s.chars().any(char::is_control)
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
    }

    #[test]
    fn ascii_is_lowercased_and_punctuation_becomes_single_dashes() {
        assert_eq!(slugify("Hello, World!"), "hello-world");
        assert_eq!(slugify("  Rust   Lang  "), "rust-lang");
        assert_eq!(slugify("a/b"), "a-b");
        assert_eq!(slugify("C:\\Windows\\..\\x"), "c-windows-x");
        assert_eq!(slugify("snake_case.name"), "snake-case-name");
    }

    #[test]
    fn chinese_stays_readable() {
        assert_eq!(slugify("科技"), "科技");
        assert_eq!(slugify("国际 新闻"), "国际-新闻");
        assert_eq!(slugify("腾讯新闻·要闻"), "腾讯新闻-要闻");
        assert_eq!(slugify("AI 人工智能，未来。"), "ai-人工智能-未来");
    }

    #[test]
    fn hostile_names_become_safe_segments() {
        for name in [
            "../../etc",
            "..",
            ".",
            "/",
            "a\0b",
            "\u{7}bell\r\n",
            "<script>alert(1)</script>",
            "\u{202e}evil\u{200b}",
            "--x--",
        ] {
            let s = slugify(name);
            assert!(is_safe(&s), "{name:?} -> {s:?}");
        }
        assert_eq!(slugify("../../etc"), "etc");
        assert_eq!(slugify("<script>"), "script");
    }

    #[test]
    fn empty_results_fall_back_to_a_stable_hash() {
        let a = slugify("!!!");
        let b = slugify("???");
        assert!(is_safe(&a) && is_safe(&b));
        assert_ne!(a, b);
        assert_eq!(a, slugify("!!!"), "stable");
        assert_eq!(slugify(""), format!("x{}", short_hash("")));
        assert_eq!(slugify("🎉").len(), 9);
    }

    #[test]
    fn long_names_are_cut_at_a_char_boundary_with_a_hash() {
        let long_a = format!("{}甲", "新闻".repeat(40));
        let long_b = format!("{}乙", "新闻".repeat(40));
        let (a, b) = (slugify(&long_a), slugify(&long_b));
        assert!(a.len() <= MAX_BYTES, "{} bytes", a.len());
        assert!(is_safe(&a) && is_safe(&b));
        assert_ne!(a, b, "names sharing a prefix stay apart");
        assert!(a.starts_with("新闻新闻"));
        let ascii = slugify(&"word ".repeat(40));
        assert!(ascii.len() <= MAX_BYTES && is_safe(&ascii), "{ascii}");
        let exact = "a".repeat(MAX_BYTES);
        assert_eq!(slugify(&exact), exact, "80 bytes fit as they are");
    }

    #[test]
    fn windows_reserved_names_are_avoided() {
        assert_eq!(slugify("CON"), "con_");
        assert_eq!(slugify("nul"), "nul_");
        assert_eq!(slugify("Com1"), "com1_");
        assert_eq!(slugify("console"), "console");
    }

    #[test]
    fn case_and_punctuation_variants_share_a_slug() {
        assert_eq!(slugify("Rust Lang"), slugify("rust-lang"));
        assert_eq!(
            slugify("#Rust"),
            slugify("rust"),
            "a hashtag marker is not a word"
        );
    }

    #[test]
    fn symbols_that_make_another_word_are_spelled_out() {
        let names = ["C", "C++", "c#", "F#", "Q&A", "Google+"];
        let slugs: Vec<String> = names.iter().map(|n| slugify(n)).collect();
        assert_eq!(
            slugs,
            [
                "c",
                "c-plus-plus",
                "c-sharp",
                "f-sharp",
                "q-and-a",
                "google-plus"
            ]
        );
        assert_eq!(slugify("C++"), slugify("c ++"));
        assert!(slugs.iter().all(|s| is_safe(s)));
    }

    #[test]
    fn hash_is_fixed_forever() {
        // Changing this value would move existing feeds to new folders.
        assert_eq!(short_hash(""), "4fd0bfc1");
    }
}
