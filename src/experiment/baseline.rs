//! `discsim check`: a committed baseline `summary.json`, read and checked for range, and the
//! tolerances a new run of the scenario is compared with it by.

use std::fs;
use std::path::Path;

use crate::experiment::report::Summary;

/// Reads a baseline `summary.json` for `discsim check`: a discsim summary whose figures are in
/// range (shares in [0, 1], times and counts at least 0). Anything else is bad input, naming
/// the file and the figure.
pub fn read_baseline(path: &Path) -> Result<Summary, crate::experiment::scenario::ScenarioError> {
    use crate::experiment::scenario::ScenarioError;
    let file = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: file.clone(),
        source,
    })?;
    let base: Summary = serde_json::from_str(&text).map_err(|e| ScenarioError::Parse {
        file: file.clone(),
        message: format!("not a discsim summary.json: {e}"),
    })?;
    base.check_ranges()
        .map_err(|message| ScenarioError::Invalid {
            file: file.clone(),
            message,
        })?;
    Ok(base)
}

impl Summary {
    /// Every figure in its range: what a run can have written.
    pub fn check_ranges(&self) -> Result<(), String> {
        let shares = [
            ("final_mean_recall", Some(self.final_mean_recall)),
            ("final_dead_entry_share", Some(self.final_dead_entry_share)),
            ("probe_success_share", Some(self.probe_success_share)),
            (
                "never_bootstrapped_share",
                Some(self.never_bootstrapped_share),
            ),
            ("mean_seed_alive_share", self.mean_seed_alive_share),
        ];
        for (key, v) in shares {
            if let Some(v) = v.filter(|v| !(0.0..=1.0).contains(v)) {
                return Err(format!("`{key}` = {v}: a share in [0, 1]"));
            }
        }
        let amounts = [
            ("virtual_seconds", Some(self.virtual_seconds)),
            ("convergence_seconds", self.convergence_seconds),
            ("final_mean_table_size", Some(self.final_mean_table_size)),
            ("final_mean_db_records", Some(self.final_mean_db_records)),
            ("mean_init_seconds", self.mean_init_seconds),
            ("median_recall_seconds", self.median_recall_seconds),
            (
                "median_rebootstrap_seconds",
                self.median_rebootstrap_seconds,
            ),
            ("median_packets_to_recall", self.median_packets_to_recall),
        ];
        let dialer_times = self
            .dialer
            .iter()
            .flat_map(|d| &d.by_kind)
            .flat_map(|(k, t)| {
                [
                    (
                        format!("dialer.by_kind.{k}.median_first_peer_seconds"),
                        t.median_first_peer_seconds,
                    ),
                    (
                        format!("dialer.by_kind.{k}.median_full_peers_seconds"),
                        t.median_full_peers_seconds,
                    ),
                ]
            });
        let amounts = amounts.map(|(k, v)| (k.to_string(), v));
        for (key, v) in amounts.into_iter().chain(dialer_times) {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(format!("`{key}` = {v}: a number at least 0"));
            }
        }
        if self.peers == 0 {
            return Err("`peers` = 0: at least 1".into());
        }
        Ok(())
    }

    /// How this run differs from `other` in what makes two runs comparable: scenario, peers,
    /// seed and length. Empty when they match.
    pub fn mismatch(&self, other: &Summary) -> Vec<String> {
        let mut out = Vec::new();
        if self.scenario != other.scenario {
            out.push(format!(
                "scenario {:?} vs {:?}",
                self.scenario, other.scenario
            ));
        }
        if self.peers != other.peers {
            out.push(format!("{} peers vs {}", self.peers, other.peers));
        }
        if self.seed != other.seed {
            out.push(format!("seed {} vs {}", self.seed, other.seed));
        }
        if self.virtual_seconds != other.virtual_seconds {
            out.push(format!(
                "{} virtual s vs {}",
                self.virtual_seconds, other.virtual_seconds
            ));
        }
        out
    }
}

/// A key figure that moved beyond its tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    /// The figure's key in `summary.json` (`convergence_seconds`, `packets_sent`, ...).
    pub figure: &'static str,
    /// Its value in the baseline (a run that never converged: infinity).
    pub baseline: f64,
    /// Its value in this run.
    pub now: f64,
    /// The tolerance it moved beyond, as printed: `±0.02`, or `±10 %` for packets.
    pub tolerance: String,
}

/// Tolerances of `discsim check`: absolute for shares and seconds, relative for counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Tolerances {
    /// Of `convergence_seconds`, in seconds (default 120); a run that never converged counts as
    /// infinitely late, so converging or ceasing to converge is a regression.
    pub convergence_seconds: f64,
    /// Of `final_mean_recall` (default 0.02).
    pub recall: f64,
    /// Of `probe_success_share` (default 0.05).
    pub probe_success: f64,
    /// Of `final_mean_table_size`, in entries (default 5).
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
        // Equal figures never regress: two runs that never converged are both infinite, and
        // their difference (NaN) must not decide. A NaN difference otherwise is a regression.
        if b == n {
            return;
        }
        let moved = (n - b).abs();
        if moved.is_nan() || moved > t {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary::of_a_tiny_run()
    }

    fn figures(b: &Summary, n: &Summary) -> Vec<&'static str> {
        compare(b, n, &Tolerances::default())
            .iter()
            .map(|r| r.figure)
            .collect()
    }

    #[test]
    fn never_converging_regresses_only_against_a_run_that_converged() {
        let mut base = summary();
        let mut now = base.clone();
        base.convergence_seconds = None;
        now.convergence_seconds = None;
        assert!(figures(&base, &now).is_empty(), "both never: no change");
        now.convergence_seconds = Some(600.0);
        assert_eq!(figures(&base, &now), ["convergence_seconds"]);
        assert_eq!(figures(&now, &base), ["convergence_seconds"]);
        base.convergence_seconds = Some(700.0);
        assert!(figures(&base, &now).is_empty(), "within 120 s");
        base.convergence_seconds = Some(721.0);
        assert_eq!(figures(&base, &now), ["convergence_seconds"]);
    }

    #[test]
    fn shares_and_packets_regress_beyond_their_tolerances() {
        let base = summary();
        let mut now = base.clone();
        now.final_mean_recall = base.final_mean_recall - 0.019;
        now.packets_sent = base.packets_sent + base.packets_sent / 20;
        assert!(figures(&base, &now).is_empty());
        now.final_mean_recall = base.final_mean_recall - 0.03;
        now.packets_sent = base.packets_sent * 2;
        now.probe_success_share = f64::NAN;
        assert_eq!(
            figures(&base, &now),
            ["final_mean_recall", "probe_success_share", "packets_sent"]
        );
    }
}
