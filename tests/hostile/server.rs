//! A hostile HTTP server for the tests: per-path behaviours that real web servers do by
//! accident or on purpose (drips, silence, lying headers, redirect games, bombs), and a log of
//! every request with its headers and arrival time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone)]
pub enum Behaviour {
    /// A normal response.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Arc<Vec<u8>>,
    },
    /// Headers at once, then the body one byte per `every`.
    Drip { every: Duration, body: Vec<u8> },
    /// Accepts and reads the request, then never answers.
    Silent,
    /// A `Content-Length` far above what is sent.
    LyingLength { claimed: u64 },
    /// A redirect.
    Redirect { status: u16, location: String },
    /// Another behaviour after a pause.
    Delayed(Duration, Box<Behaviour>),
}

pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Behaviour {
    Behaviour::Respond {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Arc::new(body.into()),
    }
}

pub fn with_headers(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Behaviour {
    Behaviour::Respond {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: Arc::new(body.into()),
    }
}

pub fn redirect(location: &str) -> Behaviour {
    Behaviour::Redirect {
        status: 302,
        location: location.into(),
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

pub struct Hostile {
    pub port: u16,
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Behaviour>>>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Hostile {
    pub fn start() -> Hostile {
        let routes: Arc<Mutex<HashMap<String, Behaviour>>> = Arc::default();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let std_listener = crate::common::listener();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let (r, l) = (routes.clone(), log.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((sock, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(serve(sock, r.clone(), l.clone()));
                }
            });
        });
        Hostile {
            port,
            base: format!("http://127.0.0.1:{port}"),
            routes,
            log,
        }
    }

    pub fn on(&self, path: &str, b: Behaviour) -> &Self {
        self.routes.lock().unwrap().insert(path.to_string(), b);
        self
    }

    pub fn requests(&self, path: &str) -> Vec<Seen> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests(path).len()
    }
}

async fn serve(
    mut sock: tokio::net::TcpStream,
    routes: Arc<Mutex<HashMap<String, Behaviour>>>,
    log: Arc<Mutex<Vec<Seen>>>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 1 << 20 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("/")
        .to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    log.lock().unwrap().push(Seen {
        path: path.clone(),
        headers,
        at: Instant::now(),
    });
    let behaviour = routes.lock().unwrap().get(&path).cloned();
    let mut behaviour = behaviour.unwrap_or_else(|| with_headers(404, &[], "not found"));
    while let Behaviour::Delayed(d, inner) = behaviour {
        tokio::time::sleep(d).await;
        behaviour = *inner;
    }
    match behaviour {
        Behaviour::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        }
        Behaviour::Drip { every, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            for b in body {
                if sock.write_all(&[b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        }
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Behaviour::LyingLength { claimed } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {claimed}\r\n\r\n<html>"
            );
            let _ = sock.write_all(head.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behaviour::Redirect { status, location } => {
            let head = format!(
                "HTTP/1.1 {status} Moved\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = sock.write_all(head.as_bytes()).await;
        }
        Behaviour::Delayed(..) => unreachable!("unwrapped above"),
    }
    let _ = sock.shutdown().await;
}
