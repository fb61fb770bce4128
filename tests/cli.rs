//! The command line as a user runs it.

use std::process::Command;

fn discsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_discsim"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_prints_its_figures() {
    let (code, out, err) = discsim(&[
        "bench",
        "--peers",
        "30",
        "--hours",
        "0.05",
        "--threads",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    for needle in ["wall time", "events", "packets sent", "peak RSS", "probes"] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
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
    let (code, a, err) = discsim(&["demo", "--nodes", "300", "--seed", "4"]);
    assert_eq!(code, 0, "{err}");
    let (_, b, _) = discsim(&["demo", "--nodes", "300", "--seed", "4"]);
    assert_eq!(a, b, "same seed, same output");
    assert!(a.contains("query_seeds(30, 5 days) chose"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let p = path.to_str().unwrap();
    let (code, first, err) = discsim(&["demo", "--nodes", "100", "--dir", p]);
    assert_eq!(code, 0, "{err}");
    assert!(first.contains("database holds 0 records before the demo"));
    // The second run finds what the first left (minus what the expirer deleted).
    let (code, second, err) = discsim(&["demo", "--nodes", "100", "--dir", p]);
    assert_eq!(code, 0, "{err}");
    assert!(!second.contains("database holds 0 records"), "{second}");
}
