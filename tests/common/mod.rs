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
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
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
    cmd.output().unwrap()
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
