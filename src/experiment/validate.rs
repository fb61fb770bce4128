//! Validation against real geth: discsim's figures next to figures measured by running
//! go-ethereum's own discovery code (`discsim validate`).
//!
//! Why this exists: every other check in the crate compares discsim with itself (the regression
//! baselines of `discsim check`, determinism across threads). Only measurements of geth itself
//! say whether the model is faithful. `scenarios/validation/` holds per-minute figures of real
//! geth (`p2p/discover` at c73b654fd1, 2018, and at 3a4a3d080b, 2019) in one set-up, which
//! `scenarios/validate-ramp-400.toml` reproduces: 400 peers joining over 5 minutes from 2
//! bootnodes, 50 ms links, no probes, 15 minutes. Both files are compiled into the binary, so
//! validation works from any directory.
//!
//! For each protocol profile, [`run`] runs that scenario with `protocol.profile` set (through the
//! same override path as `--set`) for seeds `1..=seeds`, averages discsim's metrics per sample
//! over the seeds, and compares them minute by minute (samples at `t >= 60 s`) with the reference:
//! the mean table size, mean recall, converged share, mean node-database records, and packets of
//! each type sent per minute ([`FIGURES`]; ENRREQUEST and ENRRESPONSE only when both sides have
//! them). The relative difference of a figure is
//! `|discsim - geth| / max(|geth|, floor)`, and it fails beyond the tolerance. The floor keeps a
//! small reference value from turning a negligible absolute gap into a large relative one: 0.05
//! for shares (recall 0.02 against 0.03 is not a 50 % error), 1 for table sizes and database
//! records (geth 2019 holds 0.16 records at minute 1), and 50 packets per minute for packet counts
//! (minutes with no lookups send no FINDNODE at all).
//!
//! A figure within the tolerance passes. So does one whose difference is within the noise of the
//! comparison itself: [`NOISE_Z`] standard errors of the difference between discsim's mean over
//! `n` seeds and geth's single run, `s * sqrt(1/n + 1)`, where `s` is the figure's standard
//! deviation over discsim's seeds, which estimates the spread of one run, geth's included. Most
//! figures vary far less than the tolerance from run to run; a few count a handful of peers, and
//! no model can match one run of them to 15 %: geth 2019's converged share at minute 1 is 4 of
//! 82 peers in the reference run, and 3 to 7 over 10 more runs of real geth (mean 4.6, standard
//! deviation 1.5; `scenarios/validation/geth-2019-ramp-400-repeats.csv`). Such a pass is marked
//! `~` in the table and counted in the verdict.
//!
//! ```no_run
//! use discsim::discv4::protocol::Profile;
//! use discsim::experiment::validate::{self, ValidateOptions};
//!
//! let opts = ValidateOptions {
//!     profiles: vec![Profile::Geth2018],
//!     seeds: 5,
//!     ..ValidateOptions::default()
//! };
//! for report in validate::run(&opts)? {
//!     print!("{}", report.render_table());
//!     println!("{}", report.verdict());
//!     assert!(report.rows.iter().all(|r| !r.checks.is_empty()));
//! }
//! # Ok::<(), validate::ValidateError>(())
//! ```

use std::collections::BTreeMap;

use crate::discv4::packet::PacketKind;
use crate::discv4::protocol::Profile;
use crate::experiment::report::ReportError;
use crate::experiment::scenario::{Scenario, ScenarioError};
use crate::observe::metrics::Sample;
use crate::sim::engine::{SimConfig, SimError};

/// Where the validation scenario lives in the repository (named in errors).
pub const SCENARIO_FILE: &str = "scenarios/validate-ramp-400.toml";
/// The validation scenario, compiled in.
pub const SCENARIO: &str = include_str!("../../scenarios/validate-ramp-400.toml");

/// Slack on the tolerance so that a difference exactly at it passes despite rounding
/// (`0.23 - 0.2` is `0.030000000000000013` in binary).
const SLACK: f64 = 1e-9;

/// How many standard errors of the difference a figure may differ by and still pass (see the
/// [module docs](self)): two, the usual 95 % band. It only widens figures beyond the tolerance,
/// and the seeds are fixed, so a given model passes or fails the same way every time.
pub const NOISE_Z: f64 = 2.0;

/// The reference figures of real geth for each profile, compiled in.
pub trait Reference {
    /// The reference CSV's path in the repository.
    fn reference_file(self) -> &'static str;
    /// The reference CSV.
    fn reference_csv(self) -> &'static str;
    /// The reference figures.
    fn reference(self) -> Result<Table, ValidateError>;
}

impl Reference for Profile {
    fn reference_file(self) -> &'static str {
        match self {
            Profile::Geth2018 => "scenarios/validation/geth-2018-ramp-400.csv",
            Profile::Geth2019 => "scenarios/validation/geth-2019-ramp-400.csv",
        }
    }

    fn reference_csv(self) -> &'static str {
        match self {
            Profile::Geth2018 => include_str!("../../scenarios/validation/geth-2018-ramp-400.csv"),
            Profile::Geth2019 => include_str!("../../scenarios/validation/geth-2019-ramp-400.csv"),
        }
    }

    fn reference(self) -> Result<Table, ValidateError> {
        parse_csv(self.reference_csv(), self.reference_file())
    }
}

/// `--profile`: a profile's name, or `all`.
pub fn parse_profiles(choice: &str) -> Result<Vec<Profile>, ValidateError> {
    if choice == "all" {
        return Ok(Profile::ALL.to_vec());
    }
    choice
        .parse::<Profile>()
        .map(|p| vec![p])
        .map_err(|_| ValidateError::BadOption {
            flag: "--profile",
            value: choice.to_string(),
            allowed: "one of geth-2018, geth-2019, all".into(),
        })
}

/// One figure compared: its column in the reference, its column in discsim's `metrics.csv`, the
/// floor of its denominator, and the decimals it is shown with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figure {
    /// The column in the reference CSV, and the figure's name in reports.
    pub name: &'static str,
    /// The column in discsim's `metrics.csv` (and in [`discsim_table`]).
    pub discsim: &'static str,
    /// The smallest denominator of the relative difference, in the figure's unit (0.05 for
    /// shares, 1 for table sizes and records, 50 for packets per minute).
    pub floor: f64,
    /// Decimals shown in the report table.
    pub decimals: usize,
}

const fn figure(name: &'static str, discsim: &'static str, floor: f64, decimals: usize) -> Figure {
    Figure {
        name,
        discsim,
        floor,
        decimals,
    }
}

/// Every figure validation compares when both sides have it, in display order.
pub const FIGURES: [Figure; 10] = [
    figure("mean_table_size", "mean_table_size", 1.0, 1),
    figure("mean_recall", "mean_recall", 0.05, 3),
    figure("converged_share", "converged_share", 0.05, 3),
    figure("mean_db_records", "mean_db_records", 1.0, 1),
    figure("ping", "packets_ping", 50.0, 0),
    figure("pong", "packets_pong", 50.0, 0),
    figure("findnode", "packets_findnode", 50.0, 0),
    figure("neighbors", "packets_neighbors", 50.0, 0),
    figure("enrrequest", "packets_enrrequest", 50.0, 0),
    figure("enrresponse", "packets_enrresponse", 50.0, 0),
];

/// Figures per sample by column name, keyed by whole seconds since the start.
pub type Table = BTreeMap<u64, BTreeMap<String, f64>>;

/// What `discsim validate` runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidateOptions {
    /// The profiles to validate, each against its own reference (`--profile`); not empty.
    pub profiles: Vec<Profile>,
    /// Seeds `1..=seeds` per profile.
    pub seeds: u32,
    /// Largest relative difference a figure may have, in (0, 1].
    pub tolerance: f64,
    /// Shard threads per run (default: the scenario's); results do not depend on it.
    pub threads: Option<usize>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            profiles: Profile::ALL.to_vec(),
            seeds: 5,
            tolerance: 0.15,
            threads: None,
        }
    }
}

impl ValidateOptions {
    /// Checks the options; the error names the flag and what is allowed.
    pub fn check(&self) -> Result<(), ValidateError> {
        if self.seeds == 0 {
            return Err(ValidateError::BadOption {
                flag: "--seeds",
                value: "0".into(),
                allowed: "at least 1".into(),
            });
        }
        if !(self.tolerance > 0.0 && self.tolerance <= 1.0) {
            return Err(ValidateError::BadOption {
                flag: "--tolerance",
                value: self.tolerance.to_string(),
                allowed: "a fraction in (0, 1], for example 0.15 for 15 %".into(),
            });
        }
        if self.threads == Some(0) {
            return Err(ValidateError::BadOption {
                flag: "--threads",
                value: "0".into(),
                allowed: "at least 1".into(),
            });
        }
        if self.profiles.is_empty() {
            return Err(ValidateError::BadOption {
                flag: "--profile",
                value: "(none)".into(),
                allowed: "one of geth-2018, geth-2019, all".into(),
            });
        }
        Ok(())
    }
}

/// Validation that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// An option out of range.
    #[error("invalid {flag} {value}: {allowed}")]
    BadOption {
        /// The command-line flag, e.g. `--tolerance`.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What it may be.
        allowed: String,
    },
    /// The validation scenario with a profile's overrides is invalid (for example
    /// `protocol.profile` unknown to this build).
    #[error("{profile}: the validation scenario with --set {overrides} is invalid: {error}")]
    Scenario {
        /// The profile's name.
        profile: &'static str,
        /// The overrides applied, as `--set` would take them.
        overrides: String,
        /// Why the scenario was refused.
        error: ScenarioError,
    },
    /// A validation run that failed; the scenario was checked, so this is not bad input.
    #[error("{profile} seed {seed}: {source}")]
    Sim {
        /// The profile's name.
        profile: &'static str,
        /// The seed of the failed run.
        seed: u64,
        /// What the engine reported.
        #[source]
        source: SimError,
    },
    /// A reference CSV that cannot be read. The references are compiled in, so this is a
    /// defect of the build, not bad input.
    #[error("{file}: {message}")]
    Reference {
        /// The reference's path in the repository.
        file: String,
        /// What is wrong, with the line when there is one.
        message: String,
    },
    /// discsim has no sample at a minute the reference has.
    #[error("{profile}: discsim has no sample at t = {t} s, which the reference has")]
    MissingSample {
        /// The profile's name.
        profile: &'static str,
        /// The reference's sample time, in whole seconds since the start.
        t: u64,
    },
    /// A `validation-<profile>.csv` that could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

impl ValidateError {
    /// Whether the user asked for something impossible (exit code 2), rather than a failure.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            ValidateError::BadOption { .. } | ValidateError::Scenario { .. }
        )
    }
}

/// One figure at one minute.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Which figure.
    pub figure: Figure,
    /// The reference's value, measured on real geth.
    pub geth: f64,
    /// The mean over the seeds.
    pub discsim: f64,
    /// `|discsim - geth| / max(|geth|, floor)`.
    pub diff: f64,
    /// The largest absolute difference that run-to-run noise explains: [`NOISE_Z`] standard
    /// errors of the difference (0 when discsim's seeds do not vary).
    pub noise: f64,
    /// `diff` is within the tolerance, or the difference within `noise`.
    pub ok: bool,
}

impl Check {
    /// Passed only because the difference is within the noise, not within the tolerance.
    pub fn within_noise_only(&self, tolerance: f64) -> bool {
        self.ok && self.diff > tolerance + SLACK
    }
}

/// Every figure compared at one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Seconds since the start.
    pub t: u64,
    /// The figures both sides have at `t`, in [`FIGURES`] order.
    pub checks: Vec<Check>,
}

/// A figure that was not compared, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct NotCompared {
    /// Which figure.
    pub figure: Figure,
    /// Which side lacks it (or that they never had it at the same sample).
    pub reason: String,
}

/// discsim against one reference.
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileReport {
    /// The profile run, and whose reference it was compared with.
    pub profile: Profile,
    /// discsim's figures are means over this many seeds.
    pub seeds: u32,
    /// The largest relative difference that passed.
    pub tolerance: f64,
    /// One row per reference sample from `t = 60 s`, in time order.
    pub rows: Vec<Row>,
    /// Figures of [`FIGURES`] that no row compares.
    pub not_compared: Vec<NotCompared>,
}

/// The relative difference of discsim's figure from geth's: `|discsim - geth| / max(|geth|,
/// floor)`.
pub fn relative_difference(geth: f64, discsim: f64, floor: f64) -> f64 {
    (discsim - geth).abs() / geth.abs().max(floor)
}

/// Compares discsim's figures (means over `seeds` seeds) with a reference, sample by sample from
/// `t = 60 s`. A figure is compared where both tables have it; one that either side lacks
/// altogether is listed in [`ProfileReport::not_compared`]. Every reference sample from 60 s on
/// must be in `discsim`.
pub fn compare(
    profile: Profile,
    reference: &Table,
    discsim: &Table,
    seeds: u32,
    tolerance: f64,
) -> Result<ProfileReport, ValidateError> {
    compare_with_spread(profile, reference, discsim, &Table::new(), seeds, tolerance)
}

/// [`compare`], with `spread` the standard deviation of each figure over discsim's seeds
/// ([`spread_tables`]): a difference within [`NOISE_Z`] standard errors of the difference passes
/// too (see the [module docs](self)). A figure `spread` lacks has no noise allowance.
pub fn compare_with_spread(
    profile: Profile,
    reference: &Table,
    discsim: &Table,
    spread: &Table,
    seeds: u32,
    tolerance: f64,
) -> Result<ProfileReport, ValidateError> {
    let per_run = (1.0 / f64::from(seeds.max(1)) + 1.0).sqrt();
    let mut rows = Vec::new();
    for (&t, geth) in reference.range(60..) {
        let ours = discsim.get(&t).ok_or(ValidateError::MissingSample {
            profile: profile.name(),
            t,
        })?;
        let checks = FIGURES
            .iter()
            .filter_map(|f| {
                let (&g, &d) = (geth.get(f.name)?, ours.get(f.discsim)?);
                let diff = relative_difference(g, d, f.floor);
                let sd = spread.get(&t).and_then(|r| r.get(f.discsim)).copied();
                let noise = NOISE_Z * sd.unwrap_or(0.0) * per_run;
                Some(Check {
                    figure: *f,
                    geth: g,
                    discsim: d,
                    diff,
                    noise,
                    ok: diff <= tolerance + SLACK || (d - g).abs() <= noise,
                })
            })
            .collect();
        rows.push(Row { t, checks });
    }
    let has =
        |table: &Table, column: &str| table.range(60..).any(|(_, row)| row.contains_key(column));
    let not_compared = FIGURES
        .iter()
        .filter(|f| {
            !rows
                .iter()
                .any(|r| r.checks.iter().any(|c| c.figure == **f))
        })
        .map(|f| {
            let mut lacks = Vec::new();
            if !has(reference, f.name) {
                lacks.push(format!("not in the {} reference", profile.name()));
            }
            if !has(discsim, f.discsim) {
                lacks.push(format!("discsim's metrics have no {}", f.discsim));
            }
            if lacks.is_empty() {
                lacks.push("never at the same sample on both sides".into());
            }
            NotCompared {
                figure: *f,
                reason: lacks.join("; "),
            }
        })
        .collect();
    Ok(ProfileReport {
        profile,
        seeds,
        tolerance,
        rows,
        not_compared,
    })
}

/// A CSV of figures with a `t` column (seconds) and numbers elsewhere; `file` names it in errors.
pub fn parse_csv(text: &str, file: &str) -> Result<Table, ValidateError> {
    let bad = |message: String| ValidateError::Reference {
        file: file.to_string(),
        message,
    };
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let t_col = header
        .iter()
        .position(|h| h == "t")
        .ok_or_else(|| bad("no `t` column".into()))?;
    let mut table = Table::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
        let mut row = BTreeMap::new();
        for (name, value) in header.iter().zip(record.iter()) {
            let x: f64 = value
                .trim()
                .parse()
                .map_err(|_| bad(format!("line {line}: `{name}` is not a number ({value:?})")))?;
            row.insert(name.clone(), x);
        }
        let t = record[t_col].trim().parse::<f64>().unwrap_or(0.0);
        if !(t >= 0.0 && t.is_finite()) {
            return Err(bad(format!("line {line}: `t` must be a time in seconds")));
        }
        row.remove("t");
        table.insert(t.round() as u64, row);
    }
    Ok(table)
}

/// discsim's samples as the figures of `metrics.csv`, by its column names.
pub fn discsim_table(samples: &[Sample]) -> Table {
    samples
        .iter()
        .map(|s| {
            let mut row: BTreeMap<String, f64> = [
                ("live_peers", s.live_peers as f64),
                ("init_done", s.init_done as f64),
                ("mean_table_size", s.mean_table_size),
                ("dead_entry_share", s.dead_entry_share),
                ("mean_recall", s.mean_recall),
                ("converged_share", s.converged_share),
                ("mean_ideal_fill", s.mean_ideal_fill),
                ("mean_db_records", s.mean_db_records),
                ("db_stale_share", s.db_stale_share),
                ("records_expired", s.records_expired as f64),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            for k in PacketKind::ALL {
                row.insert(format!("packets_{}", k.name()), s.packets[k.index()] as f64);
                row.insert(format!("bytes_{}", k.name()), s.bytes[k.index()] as f64);
            }
            (s.t.round() as u64, row)
        })
        .collect()
}

/// The mean of each figure at each sample over the tables that have it.
pub fn mean_tables(tables: &[Table]) -> Table {
    per_figure(tables, |values| {
        values.iter().sum::<f64>() / values.len() as f64
    })
}

/// The sample standard deviation of each figure at each sample over the tables that have it
/// (0 where fewer than two do).
pub fn spread_tables(tables: &[Table]) -> Table {
    per_figure(tables, |values| {
        let n = values.len() as f64;
        if values.len() < 2 {
            return 0.0;
        }
        let mean = values.iter().sum::<f64>() / n;
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
    })
}

/// `stat` of each figure's values at each sample, in table order, over the tables that have it.
fn per_figure(tables: &[Table], stat: impl Fn(&[f64]) -> f64) -> Table {
    let mut values: BTreeMap<u64, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for table in tables {
        for (&t, row) in table {
            let at = values.entry(t).or_default();
            for (k, &v) in row {
                at.entry(k.clone()).or_default().push(v);
            }
        }
    }
    values
        .into_iter()
        .map(|(t, row)| (t, row.into_iter().map(|(k, v)| (k, stat(&v))).collect()))
        .collect()
}

/// The `--set` override that selects a profile.
fn profile_overrides(profile: Profile) -> Vec<String> {
    vec![format!("protocol.profile=\"{}\"", profile.name())]
}

/// The validation scenario for one profile and seed, checked.
pub fn scenario(
    profile: Profile,
    seed: u64,
    threads: Option<usize>,
) -> Result<(Scenario, SimConfig), ValidateError> {
    let mut sets = profile_overrides(profile);
    if let Some(t) = threads {
        sets.push(format!("threads={t}"));
    }
    sets.push(format!("seed={seed}"));
    Scenario::from_toml_str_with_overrides(SCENARIO, SCENARIO_FILE, &sets)
        .and_then(|s| {
            let cfg = s.to_config().map_err(|message| ScenarioError::Invalid {
                file: SCENARIO_FILE.to_string(),
                message,
            })?;
            Ok((s, cfg))
        })
        .map_err(|error| ValidateError::Scenario {
            profile: profile.name(),
            overrides: sets.join(" --set "),
            error,
        })
}

/// Runs the validation: every profile's scenario for every seed, then the comparisons. Nothing
/// is written.
pub fn run(opts: &ValidateOptions) -> Result<Vec<ProfileReport>, ValidateError> {
    run_with_progress(opts, &mut |_, _| {})
}

/// [`run`], calling `progress(profile, seed)` before each run starts.
pub fn run_with_progress(
    opts: &ValidateOptions,
    progress: &mut dyn FnMut(Profile, u64),
) -> Result<Vec<ProfileReport>, ValidateError> {
    opts.check()?;
    // Every reference and every run's scenario is read and checked before anything runs.
    let mut plans = Vec::new();
    for &profile in &opts.profiles {
        let reference = profile.reference()?;
        let configs = (1..=opts.seeds as u64)
            .map(|seed| scenario(profile, seed, opts.threads).map(|(_, cfg)| cfg))
            .collect::<Result<Vec<_>, _>>()?;
        plans.push((profile, reference, configs));
    }
    let mut reports = Vec::new();
    for (profile, reference, configs) in plans {
        let mut tables = Vec::new();
        for cfg in &configs {
            progress(profile, cfg.seed);
            let out = crate::sim::engine::run(cfg).map_err(|source| ValidateError::Sim {
                profile: profile.name(),
                seed: cfg.seed,
                source,
            })?;
            tables.push(discsim_table(&out.samples));
        }
        reports.push(compare_with_spread(
            profile,
            &reference,
            &mean_tables(&tables),
            &spread_tables(&tables),
            opts.seeds,
            opts.tolerance,
        )?);
    }
    Ok(reports)
}

mod render;

#[cfg(test)]
mod tests;
