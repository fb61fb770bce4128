//! `sweep.csv`: the table of a sweep's runs, one row of key figures per run. Written whole by a
//! sweep, written in slices by a sharded sweep (`--shard I/N`, with the plan's columns) and
//! merged back in plan order, and read back to tell the current grid from stale variant
//! folders.

use std::fs;
use std::path::{Path, PathBuf};

use crate::experiment::report::{write_csv_atomic, ReportError, Summary};

/// The key figures of one sweep run, as `sweep.csv` lists them.
pub struct SweepRow<'a> {
    /// Position in the sweep's plan (what `merge` orders slices by).
    pub run: usize,
    /// The variant's folder name (`base` without a grid).
    pub variant: &'a str,
    /// The overrides that make the variant, as `--set` takes them, separated by spaces.
    pub assignments: String,
    /// The run's key figures; the row lists its seed and the figures `sweep.csv` has columns
    /// for.
    pub summary: &'a Summary,
}

const SWEEP_COLUMNS: [&str; 17] = [
    "run",
    "variant",
    "assignments",
    "seed",
    "convergence_seconds",
    "final_mean_recall",
    "final_mean_table_size",
    "final_dead_entry_share",
    "final_mean_db_records",
    "probe_success_share",
    "mean_init_seconds",
    "median_recall_seconds",
    "median_rebootstrap_seconds",
    "never_bootstrapped_share",
    "mean_seed_alive_share",
    "records_expired",
    "packets_sent",
];

/// The columns a slice of a sharded sweep adds: the runs of the whole plan and its fingerprint
/// (see [`crate::experiment::sweep::PlanStamp`]); `merge` checks and drops them.
const SLICE_COLUMNS: [&str; 2] = ["plan_runs", "plan"];

/// Writes a sweep's table to `path` atomically; a slice (`plan` given) adds the plan's columns.
pub fn write_sweep_csv(
    path: &Path,
    rows: &[SweepRow],
    plan: Option<&crate::experiment::sweep::PlanStamp>,
) -> Result<(), ReportError> {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    write_csv_atomic(path, |w| {
        let mut header: Vec<&str> = SWEEP_COLUMNS.to_vec();
        if plan.is_some() {
            header.extend(SLICE_COLUMNS);
        }
        w.write_record(&header)?;
        for r in rows {
            let s = r.summary;
            let mut row = vec![
                r.run.to_string(),
                r.variant.to_string(),
                r.assignments.clone(),
                s.seed.to_string(),
                opt(s.convergence_seconds),
                s.final_mean_recall.to_string(),
                s.final_mean_table_size.to_string(),
                s.final_dead_entry_share.to_string(),
                s.final_mean_db_records.to_string(),
                s.probe_success_share.to_string(),
                opt(s.mean_init_seconds),
                opt(s.median_recall_seconds),
                opt(s.median_rebootstrap_seconds),
                s.never_bootstrapped_share.to_string(),
                opt(s.mean_seed_alive_share),
                s.records_expired.to_string(),
                s.packets_sent.to_string(),
            ];
            if let Some(p) = plan {
                row.extend([p.runs.to_string(), p.id.clone()]);
            }
            w.write_record(&row)?;
        }
        Ok(())
    })
}

/// Slices of a sharded sweep that cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The folder holds no file `sweep-I-of-N.csv`.
    #[error("no sweep slices (sweep-I-of-N.csv) in {dir}")]
    NoSlices {
        /// The folder given to merge.
        dir: String,
    },
    /// A slice missing, of another `N` or plan, or not whole (a run twice or absent, a garbled
    /// row, a value that is not a number).
    #[error("{file}: {message}")]
    Bad {
        /// The slice at fault, or the folder when no one slice is.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// `sweep.csv` could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

impl MergeError {
    /// Whether the slices given are at fault (exit code 2), rather than writing the result.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, MergeError::Bad { .. } | MergeError::NoSlices { .. })
    }
}

/// Combines the slices `sweep-I-of-N.csv` that `discsim sweep --shard I/N` wrote into `dir`
/// (copied there from every machine) into `dir/sweep.csv`, in plan order: the file one
/// unsharded sweep would have written. Every slice of one `N` must be present, with the columns
/// of this discsim, of one plan (same `plan` and `plan_runs`), each whole: every run of the
/// plan exactly once, every value a number where a number belongs. Returns the rows merged.
pub fn merge_sweep(dir: &Path) -> Result<usize, MergeError> {
    let (n, slices) = find_slices(dir)?;
    // (plan runs, plan id, the slice that said so)
    let mut plan: Option<(usize, String, PathBuf)> = None;
    let mut rows: Vec<(usize, csv::StringRecord)> = Vec::new();
    for (i, file) in &slices {
        read_slice(*i, n, file, &mut plan, &mut rows)?;
    }
    let Some((total, _, _)) = plan else {
        return Err(bad(dir, "the slices hold no runs".into()));
    };
    rows.sort_by_key(|(run, _)| *run);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(bad(dir, format!("run {} appears twice", w[0].0)));
    }
    // Slices read before the plan was known (header only) are checked here.
    if rows.len() != total {
        let have: Vec<usize> = rows.iter().map(|(r, _)| *r).collect();
        let lacking: Vec<String> = (0..total)
            .filter(|r| !have.contains(r))
            .map(|r| format!("{} (slice {})", r, r % n))
            .collect();
        return Err(bad(
            dir,
            format!(
                "the plan has {total} runs, but runs {} are in no slice: a slice is cut short or empty",
                lacking.join(", ")
            ),
        ));
    }
    write_csv_atomic(&dir.join("sweep.csv"), |w| {
        w.write_record(SWEEP_COLUMNS)?;
        for (_, rec) in &rows {
            w.write_record(rec)?;
        }
        Ok(())
    })?;
    Ok(rows.len())
}

/// The slices `sweep-I-of-N.csv` in `dir`, every one of a single `N`, all present: `N` and the
/// slices in order.
fn find_slices(dir: &Path) -> Result<(usize, Vec<(usize, PathBuf)>), MergeError> {
    let entries =
        fs::read_dir(dir).map_err(|e| bad(dir, format!("cannot list the folder: {e}")))?;
    let mut slices: Vec<(usize, usize, PathBuf)> = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix("sweep-")
            .and_then(|r| r.strip_suffix(".csv"))
        else {
            continue;
        };
        let parsed = rest
            .split_once("-of-")
            .and_then(|(i, n)| Some((i.parse().ok()?, n.parse().ok()?)));
        match parsed {
            Some((i, n)) if i < n => slices.push((i, n, e.path())),
            Some((i, n)) => {
                return Err(bad(
                    &e.path(),
                    format!(
                        "slice {i} of {n} cannot be: slices are numbered 0 to {}",
                        n.max(1) - 1
                    ),
                ))
            }
            None => return Err(bad(&e.path(), "expected a name sweep-I-of-N.csv".into())),
        }
    }
    slices.sort();
    let Some(&(_, n, _)) = slices.first() else {
        return Err(MergeError::NoSlices {
            dir: dir.display().to_string(),
        });
    };
    if let Some((_, other, f)) = slices.iter().find(|(_, m, _)| *m != n) {
        return Err(bad(
            f,
            format!("a slice of {other}, but other slices are of {n}: merge one sweep at a time"),
        ));
    }
    let have: Vec<usize> = slices.iter().map(|(i, _, _)| *i).collect();
    let missing: Vec<String> = (0..n)
        .filter(|i| !have.contains(i))
        .map(|i| format!("sweep-{i}-of-{n}.csv"))
        .collect();
    if !missing.is_empty() {
        return Err(bad(dir, format!("missing slices: {}", missing.join(", "))));
    }
    Ok((n, slices.into_iter().map(|(i, _, f)| (i, f)).collect()))
}

/// Reads slice `i` of `n` into `rows` (the sweep columns of each run, by run number), checking
/// its columns, its values and that it belongs to the same `plan` as the slices before it.
fn read_slice(
    i: usize,
    n: usize,
    file: &Path,
    plan: &mut Option<(usize, String, PathBuf)>,
    rows: &mut Vec<(usize, csv::StringRecord)>,
) -> Result<(), MergeError> {
    let mut expected: Vec<&str> = SWEEP_COLUMNS.to_vec();
    expected.extend(SLICE_COLUMNS);
    if fs::metadata(file).is_ok_and(|m| m.len() == 0) {
        return Err(bad(
            file,
            format!("the file is empty: a slice that was never written whole; run `discsim sweep --shard {i}/{n}` again"),
        ));
    }
    let mut r = csv::Reader::from_path(file).map_err(|e| bad(file, csv_message(&e)))?;
    let h = r.headers().map_err(|e| bad(file, csv_message(&e)))?.clone();
    if h.iter().ne(expected.iter().copied()) {
        return Err(bad(
            file,
            format!(
                "not a sweep slice of this discsim: its columns are {}, expected {}",
                h.iter().collect::<Vec<_>>().join(","),
                expected.join(",")
            ),
        ));
    }
    let mut runs_here = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(file, csv_message(&e)))?;
        let line = rec.position().map_or(0, |p| p.line());
        check_slice_row(&rec).map_err(|m| bad(file, format!("line {line}: {m}")))?;
        let run: usize = rec[0].parse().expect("checked");
        let runs: usize = rec[SWEEP_COLUMNS.len()].parse().expect("checked");
        let id = &rec[SWEEP_COLUMNS.len() + 1];
        match plan.as_ref() {
            None => *plan = Some((runs, id.to_string(), file.to_path_buf())),
            Some((r0, id0, first)) if (*r0, id0.as_str()) != (runs, id) => {
                return Err(bad(
                    file,
                    format!(
                        "line {line}: a slice of another plan than {} (another grid, scenario or seeds): merge the slices of one sweep",
                        first.display()
                    ),
                ))
            }
            Some(_) => {}
        }
        if run % n != i || run >= runs {
            return Err(bad(
                file,
                format!("line {line}: run {run} does not belong in slice {i} of {n} of a plan of {runs} runs"),
            ));
        }
        runs_here.push(run);
        let mut kept = csv::StringRecord::new();
        for f in rec.iter().take(SWEEP_COLUMNS.len()) {
            kept.push_field(f);
        }
        rows.push((run, kept));
    }
    if let Some((total, _, _)) = plan.as_ref() {
        let lacking: Vec<String> = (i..*total)
            .step_by(n)
            .filter(|r| !runs_here.contains(r))
            .map(|r| r.to_string())
            .collect();
        if !lacking.is_empty() && !runs_here.is_empty() {
            return Err(bad(
                file,
                format!(
                    "runs {} are missing: the slice is cut short; run `discsim sweep --shard {i}/{n}` again",
                    lacking.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn bad(file: &Path, message: String) -> MergeError {
    MergeError::Bad {
        file: file.display().to_string(),
        message,
    }
}

/// Checks one row of a slice: every column holds what `write_sweep_csv` writes there.
fn check_slice_row(rec: &csv::StringRecord) -> Result<(), String> {
    let optional = [
        "convergence_seconds",
        "mean_init_seconds",
        "median_recall_seconds",
        "median_rebootstrap_seconds",
        "mean_seed_alive_share",
    ];
    let integers = [
        "run",
        "seed",
        "records_expired",
        "packets_sent",
        "plan_runs",
    ];
    for (k, name) in SWEEP_COLUMNS.iter().chain(&SLICE_COLUMNS).enumerate() {
        let v = rec.get(k).unwrap_or("");
        let ok = match *name {
            "variant" | "assignments" => true,
            "plan" => v.len() == 16 && v.bytes().all(|b| b.is_ascii_hexdigit()),
            _ if v.is_empty() => optional.contains(name),
            _ if integers.contains(name) => v.parse::<u64>().is_ok(),
            _ => v.parse::<f64>().is_ok_and(|x| x.is_finite() && x >= 0.0),
        };
        if !ok {
            let what = if integers.contains(name) {
                "a whole number"
            } else if *name == "plan" {
                "16 hex digits"
            } else if optional.contains(name) {
                "a number at least 0, or empty for never"
            } else {
                "a number at least 0"
            };
            return Err(format!("`{name}` = {v:?}: expected {what}"));
        }
    }
    Ok(())
}

/// The variant folders under a sweep's folder `dir` (non-hidden folders holding `seed-N`
/// runs) that `current` does not list: left by an earlier sweep of another grid.
pub fn stale_variants(dir: &Path, current: &[&str]) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut stale: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(name, _)| !name.starts_with('.') && !current.contains(&name.as_str()))
        .filter(|(_, path)| {
            fs::read_dir(path).is_ok_and(|mut es| {
                es.any(|e| {
                    e.is_ok_and(|e| {
                        e.file_name().to_string_lossy().starts_with("seed-")
                            && e.file_type().is_ok_and(|t| t.is_dir())
                    })
                })
            })
        })
        .map(|(name, _)| name)
        .collect();
    stale.sort();
    stale
}

/// The variants `dir/sweep.csv` lists, in its order, each once: the sweep's current grid (an
/// earlier grid's variant folders may still be beside them; see [`stale_variants`]). `None`
/// when there is no `sweep.csv`.
pub fn listed_variants(dir: &Path) -> Result<Option<Vec<String>>, MergeError> {
    let file = dir.join("sweep.csv");
    if !file.exists() {
        return Ok(None);
    }
    let bad = |message: String| MergeError::Bad {
        file: file.display().to_string(),
        message,
    };
    let mut r = csv::Reader::from_path(&file).map_err(|e| bad(csv_message(&e)))?;
    let col = r
        .headers()
        .map_err(|e| bad(csv_message(&e)))?
        .iter()
        .position(|c| c == "variant")
        .ok_or_else(|| bad("no `variant` column: not a sweep.csv of this discsim".into()))?;
    let mut out: Vec<String> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| bad(csv_message(&e)))?;
        let v = rec.get(col).unwrap_or("").to_string();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(Some(out))
}

/// A CSV error in words, once (the csv crate's I/O errors repeat their cause otherwise).
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    }
}
