//! `discsim plot` as a user runs it: what it refuses, and what it leaves alone.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
mod common;
use common::{discsim, snapshot_skipping};

fn plot(dir: &Path) -> (i32, String, String) {
    discsim(&["plot", dir.to_str().unwrap()])
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The committed bootstrap results (one run) in a scratch folder, with their charts.
fn bootstrap_copy(tmp: &Path) -> PathBuf {
    let dir = tmp.join("bootstrap");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/bootstrap");
    copy_dir(&committed, &dir);
    dir
}

/// Every file under `dir` with its bytes, to compare a folder before and after.
/// Every file under `dir`, relative path to bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot_skipping(dir, &|_| false)
}

/// Asserts that plot refuses `dir` with exit 2, one error line naming every `needles`, and
/// leaves every file under `dir` as it was.
fn refused(dir: &Path, needles: &[&str]) {
    let before = snapshot(dir);
    let (code, out, err) = plot(dir);
    assert_eq!(code, 2, "{needles:?}: {err}");
    assert!(out.is_empty(), "{out}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one message: {err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing in {err}");
    }
    assert!(snapshot(dir) == before, "{needles:?}: files changed");
}

#[test]
fn a_users_own_files_in_charts_survive() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bootstrap_copy(tmp.path());
    fs::write(dir.join("charts/notes.txt"), "my notes").unwrap();
    fs::create_dir_all(dir.join("charts/mine")).unwrap();
    fs::write(dir.join("charts/mine/figure.png"), "mine").unwrap();
    // A chart discsim drew once but has no data for now: discsim's, so it goes.
    fs::write(dir.join("charts/seed-liveness.svg"), "<svg/>").unwrap();
    let (code, _, err) = plot(&dir);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fs::read_to_string(dir.join("charts/notes.txt")).unwrap(),
        "my notes"
    );
    assert!(dir.join("charts/mine/figure.png").is_file());
    assert!(!dir.join("charts/seed-liveness.svg").exists());
    assert!(dir.join("charts/convergence.png").is_file());
    let hidden: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "temporary folders left: {hidden:?}");
}

#[test]
fn an_empty_or_header_only_sweep_csv_is_refused_and_nothing_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let run = bootstrap_copy(tmp.path()).join("seed-1");
    let sweep = tmp.path().join("sweep");
    copy_dir(&run, &sweep.join("protocol.alpha=3/seed-1"));
    copy_dir(&run, &sweep.join("protocol.alpha=5/seed-1"));
    let csv = "run,variant,assignments,seed,convergence_seconds,final_mean_recall,mean_init_seconds,packets_sent\n";
    fs::write(
        sweep.join("sweep.csv"),
        format!(
            "{csv}0,protocol.alpha=3,protocol.alpha=3,1,600,0.99,11,100\n\
             1,protocol.alpha=5,protocol.alpha=5,1,540,0.99,10,120\n"
        ),
    )
    .unwrap();
    let (code, _, err) = plot(&sweep);
    assert_eq!(code, 0, "{err}");
    assert!(sweep.join("charts/sweep-convergence_seconds.png").is_file());
    for text in ["", csv] {
        fs::write(sweep.join("sweep.csv"), text).unwrap();
        refused(&sweep, &["sweep.csv"]);
    }
}

#[test]
fn a_header_only_metrics_csv_is_refused_and_nothing_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bootstrap_copy(tmp.path());
    let metrics = dir.join("seed-1/metrics.csv");
    let text = fs::read_to_string(&metrics).unwrap();
    fs::write(&metrics, format!("{}\n", text.lines().next().unwrap())).unwrap();
    refused(&dir, &["metrics.csv", "no rows"]);
    fs::write(&metrics, "").unwrap();
    refused(&dir, &["metrics.csv"]);
}
/// Replaces the cell of `column` on line `line` (1 is the header) of a CSV file.
fn set_cell(path: &Path, line: usize, column: &str, value: &str) {
    let text = fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let i = lines[0].split(',').position(|h| h == column).unwrap();
    let mut cells: Vec<&str> = lines[line - 1].split(',').collect();
    cells[i] = value;
    lines[line - 1] = cells.join(",");
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

#[test]
fn impossible_values_are_refused_naming_file_line_and_column() {
    let cases: [(&str, &str, &str, &[&str]); 8] = [
        ("metrics.csv", "mean_recall", "NaN", &["mean_recall", "NaN"]),
        ("metrics.csv", "mean_recall", "inf", &["mean_recall", "inf"]),
        ("metrics.csv", "mean_recall", "1.5", &["mean_recall", "1.5"]),
        (
            "metrics.csv",
            "mean_db_records",
            "-1e300",
            &["mean_db_records", "-1e300"],
        ),
        ("metrics.csv", "t", "-60", &["column t", "-60"]),
        ("peers.csv", "kind", "rejoin", &["kind", "rejoin"]),
        ("peers.csv", "recall_seconds", "-3", &["recall_seconds"]),
        ("peers.csv", "downtime", "1e300", &["downtime"]),
    ];
    for (file, column, value, needles) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = bootstrap_copy(tmp.path());
        let path = dir.join("seed-1").join(file);
        set_cell(&path, 3, column, value);
        let mut all = vec![file, "line 3"];
        all.extend_from_slice(needles);
        refused(&dir, &all);
    }
}

#[test]
fn a_missing_charted_column_is_refused() {
    for (file, column) in [
        ("metrics.csv", "mean_recall"),
        ("metrics.csv", "db_stale_share"),
        ("peers.csv", "recall_seconds"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = bootstrap_copy(tmp.path());
        let path = dir.join("seed-1").join(file);
        let text = fs::read_to_string(&path).unwrap();
        let i = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .position(|h| h == column)
            .unwrap();
        let cut: Vec<String> = text
            .lines()
            .map(|l| {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells.remove(i);
                cells.join(",")
            })
            .collect();
        fs::write(&path, cut.join("\n") + "\n").unwrap();
        refused(&dir, &[file, "line 1", column]);
    }
}

/// Legends follow the values a sweep swept, not the order its rows happen to come in: the
/// committed expiry sweep with its rows reversed still lists `seed_max_age=1h` before `5days`.
#[test]
fn sweep_legends_are_ordered_by_value_whatever_the_row_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("expiry-sweep");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("results/expiry-sweep"),
        &dir,
    );
    let text = fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    fs::write(dir.join("sweep.csv"), lines.join("\n") + "\n").unwrap();
    let (code, _, err) = plot(&dir);
    assert_eq!(code, 0, "{err}");
    let svg = fs::read_to_string(dir.join("charts/sweep-packets_sent.svg")).unwrap();
    for profile in ["geth-2018", "geth-2019"] {
        let at = |age: &str| {
            svg.find(&format!("profile={profile}, seed_max_age={age}\n"))
                .unwrap_or_else(|| panic!("{profile} {age} not in the legend"))
        };
        assert!(at("1h") < at("5days"), "{profile}");
    }
}

/// A count axis has whole ticks: records expired of 0 to 2 per sample read 0, 1, 2, 3, never
/// 0.5 or 2.5.
#[test]
fn count_axes_have_whole_number_ticks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = bootstrap_copy(tmp.path());
    let metrics = dir.join("seed-1/metrics.csv");
    for (line, n) in [(2, "1"), (3, "2"), (4, "1")] {
        set_cell(&metrics, line, "records_expired", n);
    }
    let (code, _, err) = plot(&dir);
    assert_eq!(code, 0, "{err}");
    let svg = fs::read_to_string(dir.join("charts/db.svg")).unwrap();
    for half in ["\n0.5\n", "\n1.5\n", "\n2.5\n"] {
        assert!(!svg.contains(half), "a tick at {half:?}");
    }
    assert!(svg.contains("\n3\n"), "the axis reaches 3");
}
