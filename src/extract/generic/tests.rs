//! Main-content detection on real pages (fixtures under `tests/fixtures/extract/`): the
//! article's key sentences stay, the page's chrome goes.
use scraper::Html;

use super::main_content;
use crate::extract::html2md::to_text;

fn fixture(name: &str, gbk: bool) -> Html {
    let path = format!(
        "{}/tests/fixtures/extract/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = if gbk {
        encoding_rs::GB18030.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8(bytes).expect("utf-8 fixture")
    };
    Html::parse_document(&text)
}

/// The extracted body as plain text, whitespace removed (Chinese has none to compare).
fn body_text(doc: &Html) -> String {
    let html = main_content(doc).expect("main content found");
    to_text(&html).split_whitespace().collect()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

fn assert_keeps(body: &str, sentences: &[&str]) {
    for s in sentences {
        assert!(body.contains(&squash(s)), "missing {s:?} in {body}");
    }
}

fn assert_drops(body: &str, chrome: &[&str]) {
    for s in chrome {
        assert!(!body.contains(&squash(s)), "kept chrome {s:?} in {body}");
    }
}

#[test]
fn qq_article_without_popup_disclaimer_or_comments() {
    let body = body_text(&fixture("qq-20250210A010IU00.html", false));
    assert_keeps(
        &body,
        &[
            "DeepSeek“上车”",
            "公司白领刘峰（化名）周末中午加完班后，打算开车回家。",
            "国内的昇腾、沐曦、海光信息、摩尔线程、天数智芯等AI芯片厂商也均适配DeepSeek。",
            "它们从根本上重新定义了保险和医疗保健等行业的成本结构和流程。”报道称。",
        ],
    );
    assert_drops(
        &body,
        &[
            "全新首页 焕新登场",
            "免责声明",
            "评论区",
            "相关推荐",
            "Copyright",
        ],
    );
}

#[test]
fn english_article_without_comments_or_newsletter() {
    let body = body_text(&fixture("en-thespacereview.html", false));
    assert_keeps(
        &body,
        &[
            "Earlier this month, NASA announced the newest milestone in the development",
            "“Oh my,” Lucas responded with a sigh.",
            "revisiting SLS and Orion themselves.",
        ],
    );
    assert_drops(
        &body,
        &["Subscribe to our weekly newsletter", "mc_embed_signup"],
    );
}

#[test]
fn gbk_chinese_article_without_breadcrumb_or_copyright() {
    let body = body_text(&fixture("zh-gbk-cnr.html", true));
    assert_keeps(
        &body,
        &[
            "央广网北京2月13日消息 据中央广播电视总台中国之声《新闻和报纸摘要》报道",
            "《规定》共11章56条，按照面向部队、面向实战的原则",
            "完善了紧贴实战、策略灵活、敏捷高效的工作制度。",
        ],
    );
    assert_drops(
        &body,
        &[
            "原创版权禁止商业转载",
            "转载申请事宜",
            "新闻和报纸摘要 中央军委",
        ],
    );
}

#[test]
fn chinese_portal_article_without_header_share_or_footer() {
    let body = body_text(&fixture("zh-yunnan.html", false));
    assert_keeps(
        &body,
        &[
            "近年来，我省积极把握制造业发展趋势，加速向智能制造、绿色制造、高端制造方向转型升级。",
            "上榜的1家国家级绿色园区为普洱工业园区。",
            "推动云南工业高质量发展。（记者 胡晓蓉）",
        ],
    );
    assert_drops(
        &body,
        &[
            "云南日报数字报",
            "分享到微信",
            "滇ICP备11000491号-1",
            "版权所有，未经许可不得转载",
        ],
    );
}

#[test]
fn no_content_and_degenerate_pages() {
    assert_eq!(main_content(&Html::parse_document("")), None);
    assert_eq!(
        main_content(&Html::parse_document("<nav><a href=/>home</a></nav>")),
        None
    );
    // Deep nesting must neither overflow the stack nor take quadratic time.
    let deep = format!(
        "{}<p>text, more text, and more.</p>{}",
        "<div>".repeat(5000),
        "</div>".repeat(5000)
    );
    let _ = main_content(&Html::parse_document(&deep));
}

#[test]
fn prefers_marked_article_body() {
    let para =
        "<p>A sentence of the article, with a comma, and more words to make it long enough.</p>";
    let html = format!(
        r#"<body><div class="content"><div itemprop="articleBody">{}</div><div class="related">{}</div></div></body>"#,
        para.repeat(4),
        para.repeat(6)
    );
    let out = main_content(&Html::parse_document(&html)).unwrap();
    assert_eq!(out.matches("<p>").count(), 4, "{out}");
}

/// Regression (a 2005 Yahoo China page): the copyright box, one paragraph in a cell classed
/// `sbody`, outscored the article cell that also held a long related-links list.
#[test]
fn many_paragraphs_beat_one_paragraph_with_a_body_class() {
    let para = "<p>像许多日本女性一样，顺子一直等到三十岁出头才结婚，在决定结婚后便把精力放在建立新家庭上。</p>";
    let links: String = (0..12)
        .map(|i| format!("<li><a href='/n{i}'>[情感] 另一条相关新闻的标题在这里第{i}条</a></li>"))
        .collect();
    let copyright = format!(
        "<p>{}</p>",
        "雅虎中国的所有内容均由其内容合作方根据协议提供，我们有权转载或摘编已在报刊上刊登的作品。"
            .repeat(4)
    );
    let html = format!(
        "<body><table><tr><td>{}<ul>{links}</ul></td></tr>\
         <tr><td class='sbody'>{copyright}</td></tr></table></body>",
        para.repeat(8)
    );
    let body = body_text(&Html::parse_document(&html));
    assert_keeps(&body, &["像许多日本女性一样，顺子一直等到三十岁出头才结婚"]);
    assert_drops(&body, &["雅虎中国的所有内容均由其内容合作方根据协议提供"]);
}

#[test]
fn breadcrumb_inside_the_article_container_goes() {
    let para =
        "<p>飞行归因于作用在飞机上的几个力，第一个是飞机的重量，即将飞机拉向地面的重力。</p>";
    let html = format!(
        "<body><div class='content'><div>当前位置： <a href='/'>首页</a> -> <a href='/j'>军事技术</a></div>\
         <div>飞行物理学常识</div>{}</div></body>",
        para.repeat(6)
    );
    let body = body_text(&Html::parse_document(&html));
    assert_keeps(&body, &["飞行物理学常识", "飞行归因于作用在飞机上的几个力"]);
    assert_drops(&body, &["当前位置"]);
}

/// Regression (a 2005 blog front page): the longest of several posts won; the first is the
/// page's article.
#[test]
fn first_of_several_posts_is_the_article() {
    let post = |title: &str, n: usize| {
        format!(
            "<div class='post'><div class='post-title'>{title}</div><div class='post-body'>{}</div></div>",
            format!(
                "<p>{title}的正文，这是一段足够长的文字，写给读者看，内容丰富而且有很多标点。</p>"
            )
            .repeat(n)
        )
    };
    let html = format!(
        "<body><div class='blog'>{}{}{}</div></body>",
        post("湘菜粤菜兵分两路", 4),
        post("跳房子踢毽子跳皮筋", 9),
        post("澳坛真的累了", 5)
    );
    let body = body_text(&Html::parse_document(&html));
    assert_keeps(&body, &["湘菜粤菜兵分两路的正文"]);
    assert_drops(&body, &["跳房子踢毽子跳皮筋的正文", "澳坛真的累了的正文"]);
}
