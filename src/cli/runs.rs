//! The commands that run scenarios: `run`, `sweep` and `check`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use discsim::Error;

use super::results::plot_locked;
use super::Result;

#[derive(Args)]
pub(crate) struct ScenarioArgs {
    /// The scenario (TOML; see scenarios/README.md).
    scenario: PathBuf,
    /// Seed of every random stream (same as --set seed=N).
    #[arg(long)]
    seed: Option<u64>,
    /// Shard threads (same as --set threads=N); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Override any key of the scenario, e.g. --set network.loss=0.01 --set duration=2h.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// Run even when the run needs more memory than the machine has available, or more events
    /// than a few days of wall time.
    #[arg(long)]
    force: bool,
}

impl ScenarioArgs {
    /// The scenario with every override applied, checked.
    fn load(&self) -> Result<discsim::experiment::scenario::Scenario> {
        use discsim::experiment::scenario::MAX_SEED;
        if let Some(seed) = self.seed.filter(|s| *s > MAX_SEED) {
            return Err(Error::BadInput(format!(
                "invalid --seed {seed}: at most {MAX_SEED} (scenario files are TOML, whose integers are 64-bit signed)"
            )));
        }
        let mut set = self.set.clone();
        if let Some(s) = self.seed {
            set.push(format!("seed={s}"));
        }
        if let Some(t) = self.threads {
            set.push(format!("threads={t}"));
        }
        let s = discsim::experiment::scenario::Scenario::load(&self.scenario, &set)?;
        for w in s.warnings() {
            eprintln!("warning: {}: {w}", self.scenario.display());
        }
        Ok(s)
    }

    /// Refuses runs too large for this machine (unless --force).
    fn budget(
        &self,
        s: &discsim::experiment::scenario::Scenario,
        runs_at_once: usize,
    ) -> Result<()> {
        discsim::experiment::budget::check(
            &self.scenario.display().to_string(),
            s.peers,
            s.duration,
            runs_at_once,
            self.force,
        )
    }

    /// One run of the scenario: the command line's overrides and thread count, then `extra`
    /// (a sweep variant's overrides), with this seed.
    fn load_run(
        &self,
        extra: &[String],
        seed: u64,
    ) -> Result<discsim::experiment::scenario::Scenario> {
        let mut set = self.set.clone();
        if let Some(t) = self.threads {
            set.push(format!("threads={t}"));
        }
        set.extend(extra.iter().cloned());
        set.push(format!("seed={seed}"));
        Ok(discsim::experiment::scenario::Scenario::load(
            &self.scenario,
            &set,
        )?)
    }
}

pub(crate) fn run_scenario(args: &ScenarioArgs, out: Option<PathBuf>) -> Result<()> {
    use discsim::experiment::report::{
        check_same_configuration, check_writable, write_run, Summary, Timing,
    };
    use discsim::experiment::results_dir::OutLock;

    let base = args.load()?;
    // Every replicate is read and checked before anything runs.
    let mut runs = Vec::new();
    for r in 0..base.replicates.max(1) as u64 {
        runs.push(args.load_run(&[], base.seed + r)?);
    }
    args.budget(&base, 1)?;
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(&base.name));
    let _lock = OutLock::acquire(&out)?;
    check_same_configuration(&out, &runs[0])?;
    check_writable(&out)?;
    for scenario in &runs {
        let cfg = scenario.to_config().expect("checked by load");
        eprintln!(
            "running {} ({} peers, {} virtual, seed {}, {} threads)",
            scenario.name,
            cfg.peers,
            humantime::format_duration(cfg.duration),
            cfg.seed,
            cfg.threads
        );
        let bar = progress_bar(cfg.duration);
        let started = discsim::experiment::benchmark::Stopwatch::start();
        let result =
            discsim::sim::engine::run_with_progress(&cfg, &mut |s| bar.set_position(s.t as u64))?;
        bar.finish_and_clear();
        let wall = started.elapsed();
        let timing = Timing::new(wall, cfg.threads, &result);
        let dir = write_run(
            &out,
            &format!("seed-{}", cfg.seed),
            scenario,
            &result,
            Some(&timing),
        )?;
        print_summary(&Summary::new(scenario, &result));
        println!("{:<28} {}", "results", dir.display());
        eprintln!(
            "wall time {:.1} s ({:.0} events/s, {:.0} packets/s)",
            timing.wall_seconds, timing.events_per_second, timing.packets_per_second
        );
    }
    plot_locked(&out)
}

/// A bar over virtual seconds on stderr; hidden when stderr is not a terminal.
fn progress_bar(duration: Duration) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(duration.as_secs().max(1));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} virtual s, {elapsed} elapsed, about {eta} left",
        )
        .expect("a valid template"),
    );
    bar
}

fn print_summary(s: &discsim::experiment::report::Summary) {
    println!("{:<28} {}", "scenario", s.scenario);
    println!("{:<28} {}", "seed", s.seed);
    println!("{:<28} {}", "peers", s.peers);
    println!(
        "{:<28} {}",
        "converged at (virtual s)",
        s.convergence_seconds
            .map_or("never".to_string(), |c| format!("{c:.0}"))
    );
    println!("{:<28} {:.3}", "final mean recall", s.final_mean_recall);
    println!(
        "{:<28} {:.1}",
        "final mean table size", s.final_mean_table_size
    );
    println!(
        "{:<28} {:.3}",
        "final dead-entry share", s.final_dead_entry_share
    );
    println!(
        "{:<28} {:.1}",
        "final mean DB records", s.final_mean_db_records
    );
    println!(
        "{:<28} {:.3} of {}",
        "probe success", s.probe_success_share, s.probes
    );
    println!("{:<28} {}", "packets sent", s.packets_sent);
}

pub(crate) fn check(
    args: &ScenarioArgs,
    baseline: &std::path::Path,
    allow_mismatch: bool,
) -> Result<()> {
    use discsim::experiment::baseline::{compare, read_baseline, Tolerances};
    use discsim::experiment::report::Summary;

    let file = baseline.display().to_string();
    let base = read_baseline(baseline)?;
    let scenario = args.load()?;
    args.budget(&scenario, 1)?;
    let cfg = scenario.to_config().expect("checked by load");
    // What the run will be, before it runs: its summary's identity.
    let planned = Summary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        peers: scenario.peers,
        virtual_seconds: scenario.duration.as_secs_f64(),
        ..base.clone()
    };
    let differs = base.mismatch(&planned);
    if !differs.is_empty() {
        let what = format!(
            "{file} is a run of another configuration than this check ({}, baseline first)",
            differs.join(", ")
        );
        if !allow_mismatch {
            return Err(Error::BadInput(format!(
                "{what}: its figures are not comparable; pass --allow-mismatch to compare anyway"
            )));
        }
        eprintln!("warning: {what}; compared anyway (--allow-mismatch)");
    }
    let result = discsim::sim::engine::run(&cfg)?;
    let now = Summary::new(&scenario, &result);
    print_summary(&now);
    let regressions = compare(&base, &now, &Tolerances::default());
    if regressions.is_empty() {
        println!("check passed: every key figure is within its tolerance of {file}");
        return Ok(());
    }
    // A time that was never reached compares as infinite; say so in words.
    let shown = |v: f64| {
        if v.is_infinite() {
            "never".to_string()
        } else {
            v.to_string()
        }
    };
    for r in &regressions {
        println!(
            "REGRESSION {}: baseline {} now {} (tolerance {})",
            r.figure,
            shown(r.baseline),
            shown(r.now),
            r.tolerance
        );
    }
    Err(Error::Finding(format!(
        "{} key figure(s) moved beyond tolerance",
        regressions.len()
    )))
}

pub(crate) fn sweep(
    args: &ScenarioArgs,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    shard: Option<&str>,
) -> Result<()> {
    use discsim::experiment::report::{check_same_configuration, check_writable};
    use discsim::experiment::results_dir::OutLock;
    use discsim::experiment::sweep::{
        by_variant, render_table, run_sweep, PlanStamp, PlannedRun, SweepSlice,
    };
    use discsim::experiment::sweep_csv::stale_variants;

    let slice: SweepSlice = shard.map_or(Ok(SweepSlice::WHOLE), str::parse)?;
    let base = args.load()?;
    // Every run's scenario is read and checked before anything runs or is written.
    let mut runs = Vec::new();
    for run in base
        .sweep_plan()
        .into_iter()
        .filter(|r| slice.includes(r.run))
    {
        let mut scenario = args.load_run(&run.sets, run.seed).map_err(|e| {
            // Name the variant: its overrides are not the user's --set.
            Error::BadInput(format!("sweep variant {}: {e}", run.sets.join(" ")))
        })?;
        scenario.sweep.clear();
        scenario.replicates = 1;
        runs.push(PlannedRun { run, scenario });
    }
    if runs.is_empty() {
        eprintln!(
            "warning: slice {slice} of a plan of {} runs has no run; it writes a {} without rows (merge still needs it)",
            base.sweep_plan().len(),
            slice.file_name()
        );
    }
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    if let Some(biggest) = runs
        .iter()
        .map(|r| &r.scenario)
        .max_by_key(|s| discsim::experiment::budget::run_bytes(s.peers, s.duration))
    {
        args.budget(biggest, jobs.min(runs.len()))?;
    }
    let out = out.unwrap_or_else(|| PathBuf::from("results").join(&base.name));
    let _lock = OutLock::acquire(&out)?;
    let mut checked: Vec<&str> = Vec::new();
    for r in &runs {
        if !checked.contains(&r.run.variant.as_str()) {
            checked.push(&r.run.variant);
            check_same_configuration(&out.join(&r.run.variant), &r.scenario)?;
        }
    }
    check_writable(&out)?;
    let plan = base.sweep_plan();
    let variants: Vec<&str> = plan.iter().map(|r| r.variant.as_str()).collect();
    let stale = stale_variants(&out, &variants);
    if !stale.is_empty() {
        eprintln!(
            "warning: {} holds variant folders this sweep's grid does not have: {}. sweep.csv lists only this grid; delete them, or sweep into another --out",
            out.display(),
            stale.join(", ")
        );
    }
    eprintln!("sweep {}: {} runs, {jobs} at once", base.name, runs.len());
    let stamp = PlanStamp::of(&base, &plan);
    let summaries = run_sweep(&runs, &out, jobs, slice, &stamp, &|r| {
        eprintln!("  done {} seed {}", r.variant, r.seed)
    })?;
    print!("{}", render_table(&by_variant(&runs, &summaries)));
    println!("results in {}", out.join(slice.file_name()).display());
    if slice == SweepSlice::WHOLE {
        plot_locked(&out)?;
    }
    Ok(())
}
