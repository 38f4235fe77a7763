//! Decoding page bytes to UTF-8, in the order browsers use: BOM, then the HTTP header, then
//! "valid UTF-8 is UTF-8", then a `<meta>` declaration anywhere in the head (browser-saved
//! pages put it past byte 1024), then statistical detection with `chardetng`.
//! `gb2312`/`gbk` labels decode as GB18030, a superset, as `encoding_rs` maps them.

use encoding_rs::{Encoding, UTF_8};

/// Decodes `bytes`; `content_type` is the HTTP `Content-Type` header, if any.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let enc = detect(bytes, content_type);
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

/// The encoding [`decode`] would use.
pub fn detect(bytes: &[u8], content_type: Option<&str>) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        return enc;
    }
    if let Some(enc) = content_type.and_then(charset_param).and_then(label) {
        // A header that says UTF-8 over bytes that are not is a common server default; the
        // page's own declaration or detection does better then.
        if enc != UTF_8 || std::str::from_utf8(bytes).is_ok() {
            return enc;
        }
    }
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    if let Some(enc) = meta_charset(bytes).and_then(label) {
        return enc;
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    det.guess(None, chardetng::Utf8Detection::Allow)
}

fn label(l: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label(l.trim().trim_matches(|c| c == '"' || c == '\'').as_bytes())?;
    // A declared UTF-16 in a byte stream without BOM is nearly always wrong (HTML spec).
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(enc)
}

fn charset_param(ct: &str) -> Option<&str> {
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then_some(v.trim())
    })
}

/// Finds `charset=` in a `<meta charset>` or `<meta http-equiv content>` within the head
/// (first 64 KiB, ASCII-compatible scan).
fn meta_charset(bytes: &[u8]) -> Option<&str> {
    let head = &bytes[..bytes.len().min(65536)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = find(&lower[start..], b">").map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or(rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(b)))
                    .unwrap_or(rest.len());
                if len > 0 {
                    let off = start + c + 7 + (tag.len() - (c + 7) - rest.len());
                    return std::str::from_utf8(&head[off..off + len]).ok();
                }
            }
        }
        from = end.max(start + 5);
        if lower[..from].ends_with(b"</head") || find(&lower[..from], b"<body").is_some() {
            break;
        }
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    #[test]
    fn gbk_page_with_meta_declaration() {
        let mut page =
            b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">"
                .to_vec();
        page.extend(gbk(
            "<title>新闻</title></head><body>正文内容</body></html>",
        ));
        let text = decode(&page, Some("text/html"));
        assert!(
            text.contains("<title>新闻</title>") && text.contains("正文内容"),
            "{text}"
        );
    }

    #[test]
    fn late_meta_past_1024_bytes() {
        let mut page = format!(
            "<html><head><style>{}</style><meta charset='gbk'>",
            " ".repeat(3000)
        )
        .into_bytes();
        page.extend(gbk("<p>中华人民共和国</p>"));
        assert!(decode(&page, None).contains("中华人民共和国"));
    }

    #[test]
    fn header_wins_and_wrong_utf8_header_falls_back() {
        let page = gbk("<p>北京时间今天上午，记者获悉</p>");
        assert!(decode(&page, Some("text/html; charset=GBK")).contains("北京时间"));
        // Header says UTF-8 but the bytes are GBK with no declaration: detection finds it.
        assert!(decode(&page, Some("text/html; charset=utf-8")).contains("记者获悉"));
    }

    #[test]
    fn utf8_and_bom() {
        assert_eq!(decode("héllo 你好".as_bytes(), None), "héllo 你好");
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend("abc".as_bytes());
        assert_eq!(decode(&b, Some("text/html; charset=iso-8859-1")), "abc");
    }
}
