//! Generic main-content detection for pages no site rule covers.
//!
//! A readability-style scorer, tuned to work for any language, Chinese portals included:
//! every block with a sentence of its own text is a paragraph; paragraphs score by length and
//! punctuation (commas and the Chinese sentence marks) and hand their score to their ancestors,
//! the parent most; class and id names nudge the score up (article, content, ...) or down
//! (comment, nav, share, ...); link-heavy containers lose in proportion to their link text. The
//! best container wins, with those of its siblings that look like more of the same article, and
//! is then pruned of the chrome it still holds (see `clean`).
//!
//! Chrome (nav, aside, footer, and class names such as sidebar or comment) is left out of the
//! first pass. When that leaves too little text (a site that names its article wrapper
//! "side-..."), a second pass keeps it.
use scraper::{Html, Selector};

mod clean;
mod dom;
#[cfg(test)]
mod tests;

use dom::{Elem, Stats};

/// Below this much text (non-whitespace characters) the strict pass is not trusted.
const MIN_TEXT: usize = 250;

/// Returns the HTML of the article body of `doc` (unsanitized), or `None` when no main content
/// is found.
pub fn main_content(doc: &Html) -> Option<String> {
    let body = Selector::parse("body").ok();
    let root = body
        .and_then(|s| doc.select(&s).next())
        .unwrap_or_else(|| doc.root_element());
    let nodes = dom::index(root);
    let mut best: Option<(usize, String)> = None;
    for strict in [true, false] {
        let st = dom::stats(&nodes, strict);
        let Some(picked) = choose(&nodes, &st) else {
            continue;
        };
        let text: usize = picked.iter().map(|&i| st[i].text).sum();
        let html = clean::render(&nodes, &st, &picked);
        if best.as_ref().is_none_or(|(t, _)| text > *t * 2) {
            best = Some((text, html));
        }
        if text >= MIN_TEXT {
            break;
        }
    }
    best.map(|(_, html)| html).filter(|h| !h.trim().is_empty())
}

/// Picks the article: the best-scoring container plus its article-like siblings, in document
/// order.
fn choose(dom: &[Elem<'_>], st: &[Stats]) -> Option<Vec<usize>> {
    if let Some(marked) = marked_body(dom, st) {
        return Some(vec![marked]);
    }
    let score = scores(dom, st);
    let final_score = |i: usize| score[i] * (1.0 - link_density(&st[i]));
    // A container without a single sentence-like paragraph wins only when nothing has one
    // (a table of contents, a list of short lines).
    let best = |need_para: bool| {
        (0..dom.len())
            .filter(|&i| score[i] > 0.0 && (st[i].paras > 0 || !need_para))
            .max_by(|&a, &b| final_score(a).total_cmp(&final_score(b)).then(a.cmp(&b)))
    };
    let mut top = best(true).or_else(|| best(false))?;
    // One paragraph that won on its class name (`sbody`, a copyright box) against a container
    // of many: the many are the article.
    if st[top].paras <= 1 {
        let many = (0..dom.len())
            .filter(|&i| st[i].paras >= 3 && final_score(i) >= final_score(top) * 0.5)
            .max_by(|&a, &b| final_score(a).total_cmp(&final_score(b)).then(a.cmp(&b)));
        if let Some(m) = many {
            top = m;
        }
    }
    if tracing::enabled!(tracing::Level::TRACE) {
        let mut all: Vec<usize> = (0..dom.len()).filter(|&i| score[i] > 0.0).collect();
        all.sort_by(|&a, &b| final_score(b).total_cmp(&final_score(a)));
        for &i in all.iter().take(6) {
            let class = dom[i].el.value().attr("class").unwrap_or("");
            let head: String = dom[i]
                .el
                .text()
                .collect::<String>()
                .split_whitespace()
                .collect::<String>()
                .chars()
                .take(30)
                .collect();
            tracing::trace!(
                i,
                tag = dom[i].tag,
                class,
                score = score[i],
                fin = final_score(i),
                text = st[i].text,
                link = st[i].link,
                paras = st[i].paras,
                head,
                "body candidate"
            );
        }
    }
    if let Some(first) = first_post(dom, st, top) {
        top = first;
    }
    // A lone child says nothing about its parent's other content; the parent is the article.
    while let Some(p) = dom[top].parent {
        let only = dom[p].children.iter().filter(|&&c| !st[c].gone).count() == 1;
        if !only || p == 0 || dom[p].tag == "body" {
            break;
        }
        top = p;
    }
    let top_score = final_score(top);
    let Some(parent) = dom[top].parent else {
        return Some(vec![top]);
    };
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = dom[top].el.value().attr("class").unwrap_or("");
    let picked = dom[parent]
        .children
        .iter()
        .copied()
        .filter(|&s| !st[s].gone)
        .filter(|&s| {
            if s == top {
                return true;
            }
            let class = dom[s].el.value().attr("class").unwrap_or("");
            let bonus = if !top_class.is_empty() && class == top_class {
                top_score * 0.2
            } else {
                0.0
            };
            final_score(s) + bonus >= threshold || is_loose_paragraph(&dom[s], &st[s])
        })
        .collect();
    Some(picked)
}

/// On a page that lists several posts (a blog's front page), the winner is one post among
/// equals: the first post, the newest, is the page's article. Posts are the elements sharing
/// the class (naming a post or entry) of the winner or of one of its three nearest ancestors.
fn first_post(dom: &[Elem<'_>], st: &[Stats], top: usize) -> Option<usize> {
    let class_of = |i: usize| dom[i].el.value().attr("class").unwrap_or("");
    let mut at = Some(top);
    for _ in 0..4 {
        let i = at?;
        let class = class_of(i);
        let lower = class.to_ascii_lowercase();
        if ["post", "entry"].iter().any(|w| lower.contains(w)) {
            let posts: Vec<usize> = (0..dom.len())
                .filter(|&j| dom[j].tag == dom[i].tag && class_of(j) == class)
                .filter(|&j| !st[j].gone && st[j].text >= MIN_TEXT / 2 && st[j].paras > 0)
                .collect();
            return (posts.len() >= 3 && posts[0] != i).then_some(posts[0]);
        }
        at = dom[i].parent;
    }
    None
}

/// The element a page marks as its article body, when it holds real text.
fn marked_body(dom: &[Elem<'_>], st: &[Stats]) -> Option<usize> {
    let marked = |i: &usize| dom[*i].el.value().attr("itemprop") == Some("articleBody");
    let best = (0..dom.len())
        .filter(marked)
        .filter(|&i| !st[i].gone)
        .max_by_key(|&i| st[i].text)?;
    (st[best].text >= MIN_TEXT && st[best].paras > 0).then_some(best)
}

/// A sibling paragraph that belongs to the article though it scored little on its own.
fn is_loose_paragraph(e: &Elem<'_>, s: &Stats) -> bool {
    if !matches!(e.tag, "p" | "div" | "section") || dom::is_inline(e.tag) {
        return false;
    }
    let ld = link_density(s);
    (s.text >= 80 && ld < 0.25) || (s.text > 0 && s.text < 80 && ld == 0.0 && s.punct > 0)
}

fn link_density(s: &Stats) -> f64 {
    if s.text == 0 {
        0.0
    } else {
        s.link as f64 / s.text as f64
    }
}

/// Content scores: each paragraph gives its score to its parent in full, its grandparent half,
/// and less further up; containers start from their tag and class hints.
fn scores(dom: &[Elem<'_>], st: &[Stats]) -> Vec<f64> {
    let mut score = vec![0.0; dom.len()];
    let mut seeded = vec![false; dom.len()];
    for (i, e) in dom.iter().enumerate() {
        let s = &st[i];
        let words = s.own.saturating_sub(s.own_link);
        if s.gone || dom::is_inline(e.tag) || words < 25 {
            continue;
        }
        let para = 1.0 + s.own_punct as f64 + (words as f64 / 100.0).min(3.0);
        // Text written straight into a container (`<br>`-separated) makes it an article itself.
        let mut targets = Vec::with_capacity(6);
        if s.own * 2 > s.text {
            targets.push((i, 1.0));
        }
        let mut up = e.parent;
        for level in 1..=5 {
            let Some(a) = up else { break };
            let div = match level {
                1 => 1.0,
                2 => 2.0,
                l => l as f64 * 3.0,
            };
            targets.push((a, div));
            up = dom[a].parent;
        }
        for (a, div) in targets {
            if !seeded[a] {
                seeded[a] = true;
                score[a] += initial_score(&dom[a]);
            }
            score[a] += para / div;
        }
    }
    for (i, s) in score.iter_mut().enumerate() {
        if dom[i].tag == "body" || dom[i].tag == "html" || st[i].gone {
            *s = 0.0;
        }
    }
    score
}

fn initial_score(e: &Elem<'_>) -> f64 {
    let tag = match e.tag {
        "article" => 10.0,
        "div" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    tag + e.weight
}
