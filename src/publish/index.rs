//! `index.html`: the page a person lands on. It lists every feed, under "All items",
//! "Categories" and "Tags", with its address ready to copy into a reader (selected whole with
//! one click) and its latest items, and carries `<link rel="alternate">` autodiscovery for the
//! main feeds so a reader given the site URL finds them.
//!
//! The page's own words are English, so `<html lang="en">`; the site's title and description
//! carry the site's language, each item title its own. Times are shown in `site.timezone`,
//! which the page names.
//!
//! Every name and title comes from scraped pages, so everything is escaped, and only http(s)
//! article links become `href`s (no `javascript:`).
use super::text::{self, html_escape as esc, item_title};
use super::{Feed, FeedKind, Format, Site};
use std::fmt::Write;

/// Items shown under each feed.
pub const LATEST: usize = 5;

const STYLE: &str = "body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;\
line-height:1.5;color:#222}section{margin-bottom:2rem}h2{margin:2.5rem 0 .5rem;\
border-bottom:1px solid #ddd}h3{margin-bottom:.25rem}.kind{color:#666;font-weight:normal}\
ul.feeds{list-style:none;padding:0;margin:.25rem 0}ul.feeds li{margin:.1rem 0}\
ul.feeds a{display:inline-block;min-width:6rem}code{user-select:all;background:#f4f4f4;\
padding:.1rem .3rem;font-size:.9em;word-break:break-all}\
time{color:#666;font-size:.9em;margin-left:.5rem;white-space:nowrap}";

/// Renders the index page.
pub fn render(feeds: &[Feed<'_>], site: &Site, formats: &[Format]) -> String {
    let mut h = String::new();
    let title = esc(&site.title);
    let site_lang = lang_attr(site.language.as_deref());
    // `write!` into a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title{site_lang}>{title}</title>\n"
    );
    if let Some(main) = feeds.first() {
        for &format in formats {
            let _ = writeln!(
                h,
                "<link rel=\"alternate\" type=\"{}\" title=\"{} ({})\" href=\"{}\">",
                format.mime(),
                title,
                format.label(),
                esc(&main.url(site, format))
            );
        }
    }
    let _ = writeln!(
        h,
        "<link rel=\"alternate\" type=\"text/x-opml\" title=\"{title} (OPML)\" href=\"{}\">",
        esc(&site.url("opml.xml"))
    );
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1{site_lang}>{title}</h1>");
    if let Some(d) = &site.description {
        let _ = writeln!(h, "<p{site_lang}>{}</p>", esc(d));
    }
    let _ = writeln!(
        h,
        "<p>Subscribe by copying a feed's address into your feed reader, or import \
         <a href=\"opml.xml\">all of them (OPML)</a>. Times are {} time.</p>",
        esc(site.timezone.name())
    );
    let mut heading = None;
    for feed in feeds {
        let group = match feed.kind {
            FeedKind::All => "All items",
            FeedKind::Category => "Categories",
            FeedKind::Tag => "Tags",
        };
        if heading != Some(group) {
            let _ = writeln!(h, "<h2>{group}</h2>");
            heading = Some(group);
        }
        section(&mut h, feed, site, formats);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn section(h: &mut String, feed: &Feed<'_>, site: &Site, formats: &[Format]) {
    h.push_str("<section>\n");
    match feed.kind {
        FeedKind::All => {}
        FeedKind::Category => {
            let _ = writeln!(
                h,
                "<h3><span class=\"kind\">Category:</span> {}</h3>",
                esc(&feed.name)
            );
        }
        FeedKind::Tag => {
            let _ = writeln!(
                h,
                "<h3><span class=\"kind\">Tag:</span> #{}</h3>",
                esc(&feed.name)
            );
        }
    }
    h.push_str("<ul class=\"feeds\">\n");
    for &format in formats {
        // The link is relative, so the page also works opened from disk or served under
        // another name; the address shown is the one to subscribe to.
        let _ = writeln!(
            h,
            "<li><a href=\"{}\" type=\"{}\">{}</a> <code>{}</code></li>",
            esc(&path_url(&feed.path(format))),
            format.mime(),
            format.label(),
            esc(&feed.url(site, format))
        );
    }
    h.push_str("</ul>\n<ul>\n");
    let zone = esc(site.timezone.name());
    for item in feed.items.iter().take(LATEST) {
        let title = esc(&item_title(item));
        let lang = lang_attr(item.lang.as_deref());
        let local = text::item_published(item).with_timezone(&site.timezone);
        let time = format!(
            "<time datetime=\"{}\" title=\"{zone}\">{}</time>",
            local.to_rfc3339(),
            local.format("%Y-%m-%d %H:%M")
        );
        if let Some(link) = text::item_link(item) {
            let _ = writeln!(
                h,
                "<li><a href=\"{}\"{lang}>{title}</a>{time}</li>",
                esc(&link)
            );
        } else {
            let _ = writeln!(h, "<li><span{lang}>{title}</span>{time}</li>");
        }
    }
    h.push_str("</ul>\n</section>\n");
}

/// ` lang="…"` for a language tag, or nothing.
fn lang_attr(lang: Option<&str>) -> String {
    match lang.map(text::one_line).filter(|l| !l.is_empty()) {
        Some(l) => format!(" lang=\"{}\"", esc(&l)),
        None => String::new(),
    }
}

/// A relative path as a URL reference: each segment percent-encoded (slugs may be Chinese).
fn path_url(rel: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    rel.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}
