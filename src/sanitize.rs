//! The allow-list HTML sanitizer. It always runs last on any HTML that reaches Markdown or a feed.
//!
//! `ammonia` does the cleaning; this module decides the allow-list and prepares its input:
//! lazy-loaded images (`data-src` and friends behind a placeholder `src`) are given their real
//! source first, since the sanitizer drops `data-*` attributes and the image would be lost.
//! The small HTML writer used for that pass is shared with generic extraction, which re-emits a
//! pruned subtree of the page.
use std::collections::{HashMap, HashSet};

use ammonia::{Builder, UrlRelative};
use scraper::{ElementRef, Html, Node};
use url::Url;

/// Elements kept (everything else is unwrapped: its text stays, the tag goes).
const TAGS: &[&str] = &[
    "p",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "del",
    "a",
    "img",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "figure",
    "figcaption",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "hr",
    "sup",
    "sub",
];

/// Elements removed together with their content: code, embeds, widgets and their fallbacks.
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "applet", "form", "noscript", "template",
    "svg", "math", "canvas", "textarea", "select", "button", "frameset", "frame", "noframes",
    "audio", "video", "head", "title",
];

/// Attributes that lazy-loading scripts read the real image URL from, best first.
const LAZY_SRC: &[&str] = &[
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-original-src",
    "data-actualsrc",
    "data-echo",
    "data-url",
];

/// Sanitizes an HTML fragment: allow-listed tags and attributes only, relative URLs made absolute
/// against `base`, links limited to http/https/mailto.
pub fn sanitize(html: &str, base: &Url) -> String {
    let prepared = fix_lazy_images(html);
    let mut attrs: HashMap<&str, HashSet<&str>> = HashMap::new();
    attrs.insert("a", HashSet::from(["href", "title"]));
    attrs.insert(
        "img",
        HashSet::from(["src", "alt", "title", "width", "height"]),
    );
    attrs.insert("td", HashSet::from(["colspan", "rowspan"]));
    attrs.insert("th", HashSet::from(["colspan", "rowspan"]));
    let cleaned = Builder::empty()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(attrs)
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(None)
        .strip_comments(true)
        .clean(&prepared)
        .to_string();
    // Hugo reads `{{<` / `{{%` as shortcodes wherever the HTML ends up; an entity is inert.
    cleaned.replace("{{", "{&#123;")
}

/// Re-serializes `html` with every lazy image's real URL moved into `src`.
fn fix_lazy_images(html: &str) -> String {
    // Parsing is only worth it when some image could be lazy.
    if !html.contains("data-") {
        return html.to_owned();
    }
    let doc = Html::parse_fragment(html);
    let mut out = String::with_capacity(html.len());
    write_html(doc.root_element(), false, &|_| false, &mut out);
    out
}

/// The URL a lazy-loaded `<img>` really shows, when its `src` is missing or a placeholder.
pub(crate) fn lazy_src(el: &scraper::node::Element) -> Option<&str> {
    let src = el.attr("src").map(str::trim).unwrap_or("");
    let placeholder = src.is_empty() || src.starts_with("data:") || src.contains("blank.gif");
    if !placeholder {
        return None;
    }
    LAZY_SRC
        .iter()
        .filter_map(|name| el.attr(name))
        .map(str::trim)
        .find(|v| !v.is_empty() && !v.starts_with("data:"))
}

/// Writes `root` (its children only unless `include_root`) as HTML into `out`, leaving out every
/// element for which `skip` says so and fixing lazy images on the way. Iterative, so a deeply
/// nested page cannot overflow the stack.
pub(crate) fn write_html(
    root: ElementRef<'_>,
    include_root: bool,
    skip: &dyn Fn(ElementRef<'_>) -> bool,
    out: &mut String,
) {
    if include_root {
        open_tag(root.value(), out);
    }
    let mut next = root.first_child();
    while let Some(node) = next {
        let mut descend = false;
        match node.value() {
            Node::Text(t) => escape(&t.text, false, out),
            Node::Element(el) => {
                let wrapped = ElementRef::wrap(node).filter(|e| !skip(*e));
                if wrapped.is_some() {
                    open_tag(el, out);
                    descend = !is_void(el.name());
                    if descend && node.first_child().is_none() {
                        close_tag(el.name(), out);
                        descend = false;
                    }
                }
            }
            _ => {}
        }
        next = if descend { node.first_child() } else { None };
        // Climb until a next sibling is found, closing the elements left behind.
        let mut cur = node;
        while next.is_none() {
            if let Some(sib) = cur.next_sibling() {
                next = Some(sib);
                break;
            }
            match cur.parent() {
                Some(p) if p != *root => {
                    if let Node::Element(el) = p.value() {
                        close_tag(el.name(), out);
                    }
                    cur = p;
                }
                _ => break,
            }
        }
        if next.is_none() {
            break;
        }
    }
    if include_root && !is_void(root.value().name()) {
        close_tag(root.value().name(), out);
    }
}

fn open_tag(el: &scraper::node::Element, out: &mut String) {
    out.push('<');
    out.push_str(el.name());
    let lazy = if el.name() == "img" {
        lazy_src(el)
    } else {
        None
    };
    if let Some(src) = lazy {
        out.push_str(" src=\"");
        escape(src, true, out);
        out.push('"');
    }
    for (name, value) in el.attrs() {
        if lazy.is_some() && name == "src" {
            continue;
        }
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape(value, true, out);
        out.push('"');
    }
    out.push('>');
}

fn close_tag(name: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

fn escape(text: &str, attr: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' if !attr => out.push_str("&lt;"),
            '>' if !attr => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> String {
        sanitize(
            html,
            &Url::parse("https://example.com/news/a/1.html").unwrap(),
        )
    }

    #[test]
    fn removes_script_with_its_content() {
        let out = clean("<p>hi<script>alert('x')</script></p><style>p{}</style>");
        assert_eq!(out, "<p>hi</p>");
    }

    #[test]
    fn removes_event_handlers() {
        let out = clean(r#"<p onclick="steal()">text <b onmouseover="x()">bold</b></p>"#);
        assert_eq!(out, "<p>text <b>bold</b></p>");
    }

    #[test]
    fn drops_javascript_and_data_urls() {
        let out =
            clean(r#"<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AA">"#);
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(out.contains(">x</a>"), "{out}");
    }

    #[test]
    fn makes_relative_links_absolute() {
        let out = clean(r#"<a href="../b/2.html" title="t">next</a><img src="/i.jpg" alt="i">"#);
        assert!(
            out.contains(r#"href="https://example.com/news/b/2.html""#),
            "{out}"
        );
        assert!(out.contains(r#"src="https://example.com/i.jpg""#), "{out}");
    }

    #[test]
    fn keeps_allowed_markup_and_mailto() {
        let out = clean(r#"<div class="x"><h2 id="h">T</h2><a href="mailto:a@b.c">m</a></div>"#);
        assert_eq!(out, r#"<h2>T</h2><a href="mailto:a@b.c">m</a>"#);
    }

    #[test]
    fn fixes_lazy_images() {
        let out = clean(r#"<img src="data:image/gif;base64,R0l" data-src="/real.jpg" alt="a">"#);
        assert!(
            out.contains(r#"src="https://example.com/real.jpg""#),
            "{out}"
        );
        let out = clean(r#"<p><img data-original="//cdn.example.com/x.png"></p>"#);
        assert!(
            out.contains(r#"src="https://cdn.example.com/x.png""#),
            "{out}"
        );
        // A real src wins over lazy attributes.
        let out = clean(r#"<img src="/a.jpg" data-src="/b.jpg">"#);
        assert!(out.contains("/a.jpg") && !out.contains("/b.jpg"), "{out}");
    }

    #[test]
    fn neutralizes_hugo_shortcodes() {
        let out = clean("<p>{{< shortcode >}}</p>");
        assert!(!out.contains("{{"), "{out}");
    }
}
