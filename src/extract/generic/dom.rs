//! A flat index of a page's elements with the text statistics main-content scoring needs.
//!
//! The tree is walked once, iteratively (pages can nest deeply), into a `Vec` in document order,
//! so every later pass is a loop over indices: a child always comes after its parent, which
//! makes bottom-up sums one reverse loop.
use scraper::{ElementRef, Node};

/// Tags whose text flows into the surrounding block rather than forming one of its own.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "del", "dfn", "em", "font", "i",
    "img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
    "sub", "sup", "time", "tt", "u", "var", "wbr",
];

/// Tags that never hold article text.
const NEVER: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "button", "select", "textarea", "input", "option", "link", "meta", "head", "title", "dialog",
];

/// Page furniture by tag: dropped unless it wraps most of the page (some sites put everything
/// in one `<form>`).
const CHROME: &[&str] = &["nav", "aside", "footer", "header", "form", "menu"];

pub(super) struct Elem<'a> {
    pub el: ElementRef<'a>,
    pub tag: &'a str,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Hidden or never-text: excluded in every pass.
    pub dead: bool,
    /// Chrome by tag or by class/id: excluded in the strict pass.
    pub chrome: bool,
    /// Class/id hint: positive for article-like names, negative for chrome-like ones.
    pub weight: f64,
    /// Text of this element's own text nodes (non-whitespace chars) and punctuation marks.
    pub direct: usize,
    pub direct_punct: usize,
}

/// Per-pass sums over the live part of the tree.
#[derive(Clone, Default)]
pub(super) struct Stats {
    /// Non-whitespace characters in the subtree.
    pub text: usize,
    /// ... of which inside links.
    pub link: usize,
    /// Commas and sentence punctuation in the subtree.
    pub punct: usize,
    /// Text that belongs to this element as a block: its own text plus that of inline children.
    pub own: usize,
    pub own_link: usize,
    pub own_punct: usize,
    /// `<p>`-like blocks (paragraphs with a sentence) in the subtree.
    pub paras: usize,
    /// Images in the subtree.
    pub imgs: usize,
    /// Whether the element is dropped in this pass.
    pub gone: bool,
}

pub(super) fn is_inline(tag: &str) -> bool {
    INLINE.contains(&tag)
}

pub(super) fn is_punct(c: char) -> bool {
    matches!(
        c,
        ',' | '，' | '。' | '、' | '；' | '！' | '？' | ';' | '．'
    )
}

/// Indexes the elements under `root` (inclusive).
pub(super) fn index(root: ElementRef<'_>) -> Vec<Elem<'_>> {
    let mut out: Vec<Elem<'_>> = Vec::new();
    let mut stack = vec![(root, None::<usize>)];
    while let Some((el, parent)) = stack.pop() {
        let i = out.len();
        let value = el.value();
        let tag = value.name();
        let (mut direct, mut direct_punct) = (0, 0);
        for child in el.children() {
            if let Node::Text(t) = child.value() {
                for c in t.chars().filter(|c| !c.is_whitespace()) {
                    direct += 1;
                    direct_punct += usize::from(is_punct(c));
                }
            }
        }
        let hints = format!(
            "{} {}",
            value.id().unwrap_or(""),
            value.attr("class").unwrap_or("")
        );
        let weight = class_weight(&hints.to_ascii_lowercase());
        let dead = NEVER.contains(&tag) || is_hidden(el) || parent.is_some_and(|p| out[p].dead);
        let chrome = CHROME.contains(&tag) || (weight < 0.0 && !matches!(tag, "body" | "html"));
        out.push(Elem {
            el,
            tag,
            parent,
            children: Vec::new(),
            dead,
            chrome,
            weight,
            direct,
            direct_punct,
        });
        if let Some(p) = parent {
            out[p].children.push(i);
        }
        let kids: Vec<_> = el.child_elements().collect();
        stack.extend(kids.into_iter().rev().map(|c| (c, Some(i))));
    }
    out
}

fn is_hidden(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    let style: String = v
        .attr("style")
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let style = style.to_ascii_lowercase();
    style.contains("display:none") || style.contains("visibility:hidden")
}

/// Scores class and id names: +25 for article-like, -25 for chrome-like (both: 0).
fn class_weight(hints: &str) -> f64 {
    const GOOD: &[&str] = &[
        "article",
        "content",
        "post",
        "entry",
        "story",
        "text",
        "body",
        "main",
        "artibody",
        "trs_editor",
        "detail",
        "rich_media",
        "blog",
        "news_txt",
        "zhengwen",
        "endtext",
        "instapaper_body",
    ];
    const BAD: &[&str] = &[
        "comment",
        "footer",
        "nav",
        "menu",
        "sidebar",
        "share",
        "related",
        "recommend",
        "popup",
        "modal",
        "copyright",
        "breadcrumb",
        "masthead",
        "promo",
        "sponsor",
        "banner",
        "widget",
        "social",
        "login",
        "subscribe",
        "newsletter",
        "combx",
        "outbrain",
        "taboola",
        "shoutbox",
        "skyscraper",
        "byline",
        "author",
        "hidden",
        "toolbar",
        "statement",
        "disclaimer",
        "hot",
        "rank",
        "tags",
        "crumb",
        "pagination",
        "pager",
        "relate",
        "tuijian",
        "dialog",
        "cookie",
        "caption-credit",
        "signup",
        "print",
        "foot",
        "meta",
    ];
    const BAD_TOKENS: &[&str] = &[
        "ad",
        "ads",
        "advert",
        "advertisement",
        "side",
        "share",
        "hide",
    ];
    if hints.trim().is_empty() {
        return 0.0;
    }
    let mut w = 0.0;
    if GOOD.iter().any(|g| hints.contains(g)) {
        w += 25.0;
    }
    let token_bad = hints
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| BAD_TOKENS.contains(&t));
    if token_bad || BAD.iter().any(|b| hints.contains(b)) {
        w -= 25.0;
    }
    w
}

/// Sums the statistics bottom-up; `strict` also drops chrome.
pub(super) fn stats(dom: &[Elem<'_>], strict: bool) -> Vec<Stats> {
    let mut st = vec![Stats::default(); dom.len()];
    let total_direct: usize = dom.iter().filter(|e| !e.dead).map(|e| e.direct).sum();
    // Raw text per subtree, to keep chrome that wraps most of the page.
    let mut raw = vec![0usize; dom.len()];
    for i in (0..dom.len()).rev() {
        raw[i] += dom[i].direct;
        if let Some(p) = dom[i].parent {
            raw[p] += raw[i];
        }
    }
    // Top-down: a dropped element takes its subtree with it.
    let mut gone = vec![false; dom.len()];
    for (i, e) in dom.iter().enumerate() {
        let chrome = strict && e.chrome && raw[i] * 2 < total_direct;
        gone[i] = e.dead || chrome || e.parent.is_some_and(|p| gone[p]);
    }
    for i in (0..dom.len()).rev() {
        let e = &dom[i];
        let mut s = std::mem::take(&mut st[i]);
        s.gone = gone[i];
        if !s.gone {
            s.text += e.direct;
            s.punct += e.direct_punct;
            s.own += e.direct;
            s.own_punct += e.direct_punct;
            if e.tag == "a" {
                s.link = s.text;
                s.own_link = s.own;
            }
            s.imgs += usize::from(e.tag == "img");
            let own_words = s.own - s.own_link;
            let is_para =
                !is_inline(e.tag) && own_words >= 25 && (s.own_punct > 0 || own_words >= 80);
            s.paras += usize::from(is_para);
        }
        if let (Some(p), false) = (e.parent, s.gone) {
            let ps = &mut st[p];
            ps.text += s.text;
            ps.link += s.link;
            ps.punct += s.punct;
            ps.paras += s.paras;
            ps.imgs += s.imgs;
            if is_inline(e.tag) {
                ps.own += s.own;
                ps.own_link += s.own_link;
                ps.own_punct += s.own_punct;
            }
        }
        st[i] = s;
    }
    st
}
