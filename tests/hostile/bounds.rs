//! Resource bounds: decompression bombs, lying lengths, drips, silence, redirect games, deep
//! nesting and entity bombs each fail alone with a clear error and bounded memory.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::server::{Behaviour, Hostile, ok, redirect};
use super::{article, config_with_fetch, list};
use crate::common;

/// 1 GiB of zeros, gzip'd (about 1 MB on the wire).
fn gzip_bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        enc.write_all(&zeros).unwrap();
    }
    enc.finish().unwrap()
}

/// Peak resident memory of a child process, polled from /proc until it exits (kB).
fn run_watching_memory(cmd: &mut Command) -> (std::process::Output, u64) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            peak = peak.max(kb);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (child.wait_with_output().unwrap(), peak)
}

#[test]
fn bombs_drips_and_redirect_games_fail_alone() {
    let s = Hostile::start();
    let good = Hostile::start();
    good.on(
        "/fine.html",
        ok("text/html", article("A fine story elsewhere")),
    );
    s.on(
        "/bomb.html",
        Behaviour::Respond {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "text/html".into()),
                ("Content-Encoding".into(), "gzip".into()),
            ],
            body: Arc::new(gzip_bomb()),
        },
    );
    s.on(
        "/lying.html",
        Behaviour::LyingLength {
            claimed: 10_000_000_000,
        },
    );
    s.on(
        "/drip.html",
        Behaviour::Drip {
            every: Duration::from_millis(500),
            body: article("Drip").into_bytes(),
        },
    );
    s.on("/silent.html", Behaviour::Silent);
    s.on("/loop-a", redirect("/loop-b"));
    s.on("/loop-b", redirect("/loop-a"));
    for i in 0..12 {
        s.on(&format!("/hop{i}"), redirect(&format!("/hop{}", i + 1)));
    }
    s.on("/hop12", ok("text/html", article("Too far")));
    s.on(
        "/deep.html",
        ok(
            "text/html",
            format!("<html><body>{}deep</body></html>", "<div>".repeat(100_000)),
        ),
    );
    s.on(
        "/list.html",
        ok(
            "text/html",
            list(&[
                "/bomb.html",
                "/lying.html",
                "/drip.html",
                "/silent.html",
                "/loop-a",
                "/hop0",
                "/deep.html",
            ]),
        ),
    );
    let laughs = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title><link>/fine-in-feed.html</link></item></channel></rss>"#;
    s.on("/laughs.xml", ok("application/rss+xml", laughs));

    let dir = tempfile::tempdir().unwrap();
    let sources = format!(
        "  - name: hostile\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.l\"\n  - name: laughs\n    kind: feed\n    url: \"{}/laughs.xml\"\n  - name: good\n    kind: urls\n    urls: [\"{}/fine.html\"]\n",
        s.base, s.base, good.base
    );
    let fetch = "  timeout_secs: 3\n  connect_timeout_secs: 2\n  per_host_interval_ms: 0\n  allow_private_networks: true\n  max_body_bytes: 5000000\n";
    let config = config_with_fetch(dir.path(), fetch, &sources);
    let path = dir.path().join("agg.yaml");
    std::fs::write(&path, &config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agg"));
    cmd.args(["fetch-once", "--format", "json", "--config"])
        .arg(&path);
    let (out, peak_kb) = run_watching_memory(&mut cmd);
    let run = common::Run {
        report: common::report(&out),
        out,
    };
    assert_eq!(run.out.status.code(), Some(1), "{run}");
    assert_eq!(
        run.line("good"),
        "good: 1 new, 0 updated, 0 unchanged, 0 failed",
        "other hosts are not held up:\n{run}"
    );
    assert_eq!(
        run.line("hostile"),
        "hostile: 0 new, 0 updated, 0 unchanged, 7 failed",
        "{run}"
    );
    let b = &s.base;
    for expected in [
        format!("{b}/bomb.html: body larger than 5000000 bytes"),
        format!("{b}/lying.html: body larger than 5000000 bytes"),
        format!("{b}/drip.html: timed out"),
        format!("{b}/silent.html: timed out"),
        format!("{b}/deep.html: HTML nested deeper than"),
    ] {
        assert!(run.has_error(&expected), "missing {expected:?} in:\n{run}");
    }
    let redirected = |first: &str, why: &str| {
        let first = format!("{b}/{first}: ");
        run.errors()
            .iter()
            .any(|e| e.contains(&first) && e.contains(why))
    };
    assert!(redirected("loop-a", "redirect loop"), "{run}");
    assert!(redirected("hop0", "more than 10 redirects"), "{run}");
    assert_eq!(s.hits("/hop10"), 1, "ten redirects followed");
    assert_eq!(s.hits("/hop11"), 0, "the eleventh is not");
    // The entity bomb is not expanded: the feed either fails to parse or yields its one link,
    // and memory stays bounded.
    assert!(
        run.line("laughs") == "laughs: 0 new, 0 updated, 0 unchanged, 1 failed"
            || run.source_error("laughs").is_some(),
        "{run}"
    );
    assert!(
        peak_kb < 200_000,
        "peak RSS {peak_kb} kB: the 1 GiB bomb must stop at the 5 MB cap"
    );
    assert!(
        !common::files(dir.path())
            .iter()
            .any(|f| f.contains(".agg-tmp-"))
    );
}
