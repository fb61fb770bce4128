//! The command line as a user runs it.

use std::process::Command;

mod common;
use common::{discsim, discsim_ok, scenario_file};

#[test]
fn bench_prints_its_figures() {
    let out = discsim_ok(&[
        "bench",
        "--peers",
        "30",
        "--hours",
        "0.05",
        "--threads",
        "2",
    ]);
    for needle in ["wall time", "events", "packets sent", "peak RSS", "probes"] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(!out.contains("dialer"), "{out}");
    let out = discsim_ok(&["bench", "--peers", "30", "--hours", "0.05", "--dialer"]);
    assert!(
        out.contains("dialer on") && out.contains(" dials ("),
        "{out}"
    );
}

#[test]
fn bench_refuses_bad_flags_with_exit_2() {
    for args in [
        &["bench", "--peers", "20", "--hours", "1e300"][..],
        &["bench", "--peers", "20", "--hours", "0"][..],
        &["bench", "--peers", "20", "--block-cache", "0"][..],
        &["bench-db", "--dbs", "2", "--records", "0"][..],
        &["bench-db", "--dbs", "0"][..],
    ] {
        let (code, out, err) = discsim(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn bench_refuses_an_impossible_configuration() {
    let (code, out, err) = discsim(&["bench", "--peers", "0"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("peers"), "{err}");
    let (code, _, err) = discsim(&["bench", "--threads", "0", "--peers", "5"]);
    assert_ne!(code, 0);
    assert!(err.contains("threads"), "{err}");
}

#[test]
fn demo_is_reproducible_and_works_on_disk() {
    let a = discsim_ok(&["demo", "--nodes", "300", "--seed", "4"]);
    let (_, b, _) = discsim(&["demo", "--nodes", "300", "--seed", "4"]);
    assert_eq!(a, b, "same seed, same output");
    assert!(a.contains("query_seeds(30, 5 days) chose"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let p = path.to_str().unwrap();
    let first = discsim_ok(&["demo", "--nodes", "100", "--dir", p]);
    assert!(first.contains("database holds 0 records before the demo"));
    // The second run finds what the first left (minus what the expirer deleted).
    let second = discsim_ok(&["demo", "--nodes", "100", "--dir", p]);
    assert!(!second.contains("database holds 0 records"), "{second}");
}

const SMALL: &str = "name = \"small\"\npeers = 40\nduration = \"6m\"\nsample_interval = \"1m\"\n[join]\nkind = \"ramp\"\nover = \"2m\"\n";

#[test]
fn run_writes_identical_results_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out1 = dir.path().join("one");
    let out2 = dir.path().join("two");
    let stdout = discsim_ok(&[
        "run",
        &file,
        "--threads",
        "1",
        "--out",
        out1.to_str().unwrap(),
    ]);
    assert!(stdout.contains("converged at"), "{stdout}");
    discsim_ok(&[
        "run",
        &file,
        "--threads",
        "2",
        "--out",
        out2.to_str().unwrap(),
    ]);
    for f in [
        "scenario.toml",
        "metrics.csv",
        "probes.csv",
        "peers.csv",
        "summary.json",
    ] {
        let a = std::fs::read(out1.join("seed-1").join(f)).unwrap();
        let b = std::fs::read(out2.join("seed-1").join(f)).unwrap();
        if f == "scenario.toml" {
            // The only difference: the thread count itself.
            assert_eq!(
                String::from_utf8(a)
                    .unwrap()
                    .replace("threads = 1", "threads = 2"),
                String::from_utf8(b).unwrap()
            );
        } else {
            assert_eq!(a, b, "{f} differs");
        }
    }
    // metrics.csv has a packets_ and a bytes_ column per kind, in type order, then the dialer's
    // three (on by default); a geth-2018 peer sends no ENR kinds.
    let metrics = std::fs::read_to_string(out1.join("seed-1/metrics.csv")).unwrap();
    let header: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let kinds = [
        "ping",
        "pong",
        "findnode",
        "neighbors",
        "enrrequest",
        "enrresponse",
    ];
    let per_kind: Vec<String> = ["packets", "bytes"]
        .iter()
        .flat_map(|what| kinds.iter().map(move |k| format!("{what}_{k}")))
        .collect();
    let end = header.len() - 3;
    assert_eq!(header[end - per_kind.len()..end], per_kind);
    assert_eq!(
        header[end..],
        ["mean_peers", "no_peer_share", "dialer_lookups"]
    );
    let enr: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].ends_with("_enrrequest") || header[i].ends_with("_enrresponse"))
        .collect();
    assert_eq!(enr.len(), 4);
    for line in metrics.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        assert!(enr.iter().all(|&i| cells[i] == "0"), "{line}");
    }
    // No temporary folder is left behind; the charts are drawn.
    let mut names: Vec<_> = std::fs::read_dir(&out1)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["charts", "seed-1"]);
    assert!(stdout.contains("charts in"), "{stdout}");
    for chart in ["convergence", "bootstrap-cdf", "db"] {
        for ext in ["png", "svg"] {
            let f = out1.join("charts").join(format!("{chart}.{ext}"));
            assert!(
                std::fs::metadata(&f).unwrap().len() > 1000,
                "{}",
                f.display()
            );
        }
        // Charts are a function of the CSVs too.
        assert_eq!(
            std::fs::read(out1.join(format!("charts/{chart}.png"))).unwrap(),
            std::fs::read(out2.join(format!("charts/{chart}.png"))).unwrap()
        );
    }
    // The resolved scenario runs again as it is.
    let resolved = out1.join("seed-1").join("scenario.toml");
    let out3 = dir.path().join("three");
    discsim_ok(&[
        "run",
        resolved.to_str().unwrap(),
        "--threads",
        "1",
        "--out",
        out3.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(out1.join("seed-1/metrics.csv")).unwrap(),
        std::fs::read(out3.join("seed-1/metrics.csv")).unwrap()
    );
}

/// With the dialer, the results gain its columns, figures and chart; without it, none of them.
#[test]
fn the_dialer_adds_time_to_peers_columns_figures_and_chart() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let on = dir.path().join("on");
    let off = dir.path().join("off");
    for (out, dialer) in [(&on, "true"), (&off, "false")] {
        let set = format!("protocol.dialer={dialer}");
        let (code, _, err) =
            discsim(&["run", &file, "--set", &set, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
    }
    let header = |out: &std::path::Path, f: &str| -> Vec<String> {
        let text = std::fs::read_to_string(out.join("seed-1").join(f)).unwrap();
        text.lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect()
    };
    let peers = header(&on, "peers.csv");
    assert_eq!(
        peers[peers.len() - 6..],
        [
            "first_peer_seconds",
            "half_peers_seconds",
            "full_peers_seconds",
            "dialer_lookups",
            "dials",
            "dials_failed"
        ]
    );
    let metrics = header(&on, "metrics.csv");
    assert_eq!(
        metrics[metrics.len() - 3..],
        ["mean_peers", "no_peer_share", "dialer_lookups"]
    );
    assert_eq!(header(&off, "peers.csv"), peers[..peers.len() - 6]);
    assert_eq!(header(&off, "metrics.csv"), metrics[..metrics.len() - 3]);
    let summary = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("seed-1/summary.json")).unwrap())
            .unwrap()
    };
    let dialer = &summary(&on)["dialer"];
    assert!(dialer["dials"].as_u64().unwrap() > 0, "{dialer}");
    let join = &dialer["by_kind"]["join"];
    assert!(
        join["median_first_peer_seconds"].as_f64().unwrap() > 0.0,
        "{join}"
    );
    assert!(summary(&off).get("dialer").is_none());
    assert!(on.join("charts/peers-cdf.png").is_file());
    assert!(!off.join("charts/peers-cdf.png").exists());
}

/// Runs reproduce the committed results byte for byte: of `results/dialer` (300 peers, 2 h,
/// churn; about 15 s each), the geth-2018 variant without the dialer (its results predate the
/// dialer) and the geth-2019 variant with it. When a change of behaviour is intended, the shipped
/// results are regenerated with it.
#[test]
fn the_committed_results_are_reproduced() {
    let dir = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let scenario = format!("{root}/scenarios/dialer.toml");
    for (dialer, profile) in [("false", "geth-2018"), ("true", "geth-2019")] {
        let variant = format!("protocol.dialer={dialer},protocol.profile={profile}");
        let out = dir.path().join(&variant);
        discsim_ok(&[
            "run",
            &scenario,
            "--set",
            "replicates=1",
            "--set",
            &format!("protocol.dialer={dialer}"),
            "--set",
            &format!("protocol.profile={profile}"),
            "--threads",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        let committed = std::path::Path::new(root)
            .join("results/dialer")
            .join(&variant)
            .join("seed-1");
        for f in ["metrics.csv", "peers.csv", "probes.csv", "summary.json"] {
            assert!(
                std::fs::read(out.join("seed-1").join(f)).unwrap()
                    == std::fs::read(committed.join(f)).unwrap(),
                "{f} differs from the committed {}",
                committed.display()
            );
        }
    }
}

#[test]
fn set_overrides_any_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("o");
    let stdout = discsim_ok(&[
        "run",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--set",
        "peers=25",
        "--set",
        "network.loss=0.05",
        "--seed",
        "9",
    ]);
    assert!(
        stdout.contains("peers                        25"),
        "{stdout}"
    );
    let resolved = std::fs::read_to_string(out.join("seed-9/scenario.toml")).unwrap();
    assert!(resolved.contains("loss = 0.05"), "{resolved}");
}

#[test]
fn bad_scenarios_exit_2_with_the_file_and_key_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let cases: &[(&str, &[&str])] = &[
        ("peerz = 3\n", &["s.toml", "peerz", "peers"]),
        ("peers = \"many\"\n", &["s.toml", "peers"]),
        ("[network]\nloss = 1.5\n", &["s.toml", "loss", "[0, 1]"]),
        ("duration = \"soon\"\n", &["s.toml", "duration", "30s"]),
        (
            "[network.latency]\nmodel = \"warp\"\n",
            &["s.toml", "warp", "log-normal"],
        ),
        (
            "peers = 10\n[[actions]]\nat = \"1m\"\npeers = [99]\naction = \"leave\"\n",
            &["s.toml", "actions.peers", "99"],
        ),
        (
            "[convergence]\nfill = 2\n",
            &["s.toml", "convergence.fill", "[0, 1]"],
        ),
        (
            "[convergence]\ncheck_interval = \"0s\"\n",
            &["s.toml", "convergence.check_interval", "more than 0"],
        ),
        (
            "peers = 10\n[[actions]]\nat = \"1m\"\npeers = [5, 5, 5]\naction = \"restart\"\n",
            &["s.toml", "actions.peers", "slot 5 is listed twice"],
        ),
        (
            "name = \"../../escape\"\n",
            &["s.toml", "`name`", "one folder name"],
        ),
        (
            "name = \"/tmp/abs\"\n",
            &["s.toml", "`name`", "one folder name"],
        ),
        (
            "[protocol]\nbond_expiration = \"1h\"\n",
            &[
                "s.toml",
                "protocol.bond_expiration",
                "nodedb.node_expiration",
            ],
        ),
        (
            "[protocol]\nprofile = \"geth-2020\"\n",
            &["s.toml", "geth-2020", "geth-2019"],
        ),
        (
            "[protocol]\nalpha = 0\n",
            &["s.toml", "protocol.alpha", "at least 1"],
        ),
        (
            "[protocol]\nwaitping_catch = 1.5\n",
            &["s.toml", "protocol.waitping_catch", "probability"],
        ),
        (
            "[nodedb.tuning]\nblock_cache_bytes = 0\n",
            &[
                "s.toml",
                "nodedb.tuning.block_cache_bytes",
                "at least one block",
            ],
        ),
    ];
    for (text, needles) in cases {
        let file = scenario_file(dir.path(), text);
        let (code, stdout, err) = discsim(&["run", &file, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(stdout.is_empty());
        for n in *needles {
            assert!(err.contains(n), "{text}: {n:?} not in {err}");
        }
        assert!(!out.exists(), "results written for a bad scenario");
    }
    let (code, _, err) = discsim(&["run", "/nonexistent/x.toml"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/x.toml") && err.contains("cannot read"),
        "{err}"
    );
    let file = scenario_file(dir.path(), SMALL);
    let (code, _, err) = discsim(&["run", &file, "--set", "table.bucket_size"]);
    assert_eq!(code, 2);
    assert!(err.contains("path=value"), "{err}");
}

#[test]
fn the_shipped_bootstrap_scenario_is_valid() {
    let s = discsim::experiment::scenario::Scenario::load(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/bootstrap.toml"
        )),
        &[],
    )
    .unwrap();
    assert_eq!(s.name, "bootstrap");
    assert!(!s.question.is_empty());
    s.to_config().unwrap();
}

#[test]
fn check_passes_on_its_own_baseline_and_fails_when_a_figure_moves() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("base");
    discsim_ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let baseline = out.join("seed-1/summary.json");
    let b = baseline.to_str().unwrap();
    let stdout = discsim_ok(&["check", &file, "--baseline", b]);
    assert!(stdout.contains("check passed"));
    // A baseline that claims far more traffic and better recall than this code gives.
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    summary["packets_sent"] = serde_json::json!(summary["packets_sent"].as_u64().unwrap() * 2);
    let moved = dir.path().join("moved.json");
    std::fs::write(&moved, serde_json::to_string(&summary).unwrap()).unwrap();
    let (code, stdout, _) = discsim(&["check", &file, "--baseline", moved.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("REGRESSION packets_sent"), "{stdout}");
    // A baseline that never converged: its time is shown as "never", not "inf".
    let mut never = summary.clone();
    never["packets_sent"] = summary["packets_sent"]
        .as_u64()
        .unwrap()
        .div_euclid(2)
        .into();
    never["convergence_seconds"] = serde_json::Value::Null;
    let never_file = dir.path().join("never.json");
    std::fs::write(&never_file, serde_json::to_string(&never).unwrap()).unwrap();
    let (_, stdout, _) = discsim(&["check", &file, "--baseline", never_file.to_str().unwrap()]);
    assert!(
        summary["convergence_seconds"].is_number(),
        "the small run converges"
    );
    assert!(
        stdout.contains("REGRESSION convergence_seconds: baseline never now"),
        "{stdout}"
    );
    assert!(!stdout.contains("inf"), "{stdout}");
    // A baseline from before the ENR packet kinds, whose packets_by_kind is an array of four
    // counts, still reads.
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    let by_kind = old["packets_by_kind"].clone();
    assert_eq!(by_kind["enrrequest"], 0, "{by_kind}");
    old["packets_by_kind"] = ["ping", "pong", "findnode", "neighbors"]
        .map(|k| by_kind[k].clone())
        .to_vec()
        .into();
    let old_file = dir.path().join("old.json");
    std::fs::write(&old_file, serde_json::to_string(&old).unwrap()).unwrap();
    discsim_ok(&["check", &file, "--baseline", old_file.to_str().unwrap()]);
    // A file that is no summary is bad input.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let (code, _, err) = discsim(&["check", &file, "--baseline", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("junk.json") && err.contains("summary.json"),
        "{err}"
    );
}

#[test]
fn scenarios_outside_the_repository_is_bad_input() {
    let (code, out, err) = discsim(&["scenarios", "--dir", "/nonexistent/scenarios"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("/nonexistent/scenarios") && err.contains("--dir"),
        "{err}"
    );
}

#[test]
fn scenarios_lists_the_shipped_files_with_their_questions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let stdout = discsim_ok(&["scenarios", "--dir", dir]);
    assert!(
        stdout.contains("bootstrap.toml") && stdout.contains("bootstrap from 2 bootnodes"),
        "{stdout}"
    );
}

#[test]
fn sweep_runs_the_grid_times_replicates_identically_whatever_the_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        format!("replicates = 2\n{SMALL}[sweep]\n\"protocol.table.bucket_size\" = [8, 16]\n");
    let file = scenario_file(dir.path(), &text);
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let (code, stdout, err) =
        discsim(&["sweep", &file, "--jobs", "1", "--out", a.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("protocol.table.bucket_size=8"), "{stdout}");
    discsim_ok(&["sweep", &file, "--jobs", "2", "--out", b.to_str().unwrap()]);
    let csv_a = std::fs::read_to_string(a.join("sweep.csv")).unwrap();
    assert_eq!(csv_a, std::fs::read_to_string(b.join("sweep.csv")).unwrap());
    assert_eq!(csv_a.lines().count(), 5, "{csv_a}");
    for size in [8, 16] {
        for seed in [1, 2] {
            let run = a
                .join(format!("protocol.table.bucket_size={size}"))
                .join(format!("seed-{seed}"));
            let resolved = std::fs::read_to_string(run.join("scenario.toml")).unwrap();
            assert!(
                resolved.contains(&format!("\nseed = {seed}\n")),
                "{resolved}"
            );
            assert!(
                resolved.contains(&format!("\nbucket_size = {size}\n")),
                "{resolved}"
            );
            assert!(resolved.contains("replicates = 1"), "{resolved}");
        }
    }
    // Shards partition the plan: together they give the same rows.
    let c = dir.path().join("c");
    for i in 0..2 {
        discsim_ok(&[
            "sweep",
            &file,
            "--shard",
            &format!("{i}/2"),
            "--out",
            c.to_str().unwrap(),
        ]);
    }
    // Merging the slices gives exactly what the unsharded sweep wrote.
    let c_dir = c.to_str().unwrap();
    let stdout = discsim_ok(&["merge", c_dir]);
    assert!(stdout.contains("merged 4 runs"), "{stdout}");
    assert_eq!(std::fs::read_to_string(c.join("sweep.csv")).unwrap(), csv_a);
    // A missing slice, or a slice twice, is refused and names the problem.
    let slice1 = std::fs::read_to_string(c.join("sweep-1-of-2.csv")).unwrap();
    std::fs::remove_file(c.join("sweep-1-of-2.csv")).unwrap();
    let (code, _, err) = discsim(&["merge", c_dir]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing slices: sweep-1-of-2.csv"), "{err}");
    std::fs::write(c.join("sweep-1-of-2.csv"), &slice1).unwrap();
    std::fs::write(c.join("sweep-0-of-3.csv"), &slice1).unwrap();
    let (code, _, err) = discsim(&["merge", c_dir]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("sweep-0-of-3.csv") && err.contains("of 2"),
        "{err}"
    );
    std::fs::remove_file(c.join("sweep-0-of-3.csv")).unwrap();
    let garbled = slice1.replacen("\n1,", "\nx,", 1);
    std::fs::write(c.join("sweep-1-of-2.csv"), garbled).unwrap();
    let (code, _, err) = discsim(&["merge", c_dir]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("sweep-1-of-2.csv: line 2: `run` = \"x\": expected a whole number"),
        "{err}"
    );
    let (code, _, err) = discsim(&["merge", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no sweep slices"), "{err}");
    // A bad value in the grid is bad input, found before anything runs.
    let bad = scenario_file(
        dir.path(),
        &format!("{SMALL}[sweep]\n\"network.loss\" = [0.1, 7.0]\n"),
    );
    let d = dir.path().join("d");
    let (code, _, err) = discsim(&["sweep", &bad, "--out", d.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("loss"), "{err}");
    assert!(!d.exists());
}

#[test]
fn a_churn_trace_drives_joins_and_leaves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trace.csv"),
        "peer,join,leave,fresh\n30,2m,4m,\n30,5m,,true\n31,0,90,\n",
    )
    .unwrap();
    let file = scenario_file(
        dir.path(),
        &format!("{SMALL}[churn]\ntrace = \"trace.csv\"\n"),
    );
    let out = dir.path().join("out");
    discsim_ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let peers = std::fs::read_to_string(out.join("seed-1/peers.csv")).unwrap();
    let header: Vec<&str> = peers.lines().next().unwrap().split(',').collect();
    let ended = header
        .iter()
        .position(|c| *c == "ended")
        .expect("an ended column");
    let rows: Vec<Vec<&str>> = peers
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .filter(|r: &Vec<&str>| r[2] == "30" || r[2] == "31")
        .collect();
    // slot, kind, at, ended
    let brief: Vec<(&str, &str, &str, &str)> =
        rows.iter().map(|r| (r[2], r[3], r[4], r[ended])).collect();
    assert_eq!(
        brief,
        vec![
            ("31", "join", "0", "90"),
            ("30", "join", "120", "240"),
            ("30", "fresh", "300", "360"),
        ],
        "{peers}"
    );
    // The resolved scenario keeps the trace's name.
    let resolved = std::fs::read_to_string(out.join("seed-1/scenario.toml")).unwrap();
    assert!(resolved.contains("trace = \"trace.csv\""), "{resolved}");
}

#[test]
fn a_malformed_trace_exits_2_naming_the_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(
        dir.path(),
        &format!("{SMALL}[churn]\ntrace = \"trace.csv\"\n"),
    );
    let cases = [
        (
            "peer,join,leave\n3,0,60\n40,0,60\n",
            "line 3",
            "peer slot from 0 to 39",
        ),
        ("peer,join,leave\n3,soon,60\n", "line 2", "expected seconds"),
        (
            "peer,join,leave\n3,60,30\n",
            "line 2",
            "`leave` must come after `join`",
        ),
        (
            "peer,join,leave\n3,0,100\n3,50,200\n",
            "line 3",
            "sessions overlap",
        ),
        (
            "peer,start,leave\n3,0,100\n",
            "line 1",
            "must name the columns",
        ),
        (
            "peer,join,leave,when\n3,0,100,x\n",
            "line 1",
            "unknown column `when`",
        ),
        (
            "peer,join,leave,fresh\n3,0,100,maybe\n",
            "line 2",
            "expected true, false",
        ),
        ("peer,join,leave\n3,0\n", "line 2", "fields"),
        ("peer,join,leave\n5,1e30,\n", "line 2", "expected seconds"),
        ("peer,join,leave\n", "line 1", "no sessions"),
    ];
    for (trace, line, what) in cases {
        std::fs::write(dir.path().join("trace.csv"), trace).unwrap();
        let out = dir.path().join("out");
        let (code, stdout, err) = discsim(&["run", &file, "--out", out.to_str().unwrap()]);
        assert_eq!(code, 2, "{trace:?}: {err}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            err.contains("trace.csv: ") && err.contains(line) && err.contains(what),
            "{trace:?}: {err}"
        );
        assert!(!out.exists(), "nothing written for {trace:?}");
    }
    std::fs::remove_file(dir.path().join("trace.csv")).unwrap();
    let (code, _, err) = discsim(&["run", &file]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("churn.trace") && err.contains("trace.csv"),
        "{err}"
    );
}

#[test]
fn run_runs_every_replicate_and_keeps_wall_time_apart() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), &format!("replicates = 2\nseed = 5\n{SMALL}"));
    let out = dir.path().join("out");
    let (code, stdout, err) = discsim(&["run", &file, "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wall time"), "{err}");
    for seed in [5, 6] {
        let run = out.join(format!("seed-{seed}"));
        assert!(stdout.contains(&run.display().to_string()), "{stdout}");
        let summary = std::fs::read_to_string(run.join("summary.json")).unwrap();
        assert!(summary.contains(&format!("\"seed\": {seed}")), "{summary}");
        assert!(!summary.contains("wall"), "{summary}");
        let timing = std::fs::read_to_string(run.join("timing.json")).unwrap();
        assert!(timing.contains("\"wall_seconds\""), "{timing}");
    }
    // Replicates differ: they are other seeds, not copies.
    assert_ne!(
        std::fs::read(out.join("seed-5/metrics.csv")).unwrap(),
        std::fs::read(out.join("seed-6/metrics.csv")).unwrap()
    );
}

#[test]
fn plot_redraws_charts_and_refuses_bad_csvs() {
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    let out = dir.path().join("out");
    discsim_ok(&["run", &file, "--out", out.to_str().unwrap()]);
    let chart = out.join("charts/convergence.png");
    let before = std::fs::read(&chart).unwrap();
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    let stdout = discsim_ok(&["plot", out.to_str().unwrap()]);
    assert!(stdout.contains("convergence"), "{stdout}");
    assert_eq!(
        std::fs::read(&chart).unwrap(),
        before,
        "redrawn identically"
    );
    // One run folder alone is plotted too.
    discsim_ok(&["plot", out.join("seed-1").to_str().unwrap()]);
    assert!(out.join("seed-1/charts/convergence.svg").exists());
    // A value that is not a number names the file, the line and the column.
    let metrics = out.join("seed-1/metrics.csv");
    let text = std::fs::read_to_string(&metrics).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "mean_recall").unwrap();
    let mut row: Vec<String> = lines[2].split(',').map(String::from).collect();
    row[col] = "lots".into();
    lines[2] = row.join(",");
    std::fs::write(&metrics, lines.join("\n") + "\n").unwrap();
    let (code, _, err) = discsim(&["plot", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("metrics.csv") && err.contains("line 3") && err.contains("mean_recall"),
        "{err}"
    );
    // Not a results folder at all.
    let (code, _, err) = discsim(&["plot", dir.path().join("nothing").to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no discsim results"), "{err}");
}

#[test]
fn bench_db_and_bad_shards() {
    let out = discsim_ok(&["bench-db", "--dbs", "3", "--records", "20"]);
    assert!(out.contains("3 in-memory databases x 20 records"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let file = scenario_file(dir.path(), SMALL);
    for shard in ["2/2", "x/2", "1", "0/0"] {
        let (code, _, err) = discsim(&["sweep", &file, "--shard", shard]);
        assert_eq!(code, 2, "{shard}: {err}");
        assert!(err.contains("--shard"), "{err}");
    }
}

#[test]
fn validate_refuses_bad_options_before_running() {
    for (args, needle) in [
        (&["--seeds", "0"][..], "--seeds 0: at least 1"),
        (
            &["--tolerance", "0"][..],
            "--tolerance 0: a fraction in (0, 1]",
        ),
        (
            &["--tolerance", "1.5"][..],
            "--tolerance 1.5: a fraction in (0, 1]",
        ),
        (&["--threads", "0"][..], "--threads 0: at least 1"),
        (
            &["--profile", "geth-2020"][..],
            "--profile geth-2020: one of geth-2018, geth-2019, all",
        ),
    ] {
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        let (code, stdout, err) = discsim(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn validate_works_from_any_folder_and_writes_its_csv_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_discsim"))
            .args(["validate", "--profile", "geth-2018", "--seeds", "1"])
            .args(extra)
            .current_dir(dir.path())
            .output()
            .expect("the binary runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, err) = run(&["--out", out.to_str().unwrap()]);
    // 0 when every figure is within the tolerance, 1 when one is not; never bad input.
    assert!(code == 0 || code == 1, "{code}: {err}");
    assert!(
        stdout.contains("geth-2018: 120 figures compared"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("validation-geth-2018.csv")).unwrap();
    assert!(csv.starts_with("t,figure,geth,discsim,diff,noise,ok\n60,mean_table_size,47.293,"));
    assert_eq!(csv.lines().count(), 1 + 120);
    let entries = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(entries, 1, "nothing but --out is written");
    // Without --out, nothing at all.
    std::fs::remove_dir_all(&out).unwrap();
    let (again, stdout2, _) = run(&[]);
    assert_eq!(
        (again, &stdout2),
        (
            code,
            &stdout.replace(
                &format!(
                    "comparison in {}\n",
                    out.join("validation-geth-2018.csv").display()
                ),
                "",
            )
        )
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
