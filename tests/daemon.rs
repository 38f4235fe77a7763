//! `agg daemon`: runs sources on their cron schedule and stops cleanly on SIGTERM.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::common::{self, Route, Server};

#[test]
fn daemon_runs_on_schedule_and_stops_on_sigterm() {
    let page = r#"<html><head><title>Scheduled</title></head><body><article><h1>Scheduled</h1>
<p>An article fetched by the daemon on its every-second schedule, with enough words to count as a body.</p>
<p>A second paragraph follows to make the body look like real news.</p></article></body></html>"#;
    let server = Server::start(HashMap::from([(
        "/a.html".to_string(),
        Route::ok("text/html", page),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: tick\n    kind: urls\n    urls: [\"{}/a.html\"]\n    schedule: \"* * * * * *\"\n",
        server.base
    );
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, common::config(dir.path(), &sources)).unwrap();
    let log = std::fs::File::create(dir.path().join("daemon.log")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_agg"))
        .args(["daemon", "--config"])
        .arg(&path)
        .env("RUST_LOG", "agg=info")
        .stderr(log)
        .spawn()
        .unwrap();

    let content = dir.path().join("content/tick");
    let deadline = Instant::now() + Duration::from_secs(30);
    while common::files(&content).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        common::files(&content).len(),
        1,
        "the scheduled run wrote the article"
    );
    // Let a few more scheduled runs happen: they find nothing new.
    while server.hits("/a.html") < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        server.hits("/a.html"),
        1,
        "a stored article is not fetched again"
    );

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "daemon did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.path().join("daemon.log")).unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
    assert!(
        log.contains("stop signal received") && log.contains("daemon stopped"),
        "{log}"
    );
    assert!(
        !common::files(dir.path())
            .iter()
            .any(|f| f.contains(".agg-tmp-"))
    );
}
