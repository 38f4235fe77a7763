//! Feed-build benchmark (issue 7): a store of 100,000 items with 1,000 tags and 50
//! categories, published in full and then after one new item, against the old way (every item
//! loaded into memory, every feed rendered). Run it through `scripts/bench-feeds`, or:
//!
//! ```sh
//! cargo run --release --example feeds_bench -- DIR [ITEMS] [TAGS] [CATEGORIES]
//! ```
//!
//! DIR keeps the store between runs (it is filled once), the config `DIR/agg.yaml` and the
//! feeds. Prints one `name: value` line per figure. Timings are wall clock; peak RSS is the
//! process's high-water mark read after each phase (the old way runs last, so its figure is
//! its own).
use std::path::{Path, PathBuf};
use std::time::Instant;

use agg::app::{self, Context};
use agg::config::Config;
use agg::store::{Store, StoredItem};
use chrono::{DateTime, FixedOffset};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so every run builds the same corpus.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "market",
    "城市",
    "government",
    "交通",
    "report",
    "science",
    "经济",
    "weather",
    "policy",
    "health",
    "教育",
    "technology",
    "football",
    "election",
    "energy",
    "文化",
    "climate",
    "trade",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn item(rng: &mut Rng, n: usize, dir: &Path, tags: usize, categories: usize) -> StoredItem {
    let id = format!("{n:016x}");
    let ts = 1_600_000_000 + (n as i64) * 600 + rng.below(600) as i64;
    let date: DateTime<FixedOffset> = DateTime::from_timestamp(ts, 0).unwrap().fixed_offset();
    // About 3 KB of body, like a short news article.
    let body: String = (0..6)
        .map(|_| format!("<p>{}</p>", sentence(rng, 60)))
        .collect();
    StoredItem {
        id: id.clone(),
        source: "bench".into(),
        url: format!("https://news.example.com/{}/{id}.html", n % 97),
        title: sentence(rng, 8),
        summary: sentence(rng, 20),
        content_html: body,
        // The folder is never created, so these do not count as deleted files.
        path: dir
            .join("content/bench")
            .join(format!("{id}.md"))
            .display()
            .to_string(),
        published: date,
        updated: date,
        first_seen: date,
        author: Some("Bench Reporter".into()),
        thumbnail: Some(format!("https://img.example.com/{id}.jpg")),
        categories: vec![format!("Category {}", rng.below(categories))],
        tags: (0..3).map(|_| format!("tag{}", rng.below(tags))).collect(),
        lang: Some("en".into()),
        content_hash: id,
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time (user + system) of this process so far, in seconds.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    f.get(10)
        .zip(f.get(11))
        .map_or(f64::NAN, |(u, s)| (u + s) / 100.0)
}

fn config(dir: &Path, new_page: &Path) -> PathBuf {
    let path = dir.join("agg.yaml");
    let yaml = format!(
        "site: {{title: \"Bench\", base_url: \"https://news.example.org/feeds/\", timezone: \"UTC\", language: \"en\"}}
paths: {{content: \"{d}/content\", feeds: \"{d}/feeds\", state: \"{d}/state/agg.db\"}}
feeds: {{items: 50, formats: [rss, atom, json]}}
sources:
  - name: bench-new
    kind: urls
    urls: [\"file:{page}\"]
    schedule: \"@hourly\"
    categories: [\"Category 7\"]
    tags: [\"tag42\", \"tag977\"]
",
        d = dir.display(),
        page = new_page.display()
    );
    std::fs::write(&path, yaml).unwrap();
    path
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().map_or("target/feeds-bench", String::as_str));
    let arg = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (items, tags, categories) = (arg(1, 100_000), arg(2, 1_000), arg(3, 50));
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    let dir = dir.canonicalize().unwrap();

    let db = dir.join("state/agg.db");
    std::fs::create_dir_all(dir.join("state")).unwrap();
    let store = Store::open(&db).unwrap();
    let have = store.count_items().unwrap();
    if have < items {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ have as u64);
        let t = Instant::now();
        for n in have..items {
            let it = item(&mut rng, n, &dir, tags, categories);
            store.put_item(&it, &[it.url.as_str()]).unwrap();
        }
        let secs = t.elapsed().as_secs_f64();
        println!("store_fill_items: {}", items - have);
        println!(
            "store_fill_us_per_item: {:.1}",
            secs * 1e6 / (items - have) as f64
        );
    }
    drop(store);
    println!("corpus: {items} items, {tags} tags, {categories} categories");

    // A fresh page each run, so the run below finds one new article.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let page = dir.join(format!("pages/new-{stamp}.html"));
    std::fs::write(
        &page,
        format!(
            "<html><head><title>Breaking {stamp}</title>\
             <meta property=\"article:published_time\" content=\"2030-01-01T00:00:00Z\"></head>\
             <body><article><h1>Breaking {stamp}</h1><p>{}</p><p>{}</p></article></body></html>",
            "A new article for the incremental feed benchmark, long enough to be extracted. "
                .repeat(4),
            // Its own words: the page of an earlier run is not taken for a copy of this one.
            sentence(&mut Rng(stamp as u64 | 1), 200)
        ),
    )
    .unwrap();
    let cfg_path = config(&dir, &page);
    let mut cfg = Config::load(&cfg_path).unwrap();
    cfg.fetch.allow_private_networks = true;
    let ctx = Context::open_async(cfg).await.unwrap();
    // FEEDS_BENCH_QUICK=1: the one-item phases only, over the feeds a previous run left.
    let quick = std::env::var_os("FEEDS_BENCH_QUICK").is_some();
    let mut rebuild_s = f64::NAN;
    let mut full_s = f64::NAN;
    if !quick {
        let _ = std::fs::remove_dir_all(dir.join("feeds"));

        let (t, cpu) = (Instant::now(), cpu_s());
        let full = app::publish::all(&ctx).await.unwrap();
        full_s = t.elapsed().as_secs_f64();
        println!(
            "full_build_s: {full_s:.3} (cpu {:.3} s, {} files written)",
            cpu_s() - cpu,
            full.written.len()
        );
        let (t, cpu) = (Instant::now(), cpu_s());
        let again = app::publish::all(&ctx).await.unwrap();
        rebuild_s = t.elapsed().as_secs_f64();
        println!(
            "full_rebuild_unchanged_s: {rebuild_s:.3} (cpu {:.3} s, {} written, {} unchanged)",
            cpu_s() - cpu,
            again.written.len(),
            again.unchanged
        );
    }
    println!("peak_rss_mb_after_full_builds: {:.1}", peak_rss_mb());

    let t = Instant::now();
    let run = app::run(&ctx, &[]).await;
    let run_s = t.elapsed().as_secs_f64();
    let new: usize = run.sources.iter().map(|s| s.counts.new).sum();
    println!(
        "add_one_run_s: {run_s:.3} (new {new}, feeds written {:?})",
        run.feeds.written
    );
    // The publishing step alone: one item stored straight into the store, then republished.
    let mut rng = Rng(stamp as u64 | 1);
    let mut one = item(
        &mut rng,
        items + 1 + (stamp % 1_000_000) as usize,
        &dir,
        tags,
        categories,
    );
    one.published = chrono::Utc::now().fixed_offset();
    one.updated = one.published;
    ctx.store.put_item(&one, &[one.url.as_str()]).unwrap();
    let (t, cpu) = (Instant::now(), cpu_s());
    let added = app::publish::changed(&ctx).await.unwrap();
    println!(
        "add_one_publish_ms: {:.1} (cpu {:.1} ms, {} files written)",
        t.elapsed().as_secs_f64() * 1e3,
        (cpu_s() - cpu) * 1e3,
        added.written.len()
    );
    let t = Instant::now();
    let nothing = app::publish::changed(&ctx).await.unwrap();
    println!(
        "incremental_publish_nothing_dirty_ms: {:.1} ({} written)",
        t.elapsed().as_secs_f64() * 1e3,
        nothing.written.len()
    );
    println!("peak_rss_mb_after_incremental: {:.1}", peak_rss_mb());

    // What the index and OPML read on every publish: every feed's few newest items.
    let (t, cpu) = (Instant::now(), cpu_s());
    let topics = agg::publish::Corpus::topics(&*ctx.store).unwrap();
    let mut n = 0;
    for (key, _) in &topics {
        n += agg::publish::Corpus::newest(&*ctx.store, key, 5, false)
            .unwrap()
            .len();
    }
    println!(
        "index_reads_ms: {:.1} (cpu {:.1} ms, {} feeds, {n} items)",
        t.elapsed().as_secs_f64() * 1e3,
        (cpu_s() - cpu) * 1e3,
        topics.len()
    );
    if quick {
        return;
    }
    // The old way, for the ratio: every item (with its body) loaded, every feed rendered.
    let old_dir = dir.join("feeds-old");
    let _ = std::fs::remove_dir_all(&old_dir);
    let (t, cpu) = (Instant::now(), cpu_s());
    old_publish(&ctx, &old_dir);
    let old_s = t.elapsed().as_secs_f64();
    println!("old_full_build_s: {old_s:.3} (cpu {:.3} s)", cpu_s() - cpu);
    let (t, cpu) = (Instant::now(), cpu_s());
    old_publish(&ctx, &old_dir);
    let old_again_s = t.elapsed().as_secs_f64();
    println!(
        "old_full_rebuild_unchanged_s: {old_again_s:.3} (cpu {:.3} s)",
        cpu_s() - cpu
    );
    println!("old_peak_rss_mb: {:.1}", peak_rss_mb());
    println!("ratio_full_build_new_over_old: {:.2}", full_s / old_s);
    println!(
        "ratio_full_rebuild_unchanged_new_over_old: {:.2}",
        rebuild_s / old_again_s
    );
    println!(
        "ratio_add_one_run_over_old_full_build: {:.3}",
        run_s / old_s
    );
}

fn old_publish(ctx: &Context, out: &Path) {
    let c = &ctx.config;
    let items: Vec<_> = ctx
        .store
        .items(None)
        .unwrap()
        .into_iter()
        .map(StoredItem::into_feed_item)
        .collect();
    let site = agg::publish::SiteInfo {
        title: c.site.title.clone(),
        base_url: c.site.base_url.clone(),
        language: Some(c.site.language.clone()),
        timezone: c.site.timezone,
        description: c.site.description.clone(),
        icon: None,
        logo: None,
        hub: None,
    };
    let opts = agg::publish::FeedOptions {
        items: c.feeds.items,
        formats: c.feeds.formats.clone(),
        max_bytes: c.feeds.max_bytes,
        update_interval: None,
    };
    agg::publish::publish(&items, &site, &opts, out).unwrap();
}
