//! `index.html`: the page a person lands on. It lists every feed with a link per format and
//! its latest items, and carries `<link rel="alternate">` autodiscovery for the main feeds so a
//! reader given the site URL finds them.
//!
//! Every name and title comes from scraped pages, so everything is escaped, and only http(s)
//! article links become `href`s (no `javascript:`).
use super::text::{html_escape as esc, item_title};
use super::{Feed, Format, Site};
use std::fmt::Write;

/// Items shown under each feed.
pub const LATEST: usize = 5;

/// Renders the index page.
pub fn render(feeds: &[Feed<'_>], site: &Site, formats: &[Format]) -> String {
    let mut h = String::new();
    let lang = site.language.as_deref().unwrap_or("en");
    let title = esc(&site.title);
    // `write!` into a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n",
        esc(lang)
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
    h.push_str(
        "<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;\
         line-height:1.5}section{margin-bottom:2rem}h2{margin-bottom:.25rem}\
         .formats a{margin-right:.75rem}time{color:#666;font-size:.9em;margin-left:.5rem}</style>\n\
         </head>\n<body>\n",
    );
    let _ = writeln!(h, "<h1>{title}</h1>");
    if let Some(d) = &site.description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    let _ = writeln!(
        h,
        "<p>Subscribe to any feed below, or import <a href=\"opml.xml\">all of them (OPML)</a>.</p>"
    );
    for feed in feeds {
        section(&mut h, feed, formats);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn section(h: &mut String, feed: &Feed<'_>, formats: &[Format]) {
    let _ = writeln!(h, "<section>\n<h2>{}</h2>", esc(&feed.title));
    let _ = write!(h, "<p class=\"formats\">");
    for &format in formats {
        // Relative, so the page also works opened from disk or served under another name.
        let _ = write!(
            h,
            "<a href=\"{}\" type=\"{}\">{}</a>",
            esc(&feed.path(format)),
            format.mime(),
            format.label()
        );
    }
    h.push_str("</p>\n<ul>\n");
    for item in feed.items.iter().take(LATEST) {
        let title = esc(&item_title(item));
        let date = item.published.format("%Y-%m-%d %H:%M");
        let when = item.published.to_rfc3339();
        if is_http(&item.url) {
            let _ = writeln!(
                h,
                "<li><a href=\"{}\">{title}</a><time datetime=\"{when}\">{date}</time></li>",
                esc(&item.url)
            );
        } else {
            let _ = writeln!(h, "<li>{title}<time datetime=\"{when}\">{date}</time></li>");
        }
    }
    h.push_str("</ul>\n</section>\n");
}

fn is_http(u: &str) -> bool {
    url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}
