//! Pruning of the chosen article container: what is left of the page's chrome inside it.
//!
//! Readability's conditional cleaning, kept to containers (an element with only inline content
//! is a paragraph and stays): link lists, blocks of list items posing as text, short
//! unpunctuated boxes and elements whose class says chrome.
use std::collections::HashSet;

use scraper::ElementRef;

use super::dom::{self, Elem, Stats};

/// Serializes the picked elements without the parts judged to be chrome.
pub(super) fn render(dom: &[Elem<'_>], st: &[Stats], picked: &[usize]) -> String {
    let mut removed = HashSet::new();
    for &root in picked {
        let end = subtree_end(dom, root);
        for i in root + 1..end {
            if st[i].gone || is_junk(dom, st, i) {
                removed.insert(key(dom[i].el));
            }
        }
    }
    let skip = |el: ElementRef<'_>| removed.contains(&key(el));
    let mut out = String::new();
    let wrap = picked.len() > 1;
    if wrap {
        out.push_str("<div>");
    }
    for &i in picked {
        crate::sanitize::write_html(dom[i].el, true, &skip, &mut out);
    }
    if wrap {
        out.push_str("</div>");
    }
    out
}

/// An element's identity for the skip set: the address of its node in the parsed tree.
fn key(el: ElementRef<'_>) -> usize {
    std::ptr::from_ref(el.value()) as usize
}

/// One past the last index of `i`'s subtree (the index is in document order).
fn subtree_end(dom: &[Elem<'_>], i: usize) -> usize {
    let mut j = i;
    while let Some(&last) = dom[j].children.last() {
        j = last;
    }
    j + 1
}

fn is_junk(dom: &[Elem<'_>], st: &[Stats], i: usize) -> bool {
    let (e, s) = (&dom[i], &st[i]);
    // The title lives in the front matter, captions and credits under their images.
    if matches!(e.tag, "h1" | "figcaption") || is_caption(e) {
        return true;
    }
    if dom::is_inline(e.tag) || matches!(e.tag, "pre" | "blockquote" | "figure" | "img") {
        return false;
    }
    if s.text < 100 && is_breadcrumb(e) {
        return true;
    }
    let link_density = if s.text == 0 {
        0.0
    } else {
        s.link as f64 / s.text as f64
    };
    let has_blocks = e.children.iter().any(|&c| !dom::is_inline(dom[c].tag));
    // A paragraph that is nothing but a link: "read more", "related: ...".
    if !has_blocks {
        return s.text > 0 && link_density > 0.8 && e.weight <= 0.0 && !is_heading(e.tag);
    }
    if s.punct >= 10 && link_density < 0.5 {
        return false;
    }
    let lis = dom[i..subtree_end(dom, i)]
        .iter()
        .filter(|d| d.tag == "li")
        .count();
    let list = matches!(e.tag, "ul" | "ol");
    if e.weight < 0.0 {
        return true;
    }
    (lis > s.paras + 1 && !list && link_density > 0.2)
        || (link_density > 0.2 && e.weight < 25.0)
        || link_density > 0.5
        || (s.text < 25 && s.imgs == 0 && !is_heading(e.tag))
}

fn is_caption(e: &Elem<'_>) -> bool {
    let class =
        e.el.value()
            .attr("class")
            .unwrap_or("")
            .to_ascii_lowercase();
    ["caption", "credit", "dateline", "timestamp"]
        .iter()
        .any(|c| class.contains(c))
}

fn is_heading(tag: &str) -> bool {
    matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// A "you are here" line (`当前位置：首页 -> 军事技术`) left inside the article container.
fn is_breadcrumb(e: &Elem<'_>) -> bool {
    const HERE: &[&str] = &[
        "当前位置",
        "您的位置",
        "您现在的位置",
        "你的位置",
        "所在位置",
    ];
    let text: String = e.el.text().flat_map(|t| t.chars()).take(12).collect();
    let text = text.trim_start();
    HERE.iter().any(|h| text.starts_with(h))
}
