//! The author as Chinese portals print it: a labelled name in the page text.
//!
//! Pages without an author in their metadata write `作者：郭励弘`, `（记者 胡晓蓉）`,
//! `执笔人：…`, `本贴由 大卫 于…` or, failing those, `责任编辑：魏喆` around the headline or at
//! the end of the article. Labels are tried in that order of preference; a name is one to three
//! space-separated runs of two to four Chinese characters (later runs two or three, so a
//! following `我要说说` is not taken for a name).

use super::textmap::TextMap;

/// (label, whether a colon or space must follow it), most trusted first.
const LABELS: &[(&str, bool)] = &[
    ("作者", true),
    ("执笔人", true),
    ("撰文", true),
    ("记者", true),
    ("本贴由", false),
    ("责任编辑", false),
    ("编辑", true),
];

/// Words that follow a label but are not names.
const NOT_NAMES: &[&str] = &[
    "来源", "时间", "日期", "发表", "出自", "编辑", "本报", "记者", "简介", "专栏", "文章", "声明",
    "平台",
];

/// The first labelled name in the page text, starting from byte `from` (the headline).
pub fn find(map: &TextMap<'_>, from: usize) -> Option<String> {
    let text = map.text.get(from..).unwrap_or(&map.text);
    LABELS.iter().find_map(|&(label, needs_sep)| {
        text.match_indices(label).find_map(|(i, _)| {
            let at = from + i;
            if map.run_at(at).is_some_and(|r| r.in_link) {
                return None;
            }
            let rest = &text[i + label.len()..];
            let trimmed = rest.trim_start_matches([':', '：', ' ', '/']);
            if needs_sep && trimmed.len() == rest.len() {
                return None;
            }
            name_at(trimmed)
        })
    })
}

/// One to three names at the start of `s`.
fn name_at(s: &str) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    for (i, token) in s.split(' ').take(3).enumerate() {
        let han = token
            .char_indices()
            .find(|(_, c)| !('\u{4e00}'..='\u{9fff}').contains(c))
            .map_or(token, |(at, _)| &token[..at]);
        let n = han.chars().count();
        let max = if i == 0 { 4 } else { 3 };
        if !(2..=max).contains(&n) || NOT_NAMES.iter().any(|w| han.contains(w)) {
            break;
        }
        names.push(han);
        if han.len() < token.len() {
            break;
        }
    }
    (!names.is_empty()).then(|| names.join(" "))
}

/// Whether a metadata author is really a site or a publisher (`www.x.cn,某某报业集团,某某网`).
pub fn looks_like_site(author: &str) -> bool {
    let lower = author.to_lowercase();
    author.split([',', '，']).count() >= 3
        || ["www.", ".com", ".cn", "team", "http"]
            .iter()
            .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn author(html: &str) -> Option<String> {
        let doc = Html::parse_document(html);
        find(&TextMap::build(&doc), 0)
    }

    #[test]
    fn labelled_names() {
        assert_eq!(
            author("<div>时间：2004年10月21日14:18 作者：郭励弘 我来说两句</div>").as_deref(),
            Some("郭励弘")
        );
        assert_eq!(
            author("<p>推动工业高质量发展。（记者 胡晓蓉）</p><p>责任编辑：孙重远</p>").as_deref(),
            Some("胡晓蓉")
        );
        assert_eq!(
            author("<p>编辑： 金金 来源： 21世纪经济报道 作者：宋怡 杨志华 我要说说</p>")
                .as_deref(),
            Some("宋怡 杨志华")
        );
        assert_eq!(
            author("<p>本贴由<b>大卫</b>于2005年8月12日16:12:21在</p>").as_deref(),
            Some("大卫")
        );
        assert_eq!(
            author("<p>（ 责任编辑：魏喆 ）</p>").as_deref(),
            Some("魏喆")
        );
    }

    #[test]
    fn sentences_and_links_are_not_bylines() {
        assert_eq!(
            author("<p>记者从有关部门获悉，今年以来工作稳步推进。</p>"),
            None
        );
        assert_eq!(author("<p><a href='/z'>作者：某某某</a></p>"), None);
    }

    #[test]
    fn site_names_posing_as_authors() {
        assert!(looks_like_site("www.yunnan.cn,云南日报报业集团,云南网"));
        assert!(looks_like_site("Discuz! Team and Comsenz UI Team"));
        assert!(!looks_like_site("A. Writer, B. Writer"));
        assert!(!looks_like_site("李楠"));
    }
}
