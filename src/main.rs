//! The `discsim` command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use discsim::discv4::node::{Node, NodeId};
use discsim::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
use discsim::sim::clock::SimTime;
use discsim::Error;

type Result<T> = std::result::Result<T, Error>;

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

#[derive(Args)]
struct ScenarioArgs {
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

#[derive(Args)]
struct BenchArgs {
    /// Peers (2 of them bootnodes).
    #[arg(long, default_value_t = 1000)]
    peers: u32,
    /// Virtual hours to run.
    #[arg(long, default_value_t = 1.0)]
    hours: f64,
    /// Shard threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seed of every random stream.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Observer sampling interval in virtual seconds.
    #[arg(long, default_value_t = 300)]
    sample_secs: u64,
    /// Run even when the run needs more memory than the machine has available.
    #[arg(long)]
    force: bool,
    /// Receivers check every packet's hash, as geth does (the engine never alters a packet, so
    /// results are the same; it costs a keccak256 per packet).
    #[arg(long)]
    verify_hashes: bool,
    /// Every peer runs geth's dial scheduler (`protocol.dialer`), with its lookups and TCP
    /// connections.
    #[arg(long)]
    dialer: bool,
    #[command(flatten)]
    tuning: TuningArgs,
}

/// rusty-leveldb overrides for the node databases.
#[derive(Args)]
struct TuningArgs {
    /// rusty-leveldb write buffer per database (bytes); default: the node database's.
    #[arg(long)]
    write_buffer: Option<usize>,
    /// rusty-leveldb block cache per database (bytes); default: the node database's.
    #[arg(long)]
    block_cache: Option<usize>,
}

impl TuningArgs {
    /// The default node database configuration with these overrides.
    fn nodedb(&self) -> NodeDbConfig {
        let mut cfg = NodeDbConfig::default();
        if let Some(w) = self.write_buffer {
            cfg.tuning.write_buffer_size = w;
        }
        if let Some(c) = self.block_cache {
            cfg.tuning.block_cache_bytes = c;
        }
        cfg
    }
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
        Command::Run { scenario, out } => run_scenario(&scenario, out),
        Command::Check {
            scenario,
            baseline,
            allow_mismatch,
        } => check(&scenario, &baseline, allow_mismatch),
        Command::Sweep {
            scenario,
            out,
            jobs,
            shard,
        } => sweep(&scenario, out, jobs, shard.as_deref()),
        Command::Plot { dir } => plot(&dir),
        Command::Merge { dir } => merge(&dir),
        Command::Validate {
            profile,
            seeds,
            tolerance,
            threads,
            out,
        } => validate(&profile, seeds, tolerance, threads, out),
        Command::Scenarios { dir } => list_scenarios(&dir),
        Command::Demo { nodes, seed, dir } => demo(nodes, seed, dir),
        Command::Bench(args) => bench(&args),
        Command::BenchDb {
            dbs,
            records,
            tuning,
        } => {
            let cfg = tuning.nodedb();
            let m =
                discsim::experiment::benchmark::nodedb_memory(dbs as usize, records as usize, &cfg);
            println!(
                "{} in-memory databases x {} records ({:?}): {} bytes per database after an hour of updates, {:.2} us per write filling, {:.2} us per write in steady state",
                m.databases,
                m.records,
                cfg.tuning,
                m.bytes_per_db,
                m.put.as_secs_f64() * 1e6,
                m.steady_put.as_secs_f64() * 1e6
            );
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

fn merge(dir: &std::path::Path) -> Result<()> {
    let _lock = dir
        .is_dir()
        .then(|| discsim::experiment::results_dir::OutLock::acquire(dir))
        .transpose()?;
    let n = discsim::experiment::sweep_csv::merge_sweep(dir)?;
    println!("merged {n} runs into {}", dir.join("sweep.csv").display());
    Ok(())
}

fn demo(count: u32, seed: u64, dir: Option<PathBuf>) -> Result<()> {
    const DAY: u64 = 24 * 3600;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let storage = match &dir {
        Some(d) => Storage::disk(d),
        None => Storage::memory(),
    };
    let me = NodeId::random(&mut rng);
    let cfg = NodeDbConfig::default();
    let mut db = NodeDb::open(storage, me, cfg.clone()).map_err(|e| {
        Error::Failed(format!(
            "opening the node database{}: {e}",
            dir.as_ref()
                .map(|d| format!(" in {}", d.display()))
                .unwrap_or_default()
        ))
    })?;
    let now = SimTime::DEFAULT_EPOCH + Duration::from_secs(30 * DAY);
    if db.stats().recoveries > 0 {
        println!(
            "recovered a damaged database: {} records salvaged",
            db.stats().salvaged_records
        );
    }
    println!(
        "database holds {} records before the demo",
        db.record_count()
    );

    // Last pongs spread uniformly over the past three days; one record in ten never ponged.
    for i in 0..count {
        let id = NodeId::random(&mut rng);
        let ip = [10, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        db.update_node(&Node::new(ip.into(), 30303, 30303, id));
        if i % 10 != 0 {
            let age = rand::RngExt::random_range(&mut rng, 0..3 * DAY);
            db.update_last_pong(&id, now - Duration::from_secs(age));
        }
    }
    println!("wrote {count} records (pongs up to 3 days old, 10% never ponged)");

    // The table loads seeds, then starts the expirer; its first run is one cleanup cycle later.
    let seeds = db.query_seeds(30, Duration::from_secs(5 * DAY), now, &mut rng);
    println!("query_seeds(30, 5 days) chose {} seeds:", seeds.len());
    for s in &seeds {
        let age = now.saturating_since(db.last_pong(&s.id));
        println!(
            "  {:?} {:>15}  last pong {:>5.1} h ago",
            s.id,
            s.ip.to_string(),
            age.as_secs_f64() / 3600.0
        );
    }
    db.ensure_expirer(now);
    let first_run = db.next_expiry().expect("just started");
    let expired = db.poll_expirer(first_run);
    println!(
        "expirer ran at +{}s: {expired} records with no pong in {}h deleted, {} left",
        (first_run - now).as_secs(),
        cfg.node_expiration.as_secs() / 3600,
        db.record_count()
    );
    let after = db.query_seeds(30, Duration::from_secs(5 * DAY), first_run, &mut rng);
    println!(
        "after expiry, query_seeds(30, 5 days) chose {} seeds",
        after.len()
    );
    db.close();
    Ok(())
}

fn bench(args: &BenchArgs) -> Result<()> {
    use discsim::experiment::benchmark::{cpu_time, rss_bytes};
    use discsim::sim::engine::{run_with_progress, SimConfig};

    let BenchArgs {
        peers,
        hours,
        threads,
        seed,
        sample_secs,
        force,
        verify_hashes,
        dialer,
        ref tuning,
    } = *args;
    if !(hours > 0.0 && hours <= 10_000.0) {
        return Err(Error::BadInput(format!(
            "invalid --hours {hours}: a positive number of virtual hours, at most 10000"
        )));
    }
    let nodedb = tuning.nodedb();
    let mut cfg = SimConfig {
        seed,
        nodedb,
        peers,
        bootnodes: 2.min(peers),
        threads,
        duration: Duration::from_secs_f64(hours * 3600.0),
        sample_interval: Duration::from_secs(sample_secs.max(1)),
        probe_interval: Some(Duration::from_secs(60)),
        verify_packet_hashes: verify_hashes,
        ..SimConfig::default()
    };
    cfg.protocol.dialer = dialer;
    discsim::experiment::budget::check("bench", peers, cfg.duration, 1, force)?;
    // Refused before anything is printed (the header comes before the hourly lines).
    cfg.validate()?;
    let with_dialer = if dialer { ", dialer on" } else { "" };
    println!(
        "discsim bench: {peers} peers, {hours} virtual h, {threads} threads, seed {seed}{with_dialer}"
    );
    let started = discsim::experiment::benchmark::Stopwatch::start();
    let cpu_before = cpu_time();
    // Memory over time: RSS each time a sample crosses a virtual hour (samples fall on whole
    // hours with the default --sample-secs), printed as it happens so that growth shows in
    // long runs.
    let mut by_hour: Vec<(u64, u64)> = Vec::new();
    let mut progress = |elapsed: Duration| {
        let h = elapsed.as_secs() / 3600;
        if h > by_hour.last().map_or(0, |(last, _)| *last) {
            let rss = rss_bytes().unwrap_or(0);
            let cpu = match (cpu_before, cpu_time()) {
                (Some(a), Some(b)) => format!("{:.1} s", b.saturating_sub(a).as_secs_f64()),
                _ => "unknown".into(),
            };
            println!(
                "  at {h:>3} virtual h  RSS {:>9.1} MiB  ({:.0} KB per peer), wall {:.1} s, CPU {cpu}",
                rss as f64 / 1048576.0,
                rss as f64 / 1024.0 / peers as f64,
                started.elapsed().as_secs_f64(),
            );
            by_hour.push((h, rss));
        }
    };
    let out = run_with_progress(&cfg, &mut progress)?;
    let wall = started.elapsed().as_secs_f64();
    // Measured only, never fed back: the run is over before the clocks are read.
    let cpu = match (cpu_before, cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    print_bench(&out, peers, hours, wall, cpu, &by_hour, dialer);
    Ok(())
}

/// The figures `bench` prints after the run: time, CPU per packet, traffic, memory (peak and by
/// virtual hour) and what the run reached.
fn print_bench(
    out: &discsim::SimOutput,
    peers: u32,
    hours: f64,
    wall: f64,
    cpu: Option<f64>,
    by_hour: &[(u64, u64)],
    dialer: bool,
) {
    let c = &out.counters;
    let events = out.slot_stats.inputs + out.slot_stats.timer_wakes;
    let last = out.samples.last();
    println!("  wall time        {wall:>12.2} s");
    match cpu {
        Some(cpu) => {
            let peer_hours = peers as f64 * hours;
            println!("  CPU time         {cpu:>12.2} s  (user + system, all threads)");
            println!(
                "  CPU per packet   {:>12.2} us  ({:.0} us per peer-hour)",
                cpu * 1e6 / c.packets_sent.max(1) as f64,
                cpu * 1e6 / peer_hours
            );
        }
        None => println!("  CPU time                  unknown"),
    }
    println!(
        "  events           {events:>12}  ({:.0}/s: packets delivered, actions, timer wake-ups)",
        events as f64 / wall
    );
    println!(
        "  packets sent     {:>12}  ({:.0}/s, {:.1} MB)",
        c.packets_sent,
        c.packets_sent as f64 / wall,
        c.bytes_sent as f64 / 1e6
    );
    println!(
        "  actor messages   {:>12}  ({:.0}/s), {} windows",
        c.slot_runs,
        c.slot_runs as f64 / wall,
        c.windows
    );
    print_memory(peers, by_hour);
    match out.convergence {
        Some(t) => println!("  converged at     {t:>12.0} s virtual"),
        None => println!("  converged at              never"),
    }
    if let Some(s) = last {
        println!(
            "  final sample     recall {:.3}, table {:.1}, dead entries {:.3}, DB records {:.1}",
            s.mean_recall, s.mean_table_size, s.dead_entry_share, s.mean_db_records
        );
    }
    let ok = out.probes.iter().filter(|p| p.success).count();
    println!(
        "  probes           {ok}/{} found the closest live node",
        out.probes.len()
    );
    if dialer {
        let t = &out.totals;
        let peers: Vec<usize> = out
            .final_snapshots
            .iter()
            .filter_map(|s| s.dial.as_ref().map(|d| d.dyn_peers + d.inbound_peers))
            .collect();
        println!(
            "  dialer           {} lookups, {} dials ({} failed), {:.1} peers per node at the end",
            t.dialer_lookups,
            t.dials,
            t.dials_failed,
            peers.iter().sum::<usize>() as f64 / peers.len().max(1) as f64
        );
    }
}

/// Peak RSS, and RSS at every virtual hour with the growth from the first to the last.
fn print_memory(peers: u32, by_hour: &[(u64, u64)]) {
    use discsim::experiment::benchmark::peak_rss_bytes;

    let peak = peak_rss_bytes().unwrap_or(0);
    println!(
        "  peak RSS         {:>12.1} MiB  ({:.0} KB per peer)",
        peak as f64 / 1048576.0,
        peak as f64 / 1024.0 / peers as f64
    );
    if !by_hour.is_empty() {
        let line: Vec<String> = by_hour
            .iter()
            .map(|(h, rss)| format!("{h}h {:.0}", *rss as f64 / 1048576.0))
            .collect();
        println!("  RSS by hour (MiB) {}", line.join(", "));
        if let (Some((h0, first)), Some((h, last))) = (by_hour.first(), by_hour.last()) {
            if h > h0 {
                println!(
                    "  memory growth    {:>12.2}x  from {h0} h to {h} h",
                    *last as f64 / (*first).max(1) as f64
                );
            }
        }
    }
}

fn run_scenario(args: &ScenarioArgs, out: Option<PathBuf>) -> Result<()> {
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
            discsim::sim::engine::run_with_progress(&cfg, &mut |t| bar.set_position(t.as_secs()))?;
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

/// `discsim plot`: one writer at a time in a folder, as for a run.
fn plot(dir: &std::path::Path) -> Result<()> {
    let _lock = dir
        .is_dir()
        .then(|| discsim::experiment::results_dir::OutLock::acquire(dir))
        .transpose()?;
    plot_locked(dir)
}

/// Redraws the charts of a folder this process holds the lock of.
fn plot_locked(dir: &std::path::Path) -> Result<()> {
    let files = {
        // A signal waits for the charts, and the temporary folder goes on every error.
        let _writing = discsim::experiment::results_dir::write_guard();
        let _temp = discsim::experiment::results_dir::TempPath::new(dir.join(".tmp-charts"));
        discsim::experiment::plot::plot_dir(dir)?
    };
    let charts: std::collections::BTreeSet<_> = files
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    println!(
        "{} charts in {} (SVG and PNG): {}",
        charts.len(),
        dir.join("charts").display(),
        charts.into_iter().collect::<Vec<_>>().join(", ")
    );
    Ok(())
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

fn check(args: &ScenarioArgs, baseline: &std::path::Path, allow_mismatch: bool) -> Result<()> {
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

fn validate(
    profile: &str,
    seeds: u32,
    tolerance: f64,
    threads: Option<usize>,
    out: Option<PathBuf>,
) -> Result<()> {
    use discsim::experiment::validate::{parse_profiles, run_with_progress, ValidateOptions};

    let opts = ValidateOptions {
        profiles: parse_profiles(profile)?,
        seeds,
        tolerance,
        threads,
    };
    opts.check()?;
    let _lock = match &out {
        Some(out) => {
            let lock = discsim::experiment::results_dir::OutLock::acquire(out)?;
            discsim::experiment::report::check_writable(out)?;
            Some(lock)
        }
        None => None,
    };
    let started = discsim::experiment::benchmark::Stopwatch::start();
    let reports = run_with_progress(&opts, &mut |p, seed| {
        eprintln!("running {} seed {seed} of {seeds}", p.name())
    })?;
    eprintln!("wall time {:.1} s", started.elapsed().as_secs_f64());
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", r.render_table());
        if let Some(out) = &out {
            println!("comparison in {}", r.write_csv(out)?.display());
        }
    }
    println!();
    for r in &reports {
        println!("{}", r.verdict());
    }
    let beyond: usize = reports.iter().map(|r| r.failures().len()).sum();
    if beyond > 0 {
        return Err(Error::Finding(format!(
            "{beyond} figure(s) beyond the tolerance of real geth"
        )));
    }
    Ok(())
}

fn list_scenarios(dir: &std::path::Path) -> Result<()> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        Error::BadInput(format!(
            "cannot list {}: {e}; give the folder of scenario files with --dir",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let width = files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    for f in files {
        match discsim::experiment::scenario::Scenario::load(&f, &[]) {
            Ok(s) => println!("{:<width$} {}", f.display(), s.question),
            Err(e) => println!("{:<width$} (invalid: {e})", f.display()),
        }
    }
    Ok(())
}

fn sweep(
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
