//! Running a sweep: every variant of a scenario's `[sweep]` grid times its replicates, on a pool
//! of threads, each run written to `<out>/<variant>/seed-<seed>/`, then one table of key figures
//! (`sweep.csv`, or one slice of it when the plan is split over machines with `--shard I/N`).
//!
//! Runs are independent and each is deterministic, so the pool's order of completion never
//! reaches a result: the table is written in plan order.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::experiment::benchmark::Stopwatch;
use crate::experiment::report::{write_run, Summary, Timing};
use crate::experiment::scenario::{Scenario, SweepRun};
use crate::experiment::sweep_csv::{write_sweep_csv, SweepRow};
use crate::Error;

/// The share of a sweep's plan one machine runs: runs whose plan position `run % count ==
/// index`. The whole plan is `0/1`.
///
/// ```
/// use discsim::experiment::sweep::SweepSlice;
/// let s: SweepSlice = "1/4".parse().unwrap();
/// assert!(s.includes(5) && !s.includes(4));
/// assert_eq!(s.file_name(), "sweep-1-of-4.csv");
/// assert_eq!(SweepSlice::WHOLE.file_name(), "sweep.csv");
/// assert!("4/4".parse::<SweepSlice>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SweepSlice {
    /// Which slice this machine runs, `0..count` (the `I` of `--shard I/N`).
    pub index: usize,
    /// How many slices the plan is split into, at least 1 (the `N`).
    pub count: usize,
}

impl SweepSlice {
    /// The whole plan, on one machine.
    pub const WHOLE: SweepSlice = SweepSlice { index: 0, count: 1 };

    /// Whether the run at plan position `run` belongs to this slice.
    pub fn includes(&self, run: usize) -> bool {
        run % self.count == self.index
    }

    /// The table this slice writes: `sweep.csv` for the whole plan, `sweep-I-of-N.csv` for a
    /// slice (what `discsim merge` combines).
    pub fn file_name(&self) -> String {
        if self.count == 1 {
            "sweep.csv".to_string()
        } else {
            format!("sweep-{}-of-{}.csv", self.index, self.count)
        }
    }
}

impl fmt::Display for SweepSlice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for SweepSlice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadInput(format!("invalid --shard {s:?}: {why}"));
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected I/N, for example 0/4"))?;
        let index: usize = i.trim().parse().map_err(|_| bad("I is not a number"))?;
        let count: usize = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        if count == 0 || index >= count {
            return Err(bad("I must be below N, and N at least 1"));
        }
        Ok(SweepSlice { index, count })
    }
}

/// What identifies a sweep's plan in its slices (`sweep-I-of-N.csv`), so that `discsim merge`
/// combines only slices of one plan, each whole: the number of runs in the plan and a
/// fingerprint of the scenario and the plan (the thread count left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanStamp {
    /// Runs in the whole plan (the slices' `plan_runs` column).
    pub runs: usize,
    /// The fingerprint, 16 hex digits of a 64-bit FNV-1a hash (the slices' `plan` column).
    pub id: String,
}

impl PlanStamp {
    /// The stamp of `plan`, the sweep plan of `base` ([`Scenario::sweep_plan`]).
    pub fn of(base: &Scenario, plan: &[SweepRun]) -> PlanStamp {
        let mut s = base.clone();
        s.threads = 0;
        let mut text = s.to_toml();
        text.push_str(&format!("{:?}\n", s.churn.sessions));
        for r in plan {
            text.push_str(&format!(
                "{} {} {:?} {}\n",
                r.run, r.variant, r.sets, r.seed
            ));
        }
        // FNV-1a, 64 bits: stable across platforms and versions.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        PlanStamp {
            runs: plan.len(),
            id: format!("{h:016x}"),
        }
    }
}

/// One run of a sweep, its scenario resolved and checked.
#[derive(Clone, Debug)]
pub struct PlannedRun {
    /// Where it sits in the plan: position, variant, overrides, seed.
    pub run: SweepRun,
    /// The scenario with the variant's overrides and the replicate's seed applied.
    pub scenario: Scenario,
}

/// Runs `runs` on up to `jobs` threads, writing each into `out/<variant>/seed-<seed>/`, then
/// the slice's table into `out` (a slice's with the plan's `plan_runs` and `plan` columns). Returns every run's summary, in plan order. `on_done` is told
/// of each run as it finishes (for progress lines).
///
/// The first failure stops the threads from taking new runs; runs already written stay.
pub fn run_sweep(
    runs: &[PlannedRun],
    out: &Path,
    jobs: usize,
    slice: SweepSlice,
    plan: &PlanStamp,
    on_done: &(dyn Fn(&SweepRun) + Sync),
) -> Result<Vec<Summary>, Error> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Summary>>> = Mutex::new(vec![None; runs.len()]);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(runs.len().max(1)) {
            scope.spawn(|| loop {
                if failure.lock().expect("not poisoned").is_some() {
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(planned) = runs.get(k) else {
                    break;
                };
                match run_one(planned, out) {
                    Ok(summary) => {
                        on_done(&planned.run);
                        results.lock().expect("not poisoned")[k] = Some(summary);
                    }
                    Err(e) => {
                        failure.lock().expect("not poisoned").get_or_insert(e);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("not poisoned") {
        return Err(e);
    }
    let summaries: Vec<Summary> = results
        .into_inner()
        .expect("not poisoned")
        .into_iter()
        .map(|s| s.expect("every run finished"))
        .collect();
    let rows: Vec<SweepRow> = runs
        .iter()
        .zip(&summaries)
        .map(|(p, summary)| SweepRow {
            run: p.run.run,
            variant: &p.run.variant,
            assignments: p.run.sets.join(" "),
            summary,
        })
        .collect();
    let stamp = (slice != SweepSlice::WHOLE).then_some(plan);
    write_sweep_csv(&out.join(slice.file_name()), &rows, stamp)?;
    Ok(summaries)
}

/// One run, written to its folder; the only wall clock is for `timing.json`.
fn run_one(planned: &PlannedRun, out: &Path) -> Result<Summary, Error> {
    let s = &planned.scenario;
    let started = Stopwatch::start();
    let cfg = s.to_config().map_err(Error::BadInput)?;
    let result = crate::sim::engine::run(&cfg)?;
    let timing = Timing::new(started.elapsed(), cfg.threads, &result);
    write_run(
        &out.join(&planned.run.variant),
        &format!("seed-{}", planned.run.seed),
        s,
        &result,
        Some(&timing),
    )?;
    Ok(Summary::new(s, &result))
}

/// A variant's replicates taken together, as the sweep's closing table shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantSummary {
    /// The variant's folder-safe name (`base` without a grid).
    pub variant: String,
    /// Replicates (seeds) aggregated.
    pub runs: usize,
    /// Mean over the replicates that converged; `None` when none did.
    pub mean_convergence_seconds: Option<f64>,
    /// Mean over all replicates of [`Summary::final_mean_recall`].
    pub mean_final_recall: f64,
    /// Mean over all replicates of [`Summary::probe_success_share`].
    pub mean_probe_success: f64,
}

impl Summary {
    /// The mean key figures of replicates of one variant; the convergence time is the mean of
    /// the replicates that converged.
    pub fn aggregate(variant: &str, group: &[&Summary]) -> VariantSummary {
        let n = group.len().max(1) as f64;
        let conv: Vec<f64> = group.iter().filter_map(|s| s.convergence_seconds).collect();
        VariantSummary {
            variant: variant.to_string(),
            runs: group.len(),
            mean_convergence_seconds: (!conv.is_empty())
                .then(|| conv.iter().sum::<f64>() / conv.len() as f64),
            mean_final_recall: group.iter().map(|s| s.final_mean_recall).sum::<f64>() / n,
            mean_probe_success: group.iter().map(|s| s.probe_success_share).sum::<f64>() / n,
        }
    }
}

/// Groups a sweep's summaries by variant, in plan order (a variant's replicates are adjacent
/// in the plan).
pub fn by_variant(runs: &[PlannedRun], summaries: &[Summary]) -> Vec<VariantSummary> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        let v = &runs[k].run.variant;
        let group: Vec<&Summary> = (k..runs.len())
            .take_while(|j| &runs[*j].run.variant == v)
            .filter_map(|j| summaries.get(j))
            .collect();
        k += group.len().max(1);
        out.push(Summary::aggregate(v, &group));
    }
    out
}

/// The closing table of a sweep, its first column as wide as the longest variant name.
pub fn render_table(variants: &[VariantSummary]) -> String {
    let width = variants
        .iter()
        .map(|v| v.variant.chars().count())
        .chain(["variant".len()])
        .max()
        .unwrap_or(0);
    let mut s = format!(
        "{:<width$} {:>6} {:>12} {:>8} {:>8}\n",
        "variant", "runs", "converged s", "recall", "probes"
    );
    for v in variants {
        let conv = v
            .mean_convergence_seconds
            .map_or_else(|| "never".to_string(), |c| format!("{c:.0}"));
        s.push_str(&format!(
            "{:<width$} {:>6} {:>12} {:>8.3} {:>8.3}\n",
            v.variant, v.runs, conv, v.mean_final_recall, v.mean_probe_success
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        Summary::of_a_tiny_run()
    }

    #[test]
    fn aggregate_averages_convergence_over_the_replicates_that_converged() {
        let mut a = summary();
        let mut b = a.clone();
        a.convergence_seconds = Some(100.0);
        a.final_mean_recall = 1.0;
        b.convergence_seconds = None;
        b.final_mean_recall = 0.5;
        let v = Summary::aggregate("base", &[&a, &b]);
        assert_eq!(v.runs, 2);
        assert_eq!(v.mean_convergence_seconds, Some(100.0));
        assert_eq!(v.mean_final_recall, 0.75);
        b.convergence_seconds = None;
        let never = Summary::aggregate("x", &[&b]);
        assert_eq!(never.mean_convergence_seconds, None);
    }

    #[test]
    fn the_table_is_as_wide_as_the_longest_variant() {
        let s = summary();
        let long = "protocol.table.bucket_size=16_network.loss=0.05_extra_long_name";
        let rows = [
            Summary::aggregate("base", &[&s]),
            Summary::aggregate(long, &[&s]),
        ];
        let table = render_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{table}");
    }

    #[test]
    fn slices_partition_the_plan() {
        let slices: Vec<SweepSlice> = (0..3).map(|i| format!("{i}/3").parse().unwrap()).collect();
        for run in 0..10 {
            assert_eq!(slices.iter().filter(|s| s.includes(run)).count(), 1);
        }
        for bad in ["0/0", "3/3", "a/2", "1", "1/b"] {
            let e = bad.parse::<SweepSlice>().unwrap_err();
            assert!(e.is_bad_input() && e.to_string().contains("--shard"), "{e}");
        }
    }
}
