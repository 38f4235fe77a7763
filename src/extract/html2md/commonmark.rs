//! Round trips through a CommonMark renderer (pulldown-cmark, with GFM tables and
//! strikethrough): what the Markdown written here shows is what the HTML showed. No literal
//! `*` survives, bold text is in `<strong>`, rules and list-like text stay text.
use super::to_markdown;
use proptest::prelude::*;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use url::Url;

fn md(html: &str) -> String {
    to_markdown(html, &Url::parse("https://example.com/a/b.html").unwrap())
}

/// What a reader sees of some Markdown: the text, the text of each `<strong>`, `<em>` and
/// `<del>`, and the HTML.
#[derive(Debug, Default)]
struct Rendered {
    text: String,
    strong: Vec<String>,
    em: Vec<String>,
    del: Vec<String>,
    html: String,
}

fn render_with(markdown: &str, smart: bool) -> Rendered {
    let mut opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    if smart {
        // goldmark's typographer in Hugo does the same to dashes and quotes.
        opts |= Options::ENABLE_SMART_PUNCTUATION;
    }
    let events: Vec<Event> = Parser::new_ext(markdown, opts).collect();
    let mut out = Rendered::default();
    pulldown_cmark::html::push_html(&mut out.html, events.clone().into_iter());
    // Open spans: (kind, text so far).
    let mut open: Vec<(u8, String)> = Vec::new();
    for e in events {
        match e {
            Event::Start(Tag::Strong) => open.push((b's', String::new())),
            Event::Start(Tag::Emphasis) => open.push((b'e', String::new())),
            Event::Start(Tag::Strikethrough) => open.push((b'd', String::new())),
            Event::End(TagEnd::Strong | TagEnd::Emphasis | TagEnd::Strikethrough) => {
                let (kind, text) = open.pop().expect("balanced");
                match kind {
                    b's' => out.strong.push(text),
                    b'e' => out.em.push(text),
                    _ => out.del.push(text),
                }
            }
            Event::Text(t) | Event::Code(t) => {
                out.text.push_str(&t);
                for (_, s) in &mut open {
                    s.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => out.text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::TableCell) => {
                out.text.push('\n')
            }
            _ => {}
        }
    }
    out
}

fn render(markdown: &str) -> Rendered {
    render_with(markdown, false)
}

/// Whitespace runs as one space, trimmed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that `html`'s Markdown renders to `text` with exactly `strong` in bold.
#[track_caller]
fn check(html: &str, text: &str, strong: &[&str]) {
    let markdown = md(html);
    let r = render(&markdown);
    assert_eq!(squash(&r.text), text, "{html} -> {markdown} -> {}", r.html);
    assert_eq!(r.strong, strong, "{html} -> {markdown} -> {}", r.html);
    assert!(!r.text.contains('*'), "{markdown} -> {}", r.html);
}

#[test]
fn chinese_bold_renders_as_bold() {
    check(
        "<p><strong>李金泽：</strong>政府工作报告提出</p>",
        "李金泽：政府工作报告提出",
        &["李金泽"],
    );
    check(
        "<p><strong>DeepSeek“</strong><strong>上车”</strong></p>",
        "DeepSeek“上车”",
        &["DeepSeek“上车”"],
    );
    check(
        "<p><strong>“</strong><strong>刘峰：我有些饿。</strong></p>",
        "“刘峰：我有些饿。",
        &["“刘峰：我有些饿。"],
    );
    check(
        "<p>他说<b>“很好”</b>然后走了</p>",
        "他说“很好”然后走了",
        &["很好"],
    );
    check("<p>这是<b>重点</b>内容</p>", "这是重点内容", &["重点"]);
    check(
        "<p><b>记者：</b><b>张三</b>报道</p>",
        "记者：张三报道",
        &["记者：张三"],
    );
    check("<p>价格<b>￥100</b>元</p>", "价格￥100元", &["100"]);
}

#[test]
fn english_bold_renders_as_bold() {
    check(
        "<p><strong>\"</strong>The course was hard</p>",
        "\"The course was hard",
        &[],
    );
    check(
        "<p>The <b>price:</b>100 dollars</p>",
        "The price:100 dollars",
        &["price"],
    );
    check(
        "<p><b>Update (10:00):</b> more</p>",
        "Update (10:00): more",
        &["Update (10:00):"],
    );
    check("<p>a<b>(b)</b>c and <b>©</b>x</p>", "a(b)c and ©x", &["b"]);
    check(
        "<p><b>bold <i>it</i> more</b> and <b><i>both</i></b>.</p>",
        "bold it more and both.",
        &["bold it more", "both"],
    );
}

#[test]
fn italics_strikethrough_and_links() {
    let r = render(&md("<p>a<em>(b)</em>c <i>“引语”</i>后</p>"));
    assert_eq!(r.em, ["b", "引语"]);
    let r = render(&md("<p>价格<del>100元</del>50元</p>"));
    assert_eq!(r.del, ["100元"]);
    assert_eq!(squash(&r.text), "价格100元50元");
    let r = render(&md(r#"<p><a href="/x"><b>“标题”</b></a>正文</p>"#));
    assert_eq!(r.strong, ["“标题”"]);
    assert!(
        r.html.contains("href=\"https://example.com/x\""),
        "{}",
        r.html
    );
    let r = render(&md(r#"<p>见<b><a href="/x">链接</a></b>正文</p>"#));
    assert_eq!(squash(&r.text), "见链接正文");
    assert!(!r.text.contains('*'));
}

#[test]
fn block_looking_text_stays_text() {
    for (html, text) in [
        ("<p>---</p>", "---"),
        ("<p>----</p>", "----"),
        ("<p>- - -</p>", "- - -"),
        ("<p>***</p>", "***"),
        ("<p>___</p>", "___"),
        ("<p>Title<br>===</p>", "Title ==="),
        ("<p>Title<br>---</p>", "Title ---"),
        ("<p>+ plus</p>", "+ plus"),
        ("<p>- dash</p>", "- dash"),
        ("<p>* star</p>", "* star"),
        ("<p>1) one</p>", "1) one"),
        ("<p>2. two</p>", "2. two"),
        ("<p># hash</p>", "# hash"),
        ("<p>&gt; quote</p>", "> quote"),
        ("<p><b>---</b></p>", "---"),
    ] {
        let markdown = md(html);
        // With smart punctuation on, as in Hugo: an escaped dash must not leave `--` behind.
        let r = render_with(&markdown, true);
        assert_eq!(squash(&r.text), text, "{html} -> {markdown} -> {}", r.html);
        assert!(r.html.starts_with("<p>"), "{markdown} -> {}", r.html);
    }
}

#[test]
fn tables_and_images() {
    let html = "<table><caption>油价</caption><thead><tr><th>地区</th><th>价格</th></tr></thead>\
        <tbody><tr><td><b>北京</b></td><td><p>7.5</p></td></tr>\
        <tr><td colspan=\"2\">a|b</td></tr></tbody></table>";
    let markdown = md(html);
    let r = render(&markdown);
    assert!(r.html.contains("<table>"), "{markdown} -> {}", r.html);
    assert!(r.html.contains("<th>地区</th>"), "{}", r.html);
    assert!(
        r.html.contains("<td><strong>北京</strong></td>"),
        "{}",
        r.html
    );
    assert!(r.html.contains("<td>a|b</td>"), "{}", r.html);
    assert!(r.html.contains("<p>油价</p>"), "{}", r.html);

    let r = render(&md(
        "<figure><img src=\"/a.jpg\"><figcaption>The *new* ferry</figcaption></figure>\
         <p><img src=\"/b.jpg\" alt=\"A [red] boat\"></p>",
    ));
    assert!(
        r.html
            .contains("<img src=\"https://example.com/a.jpg\" alt=\"The *new* ferry\""),
        "{}",
        r.html
    );
    assert!(
        r.html
            .contains("<img src=\"https://example.com/b.jpg\" alt=\"A [red] boat\""),
        "{}",
        r.html
    );
}

/// Text of a generated paragraph: CJK, Latin, digits, spaces and the punctuation and symbols
/// that decide the flanking rules. No `*`, `~`, `_`, `&`, `<` or backslash, so whatever of
/// those the rendered text shows came from the markers.
fn text_piece() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[中文字报道aZx1 “”：。，！（）\"',.:;!?()©￥+#-]{1,6}").unwrap()
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Wrap(&'static str, Vec<Piece>),
}

fn piece() -> impl Strategy<Value = Piece> {
    let leaf = text_piece().prop_map(Piece::Text);
    leaf.prop_recursive(3, 12, 3, |inner| {
        (
            prop::sample::select(vec!["b", "strong", "i", "em", "del"]),
            prop::collection::vec(inner, 1..4),
        )
            .prop_map(|(tag, children)| Piece::Wrap(tag, children))
    })
}

fn to_html(p: &Piece, out: &mut String, text: &mut String) {
    match p {
        Piece::Text(t) => {
            out.push_str(&t.replace('"', "&quot;"));
            text.push_str(t);
        }
        Piece::Wrap(tag, children) => {
            out.push_str(&format!("<{tag}>"));
            for c in children {
                to_html(c, out, text);
            }
            out.push_str(&format!("</{tag}>"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Whatever the emphasis, the rendered text is the page's text: no marker printed,
    /// nothing lost.
    #[test]
    fn any_emphasis_renders_without_markers(pieces in prop::collection::vec(piece(), 1..5)) {
        let mut html = String::from("<p>");
        let mut text = String::new();
        for p in &pieces {
            to_html(p, &mut html, &mut text);
        }
        html.push_str("</p>");
        let markdown = md(&html);
        let r = render(&markdown);
        prop_assert_eq!(
            squash(&r.text),
            squash(&text),
            "{} -> {} -> {}",
            html,
            markdown,
            r.html
        );
    }
}
