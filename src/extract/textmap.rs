//! The page's visible text as one string, with what each stretch of it sits in.
//!
//! Finding a publish date (or a headline) in the page is a question of *where*: right under the
//! headline, inside a related-links list, in the footer. The map flattens the body's text nodes,
//! in document order and with whitespace collapsed, into one string, and remembers for each
//! text node its byte range, whether it sits inside a link, and its nearest block element, so
//! a position found by scanning the string leads back to the page's structure.

use scraper::{ElementRef, Html, Node, Selector};
use std::sync::LazyLock;

static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").expect("static"));
static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a").expect("static"));

/// Elements whose text is never shown.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "select", "option", "textarea",
    "iframe", "svg",
];

/// Elements that do not start a block of their own.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "big", "br", "cite", "code", "em", "font", "i", "img", "label", "nobr", "q",
    "s", "small", "span", "strong", "sub", "sup", "time", "tt", "u",
];

/// One text node's place in the map.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub start: usize,
    pub end: usize,
    pub in_link: bool,
    /// The nearest enclosing block element.
    pub block: Option<ElementRef<'a>>,
}

/// The body's visible text and where each part came from.
#[derive(Debug, Default)]
pub struct TextMap<'a> {
    pub text: String,
    pub runs: Vec<Run<'a>>,
}

impl<'a> TextMap<'a> {
    /// Flattens the visible text of `doc`'s body (the whole document when it has none).
    pub fn build(doc: &'a Html) -> Self {
        let root = doc
            .select(&BODY)
            .next()
            .unwrap_or_else(|| doc.root_element());
        let mut map = TextMap::default();
        // Depth first with an explicit stack (pages nest deeply); each entry carries whether it
        // is hidden, whether it is inside a link, and its nearest block.
        let mut stack = vec![(*root, false, false, Some(root))];
        while let Some((node, hidden, link, block)) = stack.pop() {
            match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    let block = if INLINE.contains(&name) {
                        block
                    } else {
                        ElementRef::wrap(node)
                    };
                    let hidden = hidden || HIDDEN.contains(&name);
                    let link = link || name == "a";
                    stack.extend(node.children().rev().map(|c| (c, hidden, link, block)));
                }
                Node::Text(t) if !hidden => map.push(t, link, block),
                _ => {}
            }
        }
        map
    }

    fn push(&mut self, t: &str, in_link: bool, block: Option<ElementRef<'a>>) {
        let mut words = t.split_whitespace().peekable();
        if words.peek().is_none() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        let start = self.text.len();
        for (i, w) in words.enumerate() {
            if i > 0 {
                self.text.push(' ');
            }
            self.text.push_str(w);
        }
        self.runs.push(Run {
            start,
            end: self.text.len(),
            in_link,
            block,
        });
    }

    /// The last text node that ends before byte `pos` without holding it.
    pub fn run_before(&self, pos: usize) -> Option<&Run<'a>> {
        let i = self.runs.partition_point(|r| r.end <= pos);
        self.runs.get(i.checked_sub(1)?)
    }

    /// The text node that holds byte `pos`.
    pub fn run_at(&self, pos: usize) -> Option<&Run<'a>> {
        let i = self.runs.partition_point(|r| r.end <= pos);
        self.runs.get(i).filter(|r| r.start <= pos)
    }
}

/// Share of a block's text that sits inside links.
pub fn link_density(block: ElementRef<'_>) -> f64 {
    let count = |e: ElementRef<'_>| {
        e.text()
            .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
            .sum::<usize>()
    };
    let total = count(block);
    if total == 0 {
        return 0.0;
    }
    let links: usize = block.select(&LINKS).map(count).sum();
    links as f64 / total as f64
}

/// `s` with runs of whitespace collapsed to one space, as in [`TextMap::text`].
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_with_links_and_blocks() {
        let doc = Html::parse_document(
            "<head><title>T</title></head><body><script>var x = '2012-01-01';</script>\
             <div>发布时间：<b>2012-03-05</b>\n 10:23</div>\
             <ul><li><a href='/a'>相关新闻的标题很长的一条</a> 2012-03-01</li></ul></body>",
        );
        let map = TextMap::build(&doc);
        assert_eq!(
            map.text,
            "发布时间： 2012-03-05 10:23 相关新闻的标题很长的一条 2012-03-01"
        );
        let at = map.text.find("2012-03-05").unwrap();
        let run = map.run_at(at).unwrap();
        assert!(!run.in_link);
        assert_eq!(run.block.unwrap().value().name(), "div");
        let related = map.text.find("相关").unwrap();
        assert!(map.run_at(related).unwrap().in_link);
        let last = map.text.rfind("2012").unwrap();
        assert!(map.run_before(last).unwrap().in_link);
        let li = map.run_at(last).unwrap().block.unwrap();
        assert!(link_density(li) > 0.5);
    }
}
