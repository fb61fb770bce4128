//! The `discsim` command line.

mod cli;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use cli::bench::{self, BenchArgs, TuningArgs};
use cli::results;
use cli::runs::{self, ScenarioArgs};

#[derive(Parser)]
#[command(
    name = "discsim",
    version,
    about = "Deterministic simulation of Ethereum discv4 node discovery"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file; results go to results/<scenario>/seed-<seed>/.
    Run {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Results folder (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run every variant of the scenario's [sweep] grid times its replicates, in parallel; each
    /// run goes to <out>/<variant>/seed-<seed>/, and sweep.csv lists their key figures.
    Sweep {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// Results folder (default: results/<scenario name>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Runs at once (default: the number of cores); each run also uses its scenario's
        /// `threads` shard threads, so `--jobs` x `threads` threads are busy.
        #[arg(long)]
        jobs: Option<usize>,
        /// Only the runs i, i+N, i+2N, ... of the plan ("I/N", counted from 0), for running
        /// slices on several machines.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
    },
    /// Redraw the charts (SVG and PNG, into <dir>/charts/) from the CSVs of a run, of a
    /// scenario's replicates, or of a sweep.
    Plot {
        /// A results folder: results/<scenario>, a variant of a sweep, or one seed-N run.
        dir: PathBuf,
    },
    /// Combine the slices sweep-I-of-N.csv of a sharded sweep (copied into one folder) into
    /// sweep.csv, in plan order: the file one unsharded sweep would have written.
    Merge {
        /// The sweep's results folder, holding every slice.
        dir: PathBuf,
    },
    /// Run a scenario and compare its key figures with a baseline summary.json; exits 1 when a
    /// figure moved beyond its tolerance (the regression-testing workflow).
    Check {
        #[command(flatten)]
        scenario: ScenarioArgs,
        /// A summary.json from an earlier run.
        #[arg(long)]
        baseline: PathBuf,
        /// Compare even when the baseline is of another scenario, peer count, seed or length.
        #[arg(long)]
        allow_mismatch: bool,
    },
    /// Compare discsim with figures measured by running real geth (2018 and 2019): run
    /// scenarios/validate-ramp-400.toml per profile for several seeds and compare the per-minute
    /// means with the reference; exits 1 when a figure is beyond the tolerance.
    Validate {
        /// geth-2018, geth-2019 or all.
        #[arg(long, default_value = "all")]
        profile: String,
        /// Seeds 1..=N per profile; discsim's figures are their means.
        #[arg(long, default_value_t = 5)]
        seeds: u32,
        /// Largest relative difference allowed, in (0, 1].
        #[arg(long, default_value_t = 0.15)]
        tolerance: f64,
        /// Shard threads per run (default: the scenario's 2); results do not depend on it.
        #[arg(long)]
        threads: Option<usize>,
        /// Write the comparison as validation-<profile>.csv into this folder (default: nothing
        /// is written).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the shipped scenarios and the question each answers.
    Scenarios {
        /// The folder to list.
        #[arg(long, default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Fill a node database, expire the stale records and choose bootstrap seeds, as geth does.
    Demo {
        /// Records to write.
        #[arg(long, default_value_t = 1000)]
        nodes: u32,
        /// Seed of every random choice.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the database in this directory instead of in memory.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Benchmark the engine: N peers bootstrap from 2 bootnodes and run for H virtual hours.
    Bench(BenchArgs),
    /// Measure the memory and write time of many in-memory node databases.
    BenchDb {
        /// Databases to hold at once (1 to 1,000,000).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        dbs: u64,
        /// Node records per database (1 to 100,000).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        records: u64,
        #[command(flatten)]
        tuning: TuningArgs,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    if let Err(e) = discsim::experiment::results_dir::install_signal_cleanup() {
        tracing::warn!("cannot catch SIGINT and SIGTERM ({e}): an interrupted run may leave temporary files, which the next run into the folder removes");
    }
    let result = match cli.command {
        Command::Run { scenario, out } => runs::run_scenario(&scenario, out),
        Command::Check {
            scenario,
            baseline,
            allow_mismatch,
        } => runs::check(&scenario, &baseline, allow_mismatch),
        Command::Sweep {
            scenario,
            out,
            jobs,
            shard,
        } => runs::sweep(&scenario, out, jobs, shard.as_deref()),
        Command::Plot { dir } => results::plot(&dir),
        Command::Merge { dir } => results::merge(&dir),
        Command::Validate {
            profile,
            seeds,
            tolerance,
            threads,
            out,
        } => results::validate(&profile, seeds, tolerance, threads, out),
        Command::Scenarios { dir } => results::list_scenarios(&dir),
        Command::Demo { nodes, seed, dir } => bench::demo(nodes, seed, dir),
        Command::Bench(args) => bench::bench(&args),
        Command::BenchDb {
            dbs,
            records,
            tuning,
        } => {
            bench::bench_db(dbs, records, &tuning);
            Ok(())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
