//! Issue 10: no panic, no lost result, every bad input one clear message with exit code 2.
//! Each test names the rows (F7, F8, ...) it covers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_discsim");

fn discsim(args: &[&str]) -> (i32, String, String) {
    discsim_in(None, args)
}

fn discsim_in(cwd: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

const SMALL: &str = "name = \"small\"\npeers = 40\nduration = \"6m\"\nsample_interval = \"1m\"\n[join]\nkind = \"ramp\"\nover = \"2m\"\n";

/// A run long enough (a few seconds) to be interrupted while it runs.
const SLOW: &[&str] = &["--set", "peers=300", "--set", "duration=\"3h\""];

fn scenario_file(dir: &Path, text: &str) -> String {
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Every file under `dir` (relative path to bytes), without `timing.json` (the wall clock).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else if p.file_name().unwrap() != "timing.json" {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// Waits until `path` exists (the child has taken its lock), then a little more.
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        assert!(start.elapsed() < Duration::from_secs(30), "never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: a plain kill(2) of our own child.
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
}

#[test]
fn f7_a_failed_replacement_keeps_the_earlier_run_byte_for_byte() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace is not installed: F7's injected rename failure is not tested");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let (code, _, err) = discsim(&["run", &file, "--out", o]);
    assert_eq!(code, 0, "{err}");
    let before = snapshot(&out.join("seed-1"));
    // Every rename fails (EIO), as on a failing disk.
    let run = Command::new("strace")
        .args([
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "inject=rename,renameat,renameat2:error=EIO",
            BIN,
            "run",
            &file,
            "--out",
            o,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("seed-1") && err.contains("Input/output error"),
        "{err}"
    );
    assert_eq!(
        snapshot(&out.join("seed-1")),
        before,
        "the earlier run is intact"
    );
    assert_eq!(
        hidden_entries(&out),
        Vec::<String>::new(),
        "no temporary files"
    );
}

#[test]
fn f8_a_second_writer_into_the_same_folder_exits_2_and_f22_a_signal_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    // The folder does not exist: the first run creates it.
    let out = dir.path().join("new/out");
    let o = out.to_str().unwrap();
    let mut args = vec!["run", &file, "--out", o];
    args.extend_from_slice(SLOW);
    let mut first = spawn(&args);
    wait_for(&out, &mut first);
    let (code, stdout, err) = discsim(&args);
    assert_eq!(code, 2, "{err}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        err.contains(o) && err.contains("another discsim") && err.contains("--out"),
        "{err}"
    );
    assert!(first.try_wait().unwrap().is_none(), "the first run goes on");
    // SIGINT: the first run stops, and removes the folder it created, still empty.
    signal(&first, libc::SIGINT);
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!dir.path().join("new").exists(), "an empty --out is left");
}

#[test]
fn f22_sigterm_while_a_folder_has_results_keeps_them_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    // An earlier result of the slow configuration (made up: the configuration is what counts).
    let sets: Vec<String> = SLOW
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| s.to_string())
        .collect();
    let resolved = discsim::Scenario::load(Path::new(&file), &sets).unwrap();
    std::fs::create_dir_all(out.join("seed-1")).unwrap();
    std::fs::write(out.join("seed-1/scenario.toml"), resolved.to_toml()).unwrap();
    std::fs::write(out.join("seed-1/metrics.csv"), "earlier\n").unwrap();
    let before = snapshot(&out);
    let mut args = vec!["run", &file, "--out", o, "--seed", "2"];
    args.extend_from_slice(SLOW);
    let mut child = spawn(&args);
    std::thread::sleep(Duration::from_millis(800));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    signal(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert_eq!(snapshot(&out), before);
    assert!(hidden_entries(&out).is_empty());
}

#[test]
fn f9_a_folder_holds_runs_of_one_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let (code, _, err) = discsim(&["run", &file, "--out", o]);
    assert_eq!(code, 0, "{err}");
    let before = snapshot(&out);
    // The README's example with another peer count and seed, and a --set without --seed.
    for args in [
        &["--seed", "7", "--set", "peers=30"][..],
        &["--set", "network.loss=0.1"][..],
    ] {
        let mut all = vec!["run", &file, "--out", o];
        all.extend_from_slice(args);
        let (code, stdout, err) = discsim(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(stdout.is_empty());
        assert!(
            err.contains("seed-1")
                && err.contains("another configuration")
                && err.contains("--out"),
            "{err}"
        );
        assert_eq!(snapshot(&out), before, "{args:?}");
    }
    assert!(err_mentions_key(
        &file,
        o,
        "peers=30",
        "`peers` is 40 there, 30 here"
    ));
    // Another seed and thread count of the same configuration is a replicate.
    let (code, _, err) = discsim(&["run", &file, "--out", o, "--seed", "2", "--threads", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.join("seed-2/summary.json").exists());
    // A sweep's variant folder likewise.
    let sweep = scenario_file(
        dir.path(),
        &format!("{SMALL}[sweep]\n\"network.loss\" = [0.0]\n"),
    );
    let s = dir.path().join("sweep");
    let (code, _, err) = discsim(&["sweep", &sweep, "--out", s.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = discsim(&[
        "sweep",
        &sweep,
        "--out",
        s.to_str().unwrap(),
        "--set",
        "peers=30",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("network.loss=0.0/seed-1"), "{err}");
}

fn err_mentions_key(file: &str, out: &str, set: &str, needle: &str) -> bool {
    let (_, _, err) = discsim(&["run", file, "--out", out, "--set", set]);
    err.contains(needle) || panic!("{needle:?} not in {err}")
}

#[test]
fn f10_stale_variants_are_reported_and_sweep_csv_names_the_current_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let grid = |sizes: &str| {
        scenario_file(
            dir.path(),
            &format!("{SMALL}[sweep]\n\"protocol.table.bucket_size\" = {sizes}\n"),
        )
    };
    let (code, _, err) = discsim(&["sweep", &grid("[8, 16]"), "--out", o]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = discsim(&["sweep", &grid("[8, 32]"), "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("protocol.table.bucket_size=16") && err.contains("does not have"),
        "{err}"
    );
    let listed = discsim::experiment::report::listed_variants(&out)
        .unwrap()
        .unwrap();
    assert_eq!(
        listed,
        [
            "protocol.table.bucket_size=8",
            "protocol.table.bucket_size=32"
        ]
    );
    let stale = discsim::experiment::report::stale_variants(
        &out,
        &listed.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(stale, ["protocol.table.bucket_size=16"]);
}

#[test]
fn f11_f16_colliding_duplicate_or_empty_sweep_values_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (grid, needles) in [
        (
            "\"network.loss\" = [0.0, 0.0]\n",
            &["s.toml", "sweep.network.loss", "listed twice"][..],
        ),
        (
            "\"name\" = [\"a b\", \"a_b\"]\n",
            &["s.toml", "`sweep`", "name=a_b", "same folder"][..],
        ),
        (
            "\"network.loss\" = []\n",
            &["s.toml", "sweep.network.loss", "at least one value"][..],
        ),
    ] {
        let file = scenario_file(dir.path(), &format!("{SMALL}[sweep]\n{grid}"));
        let (code, stdout, err) = discsim(&["sweep", &file, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{grid}: {err}");
        assert!(stdout.is_empty(), "{stdout}");
        for n in needles {
            assert!(err.contains(n), "{grid}: {n:?} not in {err}");
        }
        assert!(!out.exists(), "{grid}: written");
    }
}

#[test]
fn f17_a_traced_run_folder_reruns_as_it_is_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    std::fs::write(
        dir.path().join("traces/t.csv"),
        "peer,join,leave,fresh\n30,2m,4m,\n30,5m,,true\n31,0,90.5,\n",
    )
    .unwrap();
    let file = scenario_file(
        dir.path(),
        &format!("{SMALL}[churn]\ntrace = \"traces/t.csv\"\n"),
    );
    let out = dir.path().join("out");
    let (code, _, err) = discsim(&["run", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let saved = out.join("seed-1/scenario.toml");
    assert!(out.join("seed-1/trace.csv").exists());
    // From another folder, with the original trace gone.
    std::fs::remove_dir_all(dir.path().join("traces")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, _, err) = discsim_in(
        Some(elsewhere.path()),
        &["run", saved.to_str().unwrap(), "--out", "again"],
    );
    assert_eq!(code, 0, "{err}");
    for f in [
        "metrics.csv",
        "peers.csv",
        "summary.json",
        "scenario.toml",
        "trace.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join("seed-1").join(f)).unwrap(),
            std::fs::read(elsewhere.path().join("again/seed-1").join(f)).unwrap(),
            "{f}"
        );
    }
    // And the same folder takes the rerun as a replicate of the same configuration.
    let (code, _, err) = discsim(&[
        "run",
        saved.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
}
