//! HTML to Markdown: paragraphs, headings, bold/italic, links, images, lists, quotes, code,
//! tables (GFM).
//!
//! One walk over the parsed fragment serves both outputs: Markdown, and plain text (the same
//! blocks without syntax). Block elements end the paragraph being built; inline elements add to
//! it. Whitespace collapses as a browser would show it, except that a line break between two CJK
//! characters vanishes (Chinese and Japanese put no space there). Markdown-significant characters
//! in text are escaped only where they would otherwise change the meaning, and so that the text
//! reads the same in Hugo (goldmark with its typographer) as in any CommonMark renderer.
//!
//! Emphasis is marked while a paragraph is built and placed when it is complete, where the
//! CommonMark flanking rules let it render ([`emphasis`]).
use scraper::{ElementRef, Html, Node};
use url::Url;

mod emphasis;

use emphasis::{ATOM_CLOSE, ATOM_OPEN, Kind};

/// Elements that start and end a block (a paragraph boundary) wherever they appear.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Elements whose content is never text a reader sees.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg",
    "button", "select", "textarea", "input", "math", "canvas",
];

/// Nesting beyond this is flattened to its text: no real article needs it, and it bounds the
/// recursion.
const MAX_DEPTH: usize = 200;

/// Converts a (sanitized) HTML fragment to Markdown. Relative URLs resolve against `base`.
pub fn to_markdown(html: &str, base: &Url) -> String {
    render(html, Some(base))
}

/// Converts a (sanitized) HTML fragment to plain text, paragraphs separated by blank lines.
pub fn to_text(html: &str) -> String {
    render(html, None)
}

fn render(html: &str, base: Option<&Url>) -> String {
    let doc = Html::parse_fragment(html);
    Writer::new(base, true)
        .blocks_of(doc.root_element(), 0)
        .join("\n\n")
}

/// Builds blocks out of one container. `base` is `None` for plain-text output.
struct Writer<'u> {
    base: Option<&'u Url>,
    blocks: Vec<String>,
    /// The paragraph being built.
    buf: String,
    /// Whitespace seen but not yet written; `soft` when it held a line break.
    pending: bool,
    soft: bool,
    /// Whitespace before any content (an emphasis wrapper moves it outside its markers).
    leading: bool,
    /// Whether the current line may still need a line-start escape, and where it starts.
    line_start: Option<usize>,
    /// Whether the paragraph ended with a `<br>` (two in a row end the paragraph).
    after_br: bool,
    /// Inside link text, where brackets must be escaped.
    in_link: bool,
}

impl<'u> Writer<'u> {
    fn new(base: Option<&'u Url>, line_start: bool) -> Self {
        Writer {
            base,
            blocks: Vec::new(),
            buf: String::new(),
            pending: false,
            soft: false,
            leading: false,
            line_start: line_start.then_some(0),
            after_br: false,
            in_link: false,
        }
    }

    fn md(&self) -> bool {
        self.base.is_some()
    }

    /// Renders the content of `el` as a list of blocks.
    fn blocks_of(&self, el: ElementRef<'_>, depth: usize) -> Vec<String> {
        let mut w = Writer::new(self.base, true);
        w.walk(el, depth);
        w.flush();
        w.blocks
    }

    /// Renders the content of `el` as inline text: (leading space, text, trailing space).
    fn inline_of(&self, el: ElementRef<'_>, depth: usize, in_link: bool) -> (bool, String, bool) {
        let mut w = Writer::new(self.base, false);
        w.in_link = in_link || self.in_link;
        w.walk(el, depth);
        let text = w.buf.trim_end().to_owned();
        (w.leading, text, w.pending)
    }

    fn walk(&mut self, el: ElementRef<'_>, depth: usize) {
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.text(&t.text),
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child) {
                        self.element(e, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    fn element(&mut self, el: ElementRef<'_>, depth: usize) {
        let name = el.value().name();
        if SKIP.contains(&name) {
            return;
        }
        if depth > MAX_DEPTH {
            return self.text(&el.text().collect::<String>());
        }
        match name {
            "br" => self.line_break(),
            "img" => {
                if let Some(img) = self.image(el) {
                    self.push_block(img);
                }
            }
            "hr" => self.push_block(if self.md() { "---" } else { "" }.to_owned()),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.heading(el, depth),
            "ul" | "ol" => {
                let list = self.list(el, name == "ol", depth);
                self.push_block(list);
            }
            "blockquote" => self.quote(el, depth),
            "pre" => self.pre(el),
            "table" if is_data_table(el) => self.table(el, depth),
            "strong" | "b" => self.emphasis(el, Kind::Bold, depth),
            "em" | "i" | "cite" => self.emphasis(el, Kind::Italic, depth),
            "s" | "del" | "strike" => self.emphasis(el, Kind::Strike, depth),
            "code" | "kbd" | "samp" | "tt" => self.code(el),
            "a" => self.link(el, depth),
            _ if BLOCKS.contains(&name) => {
                self.flush();
                self.walk(el, depth);
                self.flush();
            }
            _ => self.walk(el, depth),
        }
    }

    /// Appends text, collapsing whitespace and escaping Markdown syntax.
    fn text(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if emphasis::is_reserved(c) {
                // Noncharacters, never text; the writer uses them as markers.
                continue;
            }
            if c.is_whitespace() {
                self.leading |= self.buf.is_empty();
                self.pending = true;
                self.soft |= c == '\n' || c == '\r';
                continue;
            }
            self.resolve_space(c);
            if self.md() && self.needs_escape(c, &chars[i + 1..]) {
                self.buf.push('\\');
            }
            self.buf.push(c);
        }
    }

    fn needs_escape(&self, c: char, rest: &[char]) -> bool {
        let next = rest.first().copied();
        let prev = self.buf.chars().next_back();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        // The end of a text node is not known to be whitespace: a marker may follow.
        let spaced = prev.is_some_and(char::is_whitespace) && next.is_some_and(char::is_whitespace);
        match c {
            '\\' => next.is_none_or(|n| n.is_ascii_punctuation()),
            // A single `~` is strikethrough for some renderers (`10~20` twice in a line).
            '*' | '~' => !spaced,
            '_' => !(word(prev) && word(next)),
            '`' => true,
            '[' | ']' if self.in_link => true,
            ']' => matches!(next, Some('(' | '[' | ':')),
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || "/!?".contains(n)),
            '&' => {
                // Only what Markdown would read as an entity reference (`&amp;`, `&#38;`).
                let name = rest
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '#');
                let n = name.count();
                n > 0 && rest.get(n) == Some(&';')
            }
            '{' => prev == Some('{') || next == Some('{'),
            _ => false,
        }
    }

    /// Writes the pending collapsed space before content starting with `next`.
    fn resolve_space(&mut self, next: char) {
        let last = self.buf.chars().rev().find(|c| !emphasis::is_reserved(*c));
        if self.pending
            && last.is_some_and(|l| l != '\n')
            && !(self.soft && last.is_some_and(is_cjk) && is_cjk(next))
        {
            self.buf.push(' ');
        }
        self.pending = false;
        self.soft = false;
        self.after_br = false;
    }

    /// Appends generated Markdown (not escaped).
    fn raw(&mut self, s: &str) {
        if let Some(first) = s.chars().next() {
            self.resolve_space(first);
            // A link or code span at the start of a line protects it; emphasis may be dropped.
            if self.line_start == Some(self.buf.len()) && !emphasis::is_opener(first) {
                self.line_start = None;
            }
            self.buf.push_str(s);
        }
    }

    fn line_break(&mut self) {
        if self.buf.trim().is_empty() {
            return;
        }
        if self.after_br {
            return self.flush();
        }
        self.escape_line_start();
        self.buf.truncate(self.buf.trim_end().len());
        self.buf.push_str(if self.md() { "  \n" } else { "\n" });
        self.line_start = Some(self.buf.len());
        self.pending = false;
        self.soft = false;
        self.after_br = true;
    }

    /// Escapes text at the start of the current line that Markdown would read as a block marker.
    fn escape_line_start(&mut self) {
        let Some(start) = self.line_start.take() else {
            return;
        };
        if !self.md() || start > self.buf.len() {
            return;
        }
        // An emphasis marker at the start hides nothing: the emphasis may yet be dropped.
        let skip = |c: char| c.is_whitespace() || emphasis::is_opener(c);
        let line = self.buf[start..].trim_start_matches(skip);
        let start = self.buf.len() - line.len();
        let text = || line.chars().filter(|c| !emphasis::is_reserved(*c));
        if line.starts_with('-') && text().all(|c| c == '-' || c == ' ') {
            // A rule or a setext underline. Every dash is escaped: goldmark's typographer
            // would turn the `--` after one escaped dash into an en dash (`-–`).
            let escaped = line.replace('-', "\\-");
            self.buf.truncate(start);
            self.buf.push_str(&escaped);
            return;
        }
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        let after = |i: usize| line[i..].chars().next();
        // A list marker needs a space (or the end of the line) after it.
        let ends = |c: Option<char>| c.is_none_or(|c| c == ' ' || emphasis::is_reserved(c));
        let at = match line.chars().next() {
            Some('#' | '>' | '=') => Some(0),
            Some('-' | '+') if ends(after(1)) => Some(0),
            Some(_) if digits > 0 && matches!(after(digits), Some('.' | ')')) => {
                ends(after(digits + 1)).then_some(digits)
            }
            _ => None,
        };
        if let Some(at) = at {
            self.buf.insert(start + at, '\\');
        }
    }

    /// Ends the current paragraph.
    fn flush(&mut self) {
        self.escape_line_start();
        let para = emphasis::resolve(&self.buf, None, None);
        let para = para.trim();
        if !para.is_empty() {
            self.blocks.push(para.to_owned());
        }
        self.buf.clear();
        self.pending = false;
        self.soft = false;
        self.after_br = false;
        self.line_start = Some(0);
    }

    fn push_block(&mut self, block: String) {
        self.flush();
        if !block.trim().is_empty() {
            self.blocks.push(block);
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Whether any descendant of `el` is one of `names`.
fn has_descendant(el: ElementRef<'_>, names: &[&str]) -> bool {
    el.descendent_elements()
        .skip(1)
        .any(|d| names.contains(&d.value().name()))
}

/// A table GFM can show: two columns or more, and cells of text (a paragraph or line break
/// in a cell is fine, a list, nested table, image or heading is not). Extraction unwraps layout
/// tables before this; anything else falls back to its paragraphs.
fn is_data_table(el: ElementRef<'_>) -> bool {
    let not_cell_content = [
        "table",
        "ul",
        "ol",
        "img",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ];
    let columns = el
        .descendent_elements()
        .filter(|d| d.value().name() == "tr")
        .map(|tr| cells(tr).map(span).sum::<usize>())
        .max()
        .unwrap_or(0);
    columns >= 2 && !has_descendant(el, &not_cell_content)
}

/// The cells of a row.
fn cells<'a>(tr: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> {
    tr.child_elements()
        .filter(|c| matches!(c.value().name(), "td" | "th"))
}

/// How many columns a cell spans (bounded: a hostile colspan must not make a huge row).
fn span(cell: ElementRef<'_>) -> usize {
    cell.attr("colspan")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 50)
}

/// Block constructs.
impl Writer<'_> {
    fn heading(&mut self, el: ElementRef<'_>, depth: usize) {
        let (_, text, _) = self.inline_of(el, depth, false);
        let text = text.replace("  \n", " ").replace('\n', " ");
        let text = emphasis::resolve(&text, None, None).trim().to_owned();
        let level = usize::from(el.value().name().as_bytes()[1] - b'0');
        let block = if self.md() && !text.is_empty() {
            format!("{} {}", "#".repeat(level), text)
        } else {
            text
        };
        self.push_block(block);
    }

    fn list(&self, el: ElementRef<'_>, ordered: bool, depth: usize) -> String {
        let start = el.attr("start").and_then(|s| s.trim().parse::<i64>().ok());
        let mut n = start.unwrap_or(1);
        let mut items = Vec::new();
        for item in el.child_elements() {
            let blocks = self.blocks_of(item, depth + 1);
            if blocks.is_empty() {
                continue;
            }
            let marker = match (self.md(), ordered) {
                (false, _) => String::new(),
                (true, true) => format!("{n}. "),
                (true, false) => "- ".to_owned(),
            };
            n += 1;
            let indent = " ".repeat(marker.len());
            let body = blocks.join("\n").replace('\n', &format!("\n{indent}"));
            items.push(format!("{marker}{body}").replace(&format!("\n{indent}\n"), "\n\n"));
        }
        items.join("\n")
    }

    fn quote(&mut self, el: ElementRef<'_>, depth: usize) {
        let inner = self.blocks_of(el, depth).join("\n\n");
        let block = if self.md() {
            let lines: Vec<String> = inner
                .lines()
                .map(|l| {
                    if l.is_empty() {
                        ">".to_owned()
                    } else {
                        format!("> {l}")
                    }
                })
                .collect();
            lines.join("\n")
        } else {
            inner
        };
        self.push_block(block);
    }

    fn pre(&mut self, el: ElementRef<'_>) {
        let code: String = el.text().collect();
        let code = code.trim_start_matches(['\r', '\n']).trim_end();
        if !self.md() {
            return self.push_block(code.to_owned());
        }
        let lang = std::iter::once(el)
            .chain(el.child_elements().filter(|c| c.value().name() == "code"))
            .flat_map(|e| e.value().classes())
            .find_map(|c| {
                c.strip_prefix("language-")
                    .or_else(|| c.strip_prefix("lang-"))
            })
            .unwrap_or("");
        let mut fence = "```".to_owned();
        while code.contains(&fence) {
            fence.push('`');
        }
        // Hugo would still read a shortcode inside a code block.
        let code = code.replace("{{", "{\u{200b}{");
        self.push_block(format!("{fence}{lang}\n{code}\n{fence}"));
    }

    /// A GFM table: the first row is the header, a spanning cell is followed by empty ones
    /// so the columns stay aligned, and the caption (if any) is a paragraph before it.
    fn table(&mut self, el: ElementRef<'_>, depth: usize) {
        if let Some(caption) = el.child_elements().find(|c| c.value().name() == "caption") {
            let caption = self.blocks_of(caption, depth).join(" ");
            self.push_block(caption);
        }
        let mut rows: Vec<Vec<String>> = Vec::new();
        for tr in el
            .descendent_elements()
            .filter(|d| d.value().name() == "tr")
        {
            let mut row = Vec::new();
            for cell in cells(tr) {
                let text = self.blocks_of(cell, depth).join(" ").replace('\n', " ");
                let text = text
                    .split(' ')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>();
                row.push(text.join(" ").replace('|', "\\|"));
                row.extend(std::iter::repeat_n(String::new(), span(cell) - 1));
            }
            rows.push(row);
        }
        rows.retain(|r| r.iter().any(|c| !c.is_empty()));
        if !self.md() {
            let lines: Vec<String> = rows.iter().map(|r| r.join(" ")).collect();
            return self.push_block(lines.join("\n"));
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut lines = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let mut cells = row.clone();
            cells.resize(width, String::new());
            lines.push(format!("| {} |", cells.join(" | ")));
            if i == 0 {
                lines.push(format!("|{}", " --- |".repeat(width)));
            }
        }
        self.push_block(lines.join("\n"));
    }
}

/// Inline constructs.
impl Writer<'_> {
    /// Marks the emphasis; [`emphasis::resolve`] writes (or drops) the markers once the
    /// paragraph is complete.
    fn emphasis(&mut self, el: ElementRef<'_>, kind: Kind, depth: usize) {
        let has_text = el.text().any(|t| !t.trim().is_empty());
        let blocky = has_descendant(el, BLOCKS) || has_descendant(el, &["img"]);
        if !self.md() || !has_text || blocky {
            return self.walk(el, depth);
        }
        let (lead, text, trail) = self.inline_of(el, depth, self.in_link);
        let (open, close) = kind.sentinels();
        self.wrap(lead, &format!("{open}{text}{close}"), trail);
    }

    /// Adds a generated inline piece, keeping the whitespace that surrounded its source outside.
    fn wrap(&mut self, lead: bool, piece: &str, trail: bool) {
        if lead {
            self.leading |= self.buf.is_empty();
            self.pending = true;
        }
        self.raw(piece);
        if trail {
            self.pending = true;
        }
    }

    fn code(&mut self, el: ElementRef<'_>) {
        let text: String = el.text().collect();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return;
        }
        if !self.md() {
            return self.text(&text);
        }
        let mut ticks = "`".to_owned();
        while text.contains(&ticks) {
            ticks.push('`');
        }
        let pad = if text.starts_with('`') || text.ends_with('`') {
            " "
        } else {
            ""
        };
        let text = text.replace("{{", "{\u{200b}{");
        self.raw(&format!(
            "{ATOM_OPEN}{ticks}{pad}{text}{pad}{ticks}{ATOM_CLOSE}"
        ));
    }

    fn link(&mut self, el: ElementRef<'_>, depth: usize) {
        let href = el.attr("href").and_then(|h| self.resolve(h));
        let has_text = el.text().any(|t| !t.trim().is_empty());
        let (Some(href), true, false) = (href, self.md(), has_descendant(el, BLOCKS)) else {
            return self.walk(el, depth);
        };
        if !has_text {
            // An image link: the image as its own paragraph, still clickable.
            let imgs: Vec<String> = el
                .descendent_elements()
                .filter(|d| d.value().name() == "img")
                .filter_map(|img| self.image(img))
                .collect();
            if !imgs.is_empty() {
                self.push_block(format!("[{}]({href})", imgs.join(" ")));
            }
            return;
        }
        let (lead, text, trail) = self.inline_of(el, depth, true);
        // Link text is its own span for emphasis, between the brackets.
        let text = emphasis::resolve(&text, Some('['), Some(']'));
        self.wrap(
            lead,
            &format!("{ATOM_OPEN}[{text}]({href}){ATOM_CLOSE}"),
            trail,
        );
    }

    /// `![alt](src)`, or `None` for an image without a usable source (and in plain text).
    fn image(&self, el: ElementRef<'_>) -> Option<String> {
        let value = el.value();
        let src = crate::sanitize::lazy_src(value).or_else(|| value.attr("src"))?;
        let src = self.resolve(src)?;
        let alt = alt_text(el);
        Some(format!("![{}]({src})", escape_alt(&alt)))
    }

    /// An absolute http(s)/mailto URL, percent-encoded ([`crate::weburl`]) and safe between
    /// Markdown parentheses.
    fn resolve(&self, url: &str) -> Option<String> {
        let url = self.base?.join(url.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https" | "mailto") {
            return None;
        }
        let s = crate::weburl::encode_parsed(&url);
        Some(s.replace('(', "%28").replace(')', "%29"))
    }
}

/// What an image shows in words: its `alt`, else its `title`, else the caption of the figure
/// it is in. Whitespace collapsed.
fn alt_text(img: ElementRef<'_>) -> String {
    let own = ["alt", "title"]
        .into_iter()
        .filter_map(|a| img.attr(a))
        .map(|a| a.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|a| !a.is_empty());
    if let Some(alt) = own {
        return alt;
    }
    let figure = img
        .ancestors()
        .take(4)
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "figure");
    figure
        .and_then(|f| {
            f.descendent_elements()
                .find(|d| d.value().name() == "figcaption")
        })
        .map(|c| c.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Alt text is read as inline Markdown: every character that could start syntax is escaped.
fn escape_alt(alt: &str) -> String {
    let mut out = String::with_capacity(alt.len());
    for c in alt.chars().filter(|c| !emphasis::is_reserved(*c)) {
        if "\\[]*_`<>&~!|#{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod commonmark;

#[cfg(test)]
mod tests {
    use super::*;

    fn md(html: &str) -> String {
        to_markdown(html, &Url::parse("https://example.com/a/b.html").unwrap())
    }

    #[test]
    fn paragraphs_and_whitespace() {
        assert_eq!(md("<p>  one\n  two </p>\n<p>three</p>"), "one two\n\nthree");
        assert_eq!(
            md("<div>inline <span>only</span></div><div><p>x</p></div>"),
            "inline only\n\nx"
        );
        assert_eq!(md("<p>中文\n排版</p>"), "中文排版");
    }

    #[test]
    fn adjacent_bold_elements_merge() {
        let html = "<P><strong>DeepSeek“</strong><strong>上车”</strong></P>";
        assert_eq!(md(html), "**DeepSeek“上车”**");
        let html = "<P>abc</P><P><strong>标题</strong> </P>";
        assert_eq!(md(html), "abc\n\n**标题**");
    }

    #[test]
    fn emphasis() {
        assert_eq!(
            md("<p>a <b> bold </b>and <em>it</em>.</p>"),
            "a **bold** and *it*."
        );
        assert_eq!(md("<p>x<strong> </strong>y</p>"), "x y");
        assert_eq!(
            md("<p><strong><img src='/i.png' alt='i'></strong></p>"),
            "![i](https://example.com/i.png)"
        );
    }

    #[test]
    fn headings() {
        assert_eq!(
            md("<h1>Title</h1><h3>Sub <i>x</i></h3>"),
            "# Title\n\n### Sub *x*"
        );
    }

    #[test]
    fn links_and_images() {
        assert_eq!(
            md(r#"<p>see <a href="c.html">the [page]</a></p>"#),
            "see [the \\[page\\]](https://example.com/a/c.html)"
        );
        assert_eq!(
            md(r#"<p>before<img src="/x.jpg" alt="X">after</p>"#),
            "before\n\n![X](https://example.com/x.jpg)\n\nafter"
        );
        assert_eq!(
            md(r#"<a href="/p"><img src="/t.jpg"></a>"#),
            "[![](https://example.com/t.jpg)](https://example.com/p)"
        );
        assert_eq!(md(r#"<a href="javascript:x()">t</a>"#), "t");
    }

    #[test]
    fn lists() {
        assert_eq!(
            md("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>"),
            "- a\n- b\n  - c"
        );
        assert_eq!(
            md("<ol><li>one</li><li><p>two</p></li></ol>"),
            "1. one\n2. two"
        );
    }

    #[test]
    fn quotes_code_and_rules() {
        assert_eq!(
            md("<blockquote><p>a</p><p>b</p></blockquote>"),
            "> a\n>\n> b"
        );
        assert_eq!(
            md("<pre><code class=\"language-rust\">fn x() {}\n  y</code></pre>"),
            "```rust\nfn x() {}\n  y\n```"
        );
        assert_eq!(md("<p>use <code>a*b</code></p><hr>"), "use `a*b`\n\n---");
    }

    #[test]
    fn line_breaks() {
        assert_eq!(md("<p>a<br>b</p>"), "a  \nb");
        assert_eq!(md("<p>a<br><br>b<br></p>"), "a\n\nb");
    }

    #[test]
    fn tables() {
        let html = "<table><tr><th>k</th><th>v</th></tr><tr><td>a|b</td><td>1</td></tr></table>";
        assert_eq!(md(html), "| k | v |\n| --- | --- |\n| a\\|b | 1 |");
        assert_eq!(
            md("<table><tr><td><p>layout</p></td></tr></table>"),
            "layout"
        );
    }

    #[test]
    fn escapes_only_where_meaningful() {
        assert_eq!(md("<p># not a heading</p>"), "\\# not a heading");
        assert_eq!(
            md("<p>1. not a list</p><p>- nor this</p>"),
            "1\\. not a list\n\n\\- nor this"
        );
        assert_eq!(
            md("<p>2*3*4 and snake_case, 5 * 6</p>"),
            "2\\*3\\*4 and snake_case, 5 * 6"
        );
        assert_eq!(md("<p>{{< x >}}</p>"), "\\{\\{< x >}}");
        assert_eq!(md("<p>AT&amp;T, a-b, 2024.</p>"), "AT&T, a-b, 2024.");
    }

    #[test]
    fn plain_text() {
        let html = "<h2>T</h2><p>a <b>b</b> <a href='/x'>c</a></p><ul><li>i1</li><li>i2</li></ul><p>x<br>y</p>";
        assert_eq!(to_text(html), "T\n\na b c\n\ni1\ni2\n\nx\ny");
    }
}
