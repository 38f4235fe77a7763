//! Test support: a real HTTP/1.1 server on 127.0.0.1 (random port) serving fixture routes, and
//! helpers to run the `agg` binary against a config in a temp folder.
//!
//! The server is written on raw tokio sockets on purpose: hostile tests need byte-level control
//! (drips, lies in headers) that a framework would smooth over.

#![allow(dead_code)]

pub mod pg;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One canned response.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }
    pub fn status(status: u16) -> Route {
        Route {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {status}").into_bytes(),
        }
    }
}

/// A running fixture server. Requests are logged by path.
pub struct Server {
    pub base: String,
    pub routes: Arc<Mutex<HashMap<String, Route>>>,
    pub hits: Arc<Mutex<Vec<String>>>,
    /// Every request's path with the time it arrived.
    pub hit_log: Arc<Mutex<Vec<(String, std::time::Instant)>>>,
    _thread: std::thread::JoinHandle<()>,
}

impl Server {
    pub fn start(routes: HashMap<String, Route>) -> Server {
        let routes = Arc::new(Mutex::new(routes));
        let hits = Arc::new(Mutex::new(Vec::new()));
        let hit_log = Arc::new(Mutex::new(Vec::new()));
        let std_listener = listener();
        std_listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", std_listener.local_addr().unwrap());
        let (r, h, hl) = (routes.clone(), hits.clone(), hit_log.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((mut sock, _)) = listener.accept().await else {
                        continue;
                    };
                    let (r, h, hl) = (r.clone(), h.clone(), hl.clone());
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 4096];
                        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            match sock.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                        let head = String::from_utf8_lossy(&buf).to_string();
                        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                        h.lock().unwrap().push(path.clone());
                        hl.lock()
                            .unwrap()
                            .push((path.clone(), std::time::Instant::now()));
                        let route = r
                            .lock()
                            .unwrap()
                            .get(&path)
                            .cloned()
                            .unwrap_or_else(|| Route::status(404));
                        let mut resp = format!(
                            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                            route.status,
                            route.body.len()
                        );
                        for (k, v) in &route.headers {
                            resp.push_str(&format!("{k}: {v}\r\n"));
                        }
                        resp.push_str("\r\n");
                        let mut bytes = resp.into_bytes();
                        bytes.extend_from_slice(&route.body);
                        let _ = sock.write_all(&bytes).await;
                        let _ = sock.shutdown().await;
                    });
                }
            });
        });
        Server {
            base,
            routes,
            hits,
            hit_log,
            _thread: thread,
        }
    }

    pub fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_string(), route);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

/// The repository's `tests/fixtures` folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// The config header every test uses: output into `dir`, private networks allowed (the server
/// is on 127.0.0.1), no politeness delay. `sources` is YAML for the `sources:` list.
pub fn config(dir: &Path, sources: &str) -> String {
    format!(
        r#"site:
  title: "Test News"
  base_url: "https://news.example.org/feeds/"
  timezone: "Asia/Shanghai"
  language: "zh-CN"
paths:
  content: "{dir}/content"
  feeds: "{dir}/feeds"
  state: "{dir}/state/agg.db"
fetch:
  timeout_secs: 5
  per_host_interval_ms: 0
  allow_private_networks: true
feeds:
  items: 50
front_matter:
  menu: ""
  lead: ""
  comments: false
  authorbox: false
  pager: true
  toc: false
  mathjax: false
  sidebar: "right"
  widgets: ["search", "recent", "taglist"]
sources:
{sources}"#,
        dir = dir.display()
    )
}

/// Writes `config` into `dir/agg.yaml` and runs `agg ARGS --config dir/agg.yaml`.
pub fn agg(dir: &Path, config: &str, args: &[&str]) -> Output {
    agg_env(dir, config, args, &[])
}

/// A `fetch-once --format json` run: the process's output and the run report it printed.
pub struct Run {
    pub out: Output,
    pub report: serde_json::Value,
}

impl Run {
    /// A source's counts as `name: N new, U updated, C unchanged, F failed` (easy to compare
    /// and to read in a failed assertion).
    pub fn line(&self, source: &str) -> String {
        let s = self.source(source);
        let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} of {source}"));
        format!(
            "{source}: {} new, {} updated, {} unchanged, {} failed",
            n("new"),
            n("updated"),
            n("unchanged"),
            n("failed")
        )
    }

    /// The report of `source`.
    pub fn source(&self, source: &str) -> &serde_json::Value {
        self.report["sources"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["source"] == source))
            .unwrap_or_else(|| panic!("no source {source} in {}", self.report))
    }

    /// Why `source` as a whole failed.
    pub fn source_error(&self, source: &str) -> Option<String> {
        self.source(source)["error"].as_str().map(str::to_string)
    }

    /// Every failure message: the sources', their pages', publishing's and the hook's.
    pub fn errors(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in self.report["sources"].as_array().into_iter().flatten() {
            out.extend(s["error"].as_str().map(str::to_string));
            for p in s["pages"].as_array().into_iter().flatten() {
                out.extend(p["error"].as_str().map(str::to_string));
            }
        }
        for k in ["publish_error", "hook_error"] {
            out.extend(self.report[k].as_str().map(str::to_string));
        }
        out
    }

    /// Whether a failure message contains `text`.
    pub fn has_error(&self, text: &str) -> bool {
        self.errors().iter().any(|e| e.contains(text))
    }

    /// Feed files written.
    pub fn feeds_written(&self) -> usize {
        self.report["feeds"]["written"]
            .as_array()
            .map_or(0, Vec::len)
    }

    pub fn success(&self) -> bool {
        self.out.status.success()
    }
}

impl std::fmt::Display for Run {
    /// The report and the log, for failed assertions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let report = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        write!(f, "{report}\nstderr:\n{}", stderr(&self.out))
    }
}

/// Runs `agg fetch-once --format json ARGS --config dir/agg.yaml` (see [`agg_env`]) and reads
/// the report it printed.
pub fn fetch_once(dir: &Path, config: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["fetch-once", "--format", "json"];
    all.extend_from_slice(args);
    let out = agg_env(dir, config, &all, env);
    Run {
        report: report(&out),
        out,
    }
}

/// The JSON run report a `fetch-once --format json` printed (its last line).
pub fn report(o: &Output) -> serde_json::Value {
    let text = stdout(o);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line).unwrap_or_else(|e| {
        panic!(
            "no JSON report ({e}) in stdout:\n{text}\nstderr:\n{}",
            stderr(o)
        )
    })
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Every file below `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Runs `agg ARGS --config dir/agg.yaml` as [`agg`] does, with extra environment variables.
pub fn agg_env(dir: &Path, config: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let path = dir.join("agg.yaml");
    std::fs::write(&path, config).unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_agg"));
    cmd.args(args)
        .arg("--config")
        .arg(&path)
        .env("RUST_LOG", "agg=debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    snapshot_outputs(dir);
    out
}

/// A listening socket on 127.0.0.1 for a test server: a free port, except under
/// `AGG_CHECK_OUTPUTS` (`scripts/check-outputs`), where each test's servers get the same ports
/// in every run when they are free: item ids hash their URLs, port included.
pub fn listener() -> std::net::TcpListener {
    static SERVERS: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);
    let test = std::thread::current().name().map(str::to_string);
    if let (Some(_), Some(test)) = (std::env::var_os("AGG_CHECK_OUTPUTS"), test) {
        let k = {
            let mut servers = SERVERS.lock().unwrap();
            let n = servers
                .get_or_insert_with(HashMap::new)
                .entry(test.clone())
                .or_insert(0);
            *n += 1;
            *n
        };
        // FNV-1a of the test name: stable across builds and runs.
        let h = test.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let port = 20_000 + (h.wrapping_add(k * 7919) % 30_000) as u16;
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return l;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

/// With `AGG_CHECK_OUTPUTS=DIR` (`scripts/check-outputs`), copies the Markdown and feed files
/// of every run into `DIR/{test name}/{run number}/`, so two builds' outputs can be compared
/// byte for byte. Does nothing otherwise.
fn snapshot_outputs(dir: &Path) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUNS: Mutex<Option<HashMap<String, AtomicUsize>>> = Mutex::new(None);
    let Some(root) = std::env::var_os("AGG_CHECK_OUTPUTS") else {
        return;
    };
    // The harness names each test's thread after the test.
    let Some(test) = std::thread::current().name().map(str::to_string) else {
        return;
    };
    let n = {
        let mut runs = RUNS.lock().unwrap();
        let runs = runs.get_or_insert_with(HashMap::new);
        runs.entry(test.clone())
            .or_insert_with(|| AtomicUsize::new(0))
            .fetch_add(1, Ordering::Relaxed)
    };
    let target = Path::new(&root).join(&test).join(n.to_string());
    for sub in ["content", "feeds"] {
        for rel in files(&dir.join(sub)) {
            let to = target.join(sub).join(&rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(dir.join(sub).join(&rel), &to).unwrap();
        }
    }
}

/// Credentials the S3 test server accepts (moto checks none), as `agg` reads them.
pub const S3_ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "agg-test"),
    ("AWS_SECRET_ACCESS_KEY", "agg-test-secret"),
];

/// An S3-compatible server (moto) on 127.0.0.1 at a free port, stopped when dropped.
pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    child: std::process::Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto (`python3 -m moto.server`). `None`, with a notice, when moto is not
    /// installed and CI is not set; under `CI=true` a missing moto fails the test.
    pub fn start() -> Option<Moto> {
        Moto::start_at(None)
    }

    /// [`Moto::start`] on `port` when given (else on a free port).
    pub fn start_at(port: Option<u16>) -> Option<Moto> {
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let installed = std::process::Command::new(&python)
            .args(["-c", "import moto.server"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("moto is not installed (pip install 'moto[server]'); CI needs it");
            }
            eprintln!("SKIPPED: moto is not installed (pip install 'moto[server]')");
            return None;
        }
        for _ in 0..3 {
            // A free port: bound, read, released (a rare clash is retried).
            let port = port.unwrap_or_else(|| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port()
            });
            let child = std::process::Command::new(&python)
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start moto");
            let mut moto = Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                child,
            };
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break;
                }
                if http_request(port, "GET", "/", &[])
                    .is_some_and(|(status, _)| (200..500).contains(&status))
                {
                    return Some(moto);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        panic!("moto did not start");
    }

    pub fn port(&self) -> u16 {
        self.endpoint.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Creates a bucket (moto checks no signature).
    pub fn create_bucket(&self, bucket: &str) {
        let (status, body) =
            http_request(self.port(), "PUT", &format!("/{bucket}"), &[]).expect("moto answers");
        assert_eq!(status, 200, "create bucket {bucket}: {body}");
    }
}

/// A minimal HTTP/1.1 request to 127.0.0.1:`port` (status, body as text).
pub fn http_request(port: u16, method: &str, path: &str, body: &[u8]) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).ok()?;
    sock.write_all(body).ok()?;
    let mut out = Vec::new();
    sock.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// The `publish.s3` block for a moto endpoint, to append to [`config`].
pub fn s3_config(endpoint: &str, bucket: &str, prefix: &str) -> String {
    format!(
        "publish:\n  s3:\n    bucket: \"{bucket}\"\n    endpoint: \"{endpoint}\"\n    prefix: \"{prefix}\"\n    region: \"us-east-1\"\n"
    )
}
