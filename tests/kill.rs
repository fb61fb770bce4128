//! A run and a sweep killed with SIGKILL at random moments, spread over their write phase,
//! always leave the earlier result or the new one, whole (issue 10: F7, F8, F22). About 40
//! kills; a few seconds in release.

// Wall time here times the test (timeouts, kill moments), never a result.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{snapshot_skipping, BIN};

/// Every file under `dir` but `timing.json` (the wall clock) and the charts (redrawn by `plot`,
/// which another part of discsim replaces), relative path to bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot_skipping(dir, &|name| {
        name.starts_with('.') || name == "charts" || name == "timing.json"
    })
}

/// The earlier result: the new one with a marker file in each run folder and an extra line
/// in the tables, so that old and new differ.
fn make_old(new: &BTreeMap<PathBuf, Vec<u8>>) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut old = new.clone();
    for (p, bytes) in new {
        if p.file_name().unwrap() == "summary.json" {
            old.insert(p.with_file_name("old-marker"), b"old\n".to_vec());
        }
        if p.file_name().unwrap() == "sweep.csv" {
            let mut b = bytes.clone();
            b.extend_from_slice(b"old\n");
            old.insert(p.clone(), b);
        }
    }
    old
}

fn write_all(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    for (p, bytes) in files {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, bytes).unwrap();
    }
}

/// xorshift: the kill moments, reproducible.
struct Moments(u64);

impl Moments {
    fn next(&mut self, lo: Duration, hi: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let f = (self.0 % 10_000) as f64 / 10_000.0;
        lo + (hi.saturating_sub(lo)).mul_f64(f)
    }
}

/// discsim started with `args`, its output discarded.
fn spawn_quiet(args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs `args` once to time it: when its first temporary folder or file appears (the write
/// phase starts) and when it ends.
fn calibrate(args: &[&str], out: &Path) -> (Duration, Duration) {
    let start = Instant::now();
    let mut child = spawn_quiet(args);
    let mut first_write = None;
    loop {
        if first_write.is_none() && has_temp(out) {
            first_write = Some(start.elapsed());
        }
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let end = start.elapsed();
    (first_write.unwrap_or(end / 2).min(end), end)
}

fn has_temp(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|es| {
        es.flatten().any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(".tmp-")
                || (e.path().is_dir() && !n.starts_with('.') && has_temp(&e.path()))
        })
    })
}

/// Kills `args` `kills` times at moments from a little before its write phase to its end, and
/// checks after each kill that `out` holds `old` or `new`, whole.
fn kill_repeatedly(args: &[&str], out: &Path, seed: u64, kills: usize) -> (usize, usize) {
    std::fs::remove_dir_all(out).ok();
    let (write, end) = calibrate(args, out);
    let new = snapshot(out);
    assert!(!new.is_empty());
    let old = make_old(&new);
    let mut moments = Moments(seed);
    let (mut saw_old, mut saw_new) = (0, 0);
    for k in 0..kills {
        // Start from the earlier result each time.
        std::fs::remove_dir_all(out).unwrap();
        write_all(out, &old);
        let mut child = spawn_quiet(args);
        std::thread::sleep(moments.next(write.mul_f64(0.7), end.mul_f64(1.1)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now = snapshot(out);
        if now == old {
            saw_old += 1;
        } else if now == new {
            saw_new += 1;
        } else {
            // Per run folder and table: each is old or new, whole (a sweep killed between two
            // runs has some of each).
            let keys: std::collections::BTreeSet<&PathBuf> =
                now.keys().chain(old.keys()).chain(new.keys()).collect();
            let folders: std::collections::BTreeSet<PathBuf> = keys
                .iter()
                .map(|p| p.parent().unwrap().to_path_buf())
                .collect();
            for f in folders {
                let part = |m: &BTreeMap<PathBuf, Vec<u8>>| -> Vec<(PathBuf, Vec<u8>)> {
                    m.iter()
                        .filter(|(p, _)| p.parent().unwrap() == f)
                        .filter(|(p, _)| {
                            !f.as_os_str().is_empty() || p.file_name().unwrap() == "sweep.csv"
                        })
                        .map(|(p, b)| (p.clone(), b.clone()))
                        .collect()
                };
                let (n, o, w) = (part(&now), part(&old), part(&new));
                assert!(
                    n == o || n == w,
                    "kill {k}: {} is neither the old nor the new result: {:?}",
                    f.display(),
                    n.iter().map(|(p, _)| p).collect::<Vec<_>>()
                );
            }
            saw_new += 1;
        }
    }
    // The next writer cleans what the killed ones left, and finishes.
    let status = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(snapshot(out), new);
    assert!(!has_temp(out), "temporary files left after a whole run");
    (saw_old, saw_new)
}

#[test]
fn sigkill_at_any_moment_leaves_the_old_or_the_new_result_whole() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("k.toml");
    std::fs::write(
        &scenario,
        "name = \"k\"\npeers = 20\nduration = \"2m\"\nsample_interval = \"30s\"\n",
    )
    .unwrap();
    let s = scenario.to_str().unwrap();
    let out = dir.path().join("run");
    let o = out.to_str().unwrap();
    let (old_run, new_run) = kill_repeatedly(&["run", s, "--out", o], &out, 7, 24);

    let sweep = dir.path().join("ks.toml");
    std::fs::write(
        &sweep,
        "name = \"ks\"\npeers = 20\nduration = \"2m\"\nsample_interval = \"30s\"\nreplicates = 2\n[sweep]\n\"network.loss\" = [0.0, 0.1]\n",
    )
    .unwrap();
    let out = dir.path().join("sweep");
    let o = out.to_str().unwrap();
    let (old_sweep, new_sweep) = kill_repeatedly(
        &["sweep", sweep.to_str().unwrap(), "--out", o, "--jobs", "2"],
        &out,
        11,
        16,
    );
    eprintln!(
        "run: {old_run} kills left the old result, {new_run} the new; sweep: {old_sweep} and {new_sweep}"
    );
}
