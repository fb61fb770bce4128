//! Results on disk: a run's folder, written whole or not at all.
//!
//! A run writes into `<out>/.tmp-<run-id>` and renames it to `<out>/<run-id>` only when every file
//! is complete, so an interrupted run leaves no half-written results (at most a hidden temporary
//! folder, replaced by the next run). Every file is a function of the scenario and its seed:
//! nothing here records the wall clock, so two runs of one scenario give byte-identical folders.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::SimOutput;
use crate::packet::PacketKind;
use crate::scenario::Scenario;

/// Results that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write results to {path}: {source}")]
pub struct ReportError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// The key figures of a run (`summary.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub discsim_version: String,
    pub peers: u32,
    pub virtual_seconds: f64,
    /// Seconds until 95 % of live peers reached recall 0.9 (the thresholds are in the scenario).
    pub convergence_seconds: Option<f64>,
    pub final_mean_recall: f64,
    pub final_mean_table_size: f64,
    pub final_dead_entry_share: f64,
    pub final_mean_db_records: f64,
    pub probes: usize,
    pub probe_success_share: f64,
    pub mean_init_seconds: Option<f64>,
    pub packets_sent: u64,
    pub bytes_sent: u64,
    pub packets_by_kind: [u64; 4],
    pub malformed_packets: u64,
    pub lost_packets: u64,
    /// Node databases flushed by a version change, and rebuilt after damage, at joins.
    #[serde(default)]
    pub version_flushes: u64,
    #[serde(default)]
    pub db_recoveries: u64,
}

impl Summary {
    pub fn new(s: &Scenario, out: &SimOutput) -> Summary {
        let last = out.samples.last();
        let ok = out.probes.iter().filter(|p| p.success).count();
        let inits: Vec<f64> = out.init_times.iter().map(|(_, t)| *t).collect();
        Summary {
            scenario: s.name.clone(),
            seed: s.seed,
            discsim_version: env!("CARGO_PKG_VERSION").to_string(),
            peers: s.peers,
            virtual_seconds: s.duration.as_secs_f64(),
            convergence_seconds: out.convergence,
            final_mean_recall: last.map_or(0.0, |l| l.mean_recall),
            final_mean_table_size: last.map_or(0.0, |l| l.mean_table_size),
            final_dead_entry_share: last.map_or(0.0, |l| l.dead_entry_share),
            final_mean_db_records: last.map_or(0.0, |l| l.mean_db_records),
            probes: out.probes.len(),
            probe_success_share: if out.probes.is_empty() {
                0.0
            } else {
                ok as f64 / out.probes.len() as f64
            },
            mean_init_seconds: (!inits.is_empty())
                .then(|| inits.iter().sum::<f64>() / inits.len() as f64),
            packets_sent: out.counters.packets_sent,
            bytes_sent: out.counters.bytes_sent,
            packets_by_kind: out.totals.sent,
            malformed_packets: out.totals.malformed,
            lost_packets: out.link.lost,
            version_flushes: out.link.version_flushes,
            db_recoveries: out.link.db_recoveries,
        }
    }
}

/// Writes `scenario.toml`, `metrics.csv`, `probes.csv`, `peers.csv` and `summary.json` into
/// `out/run_id`, atomically. Returns the folder.
pub fn write_run(
    out: &Path,
    run_id: &str,
    scenario: &Scenario,
    result: &SimOutput,
) -> Result<PathBuf, ReportError> {
    let err = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError { path, source }
    };
    fs::create_dir_all(out).map_err(err(out))?;
    let tmp = out.join(format!(".tmp-{run_id}"));
    let done = out.join(run_id);
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(err(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(err(&tmp))?;

    let file = tmp.join("scenario.toml");
    fs::write(&file, scenario.to_toml()).map_err(err(&file))?;

    let file = tmp.join("metrics.csv");
    write_csv(&file, |w| {
        let mut header = vec![
            "scenario",
            "seed",
            "t",
            "live_peers",
            "init_done",
            "mean_table_size",
            "dead_entry_share",
            "mean_recall",
            "converged_share",
            "mean_ideal_fill",
            "mean_db_records",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        for k in PacketKind::ALL {
            header.push(format!("packets_{}", k.name()));
        }
        for k in PacketKind::ALL {
            header.push(format!("bytes_{}", k.name()));
        }
        w.write_record(&header)?;
        for s in &result.samples {
            let mut row = vec![
                scenario.name.clone(),
                scenario.seed.to_string(),
                s.t.to_string(),
                s.live_peers.to_string(),
                s.init_done.to_string(),
                s.mean_table_size.to_string(),
                s.dead_entry_share.to_string(),
                s.mean_recall.to_string(),
                s.converged_share.to_string(),
                s.mean_ideal_fill.to_string(),
                s.mean_db_records.to_string(),
            ];
            row.extend(s.packets.iter().map(|p| p.to_string()));
            row.extend(s.bytes.iter().map(|b| b.to_string()));
            w.write_record(&row)?;
        }
        Ok(())
    })
    .map_err(err(&file))?;

    let file = tmp.join("probes.csv");
    write_csv(&file, |w| {
        w.write_record([
            "id", "origin", "started", "duration", "success", "hops", "queries",
        ])?;
        for p in &result.probes {
            w.write_record([
                p.id.to_string(),
                p.origin.to_string(),
                p.started.to_string(),
                p.duration.as_secs_f64().to_string(),
                p.success.to_string(),
                p.hops.map(|h| h.to_string()).unwrap_or_default(),
                p.queries.to_string(),
            ])?;
        }
        Ok(())
    })
    .map_err(err(&file))?;

    let file = tmp.join("peers.csv");
    write_csv(&file, |w| {
        w.write_record(["slot", "event", "seconds_after_join"])?;
        for (slot, secs) in &result.init_times {
            w.write_record([slot.to_string(), "init-done".to_string(), secs.to_string()])?;
        }
        Ok(())
    })
    .map_err(err(&file))?;

    let file = tmp.join("summary.json");
    let json = serde_json::to_string_pretty(&Summary::new(scenario, result)).expect("serialises");
    fs::write(&file, json + "\n").map_err(err(&file))?;

    if done.exists() {
        fs::remove_dir_all(&done).map_err(err(&done))?;
    }
    fs::rename(&tmp, &done).map_err(err(&done))?;
    Ok(done)
}

fn write_csv(
    path: &Path,
    body: impl FnOnce(&mut csv::Writer<fs::File>) -> csv::Result<()>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    body(&mut w).map_err(std::io::Error::other)?;
    w.flush()?;
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .flush()
}

/// A quiet `Write` check that the folder is writable before a long run starts.
pub fn check_writable(out: &Path) -> Result<(), ReportError> {
    let err = |source| ReportError {
        path: out.display().to_string(),
        source,
    };
    fs::create_dir_all(out).map_err(err)?;
    let probe = out.join(".write-check");
    fs::File::create(&probe)
        .and_then(|mut f| f.write_all(b"ok"))
        .map_err(err)?;
    fs::remove_file(&probe).map_err(err)
}

/// A key figure that moved beyond its tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    pub figure: &'static str,
    pub baseline: f64,
    pub now: f64,
    pub tolerance: String,
}

/// Tolerances of `discsim check`: absolute for shares and seconds, relative for counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerances {
    pub convergence_seconds: f64,
    pub recall: f64,
    pub probe_success: f64,
    pub table_size: f64,
    /// Relative, e.g. 0.1 for ±10 %.
    pub packets: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            convergence_seconds: 120.0,
            recall: 0.02,
            probe_success: 0.05,
            table_size: 5.0,
            packets: 0.10,
        }
    }
}

/// Compares a run's summary with a baseline: the figures that moved too far.
pub fn compare(baseline: &Summary, now: &Summary, tol: &Tolerances) -> Vec<Regression> {
    let mut out = Vec::new();
    let mut abs = |figure: &'static str, b: f64, n: f64, t: f64| {
        if (n - b).abs() > t {
            out.push(Regression {
                figure,
                baseline: b,
                now: n,
                tolerance: format!("±{t}"),
            });
        }
    };
    let never = f64::INFINITY;
    abs(
        "convergence_seconds",
        baseline.convergence_seconds.unwrap_or(never),
        now.convergence_seconds.unwrap_or(never),
        tol.convergence_seconds,
    );
    abs(
        "final_mean_recall",
        baseline.final_mean_recall,
        now.final_mean_recall,
        tol.recall,
    );
    abs(
        "probe_success_share",
        baseline.probe_success_share,
        now.probe_success_share,
        tol.probe_success,
    );
    abs(
        "final_mean_table_size",
        baseline.final_mean_table_size,
        now.final_mean_table_size,
        tol.table_size,
    );
    let (b, n) = (baseline.packets_sent as f64, now.packets_sent as f64);
    if (n - b).abs() > tol.packets * b.max(1.0) {
        out.push(Regression {
            figure: "packets_sent",
            baseline: b,
            now: n,
            tolerance: format!("±{} %", tol.packets * 100.0),
        });
    }
    out
}
