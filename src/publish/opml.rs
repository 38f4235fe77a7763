//! `opml.xml`: every feed in one OPML 2.0 subscription list, so a reader can import them all.
//!
//! Category and tag feeds sit in nested outlines, which readers import as folders. A folder
//! outline carries only `text`: OPML 2.0 wants a `type` on any outline with more, and a folder
//! has none. `xmlUrl` points at the RSS file when RSS is published (the `type="rss"` readers
//! expect), otherwise at the first format that is.
//!
//! An outline's `text` and `title` are read as HTML by validators (and by readers that show
//! them as such), like an RSS `description`: `&` and `<` in a name are escaped once more, or
//! "AT&T" would be invalid HTML and `<script>` a tag.
use super::text::html_escape as esc;
use super::{Feed, FeedKind, Format, Site};
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
    let mut group = None;
    for feed in feeds {
        let folder = match feed.kind {
            FeedKind::All => None,
            FeedKind::Category => Some("Categories"),
            FeedKind::Tag => Some("Tags"),
        };
        if folder != group {
            if group.is_some() {
                x.push_str("    </outline>\n");
            }
            if let Some(label) = folder {
                let _ = writeln!(x, "    <outline text=\"{label}\">");
            }
            group = folder;
        }
        let indent = if group.is_none() { "    " } else { "      " };
        let title = esc(&esc(&feed.title));
        let _ = writeln!(
            x,
            "{indent}<outline type=\"rss\" text=\"{title}\" title=\"{title}\" \
             xmlUrl=\"{}\" htmlUrl=\"{}\"/>",
            esc(&feed.url(site, format)),
            esc(&site.home())
        );
    }
    if group.is_some() {
        x.push_str("    </outline>\n");
    }
    x.push_str("  </body>\n</opml>\n");
    x
}
