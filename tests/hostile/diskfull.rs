//! Disk full during a run: a clear error naming the file, previous files intact, nothing
//! marked done that was not written, and the next run (with space again) catches up.
//! Needs a small tmpfs, so it mounts one; where mounting is not allowed (not root) it says so
//! and skips.

use std::process::Command;

use super::server::{Hostile, ok};
use super::{article, config_with_fetch, list};
use crate::common;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn disk_full_keeps_previous_files_and_catches_up_later() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("small");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512k", "tmpfs"])
        .arg(&out_dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let _mount = Mount(out_dir.clone());

    let s = Hostile::start();
    s.on("/list.html", ok("text/html", list(&["/1.html", "/2.html"])));
    s.on(
        "/1.html",
        ok("text/html", article("First story before the disk fills")),
    );
    s.on(
        "/2.html",
        ok("text/html", article("Second story before the disk fills")),
    );
    let sources = format!(
        "  - name: full\n    kind: html\n    url: \"{}/list.html\"\n    links: \"a.l\"\n",
        s.base
    );
    let config = config_with_fetch(
        dir.path(),
        "  timeout_secs: 5\n  per_host_interval_ms: 0\n  allow_private_networks: true\n",
        &sources,
    )
    .replace(
        &format!("{}/content", dir.path().display()),
        &format!("{}/content", out_dir.display()),
    )
    .replace(
        &format!("{}/feeds", dir.path().display()),
        &format!("{}/feeds", out_dir.display()),
    );
    let first = common::agg(dir.path(), &config, &["fetch-once"]);
    assert!(first.status.success(), "{}", common::stdout(&first));
    let snapshot = |root: &std::path::Path| -> Vec<(String, Vec<u8>)> {
        common::files(root)
            .into_iter()
            .map(|f| (f.clone(), std::fs::read(root.join(&f)).unwrap()))
            .collect()
    };
    let before = snapshot(&out_dir);

    // Fill the disk, then list a third article.
    let filler = out_dir.join("filler");
    let mut size = 0u64;
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        while f.write_all(&[b'x'; 4096]).is_ok() {
            size += 4096;
        }
        let _ = f.sync_all();
    }
    assert!(size > 0);
    s.on(
        "/list.html",
        ok("text/html", list(&["/1.html", "/2.html", "/3.html"])),
    );
    s.on(
        "/3.html",
        ok(
            "text/html",
            article(&format!(
                "Third story arrives on a full disk {}",
                "long text ".repeat(200)
            )),
        ),
    );
    let full = common::fetch_once(dir.path(), &config, &[], &[]);
    assert_eq!(full.out.status.code(), Some(1), "{full}");
    assert_eq!(
        full.line("full"),
        "full: 0 new, 0 updated, 2 unchanged, 1 failed",
        "{full}"
    );
    let error = full.errors().join("\n");
    assert!(
        error.contains(&format!("cannot write {}/content/full/", out_dir.display())),
        "the error names the file:\n{full}"
    );
    assert!(error.to_lowercase().contains("no space left"), "{full}");
    std::fs::remove_file(&filler).unwrap();
    assert_eq!(
        snapshot(&out_dir),
        before,
        "previous files intact, no temp file left"
    );

    // With space again, the next run writes the article it could not write before.
    let again = common::fetch_once(dir.path(), &config, &[], &[]);
    assert!(again.success(), "{again}");
    assert_eq!(
        again.line("full"),
        "full: 1 new, 0 updated, 2 unchanged, 0 failed",
        "{again}"
    );
}
