//! Measures near-duplicate detection on a labelled set built from the bench pages in
//! `../shared/bench/{aeb,zh}` (skips cleanly without them). Run with `scripts/bench-dedup`.
//!
//! For every labelled bench article P (its body as agg extracts it from P's page):
//! - true duplicates: P's body republished inside another page's chrome (that page's article
//!   removed, its labelled body text wherever it sits, its navigation, lists and footer kept)
//!   under another URL and title; the same with one sentence replaced; the same with a
//!   reprint's lead-in/credit lines added;
//! - distinct: the articles at odd positions are held out of the index and must match
//!   nothing, as must a "same topic" page that shares P's lead paragraph but continues with a
//!   held-out article's body.
//!
//! Articles at even positions are indexed and get the duplicate variants.
//!
//! Originals are fingerprinted and stored first (as the pipeline does); then every variant
//! is extracted from its HTML with agg's extractor, fingerprinted and looked up through the
//! store (candidates by SimHash band and shared paragraph, then verification), the pipeline's
//! own path. Reported: precision and recall at the default settings and nearby ones (recall
//! over all copies, and over the copies whose original is long enough to be fingerprinted:
//! originals below `min_chars`, listed with their text, stay in the labelled set and count as
//! misses in the first figure), false merges, why copies were missed, and the cost per item
//! (extraction; fingerprint and lookup).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use agg::dedup::{self, Fingerprint, Settings};
use agg::store::Store;
use scraper::node::Comment;
use scraper::{Html, Node, Selector};
use url::Url;

struct Doc {
    url: String,
    html: String,
    /// The labelled article body (ground truth).
    truth: String,
}

fn load(root: &Path) -> Vec<Vec<Doc>> {
    let mut sets = Vec::new();
    for set in ["aeb", "zh"] {
        let dir = root.join(set);
        let Ok(truth) = std::fs::read(dir.join("ground-truth.json")) else {
            continue;
        };
        let truth: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&truth).expect("ground truth");
        let mut docs: Vec<Doc> = truth
            .iter()
            .filter_map(|(id, v)| {
                let truth = v["articleBody"].as_str()?.to_string(); // labelled pages only
                let bytes = std::fs::read(dir.join("html").join(format!("{id}.html"))).ok()?;
                let html = agg::fetch::charset::decode(&bytes, None);
                let url = v["url"]
                    .as_str()
                    .filter(|u| u.starts_with("http"))
                    .map_or_else(|| format!("https://{set}.example/{id}"), str::to_string);
                Some(Doc { url, html, truth })
            })
            .collect();
        docs.sort_by(|a, b| a.url.cmp(&b.url));
        sets.push(docs);
    }
    sets
}

/// Where [`republish`] puts the article: a comment made the first child of `<body>`.
const SLOT: &str = "<!--dedup-bench-article-->";

/// `host`'s page without its article: headings, paragraphs and article containers removed,
/// and any text of the host's labelled body wherever its markup put it (`<br>`-separated text
/// in a `<div>` or `<td>`): a site republishing a story does not carry another site's
/// article in its chrome. Comments go too (old IE conditional comments hold a second
/// `<body` tag), and a marker comment opens the real `<body>`.
fn chrome(host: &str, host_truth: &str) -> String {
    let mut doc = Html::parse_document(host);
    let sel = Selector::parse("p, article, main, h1, script, style, [itemprop=articleBody], [class*=article], [class*=content]").unwrap();
    let mut ids: Vec<_> = doc.select(&sel).map(|e| e.id()).collect();
    let story = squash(host_truth);
    ids.extend(
        doc.tree
            .nodes()
            .filter(|n| match n.value() {
                Node::Comment(_) => true,
                Node::Text(t) => {
                    let t = squash(t);
                    t.chars().count() >= 12 && story.contains(&t)
                }
                _ => false,
            })
            .map(|n| n.id()),
    );
    for id in ids {
        if let Some(mut n) = doc.tree.get_mut(id) {
            n.detach();
        }
    }
    let body = Selector::parse("body").unwrap();
    if let Some(id) = doc.select(&body).next().map(|b| b.id()) {
        let slot = SLOT.trim_start_matches("<!--").trim_end_matches("-->");
        doc.tree
            .get_mut(id)
            .unwrap()
            .prepend(Node::Comment(Comment {
                comment: slot.into(),
            }));
    }
    doc.html()
}

/// `s` without whitespace, for finding a page's text in the labelled body.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn republish(chrome: &str, title: &str, body: &str) -> String {
    let paras: String = body
        .split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p)))
        .collect();
    let article = format!("<article><h1>{}</h1>{paras}</article>", escape(title));
    match chrome.find(SLOT) {
        Some(at) => format!("{}{article}{}", &chrome[..at], &chrome[at + SLOT.len()..]),
        None => format!("<html><body>{article}{chrome}</body></html>"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Replaces the middle sentence of `body` with `other`'s first sentence.
fn edit_sentence(body: &str, other: &str) -> String {
    let sentences: Vec<&str> = sentences_of(body).collect();
    let replacement = sentences_of(other).next().unwrap_or("");
    let mid = sentences.len() / 2;
    sentences
        .iter()
        .enumerate()
        .map(|(i, s)| if i == mid { replacement } else { s })
        .collect()
}

/// `s` cut after each sentence end: a line break, a Chinese full stop, exclamation or
/// question mark, or a Latin one (with any closing quotes or brackets) followed by whitespace,
/// the end or a capital letter (paragraphs the original page's markup ran together:
/// "Wednesday.The"), so "£71.6million" and "3.5%" stay whole. The pieces join back into `s`.
fn sentences_of(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut chars = rest.char_indices().peekable();
        let mut cut = rest.len();
        while let Some((i, c)) = chars.next() {
            let end = i + c.len_utf8();
            if matches!(c, '\n' | '。' | '！' | '？') {
                cut = end;
                break;
            }
            if matches!(c, '.' | '!' | '?') {
                let mut end = end;
                while let Some(&(j, q)) = chars.peek() {
                    if !matches!(q, '"' | '\'' | '”' | '’' | ')' | ']') {
                        break;
                    }
                    end = j + q.len_utf8();
                    chars.next();
                }
                if chars
                    .peek()
                    .is_none_or(|&(_, n)| n.is_whitespace() || n.is_uppercase())
                {
                    cut = end;
                    break;
                }
            }
        }
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

fn extract_text(html: &str, url: &str) -> String {
    let url = Url::parse(url).unwrap();
    let opts = agg::extract::Options {
        timezone: chrono_tz::Tz::UTC,
        rule: None,
        hint: None,
    };
    agg::extract::extract(html, &url, &opts)
        .map(|a| a.text)
        .unwrap_or_default()
}

/// One probe: the original it copies (None: it must match nothing), its fingerprint, its kind.
struct Probe {
    want: Option<String>,
    fp: Fingerprint,
    kind: &'static str,
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/bench"));
    let sets = load(&root);
    if sets.iter().all(Vec::is_empty) {
        println!(
            "dedup bench: skipped (no bench pages under {})",
            root.display()
        );
        return;
    }
    let settings = Settings::default();
    let store = Store::memory().expect("store");
    let mut originals: Vec<(String, Fingerprint)> = Vec::new();
    let mut probes: Vec<Probe> = Vec::new();
    let mut short: Vec<String> = Vec::new();
    let mut bodies: Vec<String> = Vec::new();
    let started = Instant::now();
    for (s, docs) in sets.iter().enumerate() {
        for (i, d) in docs.iter().enumerate() {
            let text = extract_text(&d.html, &d.url);
            let fp = dedup::fingerprint(&text, &settings, |_| false);
            let id = format!("{s}-{i}");
            if fp.simhash.is_none() {
                // Shown with their text: what cannot be fingerprinted, and why (a brief, an
                // error page).
                let head: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let head: String = head.chars().take(40).collect();
                short.push(format!(
                    "{s}-{i} ({} chars: \"{head}...\" {}{})",
                    text.chars().count(),
                    d.url,
                    if i % 2 == 0 { ", copied" } else { ", held out" }
                ));
            }
            bodies.push(text);
            if i % 2 == 0 {
                // Stored as the pipeline stores an item (paragraph hashes and sketch included).
                store
                    .put_fingerprint(&id, "orig", &fp, settings.threshold)
                    .unwrap();
                originals.push((id, fp));
            } else {
                // Held out: a distinct article, never indexed, must match nothing.
                probes.push(Probe {
                    want: None,
                    fp,
                    kind: "distinct",
                });
            }
        }
    }
    let n_orig = bodies.len();
    let orig_time = started.elapsed();
    let (mut extract_time, mut fingerprint_time) = (Duration::ZERO, Duration::ZERO);
    let mut at = 0;
    for (s, docs) in sets.iter().enumerate() {
        let n = docs.len();
        let first = at;
        at += n;
        for i in (0..n).step_by(2) {
            // The body as agg extracted it from the original page: the same text a reprint
            // carries.
            let body = &bodies[first + i];
            // Another article, held out of the index (odd position).
            let odd = ((i + 7) % n) | 1;
            let other_body = &bodies[first + if odd < n { odd } else { 1 }];
            let host = &docs[(i + 1) % n];
            let c = chrome(&host.html, &host.truth);
            let title = format!("Reprint {i}");
            let reprint = format!("原标题：{title}\n来源：Other Times\n{body}\n责任编辑：王五");
            let variants = [
                (republish(&c, &title, body), "republished", true),
                (
                    republish(&c, &title, &edit_sentence(body, other_body)),
                    "edited",
                    true,
                ),
                (
                    republish(&c, &title, &edit_sentence(&reprint, other_body)),
                    "reprint+edit",
                    true,
                ),
            ];
            let lead = body
                .split('\n')
                .find(|p| !p.trim().is_empty())
                .unwrap_or("");
            let topic = republish(&c, &title, &format!("{lead}\n{other_body}"));
            let all = variants.into_iter().chain([(topic, "same-topic", false)]);
            for (k, (html, kind, dup)) in all.enumerate() {
                let t = Instant::now();
                let text = extract_text(&html, &format!("https://mirror{k}.example/{s}/{i}"));
                let t2 = Instant::now();
                let fp = dedup::fingerprint(&text, &settings, |_| false);
                extract_time += t2 - t;
                fingerprint_time += t2.elapsed();
                if std::env::var_os("DEDUP_BENCH_DEBUG").is_some() {
                    let orig = &originals
                        .iter()
                        .find(|o| o.0 == format!("{s}-{i}"))
                        .unwrap()
                        .1;
                    let o = orig
                        .sketch
                        .as_ref()
                        .map(|sk| dedup::shingles::overlap(sk, &fp.shingles));
                    println!(
                        "{s}-{i} {kind}: {o:?}, text {} chars, original {} chars",
                        text.chars().count(),
                        body.chars().count()
                    );
                }
                probes.push(Probe {
                    want: dup.then(|| format!("{s}-{i}")),
                    fp,
                    kind,
                });
            }
        }
    }
    // Lookups at the configured settings, as the pipeline does them: candidates from the
    // store's indexes (SimHash bands, shared paragraphs), then verification.
    let t = Instant::now();
    let looked = lookups(&store, &probes, &settings);
    let lookup_time = t.elapsed();
    report("configured", &settings, &probes, &looked, &originals);
    println!(
        "originals: {n_orig} ({} below min_chars, kept in the labelled set: {}), false merges among them: {}",
        short.len(),
        short.join("; "),
        merges_among(&store, &originals, &settings)
    );
    // Neighbouring settings: containment around the default, and the SimHash threshold.
    for containment in [40, 45, 55, 60] {
        let s = Settings {
            containment,
            ..settings
        };
        report("", &s, &probes, &lookups(&store, &probes, &s), &originals);
        println!(
            "    originals merged with each other: {}",
            merges_among(&store, &originals, &s)
        );
    }
    for threshold in [3, 12] {
        let s = Settings {
            threshold,
            ..settings
        };
        report("", &s, &probes, &lookups(&store, &probes, &s), &originals);
        println!(
            "    originals merged with each other: {}",
            merges_among(&store, &originals, &s)
        );
    }
    let per = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    let n = probes.len() - n_orig / 2;
    let (ex, fp, lk) = (
        per(extract_time, n),
        per(fingerprint_time, n),
        per(lookup_time, probes.len()),
    );
    println!(
        "cost per item: extraction {ex:.0} us (originals, with fingerprinting: {:.0} us); \
         dedup {:.0} us = fingerprint {fp:.0} us + lookup and verification {lk:.0} us ({:.1}% of extraction)",
        per(orig_time, n_orig),
        fp + lk,
        (fp + lk) / ex * 100.0
    );
}

fn lookups(store: &Store, probes: &[Probe], s: &Settings) -> Vec<Option<String>> {
    probes
        .iter()
        .map(|p| {
            let c = store.copy_candidates(&p.fp, s.threshold).unwrap();
            dedup::find_copy(&p.fp, &c, s).map(|(id, _)| id.to_string())
        })
        .collect()
}

/// Originals that would be taken for copies of another original.
fn merges_among(store: &Store, originals: &[(String, Fingerprint)], s: &Settings) -> usize {
    originals
        .iter()
        .filter(|(id, fp)| {
            let c: Vec<_> = store
                .copy_candidates(fp, s.threshold)
                .unwrap()
                .into_iter()
                .filter(|c| c.id != *id)
                .collect();
            dedup::find_copy(fp, &c, s).is_some()
        })
        .count()
}

fn report(
    label: &str,
    s: &Settings,
    probes: &[Probe],
    hits: &[Option<String>],
    originals: &[(String, Fingerprint)],
) {
    let (mut tp, mut fneg, mut wrong, mut fp) = (0, 0, 0, 0);
    let (mut not_extracted, mut too_short) = (0, 0);
    let mut copies = 0;
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (p, hit) in probes.iter().zip(hits) {
        let e = by_kind.entry(p.kind).or_default();
        e.1 += 1;
        copies += usize::from(p.want.is_some());
        match (&p.want, hit) {
            (Some(w), Some(h)) if w == h => {
                tp += 1;
                e.0 += 1;
            }
            (Some(_), Some(_)) => wrong += 1,
            (Some(w), None) => {
                fneg += 1;
                // Why: the original too short to be fingerprinted, or the story not in the
                // text agg extracted from the copy's page (the extractor took the chrome).
                let orig = &originals.iter().find(|o| o.0 == *w).unwrap().1;
                match &orig.sketch {
                    None => too_short += 1,
                    Some(sk) if dedup::shingles::overlap(sk, &p.fp.shingles).contained < 0.1 => {
                        not_extracted += 1
                    }
                    Some(_) => {}
                }
            }
            (None, Some(_)) => {
                fp += 1;
                e.0 += 1;
            }
            (None, None) => {}
        }
    }
    let merges = wrong + fp;
    let precision = tp as f64 / (tp + merges).max(1) as f64;
    let recall = tp as f64 / copies.max(1) as f64;
    // The same over the copies whose original is long enough to be fingerprinted at all.
    let long = copies - too_short;
    let recall_long = tp as f64 / long.max(1) as f64;
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(k, (m, n))| format!("{k} {m}/{n} matched"))
        .collect();
    println!(
        "{label} threshold {} containment {}%: precision {precision:.3} recall {recall:.3} \
         ({tp}/{copies} copies; {recall_long:.3} = {tp}/{long} of originals long enough to \
         fingerprint) (missed {fneg}: {too_short} of a too-short original, {not_extracted} with \
         the story not in the extracted text; false merges {merges}); {}",
        s.threshold,
        s.containment,
        kinds.join(", ")
    );
}
