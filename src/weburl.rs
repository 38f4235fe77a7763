//! URLs as agg writes them: percent-encoded so that every consumer takes them as they are.
//!
//! Pages hand us URLs that browsers accept but stricter readers refuse: CDN image URLs such as
//! `…/w/1080x>/strip/1|imageslim` keep `>` and `|` raw, and the URL standard itself leaves `|`,
//! `^`, `[`, `]` and a few more unencoded in paths and queries. XML feed validators (RFC 3986
//! character checks), feed readers and Markdown renderers refuse or mangle those. So every URL
//! written into a feed, the OPML list, the index page, front matter or a Markdown link goes
//! through [`for_output`]: parsed by the URL standard (which encodes non-ASCII and resolves
//! the host), then every character RFC 3986 does not allow outside the host is percent-encoded
//! as well. Percent-encoding these characters does not change what the URL points at for any
//! server that decodes paths, which is all of them in practice.

use url::Url;

/// The URL in its written form, or `None` when it does not parse as an absolute URL.
pub fn for_output(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    Some(encode_parsed(&url))
}

/// [`for_output`] of an already parsed URL.
pub fn encode_parsed(url: &Url) -> String {
    let s = url.as_str();
    // The host (and userinfo, which the URL standard already encodes strictly) is left as
    // it is: an IPv6 literal needs its brackets.
    let tail = if url.has_authority() {
        authority_end(s)
    } else {
        s.find(':').map_or(0, |i| i + 1)
    };
    let (head, rest) = s.split_at(tail);
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(head);
    encode_rest(rest, &mut out);
    out
}

/// The byte offset where the path starts in a serialized URL that has a host.
fn authority_end(s: &str) -> usize {
    let after_scheme = s.find("://").map_or(0, |i| i + 3);
    s[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| after_scheme + i)
}

/// Encodes path, query and fragment: RFC 3986's unreserved and reserved characters stay (the
/// first `#` starts the fragment, later ones are data), `%` stays where it starts an escape.
fn encode_rest(rest: &str, out: &mut String) {
    let bytes = rest.as_bytes();
    let mut in_fragment = false;
    for (i, &b) in bytes.iter().enumerate() {
        let keep = match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' => true,
            b'+' | b',' | b';' | b'=' | b':' | b'@' | b'/' | b'?' => true,
            b'#' if !in_fragment => {
                in_fragment = true;
                true
            }
            b'%' => {
                bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            }
            _ => false,
        };
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The characters the W3C feed validator accepts in a URI (RFC 2396's, outside a host).
    fn rfc3986_chars_only(s: &str) -> bool {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ";/?:@&=+$.-_!~*'()%,#".contains(c))
    }

    #[test]
    fn hostile_cdn_url_is_encoded_and_still_the_same_resource() {
        let raw =
            "https://img.example.com/p/1.jpg?imageView2/2/w/1080x>/strip/ignore-error/1|imageslim";
        let out = for_output(raw).unwrap();
        assert_eq!(
            out,
            "https://img.example.com/p/1.jpg?imageView2/2/w/1080x%3E/strip/ignore-error/1%7Cimageslim"
        );
        assert!(rfc3986_chars_only(&out));
        // Decoding gives the original bytes back.
        let decoded = percent_encoding::percent_decode_str(&out)
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, raw);
    }

    #[test]
    fn every_unsafe_character_is_encoded() {
        let raw = "https://h.example/a b/{c}|d^e`f\\g[h]\"i<j>?q=[1]|2^#frag#more|x";
        let out = for_output(raw).unwrap();
        assert!(rfc3986_chars_only(&out), "{out}");
        assert_eq!(out.matches('#').count(), 1, "{out}");
        assert!(
            out.starts_with("https://h.example/a%20b/%7Bc%7D%7Cd%5Ee%60f/g%5Bh%5D"),
            "{out}"
        );
    }

    #[test]
    fn valid_urls_are_unchanged() {
        for u in [
            "https://new.qq.com/rain/a/20250210A010IU00",
            "https://inews.gtimg.com/om_ls/Oang7dBZCDXSdKnVsLHR7Nv4KRcDduoUVOJ1fchc0S6jcAA_640360/0",
            "https://example.com/a?x=1&y=%20z#top",
            "http://[::1]:8080/feeds/rss.xml",
            "https://news.example.org/feeds/tags/%E7%94%B5%E5%BD%B1/rss.xml",
            "mailto:a@b.example",
        ] {
            assert_eq!(for_output(u).as_deref(), Some(u));
        }
    }

    #[test]
    fn non_ascii_and_stray_percent_signs() {
        assert_eq!(
            for_output("https://例子.example/图片 1.jpg?q=50%&r=%zz").unwrap(),
            "https://xn--fsqu00a.example/%E5%9B%BE%E7%89%87%201.jpg?q=50%25&r=%25zz"
        );
        assert_eq!(for_output("not a url"), None);
        assert_eq!(for_output("/relative/only"), None);
    }
}
