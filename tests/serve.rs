//! `agg serve` and WebSub, end to end: the real binary publishes the qq fixture, serves it on a
//! free port (it prints the address it bound), and raw sockets check what readers rely on:
//! content types, validators and 304s, HEAD, gzip, refusals, timeouts; a hub stub records pings.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{self, Route, Server};

fn qq_server() -> Server {
    let server = Server::start(HashMap::new());
    let list = String::from_utf8(common::fixture("qq-seed/list.json.tmpl"))
        .unwrap()
        .replace("{{BASE}}", &server.base);
    server.set("/list.json", Route::ok("application/json", list));
    let page = common::fixture("qq-seed/rain/a/20250210A010IU00");
    server.set(
        "/rain/a/20250210A010IU00",
        Route::ok("text/html; charset=utf-8", page),
    );
    server
}

/// The qq source, plus `extra` YAML sections (placed before `sources:`).
fn config(dir: &Path, base: &str, extra: &str) -> String {
    let source = format!(
        "  - name: qq\n    kind: json\n    url: \"{base}/list.json\"\n    schedule: \"*/15 * * * *\"\n    \
         items: \"/newslist\"\n    fields:\n      link: \"/url\"\n      title: \"/title\"\n      \
         published: \"/timestamp\"\n      thumbnail: \"/thumbnails_qqnews/0\"\n      \
         summary: \"/abstract\"\n    categories: [\"qq\"]\n    tags: [\"qq\"]\n"
    );
    common::config(dir, &source).replace("\nsources:\n", &format!("\n{extra}sources:\n"))
}

/// Publishes the qq fixture into `dir/feeds`; returns the config used.
fn published(dir: &Path, extra: &str) -> String {
    let server = qq_server();
    let config = config(dir, &server.base, extra);
    let out = common::agg(dir, &config, &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    config
}

/// A running `agg` that printed "… on http://ADDR/"; killed when dropped.
struct Running {
    child: Child,
    addr: String,
}

impl Running {
    fn start(dir: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agg"))
            .args(args)
            .arg("--config")
            .arg(dir.join("agg.yaml"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .rsplit_once("http://")
            .map(|(_, a)| a.trim_end_matches('/').to_string())
            .unwrap_or_else(|| panic!("no address printed: {line:?}"));
        Running { child, addr }
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Running {
    Running::start(dir, &["serve", "--listen", "127.0.0.1:0"])
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `method path` with `headers` on a fresh connection and reads the whole answer.
fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let text = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn get(addr: &str, path: &str) -> Resp {
    request(addr, "GET", path, &[])
}

#[test]
fn serve_sends_content_types_validators_and_cache_control() {
    let dir = tempfile::tempdir().unwrap();
    published(dir.path(), "");
    let agg = serve(dir.path());
    for (path, ctype) in [
        ("/rss.xml", "application/rss+xml; charset=utf-8"),
        ("/atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feed.json", "application/feed+json"),
        ("/opml.xml", "text/x-opml; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/tags/qq/rss.xml", "application/rss+xml; charset=utf-8"),
    ] {
        let r = get(&agg.addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ctype), "{path}");
        let on_disk = std::fs::read(dir.path().join("feeds").join(match path {
            "/" => "index.html",
            p => &p[1..],
        }))
        .unwrap();
        assert_eq!(r.body, on_disk, "{path}");
        let etag = r.header("etag").unwrap();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong: {etag}"
        );
        // The qq source runs every 15 minutes.
        assert_eq!(r.header("cache-control"), Some("public, max-age=900"));
        let last_modified = r.header("last-modified").unwrap();
        assert!(httpdate_ok(last_modified), "{last_modified}");

        let by_etag = request(&agg.addr, "GET", path, &[("If-None-Match", etag)]);
        assert_eq!((by_etag.status, by_etag.body.len()), (304, 0), "{path}");
        assert_eq!(by_etag.header("etag"), Some(etag));
        let by_date = request(
            &agg.addr,
            "GET",
            path,
            &[("If-Modified-Since", last_modified)],
        );
        assert_eq!(by_date.status, 304, "{path}");
        let other = request(&agg.addr, "GET", path, &[("If-None-Match", "\"nope\"")]);
        assert_eq!(other.status, 200, "{path}");
    }
    // The feed documents name themselves (no hub configured, so no Link header).
    let rss = String::from_utf8(get(&agg.addr, "/rss.xml").body).unwrap();
    assert!(rss.contains("<ttl>15</ttl>"), "{rss}");
    assert!(rss.contains("<sy:updatePeriod>hourly</sy:updatePeriod>"));
    assert!(get(&agg.addr, "/rss.xml").header("link").is_none());
    assert_eq!(agg.stop().code(), Some(0), "a clean stop on SIGTERM");
}

fn httpdate_ok(s: &str) -> bool {
    s.ends_with(" GMT") && s.len() == 29
}

#[test]
fn serve_head_gzip_and_ranges() {
    let dir = tempfile::tempdir().unwrap();
    published(dir.path(), "");
    let agg = serve(dir.path());
    let full = get(&agg.addr, "/atom.xml");
    let head = request(&agg.addr, "HEAD", "/atom.xml", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(
        head.header("content-length"),
        Some(&*full.body.len().to_string())
    );
    assert_eq!(head.header("etag"), full.header("etag"));

    let gz = request(
        &agg.addr,
        "GET",
        "/atom.xml",
        &[("Accept-Encoding", "br, gzip")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
    assert_ne!(
        gz.header("etag"),
        full.header("etag"),
        "another representation"
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, full.body, "gzip decodes to the same bytes");
    let revalidated = request(
        &agg.addr,
        "GET",
        "/atom.xml",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", gz.header("etag").unwrap()),
        ],
    );
    assert_eq!(revalidated.status, 304);
    let refused = request(
        &agg.addr,
        "GET",
        "/atom.xml",
        &[("Accept-Encoding", "gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);

    let part = request(&agg.addr, "GET", "/atom.xml", &[("Range", "bytes=0-9")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, full.body[..10]);
    for absurd in ["bytes=99999999-", "bytes=99999999999999999999999999-1"] {
        let r = request(&agg.addr, "GET", "/atom.xml", &[("Range", absurd)]);
        assert_eq!(r.status, 416, "{absurd}");
    }
    let ignored = request(&agg.addr, "GET", "/atom.xml", &[("Range", "bytes=0-1,4-5")]);
    assert_eq!((ignored.status, ignored.body.len()), (200, full.body.len()));
    // An absurd header is refused, and the server goes on.
    let huge = "x".repeat(64 * 1024);
    let r = request(&agg.addr, "GET", "/atom.xml", &[("X-Huge", &huge)]);
    assert_eq!(r.status, 431);
    assert_eq!(request(&agg.addr, "POST", "/atom.xml", &[]).status, 405);
    assert_eq!(get(&agg.addr, "/atom.xml").status, 200);
}

#[test]
fn serve_refuses_paths_outside_the_feeds_folder() {
    let dir = tempfile::tempdir().unwrap();
    published(dir.path(), "");
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET").unwrap();
    std::fs::write(dir.path().join("feeds/.agg-tmp-1-rss.xml"), "half").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        dir.path().join("secret.txt"),
        dir.path().join("feeds/link.txt"),
    )
    .unwrap();
    let agg = serve(dir.path());
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/tags/..%2F..%2Fsecret.txt",
        "/tags/%2e%2e%5c%2e%2e%5csecret.txt",
        "/tags\\..\\..\\secret.txt",
        "/rss.xml%00.html",
        "/%ff%fe",
        "/.agg-tmp-1-rss.xml",
        "/link.txt",
        "/nope.xml",
        "/tags/",
        "//secret.txt",
    ] {
        let r = get(&agg.addr, path);
        assert!(matches!(r.status, 400 | 404), "{path}: {}", r.status);
        let body = String::from_utf8_lossy(&r.body);
        assert!(!body.contains("SECRET") && !body.contains("half"), "{path}");
    }
}

#[test]
fn serve_cuts_off_a_slow_client_and_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let config = published(
        dir.path(),
        "server:\n  listen: \"127.0.0.1:0\"\n  header_timeout_secs: 1\n",
    );
    std::fs::write(dir.path().join("agg.yaml"), config).unwrap();
    let agg = Running::start(dir.path(), &["serve"]);
    let started = Instant::now();
    let mut slow = TcpStream::connect(&agg.addr).unwrap();
    slow.write_all(b"GET /rss.xml HTTP/1.1\r\nHost: te")
        .unwrap();
    // Meanwhile other readers are served at once.
    assert_eq!(get(&agg.addr, "/rss.xml").status, 200);
    assert!(started.elapsed() < Duration::from_millis(900));
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(4),
        "closed after the header timeout, not before: {waited:?}"
    );
    // An idle kept-alive connection is closed the same way.
    let mut idle = TcpStream::connect(&agg.addr).unwrap();
    idle.write_all(b"GET /rss.xml HTTP/1.1\r\nHost: test\r\n\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let idle_start = Instant::now();
    let mut all = Vec::new();
    let _ = idle.read_to_end(&mut all);
    assert!(all.starts_with(b"HTTP/1.1 200"));
    assert!(
        idle_start.elapsed() < Duration::from_secs(4),
        "idle connection closed"
    );
}

#[test]
fn serve_never_shows_a_half_replaced_feed() {
    let dir = tempfile::tempdir().unwrap();
    published(dir.path(), "");
    let agg = serve(dir.path());
    let path = dir.path().join("feeds/rss.xml");
    let one = std::fs::read(&path).unwrap();
    let two: Vec<u8> = one
        .iter()
        .chain(b"<!-- v2 -->\n".repeat(5000).iter())
        .copied()
        .collect();
    let stop = Arc::new(Mutex::new(false));
    let writer = {
        let (path, one, two, stop) = (path.clone(), one.clone(), two.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !*stop.lock().unwrap() {
                let bytes = if n % 2 == 0 { &two } else { &one };
                agg::util::fsutil::write_atomic(&path, bytes).unwrap();
                n += 1;
            }
        })
    };
    for _ in 0..200 {
        let r = get(&agg.addr, "/rss.xml");
        assert_eq!(r.status, 200);
        assert!(
            r.body == one || r.body == two,
            "a whole version, never a mix"
        );
    }
    *stop.lock().unwrap() = true;
    writer.join().unwrap();
    let last = std::fs::read(&path).unwrap();
    assert_eq!(
        get(&agg.addr, "/rss.xml").body,
        last,
        "the current version after a change"
    );
}

/// A WebSub hub stub: records every POST body; answers 503 to the first, 204 after.
fn hub() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hub", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let recorded = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let mut all = recorded.lock().unwrap();
            all.push(String::from_utf8_lossy(&body).to_string());
            let status = if all.len() == 1 {
                "503 Busy"
            } else {
                "204 No Content"
            };
            let _ = s.write_all(
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
    });
    (url, bodies)
}

#[test]
fn websub_hub_is_linked_and_pinged_for_changed_feeds_with_retries() {
    let (hub_url, pings) = hub();
    let dir = tempfile::tempdir().unwrap();
    let server = qq_server();
    let config = config(
        dir.path(),
        &server.base,
        &format!("websub:\n  hub: \"{hub_url}\"\n"),
    );
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let base = "https://news.example.org/feeds/";
    let mut announced: Vec<String> = pings
        .lock()
        .unwrap()
        .iter()
        .map(|body| {
            let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(form["hub.mode"], "publish", "{body}");
            form["hub.url"].clone()
        })
        .collect();
    assert_eq!(
        announced.len(),
        10,
        "9 feeds, one of them tried twice: {announced:?}"
    );
    announced.sort();
    announced.dedup();
    let expected: Vec<String> = ["", "categories/qq/", "tags/qq/"]
        .iter()
        .flat_map(|d| ["atom.xml", "feed.json", "rss.xml"].map(|f| format!("{base}{d}{f}")))
        .collect();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(announced, expected_sorted);

    // Every document names the hub and itself; so does the server, in Link headers.
    let feeds = dir.path().join("feeds");
    let atom = std::fs::read_to_string(feeds.join("atom.xml")).unwrap();
    assert!(
        atom.contains(&format!("href=\"{hub_url}\" rel=\"hub\"")),
        "{atom}"
    );
    let rss = std::fs::read_to_string(feeds.join("tags/qq/rss.xml")).unwrap();
    assert!(
        rss.contains(&format!("href=\"{hub_url}\" rel=\"hub\"")),
        "{rss}"
    );
    let json = std::fs::read_to_string(feeds.join("feed.json")).unwrap();
    assert!(
        json.contains("\"hubs\"") && json.contains(&hub_url),
        "{json}"
    );
    let agg = serve(dir.path());
    let r = get(&agg.addr, "/tags/qq/rss.xml");
    assert_eq!(
        r.header("link"),
        Some(&*format!(
            "<{base}tags/qq/rss.xml>; rel=\"self\", <{hub_url}>; rel=\"hub\""
        ))
    );

    // Nothing changed: no ping.
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success());
    assert_eq!(pings.lock().unwrap().len(), 10, "no ping without a change");
}

#[test]
fn daemon_serves_the_feeds_when_listen_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let config = published(dir.path(), "server:\n  listen: \"127.0.0.1:0\"\n");
    std::fs::write(dir.path().join("agg.yaml"), config).unwrap();
    let agg = Running::start(dir.path(), &["daemon"]);
    let r = get(&agg.addr, "/feed.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/feed+json"));
    assert_eq!(agg.stop().code(), Some(0));
}

#[test]
fn websub_hub_and_site_images_are_checked_with_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let extra = "websub:\n  hub: \"ftp://hub.example.org/\"\n";
    let config = config(dir.path(), "http://127.0.0.1:9", extra).replace(
        "  language: \"zh-CN\"\n",
        "  language: \"zh-CN\"\n  logo: \"logo.png\"\n",
    );
    let out = common::agg(dir.path(), &config, &["check-config"]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(
        err.contains("websub.hub") && err.contains("ftp://"),
        "{err}"
    );
    assert!(
        !err.contains("site.logo"),
        "a relative logo joins the base URL: {err}"
    );
}
