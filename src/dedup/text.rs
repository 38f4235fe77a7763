//! What of an article's text is the story: its paragraphs minus boilerplate.
//!
//! Boilerplate is recognised two ways. Short paragraphs with a stock phrase ("责任编辑",
//! "Copyright", "Share this", "扫码关注", ...) are dropped on sight. Paragraphs repeated across
//! a source's stories (a footer, a standard disclaimer the extractor kept) are learned: each
//! stored item records the hashes of its paragraphs, and a paragraph already present in
//! [`REPEATED_IN`] other items of the same source no longer counts. A copy of one story in the
//! same source appears in only one other item, so it is not mistaken for boilerplate.

use super::simhash::{hash_chars, normalise};

/// A paragraph found in this many other items of the same source is boilerplate.
pub const REPEATED_IN: usize = 2;

/// Paragraphs at most this long (normalised characters) are checked for stock phrases.
const SHORT: usize = 120;

/// Stock phrases of page furniture, lower-case.
const STOCK: &[&str] = &[
    "责任编辑",
    "编辑：",
    "编辑:",
    "版权所有",
    "未经授权",
    "禁止转载",
    "转载请注明",
    "原标题",
    "来源：",
    "来源:",
    "扫码",
    "关注我们",
    "关注公众号",
    "下载客户端",
    "客户端",
    "点击查看",
    "阅读原文",
    "免责声明",
    "copyright",
    "©",
    "all rights reserved",
    "share this",
    "sign up",
    "subscribe",
    "newsletter",
    "follow us",
    "click here",
    "read more",
    "related:",
    "advertisement",
    "cookie",
];

/// One paragraph: its hash (over normalised characters) and its normalised characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    pub hash: u64,
    pub chars: Vec<char>,
}

/// The non-empty paragraphs of `text` (blank-line or line separated), stock-phrase
/// boilerplate removed.
pub fn paragraphs(text: &str) -> Vec<Paragraph> {
    text.lines()
        .filter_map(|line| {
            let chars = normalise(line);
            let stock = chars.len() <= SHORT && has_stock_phrase(line);
            (!chars.is_empty() && !stock).then(|| Paragraph {
                hash: hash_chars(&chars),
                chars,
            })
        })
        .collect()
}

fn has_stock_phrase(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    STOCK.iter().any(|s| lower.contains(s))
}

/// The story's paragraphs: those that are not `repeated` (learned boilerplate).
pub fn story(paras: &[Paragraph], repeated: impl Fn(u64) -> bool) -> Vec<&Paragraph> {
    paras.iter().filter(|p| !repeated(p.hash)).collect()
}

/// The story's characters: the paragraphs that are not `repeated` (learned boilerplate),
/// joined.
pub fn story_chars(paras: &[Paragraph], repeated: impl Fn(u64) -> bool) -> Vec<char> {
    story(paras, repeated)
        .into_iter()
        .flat_map(|p| p.chars.iter().copied())
        .collect()
}

/// How much text `chars` is, in Latin-letter equivalents: a Chinese, Japanese or Korean
/// character carries about as much as two letters, so `min_chars` means the same amount of
/// story in every script.
pub fn weight(chars: &[char]) -> usize {
    chars
        .iter()
        .map(|c| match *c as u32 {
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF => 2,
            0xF900..=0xFAFF | 0x20000..=0x3134F => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_lines_go_and_long_paragraphs_stay() {
        let text = "正文第一段，讲述事件经过。\n\n责任编辑：张三\n\nCopyright 2025 Example\n\n\
            A long paragraph that mentions copyright law in passing but is about a court case in \
            which the judges ruled on the scope of fair use for news quotations, at length.";
        let p = paragraphs(text);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].chars.iter().collect::<String>(),
            "正文第一段讲述事件经过"
        );
    }

    #[test]
    fn wide_scripts_weigh_double() {
        assert_eq!(weight(&"ab12".chars().collect::<Vec<_>>()), 4);
        assert_eq!(weight(&"新闻ニュース뉴스".chars().collect::<Vec<_>>()), 16);
    }

    #[test]
    fn learned_boilerplate_is_left_out() {
        let p = paragraphs("story text\nfooter line\n");
        let footer = p[1].hash;
        assert_eq!(
            story_chars(&p, |h| h == footer).iter().collect::<String>(),
            "storytext"
        );
    }
}
