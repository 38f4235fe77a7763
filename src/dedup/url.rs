//! URL canonicalisation: the one URL an article is known by, and the identity key that makes
//! its harmless variants one.
//!
//! Two levels, on purpose:
//! - [`clean`] gives the *canonical URL*: the URL written into the Markdown link line and the
//!   feeds. Tracking parameters (`utm_*`, `spm`, `from`, `fbclid`, ...) are removed, the host is
//!   lower-cased, default ports and fragments are dropped, and per-site mirror rules
//!   ([`super::mirror`]) map a site's alternative article URLs onto its main one. It stays a URL
//!   a reader can click: the scheme and the host are kept as they were (an `http`-only site
//!   stays `http`).
//! - [`identity_key`] is what identity lookups compare: the cleaned URL with `https` for
//!   `http`, the `www.`/`m.`/`wap.`/`mobile.`/`amp.` host prefixes removed, AMP path forms
//!   (`/amp/`, a trailing `/amp`, `.amp`, `?amp=1`) folded, the trailing slash dropped and the
//!   query sorted. Variants that differ only there are the same article; the key never leaves
//!   the store.
//!
//! `rel=canonical`/`og:url` ([`trusted_canonical`]) is believed only when it is specific and
//! cannot hijack another site's identity: an absolute http(s) URL that is not a site root and
//! lies on the same registrable domain as the page, or that a mirror rule recognises as an
//! article URL of a known site (the Tencent article served from anywhere names
//! `new.qq.com/rain/a/ID`). A page on one site claiming to be an article on another unknown
//! site is not believed: syndicated copies are caught by the content fingerprint instead.
//! A page read from a `file:` URL (a local dump) has no site of its own, so its declared
//! canonical URL is believed whenever it is specific.

use url::Url;

use super::mirror;

/// Query parameters that only say how a reader arrived: removed everywhere. A name ending in
/// `*` is a prefix.
pub const TRACKING_PARAMS: &[&str] = &[
    "utm_*",
    "spm",
    "from",
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref",
    "ref_src",
    "ref_url",
    "referrer",
    "share",
    "share_from",
    "shareto",
    "share_token",
    "sharer",
    "sharesource",
    "scene",
    "isappinstalled",
    "wxshare_count",
    "clicktime",
    "enterid",
    "chksm",
    "pvid",
    "ocid",
    "cmpid",
    "icid",
    "ncid",
    "sr_share",
    "xtor",
    "at_medium",
    "at_campaign",
    "wt.mc_id",
    "_ga",
    "__twitter_impression",
    "vero_id",
    "rb_clickid",
    "oly_enc_id",
    "s_cid",
    "trk",
    "amp",
];

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMS.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == *p,
    })
}

/// The canonical form of `url`: mirror rule applied, tracking parameters, fragment and default
/// port removed, host lower-cased (the `url` crate lower-cases hosts and drops default ports
/// when parsing).
pub fn clean(url: &Url) -> Url {
    if let Some(main) = mirror::main_url(url) {
        return main;
    }
    let mut u = url.clone();
    u.set_fragment(None);
    if u.query().is_some() {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| !is_tracking(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    u
}

/// The identity key of `url` (see the module docs). Non-http(s) URLs (`file:`) are their own
/// key, only cleaned.
pub fn identity_key(url: &Url) -> String {
    let u = clean(url);
    if !matches!(u.scheme(), "http" | "https") {
        return u.to_string();
    }
    let mut host = u.host_str().unwrap_or_default().to_string();
    while let Some(rest) = ["www.", "m.", "wap.", "mobile.", "amp."]
        .iter()
        .find_map(|p| host.strip_prefix(p))
        .filter(|rest| rest.contains('.'))
    {
        host = rest.to_string();
    }
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let mut segments: Vec<&str> = u
        .path()
        .split('/')
        .filter(|s| !s.is_empty() && *s != "amp")
        .collect();
    let last = segments.pop().map(|s| s.strip_suffix(".amp").unwrap_or(s));
    segments.extend(last);
    let mut query: Vec<(String, String)> =
        u.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
    query.sort();
    let query = if query.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", pairs.join("&"))
    };
    format!("https://{host}{port}/{}{query}", segments.join("/"))
}

/// The page's declared canonical URL, cleaned, when it can be believed for a page fetched from
/// `fetched` (see the module docs).
pub fn trusted_canonical(declared: Option<&str>, fetched: &Url) -> Option<Url> {
    let c = Url::parse(declared?).ok()?;
    if !matches!(c.scheme(), "http" | "https") || c.host_str().is_none() {
        return None;
    }
    if mirror::main_url(&c).is_some() {
        return Some(clean(&c));
    }
    let root = c.path().trim_matches('/').is_empty() && c.query().is_none();
    let same_site =
        fetched.scheme() == "file" || registrable_domain(&c) == registrable_domain(fetched);
    (!root && same_site).then(|| clean(&c))
}

/// Second-level suffixes under which registrations happen one label deeper
/// (`news.sina.com.cn` belongs to `sina.com.cn`). A short list, not the Public Suffix List:
/// it only has to keep unrelated sites apart and one site's hosts together.
const SECOND_LEVEL: &[&str] = &[
    "com", "net", "org", "gov", "edu", "ac", "co", "or", "ne", "go", "mil",
];

/// The registrable domain of `url`'s host (`view.inews.qq.com` -> `qq.com`); IP addresses and
/// single-label hosts are their own.
pub fn registrable_domain(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
        return host;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    let keep = if n >= 3 && labels[n - 1].len() == 2 && SECOND_LEVEL.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(keep)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tracking_parameters_fragments_and_ports_go() {
        assert_eq!(
            clean(&u(
                "HTTPS://News.Example.COM:443/a/1.html?utm_source=x&id=7&spm=a.b&fbclid=z#top"
            ))
            .as_str(),
            "https://news.example.com/a/1.html?id=7"
        );
        assert_eq!(
            clean(&u("http://ex.com:80/a?from=timeline&ref=hp")).as_str(),
            "http://ex.com/a"
        );
    }

    #[test]
    fn scheme_www_mobile_amp_and_slash_variants_share_a_key() {
        let key = identity_key(&u("https://example.com/news/1"));
        for v in [
            "http://example.com/news/1/",
            "https://www.example.com/news/1?utm_medium=rss",
            "https://m.example.com/news/1#comments",
            "https://amp.example.com/news/1",
            "https://example.com/amp/news/1",
            "https://example.com/news/1/amp/",
            "https://example.com/news/1.amp",
            "https://example.com/news/1?amp=1",
        ] {
            assert_eq!(identity_key(&u(v)), key, "{v}");
        }
        assert_ne!(identity_key(&u("https://example.com/news/2")), key);
        assert_eq!(
            identity_key(&u("https://ex.com/a?b=2&a=1")),
            identity_key(&u("https://ex.com/a?a=1&b=2"))
        );
        assert_eq!(
            identity_key(&u("http://127.0.0.1:8080/a/")),
            "https://127.0.0.1:8080/a"
        );
    }

    #[test]
    fn canonical_is_trusted_on_the_same_site_or_a_known_mirror() {
        let page = u("https://m.news.example.co.uk/story?id=3");
        assert_eq!(
            trusted_canonical(
                Some("https://www.example.co.uk/story/3?utm_source=a"),
                &page
            )
            .map(String::from),
            Some("https://www.example.co.uk/story/3".into())
        );
        assert_eq!(
            trusted_canonical(Some("https://www.example.co.uk/"), &page),
            None
        );
        assert_eq!(
            trusted_canonical(Some("https://other.org/story/3"), &page),
            None
        );
        assert_eq!(trusted_canonical(Some("javascript:alert(1)"), &page), None);
        let dump = u("file:///srv/dump/story.html");
        assert_eq!(
            trusted_canonical(Some("https://coastline.example/2026/11/x"), &dump).map(String::from),
            Some("https://coastline.example/2026/11/x".into())
        );
        let local = u("http://127.0.0.1:3000/rain/a/20250210A010IU00");
        assert_eq!(
            trusted_canonical(Some("https://new.qq.com/rain/a/20250210A010IU00"), &local)
                .map(String::from),
            Some("https://new.qq.com/rain/a/20250210A010IU00".into())
        );
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(
            registrable_domain(&u("https://view.inews.qq.com/a/1")),
            "qq.com"
        );
        assert_eq!(
            registrable_domain(&u("https://news.sina.com.cn/x")),
            "sina.com.cn"
        );
        assert_eq!(registrable_domain(&u("http://127.0.0.1:8/x")), "127.0.0.1");
        assert_eq!(registrable_domain(&u("http://localhost/x")), "localhost");
    }
}
