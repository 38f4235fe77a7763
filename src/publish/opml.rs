//! `opml.xml`: every feed in one OPML 2.0 subscription list, so a reader can import them all.
//!
//! Category and tag feeds sit in nested outlines, which readers import as folders. `xmlUrl`
//! points at the RSS file when RSS is published (the `type="rss"` readers expect), otherwise
//! at the first format that is.
use super::text::html_escape as esc;
use super::{Feed, Format, Site};
use std::fmt::Write;

/// Renders the subscription list.
pub fn render(feeds: &[Feed<'_>], site: &Site, formats: &[Format]) -> String {
    let mut x =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n");
    let _ = writeln!(x, "  <head>\n    <title>{}</title>", esc(&site.title));
    if let Some(newest) = feeds.first() {
        let _ = writeln!(
            x,
            "    <dateModified>{}</dateModified>",
            newest.updated().to_rfc2822()
        );
    }
    x.push_str("  </head>\n  <body>\n");
    let Some(&format) = formats.first() else {
        x.push_str("  </body>\n</opml>\n");
        return x;
    };
    let mut group = "";
    for feed in feeds {
        let folder = feed.dir.split('/').next().unwrap_or("");
        if folder != group {
            if !group.is_empty() {
                x.push_str("    </outline>\n");
            }
            let label = if folder == "tags" {
                "Tags"
            } else {
                "Categories"
            };
            let _ = writeln!(x, "    <outline text=\"{label}\" title=\"{label}\">");
            group = folder;
        }
        let indent = if group.is_empty() { "    " } else { "      " };
        let title = esc(&feed.title);
        let _ = writeln!(
            x,
            "{indent}<outline type=\"rss\" text=\"{title}\" title=\"{title}\" \
             xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
            esc(&feed.url(site, format)),
            esc(site.base.as_str())
        );
    }
    if !group.is_empty() {
        x.push_str("    </outline>\n");
    }
    x.push_str("  </body>\n</opml>\n");
    x
}
