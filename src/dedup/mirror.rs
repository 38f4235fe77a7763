//! Per-site mirror rules: the same article published under several URL shapes on one site,
//! mapped onto the site's main article URL.
//!
//! Tencent News serves one article id (`20250210A010IU00`: date, a letter, seven more) at
//! `view.inews.qq.com/a/ID` (mobile), `new.qq.com/rain/a/ID`, `new.qq.com/omn/ID.html`,
//! `new.qq.com/omn/YYYYMMDD/ID.html`, `news.qq.com/rain/a/ID`, `xw.qq.com/cmsid/ID` and
//! `xw.qq.com/amphtml/ID`; all of them are `https://new.qq.com/rain/a/ID`.
//! A rule matches only a well-formed id, so an unfamiliar URL on these hosts passes unchanged.

use url::Url;

/// The site's main URL for `url` when a mirror rule recognises it as an article URL.
pub fn main_url(url: &Url) -> Option<Url> {
    qq(url)
}

fn qq(url: &Url) -> Option<Url> {
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let segs: Vec<&str> = url.path().trim_matches('/').split('/').collect();
    let id = match (host.as_str(), segs.as_slice()) {
        ("view.inews.qq.com" | "inews.qq.com", ["a" | "k", id]) => *id,
        ("new.qq.com" | "news.qq.com", ["rain", "a", id]) => *id,
        ("new.qq.com", ["omn", file]) | ("new.qq.com", ["omn", _, file]) => {
            file.strip_suffix(".html")?
        }
        ("xw.qq.com", ["cmsid" | "amphtml", id]) => *id,
        _ => return None,
    };
    is_qq_id(id).then(|| Url::parse(&format!("https://new.qq.com/rain/a/{id}")).ok())?
}

/// `20250210A010IU00`: eight digits, an upper-case letter, seven upper-case letters or digits.
fn is_qq_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 16
        && b[..8].iter().all(u8::is_ascii_digit)
        && b[8].is_ascii_uppercase()
        && b[9..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qq_article_urls_map_to_new_qq_rain() {
        let want = "https://new.qq.com/rain/a/20250210A010IU00";
        for v in [
            "https://view.inews.qq.com/a/20250210A010IU00",
            "https://view.inews.qq.com/a/20250210A010IU00?uid=1&shareto=wx",
            "https://new.qq.com/rain/a/20250210A010IU00",
            "http://new.qq.com/rain/a/20250210A010IU00/",
            "https://new.qq.com/omn/20250210A010IU00.html",
            "https://new.qq.com/omn/20250210/20250210A010IU00.html",
            "https://news.qq.com/rain/a/20250210A010IU00#x",
            "https://xw.qq.com/cmsid/20250210A010IU00",
        ] {
            assert_eq!(
                main_url(&Url::parse(v).unwrap())
                    .map(String::from)
                    .as_deref(),
                Some(want),
                "{v}"
            );
        }
        for other in [
            "https://new.qq.com/rain/a/notanid",
            "https://news.qq.com/",
            "https://example.com/rain/a/20250210A010IU00",
            "https://new.qq.com/ch/world/",
        ] {
            assert_eq!(main_url(&Url::parse(other).unwrap()), None, "{other}");
        }
    }
}
