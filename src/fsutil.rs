//! Atomic file writes: a reader (Hugo, a feed reader, `agg serve`) never sees a half-written file,
//! and a file whose bytes did not change is not touched at all (its mtime stays).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Prefix of temp files, `{TEMP_PREFIX}{pid}-{n}-{name}`; orphans left by a crash are swept
/// by [`sweep_temp_files`].
pub const TEMP_PREFIX: &str = ".agg-tmp-";

/// A temp file older than this is an orphan whatever its pid says (the pid may have been
/// reused): no write takes that long.
const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Numbers the temp files of this process, so two threads writing one path never share one.
static TEMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Writes `bytes` to `path` via a temp file in the same folder, fsync and rename.
/// Returns `Ok(false)` without touching the file when it already holds exactly these bytes.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if let Ok(existing) = fs::read(path)
        && existing == bytes
    {
        return Ok(false);
    }
    write_atomic(path, bytes)?;
    Ok(true)
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync of the folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let seq = TEMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(
        "{TEMP_PREFIX}{}-{seq}-{}",
        std::process::id(),
        name.to_string_lossy()
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes temp files left behind by a crashed process, below `dir` (recursively): those whose
/// writer (the pid in the name) is no longer running, and any older than a day. Files of a
/// live process (a daemon writing while `agg status` runs) are left alone.
pub fn sweep_temp_files(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            removed += sweep_temp_files(&path)?;
            continue;
        }
        let name = entry.file_name();
        let Some(rest) = name
            .to_string_lossy()
            .strip_prefix(TEMP_PREFIX)
            .map(str::to_owned)
        else {
            continue;
        };
        let writer_alive = rest
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok())
            .is_some_and(process_alive);
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ORPHAN_AGE);
        if !writer_alive || old {
            match fs::remove_file(&path) {
                Ok(()) => removed += 1,
                // Renamed into place by its writer meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// Whether a process with this pid exists (ours counts: its writes are in flight).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // Signal 0 checks existence only; EPERM means it exists under another user.
        // SAFETY: kill with signal 0 sends nothing and touches no memory.
        let rc = unsafe { libc::kill(pid, 0) };
        rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_bytes_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b.txt");
        assert!(write_if_changed(&p, b"one").unwrap());
        let m1 = fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!write_if_changed(&p, b"one").unwrap());
        assert_eq!(fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert!(write_if_changed(&p, b"two").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temp file left behind");
    }

    #[test]
    fn sweep_removes_orphans_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x");
        fs::create_dir_all(&x).unwrap();
        // A child that has exited: its pid is not running any more.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mut live = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let orphan = x.join(format!("{TEMP_PREFIX}{dead}-0-a.md"));
        let busy = x.join(format!("{TEMP_PREFIX}{}-3-b.md", live.id()));
        let ours = x.join(format!("{TEMP_PREFIX}{}-7-c.md", std::process::id()));
        let garbled = x.join(format!("{TEMP_PREFIX}zzz"));
        for p in [&orphan, &busy, &ours, &garbled] {
            fs::write(p, "half").unwrap();
        }
        fs::write(x.join("keep.md"), "whole").unwrap();
        assert_eq!(sweep_temp_files(dir.path()).unwrap(), 2);
        live.kill().unwrap();
        live.wait().unwrap();
        assert!(!orphan.exists() && !garbled.exists());
        assert!(busy.exists(), "a running writer's file stays");
        assert!(ours.exists());
        assert!(x.join("keep.md").exists());
    }
}
