//! Issue 10: no panic, no lost result, every bad input one clear message with exit code 2.
//! Each test names the rows (F7, F8, ...) it covers.

// Wall time here times the test (timeouts, kill moments), never a result.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{discsim, discsim_ok, discsim_ok_in, scenario_file, snapshot_skipping, BIN};

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

/// Every file under `dir` (relative path to bytes), without `timing.json` (the wall clock).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot_skipping(dir, &|name| name == "timing.json")
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
    discsim_ok(&["run", &file, "--out", o]);
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
    discsim_ok(&["run", &file, "--out", o]);
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
    discsim_ok(&["run", &file, "--out", o, "--seed", "2", "--threads", "2"]);
    assert!(out.join("seed-2/summary.json").exists());
    // A sweep's variant folder likewise.
    let sweep = scenario_file(
        dir.path(),
        &format!("{SMALL}[sweep]\n\"network.loss\" = [0.0]\n"),
    );
    let s = dir.path().join("sweep");
    discsim_ok(&["sweep", &sweep, "--out", s.to_str().unwrap()]);
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
    discsim_ok(&["sweep", &grid("[8, 16]"), "--out", o]);
    let (code, _, err) = discsim(&["sweep", &grid("[8, 32]"), "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("protocol.table.bucket_size=16") && err.contains("does not have"),
        "{err}"
    );
    let listed = discsim::experiment::sweep_csv::listed_variants(&out)
        .unwrap()
        .unwrap();
    assert_eq!(
        listed,
        [
            "protocol.table.bucket_size=8",
            "protocol.table.bucket_size=32"
        ]
    );
    let stale = discsim::experiment::sweep_csv::stale_variants(
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
    discsim_ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let saved = out.join("seed-1/scenario.toml");
    assert!(out.join("seed-1/trace.csv").exists());
    // From another folder, with the original trace gone.
    std::fs::remove_dir_all(dir.path().join("traces")).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    discsim_ok_in(
        Some(elsewhere.path()),
        &["run", saved.to_str().unwrap(), "--out", "again"],
    );
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
    discsim_ok(&[
        "run",
        saved.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seed",
        "2",
    ]);
}

/// Runs a sharded sweep of 4 runs in 2 slices into `dir`; returns the scenario file.
fn sharded(dir: &Path, out: &Path) -> String {
    let file = scenario_file(
        dir,
        "name = \"sh\"\npeers = 20\nduration = \"2m\"\nreplicates = 2\n[sweep]\n\"network.loss\" = [0.0, 0.1]\n",
    );
    for i in 0..2 {
        discsim_ok(&[
            "sweep",
            &file,
            "--shard",
            &format!("{i}/2"),
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    file
}

#[test]
fn f14_f15_f26_merge_refuses_garbled_cut_short_foreign_and_misnamed_slices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let file = sharded(dir.path(), &out);
    let stdout = discsim_ok(&["merge", out.to_str().unwrap()]);
    assert!(stdout.contains("merged 4 runs"), "{stdout}");
    let merged = std::fs::read(out.join("sweep.csv")).unwrap();
    let slice1 = std::fs::read_to_string(out.join("sweep-1-of-2.csv")).unwrap();
    let lines: Vec<&str> = slice1.lines().collect();
    // Another plan: the same grid with another peer count.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    discsim_ok(&[
        "sweep",
        &file,
        "--shard",
        "1/2",
        "--out",
        other.to_str().unwrap(),
        "--set",
        "peers=21",
    ]);
    let foreign = std::fs::read_to_string(other.join("sweep-1-of-2.csv")).unwrap();
    let garbled = {
        let mut cells: Vec<String> = lines[1].split(',').map(String::from).collect();
        cells[4] = "abc".into();
        format!("{}\n{}\n{}\n", lines[0], cells.join(","), lines[2])
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "sweep-1-of-2.csv",
            garbled,
            &["sweep-1-of-2.csv: line 2", "convergence_seconds", "abc"],
        ),
        (
            "sweep-1-of-2.csv",
            format!("{}\n{}\n", lines[0], lines[1]),
            &["sweep-1-of-2.csv", "missing", "cut short"],
        ),
        (
            "sweep-1-of-2.csv",
            format!("{}\n", lines[0]),
            &["runs 1 (slice 1), 3 (slice 1)", "cut short or empty"],
        ),
        (
            "sweep-1-of-2.csv",
            String::new(),
            &["sweep-1-of-2.csv", "empty"],
        ),
        (
            "sweep-1-of-2.csv",
            foreign,
            &["sweep-1-of-2.csv", "another plan"],
        ),
        (
            "sweep-2-of-2.csv",
            slice1.clone(),
            &["sweep-2-of-2.csv", "numbered 0 to 1"],
        ),
    ];
    for (name, text, needles) in cases {
        std::fs::write(out.join("sweep-1-of-2.csv"), &slice1).unwrap();
        std::fs::write(out.join(name), &text).unwrap();
        let (code, stdout, err) = discsim(&["merge", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{name} {text:?}: {err}");
        assert!(stdout.is_empty());
        assert!(!err.contains("panicked"));
        for n in needles {
            assert!(err.contains(n), "{n:?} not in {err}");
        }
        assert_eq!(
            std::fs::read(out.join("sweep.csv")).unwrap(),
            merged,
            "sweep.csv kept"
        );
        let _ = std::fs::remove_file(out.join("sweep-2-of-2.csv"));
    }
}

#[test]
fn f21_an_empty_shard_is_warned_about_and_still_merges() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let file = scenario_file(dir.path(), "name = \"e\"\npeers = 20\nduration = \"2m\"\n");
    let o = out.to_str().unwrap();
    let (code, _, err) = discsim(&["sweep", &file, "--shard", "1/2", "--out", o]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("slice 1/2 of a plan of 1 runs has no run"),
        "{err}"
    );
    discsim_ok(&["sweep", &file, "--shard", "0/2", "--out", o]);
    let stdout = discsim_ok(&["merge", o]);
    assert!(stdout.contains("merged 1 runs"), "{stdout}");
}

#[test]
fn f27_an_io_error_is_said_once_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let missing = dir.path().join("missing.json");
    for args in [
        vec!["run", "/nonexistent/s.toml"],
        vec!["check", &file, "--baseline", missing.to_str().unwrap()],
        vec!["merge", "/nonexistent/sweep"],
    ] {
        let (code, _, err) = discsim(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.matches("os error 2").count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("/nonexistent") || err.contains("missing.json"),
            "{err}"
        );
    }
}

#[test]
fn f18_f19_check_refuses_a_baseline_of_another_run_or_out_of_range() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("base");
    discsim_ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let baseline = out.join("seed-1/summary.json");
    let b = baseline.to_str().unwrap();
    let (code, stdout, err) = discsim(&[
        "check",
        &file,
        "--baseline",
        b,
        "--set",
        "peers=30",
        "--seed",
        "3",
    ]);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("40 peers vs 30")
            && err.contains("seed 1 vs 3")
            && err.contains("--allow-mismatch"),
        "{err}"
    );
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    let (code, stdout, err) = discsim(&[
        "check",
        &file,
        "--baseline",
        b,
        "--set",
        "peers=30",
        "--allow-mismatch",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(err.contains("compared anyway"), "{err}");
    assert!(stdout.contains("peers"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    for (key, value) in [
        ("final_mean_recall", serde_json::json!(-5)),
        ("probe_success_share", serde_json::json!(1.5)),
        ("convergence_seconds", serde_json::json!(-1)),
    ] {
        let mut bad = summary.clone();
        bad[key] = value;
        let f = dir.path().join("bad.json");
        std::fs::write(&f, bad.to_string()).unwrap();
        let (code, stdout, err) = discsim(&["check", &file, "--baseline", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{key}: {stdout}{err}");
        assert!(err.contains("bad.json") && err.contains(key), "{err}");
    }
}

#[test]
fn f3_a_run_too_large_for_the_machine_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("big");
    let (code, stdout, err) = discsim(&[
        "run",
        &file,
        "--set",
        "peers=10000000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(stdout.is_empty());
    assert!(
        err.contains("needs about")
            && err.contains("GiB, this machine has")
            && err.contains("--force"),
        "{err}"
    );
    assert!(!out.exists());
    let (code, _, err) = discsim(&["bench", "--peers", "10000000", "--hours", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs about"), "{err}");
}

#[test]
fn f4_f23_f24_f25_f28_bad_input_is_one_message_at_the_users_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        // F4: an unbounded line.
        ("peers = 10\n[churn]\ntrace = \"/dev/zero\"\n", vec![], vec!["/dev/zero", "line 1", "longer than"]),
        // F23: the user's line 13, not the merged text's, with an override given.
        (
            "name = \"x\"\npeers = 60\nduration = \"6m\"\n[protocol]\nalpha = 3\n\n\n\n\n\n\n\nseed_strategy = \"bogus\"\n",
            vec!["--set", "peers=70"],
            vec!["line 13", "bogus"],
        ),
        ("peers = 60\nduration = \"6m\"\n", vec!["--set", "peers=-5"], vec!["--set peers=-5", "-5"]),
        // F24
        ("peers = 10\n", vec!["--seed", "9223372036854775808"], vec!["--seed", "at most 9223372036854775807"]),
        ("peers = 10\nseed = 9223372036854775807\nreplicates = 2\n", vec![], vec!["replicates", "at most 9223372036854775807"]),
        // F25
        ("peers = 10\nduration = \"0s\"\n", vec![], vec!["`duration`", "more than 0"]),
        // F28
        ("peers = 10\nduration = \"99999years\"\n", vec![], vec!["`duration`", "366days"]),
        ("peers = 10\nprobe_interval = \"1ns\"\n", vec![], vec!["`probe_interval`", "at most"]),
        ("peers = 10\nsample_interval = \"1ns\"\n", vec![], vec!["`sample_interval`", "at most"]),
    ];
    for (text, extra, needles) in cases {
        let file = scenario_file(dir.path(), text);
        let mut args = vec!["run", &file, "--out", o];
        args.extend(extra.iter().copied());
        let (code, stdout, err) = discsim(&args);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
        assert!(!err.contains("line 4") || text.contains("bogus"), "{err}");
        for n in needles {
            assert!(err.contains(n), "{text}: {n:?} not in {err}");
        }
        assert!(!out.exists());
    }
    // F25: one knob of the default latency, without its table.
    let file = scenario_file(dir.path(), "peers = 10\nduration = \"2m\"\n");
    discsim_ok(&[
        "run",
        &file,
        "--out",
        dir.path().join("lat").to_str().unwrap(),
        "--set",
        "network.latency.value=\"20ms\"",
    ]);
    // F28: knobs that do nothing are warned about.
    let file = scenario_file(
        dir.path(),
        "peers = 10\nduration = \"2m\"\n[[actions]]\nat = \"5m\"\naction = \"leave\"\nfresh = true\ndb_version = 3\n",
    );
    let (code, _, err) = discsim(&[
        "run",
        &file,
        "--out",
        dir.path().join("w").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for n in [
        "after the end",
        "names no peers",
        "`fresh` applies to a restart",
        "`db_version` applies",
    ] {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
    // A sweep variant's bad value names the variant.
    let file = scenario_file(
        dir.path(),
        "peers = 10\n[sweep]\n\"network.loss\" = [0.1, 7.0]\n",
    );
    let (code, _, err) = discsim(&["sweep", &file, "--out", o]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("sweep variant network.loss=7.0") && err.contains("loss"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn table_keys_are_named_under_protocol() {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("bucket_size = 0", "protocol.table.bucket_size"),
        ("n_buckets = 0", "protocol.table.n_buckets"),
        ("bucket_subnet = 33", "protocol.table.bucket_subnet"),
        ("table_subnet = 33", "protocol.table.table_subnet"),
    ] {
        let file = scenario_file(
            dir.path(),
            &format!("peers = 10\n[protocol.table]\n{text}\n"),
        );
        let (code, _, err) = discsim(&[
            "run",
            &file,
            "--out",
            dir.path().join("o").to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(&format!("`{key}`")), "{err}");
    }
}
