//! Every loader of user input, fed random bytes and random mutations of valid input: never a
//! panic, always a value or one error that is bad input (exit code 2). Loaders are called as
//! library functions: scenario files (every shipped one), churn traces, baseline summaries and
//! sweep slices.

use std::path::Path;

use proptest::prelude::*;

use discsim::experiment::baseline::read_baseline;
use discsim::experiment::scenario::Scenario;
use discsim::experiment::sweep_csv::merge_sweep;
use discsim::sim::churn::read_trace;
use discsim::Error;

const TRACE: &str = "peer,join,leave,fresh\n5,0,1h,\n5,2h,,true\n7,30,600,\n8,1m 30s,120.5,false\n";

const BASELINE: &str = r#"{
  "scenario": "small", "seed": 1, "discsim_version": "0.1.0", "peers": 40,
  "virtual_seconds": 360.0, "convergence_seconds": 60.0, "final_mean_recall": 0.99,
  "final_mean_table_size": 35.4, "final_dead_entry_share": 0.0, "final_mean_db_records": 31.6,
  "probes": 11, "probe_success_share": 1.0, "mean_init_seconds": 2.5, "packets_sent": 12099,
  "bytes_sent": 1000000, "packets_by_kind": {"ping": 1, "pong": 2}, "malformed_packets": 0,
  "lost_packets": 0, "bootstrap_episodes": 40, "median_recall_seconds": 20.0,
  "never_bootstrapped_share": 0.0, "bond_gaps": [1, 2, 3, 4]
}"#;

const SLICE: &str = "run,variant,assignments,seed,convergence_seconds,final_mean_recall,final_mean_table_size,final_dead_entry_share,final_mean_db_records,probe_success_share,mean_init_seconds,median_recall_seconds,median_rebootstrap_seconds,never_bootstrapped_share,mean_seed_alive_share,records_expired,packets_sent,plan_runs,plan\n0,network.loss=0.0,network.loss=0.0,1,60,0.99,17.5,0,18,1,2.1,20,,0,,0,5000,2,00112233445566ff\n";

fn shipped() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 5, "the shipped scenarios");
    out
}

/// A mutation of `text`: bytes replaced, deleted, inserted or the text cut, at random places.
#[derive(Clone, Debug)]
enum Edit {
    Replace(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to TOML and CSV, and any byte.
    let byte = prop_oneof![
        prop::sample::select(b"=\"[]{}.,\n-+0123456789e_ #'\\".to_vec()),
        any::<u8>()
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<usize>(), 1usize..20).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), prop::collection::vec(byte, 1..12)).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match e {
            Edit::Replace(i, x) if !b.is_empty() => {
                let n = b.len();
                b[i % n] = *x;
            }
            Edit::Replace(..) => {}
            Edit::Delete(i, n) => {
                let s = at(*i, b.len());
                let end = (s + n).min(b.len());
                b.drain(s..end);
            }
            Edit::Insert(i, x) => {
                let s = at(*i, b.len());
                b.splice(s..s, x.iter().copied());
            }
            Edit::Truncate(i) => {
                let s = at(*i, b.len());
                b.truncate(s);
            }
        }
    }
    b
}

fn bad_input(e: impl Into<Error>) -> Result<(), TestCaseError> {
    let e: Error = e.into();
    prop_assert!(e.is_bad_input(), "not bad input: {e}");
    prop_assert!(!e.to_string().is_empty());
    Ok(())
}

/// A scenario file (and a trace beside it) loaded as `discsim run` loads it.
fn load_scenario(bytes: &[u8], trace: &[u8], sets: &[String]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(&file, bytes).unwrap();
    std::fs::write(dir.path().join("trace.csv"), trace).unwrap();
    match Scenario::load(&file, sets) {
        Ok(s) => {
            prop_assert!(s.to_config().is_ok());
            let _ = s.sweep_plan();
            let _ = s.warnings();
            Ok(())
        }
        Err(e) => bad_input(e),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn mutated_shipped_scenarios_load_or_are_bad_input(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..4),
        set in prop::option::of(("[a-z_.]{1,24}", "[-0-9a-z\".\\[\\]]{0,12}")),
    ) {
        let files = shipped();
        let (_, text) = &files[which.index(files.len())];
        let sets: Vec<String> = set.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        load_scenario(&apply(text, &edits), TRACE.as_bytes(), &sets)?;
    }

    #[test]
    fn random_bytes_as_a_scenario_are_bad_input(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        load_scenario(&bytes, TRACE.as_bytes(), &[])?;
    }

    #[test]
    fn mutated_traces_read_or_fail_with_a_line(edits in prop::collection::vec(edit(), 1..4), peers in 1u32..20) {
        let bytes = apply(TRACE, &edits);
        if let Err(e) = read_trace(&bytes[..], peers) {
            prop_assert!(!e.message.is_empty());
        }
        // And through a scenario file, where it is bad input.
        load_scenario(b"peers = 10\nduration = \"3h\"\n[churn]\ntrace = \"trace.csv\"\n", &bytes, &[])?;
    }

    #[test]
    fn mutated_baselines_load_or_are_bad_input(edits in prop::collection::vec(edit(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("summary.json");
        std::fs::write(&file, apply(BASELINE, &edits)).unwrap();
        if let Err(e) = read_baseline(&file) {
            bad_input(e)?;
        }
    }

    #[test]
    fn mutated_slices_merge_or_are_bad_input(edits in prop::collection::vec(edit(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sweep-0-of-2.csv"), apply(SLICE, &edits)).unwrap();
        std::fs::write(
            dir.path().join("sweep-1-of-2.csv"),
            SLICE.replace("\n0,network.loss=0.0", "\n1,network.loss=0.0"),
        )
        .unwrap();
        if let Err(e) = merge_sweep(dir.path()) {
            bad_input(e)?;
        }
    }
}

#[test]
fn the_unmutated_inputs_load() {
    for (name, text) in shipped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(&name);
        std::fs::write(&file, text).unwrap();
        Scenario::load(&file, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(read_trace(TRACE.as_bytes(), 10).unwrap().len(), 4);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.json"), BASELINE).unwrap();
    read_baseline(&dir.path().join("b.json")).unwrap();
    std::fs::write(dir.path().join("sweep-0-of-2.csv"), SLICE).unwrap();
    std::fs::write(
        dir.path().join("sweep-1-of-2.csv"),
        SLICE.replace("\n0,network.loss=0.0", "\n1,network.loss=0.0"),
    )
    .unwrap();
    assert_eq!(merge_sweep(dir.path()).unwrap(), 2);
}
