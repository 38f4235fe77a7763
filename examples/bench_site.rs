//! Pipeline benchmark helpers (issue 7), driven by `scripts/bench-pipeline`:
//!
//! - `bench_site serve BENCH_DIR ARTICLES DELAY_MS`: a local news site on 127.0.0.1 (the port
//!   is printed on stdout's first line). `/list/{k}.html` are list pages of 100 article links
//!   each; `/a/{i}.html` is article `i`, the bench page `i mod n` of `BENCH_DIR/{aeb,zh}/html`
//!   served as is except that its canonical links are defused (the pages name their original
//!   sites, which would fold the copies into a few items). Every response waits `DELAY_MS`
//!   first: loopback has no latency, a real network has (see DESIGN.md, "Benchmarks").
//! - `bench_site plain BASE ARTICLES CONCURRENCY`: the baseline, a plain fetch of the same
//!   list pages and articles with one `reqwest::Client` and CONCURRENCY requests in flight,
//!   bodies read and dropped. Prints `plain_s: {seconds}` and `bytes: {n}`.
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Article links per list page.
pub const PER_LIST: usize = 100;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    match arg(0) {
        "serve" => {
            let articles = arg(2).parse().expect("ARTICLES");
            let delay = Duration::from_millis(arg(3).parse().expect("DELAY_MS"));
            serve(Path::new(arg(1)), articles, delay).await
        }
        "plain" => {
            let articles = arg(2).parse().expect("ARTICLES");
            plain(arg(1), articles, arg(3).parse().expect("CONCURRENCY")).await
        }
        _ => {
            eprintln!(
                "usage: bench_site serve BENCH_DIR ARTICLES DELAY_MS | plain BASE ARTICLES CONCURRENCY"
            );
            std::process::exit(2);
        }
    }
}

fn load_pages(bench: &Path) -> Vec<Bytes> {
    let mut pages = Vec::new();
    for set in ["aeb", "zh"] {
        let Ok(dir) = std::fs::read_dir(bench.join(set).join("html")) else {
            continue;
        };
        let mut paths: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).expect("bench page");
            pages.push(Bytes::from(defuse(bytes)));
        }
    }
    pages
}

/// Renames `canonical` and `og:url` (ASCII, so any charset survives) so each copy keeps the
/// URL it was fetched from.
fn defuse(mut page: Vec<u8>) -> Vec<u8> {
    for (from, to) in [
        (&b"canonical"[..], &b"xcanonic"[..]),
        (b"og:url", b"og:xrl"),
    ] {
        let mut i = 0;
        while let Some(at) = page[i..]
            .windows(from.len())
            .position(|w| w.eq_ignore_ascii_case(from))
        {
            let at = i + at;
            page[at..at + to.len()].copy_from_slice(to);
            page.drain(at + to.len()..at + from.len());
            i = at + to.len();
        }
    }
    page
}

fn list_page(k: usize, articles: usize) -> Bytes {
    let mut h = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>List</title></head><body><ul>\n",
    );
    for i in k * PER_LIST..((k + 1) * PER_LIST).min(articles) {
        h.push_str(&format!(
            "<li><a class=\"article\" href=\"/a/{i}.html\">Story {i}</a></li>\n"
        ));
    }
    h.push_str("</ul></body></html>\n");
    Bytes::from(h)
}

async fn serve(bench: &Path, articles: usize, delay: Duration) {
    let pages = Arc::new(load_pages(bench));
    if pages.is_empty() {
        eprintln!("no bench pages under {}", bench.display());
        std::process::exit(3);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let pages = pages.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let pages = pages.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    Ok::<_, Infallible>(respond(req.uri().path(), &pages, articles))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(path: &str, pages: &[Bytes], articles: usize) -> Response<Full<Bytes>> {
    let number = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|p| p.strip_suffix(".html"))
            .and_then(|n| n.parse::<usize>().ok())
    };
    let body = if let Some(i) = number("/a/").filter(|&i| i < articles) {
        Some(pages[i % pages.len()].clone())
    } else {
        number("/list/")
            .filter(|&k| k * PER_LIST < articles)
            .map(|k| list_page(k, articles))
    };
    let mut resp = match body {
        Some(b) => Response::new(Full::new(b)),
        None => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
            r
        }
    };
    resp.headers_mut()
        .insert("content-type", "text/html".parse().unwrap());
    resp
}

async fn plain(base: &str, articles: usize, concurrency: usize) {
    let client = reqwest::Client::new();
    let lists = articles.div_ceil(PER_LIST);
    let urls: Vec<String> = (0..lists)
        .map(|k| format!("{base}/list/{k}.html"))
        .chain((0..articles).map(|i| format!("{base}/a/{i}.html")))
        .collect();
    let start = Instant::now();
    let bytes: usize = futures::stream::iter(urls)
        .map(|u| {
            let client = client.clone();
            async move {
                match client.get(&u).send().await {
                    Ok(r) => r.bytes().await.map_or(0, |b| b.len()),
                    Err(_) => 0,
                }
            }
        })
        .buffer_unordered(concurrency)
        .fold(0, |a, b| async move { a + b })
        .await;
    println!("plain_s: {:.3}", start.elapsed().as_secs_f64());
    println!("bytes: {bytes}");
}
