use std::fs;
use std::path::Path;

use super::data::{natural, parse_assignments, Value, EPISODE_KINDS};
use super::{plot_dir, plot_dir_sized, PlotError};

/// Small images: the layout code runs the same, the rasteriser has less to do.
const SMALL: (u32, u32) = (600, 400);

const METRICS_HEADER: &str = "scenario,seed,t,live_peers,init_done,mean_table_size,dead_entry_share,mean_recall,converged_share,mean_ideal_fill,mean_db_records,db_stale_share,records_expired,packets_ping,packets_pong,packets_findnode,packets_neighbors,packets_enrrequest,packets_enrresponse,bytes_ping,bytes_pong,bytes_findnode,bytes_neighbors,bytes_enrrequest,bytes_enrresponse";

const PEERS_HEADER: &str = "scenario,seed,slot,kind,at,downtime,db_records,version_flushed,seeds_tried,seeds_alive,init_seconds,recall_seconds,fill_seconds,packets_to_recall,packets_to_fill,ended,records_expired";

fn write_run(dir: &Path, seed: u64, shift: f64) {
    fs::create_dir_all(dir).unwrap();
    let mut m = String::from(METRICS_HEADER);
    m.push('\n');
    for i in 0..5 {
        let t = 60.0 * i as f64;
        let recall = (0.2 * i as f64 + shift).min(1.0);
        m.push_str(&format!(
            "demo,{seed},{t},10,{i},{},0.1,{recall},{},0.5,{},{},{},1,1,1,1,0,0,10,10,10,10,0,0\n",
            i * 3,
            recall * 0.9,
            20.0 + i as f64 * 4.0 + shift * 10.0,
            0.05 * i as f64,
            i % 3,
        ));
    }
    fs::write(dir.join("metrics.csv"), m).unwrap();
    let mut p = String::from(PEERS_HEADER);
    p.push('\n');
    let kinds = ["join", "return", "restart", "fresh"];
    for i in 0..12 {
        let kind = kinds[i % kinds.len()];
        let downtime = if kind == "return" || kind == "fresh" {
            format!("{}", 3600 * (i + 1))
        } else {
            String::new()
        };
        let (tried, alive) = if kind == "join" || kind == "fresh" {
            (0, 0)
        } else {
            (10, 10 - i % 5)
        };
        let recall = if i % 5 == 4 {
            String::new()
        } else {
            format!("{}", 10.0 * (i + 1) as f64 + shift)
        };
        p.push_str(&format!(
            "demo,{seed},{i},{kind},{},{downtime},5,false,{tried},{alive},{},{recall},{},100,200,,3\n",
            i * 10,
            2 + i,
            30 * (i + 1),
        ));
    }
    fs::write(dir.join("peers.csv"), p).unwrap();
}

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn check_outputs(dir: &Path, expected: &[&str]) {
    let written = plot_dir_sized(dir, SMALL).unwrap();
    let mut names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = expected
        .iter()
        .flat_map(|n| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    want.sort();
    assert_eq!(names, want);
    for p in &written {
        assert_eq!(p.parent().unwrap(), dir.join("charts"));
        let bytes = fs::read(p).unwrap();
        assert!(bytes.len() > 100, "{} is nearly empty", p.display());
        if p.extension().unwrap() == "png" {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        } else {
            assert!(String::from_utf8(bytes).unwrap().contains("<svg"));
        }
    }
    assert!(!dir.join(".tmp-charts").exists());
    let first = files_of(&dir.join("charts"));
    plot_dir_sized(dir, SMALL).unwrap();
    assert_eq!(
        first,
        files_of(&dir.join("charts")),
        "output is deterministic"
    );
}

#[test]
fn replicates_give_every_chart_in_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    write_run(&tmp.path().join("seed-1"), 1, 0.0);
    write_run(&tmp.path().join("seed-2"), 2, 0.1);
    check_outputs(
        tmp.path(),
        &["convergence", "bootstrap-cdf", "db", "seed-liveness"],
    );
}

#[test]
fn a_single_run_folder_plots_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("seed-1");
    write_run(&run, 1, 0.0);
    let written = plot_dir_sized(&run, SMALL).unwrap();
    assert_eq!(written.len(), 8);
    assert!(run.join("charts/convergence.png").is_file());
}

#[test]
fn sweeps_get_a_chart_per_metric() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut sweep = String::from("variant,assignments,seed,convergence_seconds,final_mean_recall,final_mean_table_size,final_dead_entry_share,final_mean_db_records,probe_success_share,mean_init_seconds,packets_sent,median_recall_seconds\n");
    for (v, value) in [
        ("nodedb.node_expiration=1h", "1h"),
        ("nodedb.node_expiration=1day", "1day"),
    ] {
        for seed in 1..=2 {
            write_run(
                &dir.join(v).join(format!("seed-{seed}")),
                seed,
                0.05 * seed as f64,
            );
            let conv = if seed == 2 && value == "1h" {
                String::new()
            } else {
                format!("{}", 300 + seed * 10)
            };
            sweep.push_str(&format!(
                "{v},nodedb.node_expiration=\"{value}\",{seed},{conv},0.9{seed},12,0.1,30,0.95,4.5,{},100\n",
                1000 * seed
            ));
        }
    }
    fs::write(dir.join("sweep.csv"), sweep).unwrap();
    // A stale shard must not be read beside sweep.csv.
    fs::write(
        dir.join("sweep-0-of-2.csv"),
        "variant,convergence_seconds\nx,abc\n",
    )
    .unwrap();
    check_outputs(
        dir,
        &[
            "convergence",
            "bootstrap-cdf",
            "db",
            "seed-liveness",
            "sweep-convergence_seconds",
            "sweep-final_mean_recall",
            "sweep-mean_init_seconds",
            "sweep-packets_sent",
            "sweep-median_recall_seconds",
        ],
    );
}

#[test]
fn a_bad_number_names_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("seed-1");
    write_run(&run, 1, 0.0);
    let path = run.join("metrics.csv");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Line 3 of the file: the second sample. mean_recall is the 8th column.
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[7] = "abc";
    lines[2] = cells.join(",");
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = plot_dir_sized(tmp.path(), SMALL).unwrap_err();
    assert!(
        matches!(err, PlotError::NotANumber { line: 3, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert_eq!(
        msg,
        format!(
            "{} line 3: column mean_recall: \"abc\" is not a number",
            path.display()
        )
    );
    assert!(!tmp.path().join("charts").exists());
}

#[test]
fn no_results_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = plot_dir(tmp.path()).unwrap_err();
    assert!(matches!(err, PlotError::NoResults { .. }));
    assert!(err.to_string().starts_with("no discsim results under"));
    assert!(err
        .to_string()
        .contains("expected folders containing metrics.csv"));
    let missing = tmp.path().join("nothing-here");
    let err = plot_dir(&missing).unwrap_err();
    assert!(err.to_string().contains("nothing-here"), "{err}");
}

#[test]
fn old_formats_skip_what_they_lack() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("seed-1");
    fs::create_dir_all(&run).unwrap();
    // Metrics without db_stale_share and records_expired, peers.csv from before episodes.
    let mut m = String::from("scenario,seed,t,live_peers,init_done,mean_table_size,dead_entry_share,mean_recall,converged_share,mean_ideal_fill,mean_db_records,packets_ping,packets_pong,packets_findnode,packets_neighbors,bytes_ping,bytes_pong,bytes_findnode,bytes_neighbors\n");
    for i in 0..4 {
        m.push_str(&format!(
            "old,1,{},5,5,3,0,0.{i},0.{i},0.5,{i},1,1,1,1,1,1,1,1\n",
            60 * i
        ));
    }
    fs::write(run.join("metrics.csv"), m).unwrap();
    fs::write(
        run.join("peers.csv"),
        "slot,event,seconds_after_join\n0,init-done,3.5\n",
    )
    .unwrap();
    check_outputs(tmp.path(), &["convergence", "db"]);
}

#[test]
fn assignments_split_outside_quotes() {
    let knobs =
        parse_assignments(r#"nodedb.node_expiration="6h 30m" protocol.alpha=3 x="random" b=true"#);
    let shown: Vec<(&str, &str)> = knobs
        .iter()
        .map(|k| (k.key.as_str(), k.shown.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("nodedb.node_expiration", "6h 30m"),
            ("protocol.alpha", "3"),
            ("x", "random"),
            ("b", "true")
        ]
    );
    assert_eq!(knobs[0].value, Value::Hours(6.5));
    assert_eq!(knobs[1].value, Value::Number(3.0));
    assert_eq!(knobs[2].value, Value::Text);
}

#[test]
fn seeds_sort_by_number() {
    let mut v = vec!["seed-10", "seed-2", "seed-1"];
    v.sort_by(|a, b| natural(a, b));
    assert_eq!(v, ["seed-1", "seed-2", "seed-10"]);
}

#[test]
fn every_episode_kind_discsim_writes_is_known_to_plot() {
    use crate::observe::metrics::EpisodeKind;
    // The match fails to compile when a kind is added, so that this list gets it too.
    let all = [
        EpisodeKind::Join,
        EpisodeKind::Return,
        EpisodeKind::Restart,
        EpisodeKind::Fresh,
        EpisodeKind::Upgrade,
    ];
    for kind in all {
        match kind {
            EpisodeKind::Join
            | EpisodeKind::Return
            | EpisodeKind::Restart
            | EpisodeKind::Fresh
            | EpisodeKind::Upgrade => {}
        }
        assert!(EPISODE_KINDS.contains(&kind.name()), "{}", kind.name());
    }
}

#[test]
fn thresholds_and_convergence_times_come_from_the_run_folders() {
    let tmp = tempfile::tempdir().unwrap();
    for (seed, conv) in [(1, "600.0"), (2, "900.0"), (3, "null")] {
        let run = tmp.path().join(format!("seed-{seed}"));
        write_run(&run, seed, 0.0);
        let toml = "name = \"demo\"\n[convergence]\nrecall = 0.8\nshare = 0.9\n";
        fs::write(run.join("scenario.toml"), toml).unwrap();
        let json = format!("{{\"convergence_seconds\": {conv}}}");
        fs::write(run.join("summary.json"), json).unwrap();
    }
    let results = super::data::load(tmp.path()).unwrap();
    let c = results.criteria().unwrap();
    assert_eq!((c.recall, c.share, c.fill), (0.8, 0.9, 0.75));
    assert_eq!(results.groups[0].convergence(), Some((Some(750.0), 1, 3)));
    // A threshold no run can have is bad input, named by file.
    let bad = tmp.path().join("seed-1/scenario.toml");
    fs::write(&bad, "[convergence]\nrecall = 2.0\n").unwrap();
    let err = plot_dir_sized(tmp.path(), SMALL).unwrap_err();
    assert!(
        err.is_bad_input() && err.to_string().contains("scenario.toml"),
        "{err}"
    );
}

/// Variants listed out of order (and as text 0.2 < 0.05 < 0) come out by value: groups in
/// every chart's legend, and the series of the sweep charts.
#[test]
fn sweep_legends_follow_the_values_not_the_text() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut sweep = String::from("variant,assignments,seed,convergence_seconds,final_mean_recall,final_mean_table_size,final_dead_entry_share,final_mean_db_records,probe_success_share,mean_init_seconds,packets_sent\n");
    for (catch, expiry) in [
        ("0.2", "1day"),
        ("0", "1h"),
        ("0.05", "1day"),
        ("0.2", "1h"),
        ("0", "1day"),
        ("0.05", "1h"),
    ] {
        let v = format!("nodedb.node_expiration={expiry},protocol.waitping_catch={catch}");
        write_run(&dir.join(&v).join("seed-1"), 1, 0.0);
        sweep.push_str(&format!(
            "\"{v}\",\"nodedb.node_expiration=\"\"{expiry}\"\" protocol.waitping_catch={catch}\",1,300,0.9,12,0.1,30,0.95,4.5,1000\n"
        ));
    }
    fs::write(dir.join("sweep.csv"), sweep).unwrap();
    let results = super::data::load(dir).unwrap();
    let labels: Vec<String> = results
        .groups
        .iter()
        .map(|g| g.label.clone().unwrap())
        .collect();
    let expected: Vec<String> = [
        ("1h", "0"),
        ("1h", "0.05"),
        ("1h", "0.2"),
        ("1day", "0"),
        ("1day", "0.05"),
        ("1day", "0.2"),
    ]
    .iter()
    .map(|(e, c)| format!("nodedb.node_expiration={e},protocol.waitping_catch={c}"))
    .collect();
    assert_eq!(labels, expected);
    // The sweep chart: x is the expiry, a series per catch value, listed 0, 0.05, 0.2.
    plot_dir_sized(dir, SMALL).unwrap();
    let svg = fs::read_to_string(dir.join("charts/sweep-packets_sent.svg")).unwrap();
    let at = |s: &str| {
        svg.find(s)
            .unwrap_or_else(|| panic!("{s} not in the legend"))
    };
    assert!(at("waitping_catch=0\n") < at("waitping_catch=0.05\n"));
    assert!(at("waitping_catch=0.05\n") < at("waitping_catch=0.2\n"));
}

/// Counts get whole-number ticks: no "0.5 records expired".
#[test]
fn count_axes_have_whole_ticks() {
    use super::style::count_axis;
    assert_eq!(count_axis(0.0), (1.0, 2));
    assert_eq!(count_axis(0.4), (1.0, 2));
    assert_eq!(count_axis(2.0), (3.0, 4));
    assert_eq!(count_axis(47.0), (50.0, 6));
    // The db chart of a run expiring 0 to 2 records per sample: ticks 0, 1, 2, 3.
    let tmp = tempfile::tempdir().unwrap();
    write_run(tmp.path(), 1, 0.0);
    plot_dir_sized(tmp.path(), SMALL).unwrap();
    let svg = fs::read_to_string(tmp.path().join("charts/db.svg")).unwrap();
    for half in ["\n0.5\n", "\n1.5\n", "\n2.5\n"] {
        assert!(!svg.contains(half), "a tick at {half:?}");
    }
    assert!(svg.contains("\n3\n"));
}
