//! A real PostgreSQL server for the shared-store tests: a throwaway cluster (initdb in a temp
//! folder) on a random 127.0.0.1 port, one per test process, one database per test. It stops
//! when the test process exits (its keeper shell reads our stdin, which closes then, and
//! stops the postmaster named in `postmaster.pid`: `runuser` does not pass signals on).
//!
//! Where no PostgreSQL server binaries are installed the tests skip with a notice, except
//! under CI (`CI` set), where a missing server is a failure: `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Postgres {
    pub port: u16,
    /// The CA that signed the server's certificate, when it serves TLS.
    pub ca: Option<PathBuf>,
    _dir: tempfile::TempDir,
    _keeper: Mutex<Child>,
}

static SERVER: OnceLock<Option<Postgres>> = OnceLock::new();
static TLS_SERVER: OnceLock<Option<Postgres>> = OnceLock::new();
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

fn bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("AGG_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("postgres").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// `program args...`, as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_pg_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir` (`ca.crt`,
/// `server.crt`, `server.key`).
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=agg test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
}

fn start(tls: bool) -> Option<Postgres> {
    let Some(bin) = bin_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL server binaries not found under /usr/lib/postgresql (CI must install postgresql)"
        );
        eprintln!("skipped: no PostgreSQL server installed (apt-get install postgresql)");
        return None;
    };
    let dir = tempfile::Builder::new().prefix("agg-pg").tempdir().unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown of the PostgreSQL folder failed");
    }
    let data = dir.path().join("data");
    let certs = dir.path().join("certs");
    if tls {
        std::fs::create_dir(&certs).unwrap();
        certificates(&certs);
    }
    let out = as_pg_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "agg", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ssl = String::new();
    if tls {
        for f in ["server.crt", "server.key"] {
            std::fs::copy(certs.join(f), data.join(f)).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        if is_root() {
            Command::new("chown")
                .args(["postgres"])
                .arg(data.join("server.crt"))
                .arg(data.join("server.key"))
                .status()
                .unwrap();
        }
        ssl = " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key".into();
    }
    let port = free_port();
    let postgres = as_pg_user(&bin.join("postgres"));
    let mut line: Vec<String> = vec![postgres.get_program().to_string_lossy().into_owned()];
    line.extend(
        postgres
            .get_args()
            .map(|a| a.to_string_lossy().into_owned()),
    );
    let quoted: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "{} -D '{}' -p {port} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c max_connections=300{ssl} >'{}' 2>&1 & pid=$!; \
         read _; kill -INT $(head -n 1 '{}/postmaster.pid'); wait $pid; rm -rf '{}'",
        quoted.join(" "),
        data.display(),
        dir.path().display(),
        dir.path().join("server.log").display(),
        data.display(),
        dir.path().display(),
    );
    let keeper = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if postgres::Client::connect(
            &format!("postgres://agg@127.0.0.1:{port}/postgres"),
            postgres::NoTls,
        )
        .is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Postgres {
        port,
        ca: tls.then(|| certs.join("ca.crt")),
        _dir: dir,
        _keeper: Mutex::new(keeper),
    })
}

/// A fresh, empty database on the shared test server: its URL, or `None` (skip) where no
/// PostgreSQL is installed outside CI.
pub fn database() -> Option<String> {
    let server = SERVER.get_or_init(|| start(false)).as_ref()?;
    Some(create_database(server))
}

/// A fresh database on a second test server that also serves TLS, with the CA file that
/// signed its certificate.
pub fn tls_database() -> Option<(String, PathBuf)> {
    let server = TLS_SERVER.get_or_init(|| start(true)).as_ref()?;
    Some((
        create_database(server),
        server.ca.clone().expect("TLS server"),
    ))
}

fn create_database(server: &Postgres) -> String {
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let admin = format!("postgres://agg@127.0.0.1:{}/postgres", server.port);
    // The synchronous client runs its own runtime: keep it off any tokio thread.
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
            c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        })
        .join()
        .unwrap()
    });
    format!("postgres://agg@127.0.0.1:{}/{name}", server.port)
}

/// Runs one query on `url` and returns the rows (off any tokio thread).
pub fn query(url: &str, sql: &str) -> Vec<postgres::Row> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
            c.query(sql, &[]).unwrap()
        })
        .join()
        .unwrap()
    })
}
