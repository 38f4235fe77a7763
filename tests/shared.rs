//! Several workers on one PostgreSQL store (`store.url`): the same files as the SQLite store,
//! sources claimed with leases, dedup across workers, killed workers' sources picked up.
//! PostgreSQL is a real server started for the test (see `common::pg`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use crate::common::{self, Route, Server, pg};

/// Words to build distinct article texts from (same-template texts would be near-duplicates).
const WORDS: &[&str] = &[
    "harbour",
    "council",
    "ferry",
    "budget",
    "school",
    "river",
    "bridge",
    "market",
    "farmers",
    "rainfall",
    "museum",
    "railway",
    "election",
    "hospital",
    "library",
    "festival",
    "storm",
    "factory",
    "orchard",
    "airport",
    "tunnel",
    "stadium",
    "village",
    "glacier",
    "vineyard",
    "lighthouse",
    "senate",
    "court",
    "union",
    "teachers",
    "nurses",
    "engineers",
    "students",
    "drivers",
    "fishermen",
    "miners",
    "pilots",
    "bakers",
    "painters",
    "singers",
    "approved",
    "rejected",
    "delayed",
    "opened",
    "closed",
    "expanded",
    "repaired",
    "funded",
    "measured",
    "reported",
    "northern",
    "southern",
    "coastal",
    "historic",
    "modern",
    "quiet",
    "crowded",
    "wooden",
    "electric",
    "seasonal",
];

/// A deterministic pseudo-random article body for `seed`: 4 paragraphs of 30 words.
fn body(seed: usize) -> String {
    let mut x = seed as u64 * 2_654_435_761 + 12_345;
    let mut paras = Vec::new();
    for _ in 0..4 {
        let mut words = Vec::new();
        for _ in 0..30 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words.push(WORDS[(x % WORDS.len() as u64) as usize]);
        }
        paras.push(format!("<p>{}.</p>", words.join(" ")));
    }
    paras.concat()
}

fn article(i: usize) -> String {
    format!(
        "<html><head><title>Story {i}</title>\
         <meta property=\"article:published_time\" content=\"2026-11-01T08:00:00+08:00\"></head>\
         <body><article><h1>Story number {i}</h1>{}</article></body></html>",
        body(i)
    )
}

/// Runs `agg ARGS --config PATH` with extra environment.
fn agg_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agg"));
    cmd.args(args).arg("--config").arg(config);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn postgres_store_writes_the_same_files_as_sqlite() {
    let Some(url) = pg::database() else { return };
    let mut routes = HashMap::new();
    let mut list = String::from("<html><body>");
    for i in 0..5 {
        routes.insert(format!("/a/{i}.html"), Route::ok("text/html", article(i)));
        list.push_str(&format!("<a class=\"x\" href=\"/a/{i}.html\">{i}</a>"));
    }
    routes.insert(
        "/list.html".into(),
        Route::ok("text/html", format!("{list}</body></html>")),
    );
    let server = Server::start(routes);
    let sources = format!(
        "  - name: news\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.x\"\n    categories: [\"World\"]\n",
        server.base
    );
    let (lite, shared) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, env) in [
        (lite.path(), vec![]),
        (shared.path(), vec![("AGG_STORE_URL", url.as_str())]),
    ] {
        let path = dir.join("agg.yaml");
        std::fs::write(&path, common::config(dir, &sources)).unwrap();
        let out = agg_env(&path, &["fetch-once", "--format", "json"], &env);
        assert!(out.status.success(), "{}", common::stderr(&out));
        let report = common::report(&out);
        assert_eq!(report["sources"][0]["new"], 5, "{report}");
    }
    assert!(
        !shared.path().join("state/agg.db").exists(),
        "a PostgreSQL store must not create the SQLite file"
    );
    for sub in ["content", "feeds"] {
        let (a, b) = (lite.path().join(sub), shared.path().join(sub));
        let names = common::files(&a);
        assert!(!names.is_empty());
        assert_eq!(names, common::files(&b), "{sub}: same files");
        for n in &names {
            assert_eq!(
                std::fs::read(a.join(n)).unwrap(),
                std::fs::read(b.join(n)).unwrap(),
                "{sub}/{n} differs between SQLite and PostgreSQL"
            );
        }
    }
    // The items are in PostgreSQL; a second run finds them seen and changes nothing.
    let rows = pg::query(&url, "SELECT COUNT(*) FROM items");
    assert_eq!(rows[0].get::<_, i64>(0), 5);
    let before = server.hits("/a/0.html");
    let out = agg_env(
        &shared.path().join("agg.yaml"),
        &["fetch-once", "--format", "json"],
        &[("AGG_STORE_URL", url.as_str())],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let report = common::report(&out);
    assert_eq!(report["sources"][0]["new"], 0, "{report}");
    assert_eq!(server.hits("/a/0.html"), before, "seen article refetched");
    // A bad URL is a clear error naming the store, with the password hidden.
    let out = agg_env(
        &shared.path().join("agg.yaml"),
        &["fetch-once"],
        &[("AGG_STORE_URL", "postgres://agg:secret@127.0.0.1:1/none")],
    );
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains("postgres store postgres://agg:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

const SOURCES: usize = 200;
const INTERVAL: Duration = Duration::from_secs(8);

fn start_worker(config: &Path, url: &str, name: &str, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_agg"))
        .args(["daemon", "--config"])
        .arg(config)
        .env("AGG_STORE_URL", url)
        .env("AGG_WORKER", name)
        .env("RUST_LOG", "agg=info")
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn held_by(url: &str, worker: &str) -> Vec<String> {
    pg::query(
        url,
        &format!("SELECT name FROM source_leases WHERE owner = '{worker}'"),
    )
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// 3 workers, 200 sources due every 8 s, each source's list linking its own article and its
/// neighbour's (so every article reaches two sources, often on two workers). Workers are
/// SIGKILLed mid-run. Every source is fetched; no source is fetched twice within its interval
/// (except those a killed worker held: they are run again once its lease expires); every
/// article ends up as exactly one item and one file.
#[test]
fn workers_share_sources_through_leases_and_survive_kills() {
    let Some(url) = pg::database() else { return };
    let mut routes = HashMap::new();
    for i in 0..SOURCES {
        routes.insert(format!("/a/{i}.html"), Route::ok("text/html", article(i)));
        let next = (i + 1) % SOURCES;
        routes.insert(
            format!("/s/{i}.html"),
            Route::ok(
                "text/html",
                format!(
                    "<html><body><a class=\"x\" href=\"/a/{i}.html\">mine</a>\
                     <a class=\"x\" href=\"/a/{next}.html\">neighbour</a></body></html>"
                ),
            ),
        );
    }
    let server = Server::start(routes);
    let mut sources = String::new();
    for i in 0..SOURCES {
        sources.push_str(&format!(
            "  - name: s{i}\n    kind: html\n    url: \"{}/s/{i}.html\"\n    links: \"a.x\"\n    schedule: \"*/{} * * * * *\"\n",
            server.base,
            INTERVAL.as_secs()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let config =
        common::config(dir.path(), &sources) + "store:\n  lease_secs: 2\n  poll_secs: 0.2\n";
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, config).unwrap();
    let log = |n: &str| dir.path().join(format!("{n}.log"));

    let t0 = Instant::now();
    let mut workers: BTreeMap<String, Child> = ["w1", "w2", "w3"]
        .iter()
        .map(|n| (n.to_string(), start_worker(&path, &url, n, &log(n))))
        .collect();
    let mut interrupted: HashSet<String> = HashSet::new();
    let mut kill = |workers: &mut BTreeMap<String, Child>, name: &str| {
        let mut child = workers.remove(name).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        // What it held when it died may be fetched again once the lease expires.
        interrupted.extend(held_by(&url, name));
    };
    // Kill w1 at a random moment of the second or third round and bring it back; kill w2 for
    // good at a random moment a round later. The seed is printed to replay a failure.
    let seed = std::env::var("AGG_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos() as u64
        });
    eprintln!("kill schedule seed (AGG_TEST_SEED): {seed}");
    let first = Duration::from_millis(6000 + seed % 6000);
    let second = Duration::from_millis(1000 + (seed / 6000) % 5000);
    std::thread::sleep(first.saturating_sub(t0.elapsed()));
    kill(&mut workers, "w1");
    std::thread::sleep(Duration::from_millis(1500));
    workers.insert("w1b".into(), start_worker(&path, &url, "w1b", &log("w1b")));
    std::thread::sleep(second);
    kill(&mut workers, "w2");
    // Go on with the survivors until every source was fetched twice and once more after the
    // last kill (a first round of 200 new articles takes a while in a debug build).
    let killed_at = Instant::now();
    let deadline = killed_at + Duration::from_secs(150);
    loop {
        let log = server.hit_log.lock().unwrap().clone();
        let mut count: HashMap<&str, (usize, bool)> = HashMap::new();
        for (path, at) in &log {
            if path.starts_with("/s/") {
                let e = count.entry(path.as_str()).or_default();
                e.0 += 1;
                e.1 |= *at > killed_at;
            }
        }
        if count.len() == SOURCES && count.values().all(|(n, after)| *n >= 2 && *after) {
            break;
        }
        if Instant::now() > deadline {
            break; // the assertions below say what is missing
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    for (_, mut child) in workers {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        assert!(status.success(), "worker exited with {status}");
    }

    let logs: String = ["w1", "w1b", "w2", "w3"]
        .iter()
        .map(|n| std::fs::read_to_string(log(n)).unwrap_or_default())
        .collect();
    assert!(!logs.contains("panicked"), "a worker panicked:\n{logs}");
    // Every source fetched, none twice within its interval unless a killed worker held it.
    let hits = server.hit_log.lock().unwrap().clone();
    let mut by_source: HashMap<String, Vec<Instant>> = HashMap::new();
    for (path, at) in &hits {
        if let Some(i) = path
            .strip_prefix("/s/")
            .and_then(|p| p.strip_suffix(".html"))
        {
            by_source.entry(format!("s{i}")).or_default().push(*at);
        }
    }
    assert_eq!(by_source.len(), SOURCES, "every source fetched");
    let mut checked = 0;
    for (name, times) in &by_source {
        assert!(times.len() >= 2, "{name} fetched {} times", times.len());
        if interrupted.contains(name) {
            continue;
        }
        checked += 1;
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            assert!(
                gap >= INTERVAL / 2,
                "{name} fetched twice {gap:?} apart (interval {INTERVAL:?})"
            );
        }
    }
    assert!(
        checked >= SOURCES - 2 * max_held(),
        "too few sources checked"
    );
    // Work was shared: the workers that ran for whole rounds fetched something.
    for n in ["w3", "w1b"] {
        assert!(
            std::fs::read_to_string(log(n)).unwrap().contains("claimed"),
            "{n} never claimed a source"
        );
    }
    // Every article exactly once: one item per URL, one file per item.
    let rows = pg::query(&url, "SELECT url, COUNT(*) FROM items GROUP BY url");
    let urls: HashSet<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    assert!(rows.iter().all(|r| r.get::<_, i64>(1) == 1));
    let want: HashSet<String> = (0..SOURCES)
        .map(|i| format!("{}/a/{i}.html", server.base))
        .collect();
    assert_eq!(urls, want, "one item per article, none lost");
    let files = common::files(&dir.path().join("content"));
    assert_eq!(
        files.len(),
        SOURCES,
        "one Markdown file per article: {files:?}"
    );
    assert_eq!(
        pg::query(&url, "SELECT COUNT(*) FROM alternates")[0].get::<_, i64>(0),
        0,
        "distinct articles were merged"
    );
    // `agg status` on the shared store reads each source's next run from the lease table.
    let out = agg_env(
        &path,
        &["status", "--format", "json"],
        &[("AGG_STORE_URL", url.as_str())],
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stdout(&out)));
    let rows = status.as_array().expect("one object per source");
    assert_eq!(rows.len(), SOURCES);
    let due: HashMap<String, i64> = pg::query(&url, "SELECT name, next_due_ms FROM source_leases")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for row in rows {
        let name = row["source"].as_str().unwrap();
        let next = chrono::DateTime::parse_from_rfc3339(row["next_run"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        assert_eq!(next, due[name], "{name}");
    }
    // The main feed, published from the database, holds the newest items of all workers.
    let rss = std::fs::read_to_string(dir.path().join("feeds/rss.xml")).unwrap();
    assert_eq!(rss.matches("<item>").count(), 50);
}

/// Most sources one worker can hold at once (the claim batch).
fn max_held() -> usize {
    agg::daemon::CLAIM_BATCH as usize
}

/// Starts `agg fetch-once` on `config` against the shared store, without waiting.
fn spawn_fetch_once(config: &Path, url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_agg"))
        .args(["fetch-once", "--config"])
        .arg(config)
        .env("AGG_STORE_URL", url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `agg fetch-once` for sources `a` and `b` (`/a/list.html`, `/b/list.html` on `server`)
/// as two processes at once on the shared store, each with its own folders and the given
/// per-host spacing; returns their folders once both succeeded.
fn two_workers_at_once(server: &Server, url: &str, spacing: Duration) -> Vec<tempfile::TempDir> {
    let dirs: Vec<_> = ["a", "b"]
        .iter()
        .map(|s| {
            let dir = tempfile::tempdir().unwrap();
            let sources = format!(
                "  - name: {s}\n    kind: html\n    url: \"{}/{s}/list.html\"\n    links: \"a.x\"\n",
                server.base
            );
            let config = common::config(dir.path(), &sources).replace(
                "per_host_interval_ms: 0",
                &format!("per_host_interval_ms: {}", spacing.as_millis()),
            );
            std::fs::write(dir.path().join("agg.yaml"), config).unwrap();
            dir
        })
        .collect();
    let children: Vec<Child> = dirs
        .iter()
        .map(|d| spawn_fetch_once(&d.path().join("agg.yaml"), url))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    dirs
}

/// Two processes fetching from one host at once keep the host's request spacing between them:
/// each start is reserved in the store, not only in the process's own table.
#[test]
fn request_spacing_to_a_host_holds_across_workers() {
    let Some(url) = pg::database() else { return };
    let mut routes = HashMap::new();
    for s in ["a", "b"] {
        let mut list = String::from("<html><body>");
        for i in 0..4 {
            let n = if s == "a" { i } else { 10 + i };
            routes.insert(format!("/{s}/{i}.html"), Route::ok("text/html", article(n)));
            list.push_str(&format!("<a class=\"x\" href=\"/{s}/{i}.html\">{i}</a>"));
        }
        routes.insert(
            format!("/{s}/list.html"),
            Route::ok("text/html", format!("{list}</body></html>")),
        );
    }
    let server = Server::start(routes);
    let spacing = Duration::from_millis(300);
    two_workers_at_once(&server, &url, spacing);
    let mut times: Vec<(String, Instant)> = server.hit_log.lock().unwrap().clone();
    times.sort_by_key(|(_, t)| *t);
    assert!(times.len() >= 10, "{times:?}");
    let paths: HashSet<&str> = times.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains("/a/0.html") && paths.contains("/b/0.html"));
    for w in times.windows(2) {
        let gap = w[1].1 - w[0].1;
        assert!(
            gap >= spacing - Duration::from_millis(60),
            "{} then {} only {gap:?} apart",
            w[0].0,
            w[1].0
        );
    }
}

/// Copies of one story reaching two workers at the same moment become one item and one
/// alternate: the duplicate decision is serialised in the database.
#[test]
fn copies_seen_by_two_workers_at_once_become_one_item() {
    let Some(url) = pg::database() else { return };
    const STORIES: usize = 12;
    let mut routes = HashMap::new();
    for s in ["a", "b"] {
        let mut list = String::from("<html><body>");
        for i in 0..STORIES {
            // Same story text, other site chrome and URL.
            let page = format!(
                "<html><head><title>{s} reprint {i}</title></head><body>\
                 <nav><a href=\"/\">{s} home</a> <a href=\"/world\">{s} world</a></nav>\
                 <article><h1>Story number {i}</h1>{}</article>\
                 <footer>Copyright {s} press</footer></body></html>",
                body(1000 + i)
            );
            routes.insert(format!("/{s}/{i}.html"), Route::ok("text/html", page));
            list.push_str(&format!("<a class=\"x\" href=\"/{s}/{i}.html\">{i}</a>"));
        }
        routes.insert(
            format!("/{s}/list.html"),
            Route::ok("text/html", format!("{list}</body></html>")),
        );
    }
    let server = Server::start(routes);
    let dirs = two_workers_at_once(&server, &url, Duration::ZERO);
    let items = pg::query(&url, "SELECT COUNT(*) FROM items")[0].get::<_, i64>(0);
    let alternates = pg::query(&url, "SELECT COUNT(*) FROM alternates")[0].get::<_, i64>(0);
    assert_eq!(items, STORIES as i64, "one item per story");
    assert_eq!(
        alternates, STORIES as i64,
        "every copy recorded as an alternate"
    );
    let files: usize = dirs
        .iter()
        .map(|d| common::files(&d.path().join("content")).len())
        .sum();
    assert_eq!(
        files, STORIES,
        "one Markdown file per story across both workers"
    );
}

/// A daemon outlives its database's restarts: a store whose connection was cut reconnects and
/// the statement that met the cut is run again.
#[test]
fn a_cut_connection_is_reopened() {
    let Some(url) = pg::database() else { return };
    let (store, coordination) = agg::store::Store::postgres(&url, None).unwrap();
    let state = agg::store::SourceState {
        failures: 3,
        ..Default::default()
    };
    store.put_source_state("s", &state).unwrap();
    let db = url.rsplit('/').next().unwrap().to_string();
    let cut = pg::query(
        &url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    assert_eq!(cut.len(), 1, "one agg connection to cut");
    assert_eq!(store.source_state("s").unwrap(), state);
    // Transactions too.
    pg::query(
        &url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    store
        .save_host_pauses(&[("example.org".into(), i64::MAX / 2)])
        .unwrap();
    assert_eq!(store.host_pauses(0).unwrap().len(), 1);
    // While a shared lock is held, a lost connection is an error: the server released the
    // lock with the session, so carrying on would decide without it.
    let lock = coordination.lock(agg::store::Lock::Decide).unwrap();
    pg::query(
        &url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    );
    let err = store.source_state("s").unwrap_err();
    assert!(matches!(err, agg::store::StoreError::LockLost), "{err}");
    drop(lock);
    assert_eq!(store.source_state("s").unwrap(), state);
}

/// A database that serves TLS: with `sslmode=require` agg connects only over TLS and checks
/// the certificate (trusting `store.ca_file` besides the system's roots).
#[test]
fn tls_to_the_database_with_a_private_ca() {
    let Some((url, ca)) = pg::tls_database() else {
        return;
    };
    let strict = format!("{url}?sslmode=require");
    // An unknown CA is refused, naming the store.
    let err = match agg::store::Store::postgres(&strict, None) {
        Ok(_) => panic!("a certificate from an unknown CA was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("postgres store") && err.contains("127.0.0.1"),
        "{err}"
    );
    let ca_certs = agg::store::CaCerts {
        origin: format!("store.ca_file {}", ca.display()),
        pem: std::fs::read(&ca).unwrap(),
    };
    let (store, _) = agg::store::Store::postgres(&strict, Some(&ca_certs)).unwrap();
    store
        .put_source_state("s", &agg::store::SourceState::default())
        .unwrap();
    let db = url.rsplit('/').next().unwrap();
    let encrypted = pg::query(
        &url,
        &format!(
            "SELECT COUNT(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = '{db}' AND s.ssl"
        ),
    );
    assert_eq!(
        encrypted[0].get::<_, i64>(0),
        1,
        "agg's connection uses TLS"
    );
    // The same through the config: store.ca_file.
    let dir = tempfile::tempdir().unwrap();
    let config =
        common::config(dir.path(), "") + &format!("store:\n  ca_file: \"{}\"\n", ca.display());
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, config).unwrap();
    let out = agg_env(&path, &["status"], &[("AGG_STORE_URL", strict.as_str())]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    std::fs::write(
        &path,
        common::config(dir.path(), "") + &format!("store:\n  ca_file: \"{}\"\n", bad.display()),
    )
    .unwrap();
    let out = agg_env(&path, &["status"], &[("AGG_STORE_URL", strict.as_str())]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("store.ca_file"),
        "{}",
        common::stderr(&out)
    );
}
