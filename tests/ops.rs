//! Running it for years: `agg status`, `/metrics` and `/healthz` on a daemon with one broken
//! source, the after_run hook, JSON logs, and extraction-health alerts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{self, Route, Server};

/// A distinct article per `seed` (different words, so near-duplicate detection keeps them apart).
fn article(seed: u64, thumbnail: bool) -> String {
    const WORDS: &[&str] = &[
        "council",
        "harbour",
        "river",
        "school",
        "budget",
        "train",
        "library",
        "market",
        "storm",
        "festival",
        "bridge",
        "hospital",
        "election",
        "farmers",
        "museum",
        "police",
        "court",
        "airport",
        "theatre",
        "stadium",
        "mayor",
        "students",
        "workers",
        "energy",
        "water",
        "housing",
        "traffic",
        "weather",
        "tourism",
        "fishing",
        "parliament",
        "minister",
        "company",
        "factory",
        "village",
        "island",
        "mountain",
        "forest",
        "garden",
        "orchestra",
    ];
    let mut x = seed.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(1);
    let mut words = Vec::new();
    for _ in 0..90 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        words.push(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    let (a, b) = words.split_at(45);
    let og = if thumbnail {
        format!("<meta property=\"og:image\" content=\"https://img.example/{seed}.jpg\">")
    } else {
        String::new()
    };
    format!(
        "<html><head><title>Story {seed}</title>{og}<meta property=\"article:published_time\" content=\"2026-05-0{}T10:00:00Z\"></head><body><article><h1>Story {seed}</h1><p>{}.</p><p>{}.</p></article></body></html>",
        1 + seed % 9,
        a.join(" "),
        b.join(" ")
    )
}

fn get(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn daemon_metrics_healthz_and_status_with_a_broken_source() {
    let server = Server::start(HashMap::from([(
        "/good.html".to_string(),
        Route::ok("text/html", article(1, true)),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: good\n    kind: urls\n    urls: [\"{b}/good.html\"]\n    schedule: \"* * * * * *\"\n  - name: broken\n    kind: feed\n    url: \"{b}/missing.xml\"\n    schedule: \"* * * * * *\"\n",
        b = server.base
    );
    let config = common::config(dir.path(), &sources) + "server:\n  listen: \"127.0.0.1:0\"\n";
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, &config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_agg"))
        .args(["daemon", "--config"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .unwrap()
        .trim_end_matches('/')
        .to_string();

    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let m = get(&addr, "/metrics");
        if m.contains("agg_pages_total{source=\"good\",outcome=\"new\"} 1")
            && m.contains("source=\"broken\",outcome=\"failed\"")
        {
            break m;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed both runs:\n{m}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(
        metrics.contains("agg_listings_total{source=\"broken\",outcome=\"failed\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("agg_http_responses_total{class=\"4xx\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("agg_source_last_success_timestamp_seconds{source=\"good\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("agg_fetch_duration_seconds_bucket{"),
        "{metrics}"
    );
    assert!(
        metrics.contains("agg_items_written_total{source=\"good\",outcome=\"new\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains(&server.base), "no URL in label values");
    assert!(get(&addr, "/healthz").ends_with("\r\n\r\nok\n"));

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert!(child.wait().unwrap().success());

    let out = common::agg(dir.path(), &config, &["status", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failing source makes status unhealthy"
    );
    let statuses: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |n: &str| {
        statuses
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == n)
            .unwrap()
            .clone()
    };
    let good = by_name("good");
    assert_eq!(good["state"], "ok");
    assert_eq!(good["new_24h"], 1);
    assert_eq!(good["health"]["thumbnail"], 1.0);
    assert!(good["next_run"].is_string());
    let broken = by_name("broken");
    assert_eq!(broken["state"], "failing");
    assert!(broken["consecutive_failures"].as_u64().unwrap() >= 1);
    assert!(
        broken["last_error"]
            .as_str()
            .unwrap()
            .contains("missing.xml: HTTP 404"),
        "{broken}"
    );
    let text = common::stdout(&common::agg(dir.path(), &config, &["status"]));
    assert!(
        text.lines()
            .any(|l| l.starts_with("broken\tfeed\tfailing\t")),
        "{text}"
    );
}

#[test]
fn after_run_hook_gets_its_argv_and_failures_are_reported() {
    let server = Server::start(HashMap::from([
        (
            "/1.html".to_string(),
            Route::ok("text/html", article(11, true)),
        ),
        (
            "/2.html".to_string(),
            Route::ok("text/html", article(12, true)),
        ),
    ]));
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("hook.log");
    let script = dir.path().join("hook.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$#:$1|$2|$3\" >> {}\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sources = |urls: &str| format!("  - name: s\n    kind: urls\n    urls: [{urls}]\n");
    let hooks = format!(
        "hooks:\n  after_run: [\"{}\", \"--minify\", \"-s\", \"my site\"]\n",
        script.display()
    );
    let one = common::config(dir.path(), &sources(&format!("\"{}/1.html\"", server.base))) + &hooks;
    assert!(
        common::agg(dir.path(), &one, &["fetch-once"])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        "3:--minify|-s|my site\n",
        "argv passed as is, no shell"
    );
    // Nothing new: the hook does not run.
    assert!(
        common::agg(dir.path(), &one, &["fetch-once"])
            .status
            .success()
    );
    assert_eq!(std::fs::read_to_string(&record).unwrap().lines().count(), 1);

    // A failing hook is reported and makes the run's exit code 1; a hanging one is killed.
    std::fs::write(&script, "#!/bin/sh\necho building >&2\nexit 3\n").unwrap();
    let two = common::config(
        dir.path(),
        &sources(&format!("\"{b}/1.html\", \"{b}/2.html\"", b = server.base)),
    ) + &hooks;
    let run = common::fetch_once(dir.path(), &two, &[], &[]);
    assert_eq!(run.out.status.code(), Some(1));
    assert_eq!(run.report["hook"], "failed", "{run}");
    assert!(
        run.report["hook_error"]
            .as_str()
            .is_some_and(|e| e.ends_with("exited with exit status: 3")),
        "{run}"
    );
    assert!(
        common::stderr(&run.out).contains("building"),
        "hook output is logged"
    );
}

#[test]
fn json_logs_parse_line_by_line_with_the_source_span() {
    let server = Server::start(HashMap::from([(
        "/1.html".to_string(),
        Route::ok("text/html", article(21, false)),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &format!(
            "  - name: logged\n    kind: urls\n    urls: [\"{}/1.html\"]\n",
            server.base
        ),
    );
    std::fs::write(dir.path().join("agg.yaml"), &config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_agg"))
        .args(["fetch-once", "--config"])
        .arg(dir.path().join("agg.yaml"))
        .env("AGG_LOG_FORMAT", "json")
        .env("RUST_LOG", "agg=info")
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "stored" && l["span"]["source"] == "logged"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string())
    );
}

#[test]
fn losing_thumbnails_raises_one_alert() {
    let mut routes = HashMap::new();
    for i in 0..40u64 {
        routes.insert(
            format!("/{i}.html"),
            Route::ok("text/html", article(100 + i, i < 30)),
        );
    }
    let server = Server::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let list = |r: std::ops::Range<u64>| {
        r.map(|i| format!("\"{}/{i}.html\"", server.base))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let config = |r| {
        common::config(
            dir.path(),
            &format!(
                "  - name: redesign\n    kind: urls\n    urls: [{}]\n",
                list(r)
            ),
        )
    };
    let run = common::fetch_once(dir.path(), &config(0..30), &[], &[]);
    assert!(
        run.line("redesign").starts_with("redesign: 30 new"),
        "{run}"
    );
    assert_eq!(
        common::agg(dir.path(), &config(0..30), &["status"])
            .status
            .code(),
        Some(0)
    );
    // The site is redesigned: the next ten articles have no thumbnail.
    let run = common::fetch_once(dir.path(), &config(0..40), &[], &[]);
    assert!(
        run.line("redesign").starts_with("redesign: 10 new"),
        "{run}"
    );
    assert_eq!(
        common::stderr(&run.out)
            .matches("extraction degraded")
            .count(),
        1,
        "{run}"
    );
    let status = common::agg(dir.path(), &config(0..40), &["status"]);
    assert_eq!(status.status.code(), Some(1));
    let text = common::stdout(&status);
    assert!(
        text.contains("redesign\turls\tdegraded\t")
            && text.contains("ALERT lost thumbnails: 0% of the last 10 items, was 100%"),
        "{text}"
    );
    // A later run with nothing new does not warn again.
    let again = common::agg(dir.path(), &config(0..40), &["fetch-once"]);
    assert!(!common::stderr(&again).contains("extraction degraded"));
}

#[test]
fn without_a_terminal_there_are_plain_log_lines_and_no_progress_bars() {
    let server = Server::start(HashMap::from([(
        "/1.html".to_string(),
        Route::ok("text/html", article(31, false)),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let config = common::config(
        dir.path(),
        &format!(
            "  - name: piped\n    kind: urls\n    urls: [\"{}/1.html\"]\n",
            server.base
        ),
    );
    let out = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(out.status.success());
    let err = common::stderr(&out);
    assert!(
        !err.contains('\u{1b}') && !err.contains('\r'),
        "no escape codes or bars: {err:?}"
    );
    assert!(
        err.lines()
            .any(|l| l.contains("INFO") && l.contains("stored")),
        "{err}"
    );
    let table = common::stdout(&out);
    assert!(
        table
            .lines()
            .any(|l| l == "piped: 1 new, 0 updated, 0 unchanged, 0 failed"),
        "{table}"
    );
}
