//! The commands that measure: `bench`, `bench-db` and the node database `demo`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use discsim::discv4::node::{Node, NodeId};
use discsim::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
use discsim::sim::clock::SimTime;
use discsim::Error;

use super::Result;

#[derive(Args)]
pub(crate) struct BenchArgs {
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
pub(crate) struct TuningArgs {
    /// rusty-leveldb write buffer per database (bytes); default: the node database's.
    #[arg(long)]
    write_buffer: Option<usize>,
    /// rusty-leveldb block cache per database (bytes); default: the node database's.
    #[arg(long)]
    block_cache: Option<usize>,
    /// How long database writes wait to go to rusty-leveldb as one batch (e.g. 10m, 0s);
    /// default: the node database's.
    #[arg(long, value_parser = humantime::parse_duration)]
    write_behind: Option<Duration>,
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
        if let Some(d) = self.write_behind {
            cfg.write_behind = d;
        }
        cfg
    }
}

pub(crate) fn demo(count: u32, seed: u64, dir: Option<PathBuf>) -> Result<()> {
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

pub(crate) fn bench(args: &BenchArgs) -> Result<()> {
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
    // long runs, beside what it grows with: the nodes each peer's database knows.
    let mut by_hour: Vec<HourMemory> = Vec::new();
    let mut progress = |s: &discsim::observe::metrics::Sample| {
        let h = s.t as u64 / 3600;
        if h > by_hour.last().map_or(0, |m| m.hour) {
            let rss = rss_bytes().unwrap_or(0);
            let cpu = match (cpu_before, cpu_time()) {
                (Some(a), Some(b)) => format!("{:.1} s", b.saturating_sub(a).as_secs_f64()),
                _ => "unknown".into(),
            };
            println!(
                "  at {h:>3} virtual h  RSS {:>9.1} MiB  ({:.0} KB per peer), DB {:.0} nodes per peer, wall {:.1} s, CPU {cpu}",
                rss as f64 / 1048576.0,
                rss as f64 / 1024.0 / peers as f64,
                s.mean_db_nodes,
                started.elapsed().as_secs_f64(),
            );
            by_hour.push(HourMemory {
                hour: h,
                rss,
                db_nodes: s.mean_db_nodes,
            });
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

/// Memory at a virtual hour of a `bench` run.
struct HourMemory {
    hour: u64,
    rss: u64,
    /// Mean nodes a live peer's database knows anything about.
    db_nodes: f64,
}

/// The figures `bench` prints after the run: time, CPU per packet, traffic, memory (peak and by
/// virtual hour) and what the run reached.
fn print_bench(
    out: &discsim::SimOutput,
    peers: u32,
    hours: f64,
    wall: f64,
    cpu: Option<f64>,
    by_hour: &[HourMemory],
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

/// Peak RSS, and RSS at every virtual hour with the growth from the first to the last, and what
/// each further node a database knows costs.
fn print_memory(peers: u32, by_hour: &[HourMemory]) {
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
            .map(|m| format!("{}h {:.0}", m.hour, m.rss as f64 / 1048576.0))
            .collect();
        println!("  RSS by hour (MiB) {}", line.join(", "));
        let line: Vec<String> = by_hour
            .iter()
            .map(|m| format!("{}h {:.0}", m.hour, m.db_nodes))
            .collect();
        println!("  DB nodes by hour {}", line.join(", "));
        if let (Some(first), Some(last)) = (by_hour.first(), by_hour.last()) {
            if last.hour > first.hour {
                println!(
                    "  memory growth    {:>12.2}x  from {} h to {} h",
                    last.rss as f64 / first.rss.max(1) as f64,
                    first.hour,
                    last.hour
                );
                // The marginal cost of a node met: RSS added per node added to the databases.
                let nodes = (last.db_nodes - first.db_nodes) * peers as f64;
                if nodes >= 1.0 {
                    println!(
                        "  per node met     {:>12.0} B   (RSS added per node the databases added, {} h to {} h)",
                        (last.rss as f64 - first.rss as f64) / nodes,
                        first.hour,
                        last.hour
                    );
                }
            }
        }
    }
}

/// `discsim bench-db`: the memory and write time of many in-memory node databases.
pub(crate) fn bench_db(dbs: u64, records: u64, tuning: &TuningArgs) {
    let cfg = tuning.nodedb();
    let m = discsim::experiment::benchmark::nodedb_memory(dbs as usize, records as usize, &cfg);
    println!(
        "{} in-memory databases x {} records ({:?}): {} bytes per database after an hour of updates, {:.2} us per write filling, {:.2} us per write in steady state",
        m.databases,
        m.records,
        cfg.tuning,
        m.bytes_per_db,
        m.put.as_secs_f64() * 1e6,
        m.steady_put.as_secs_f64() * 1e6
    );
}
