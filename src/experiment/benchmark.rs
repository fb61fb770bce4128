//! Measurements for the `bench` commands: memory from the operating system, time from the wall
//! clock. This is the one module allowed to read the wall clock: it measures the simulator, it
//! never feeds the simulation.

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::discv4::node::{Node, NodeId};
use crate::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
use crate::sim::clock::SimTime;

/// Wall time of the simulator's own work, for `timing.json` and the `bench` figures. This is the
/// crate's one reader of the wall clock (the determinism lints in `clippy.toml` refuse any other):
/// it measures the simulator and never feeds the simulation.
///
/// ```
/// use discsim::experiment::benchmark::Stopwatch;
/// let watch = Stopwatch::start();
/// assert!(watch.elapsed() < std::time::Duration::from_secs(3600));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts measuring now.
    #[allow(clippy::disallowed_methods)] // the one allowed wall clock, see the type's doc
    pub fn start() -> Self {
        Stopwatch(Instant::now())
    }

    /// Wall time since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// Resident set size of this process in bytes (Linux `/proc/self/statm`), if known.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) this process has used so far, all threads included (live and
/// finished), from Linux `/proc/self/stat` (the figures `getrusage(RUSAGE_SELF)` reports, read
/// without unsafe code), if known. Its resolution is the kernel's clock tick (10 ms).
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ, the unit of these fields, is 100 on every Linux ABI (sysconf(_SC_CLK_TCK)).
    Some(Duration::from_millis(ticks * 10))
}

/// What [`nodedb_memory`] measured.
#[derive(Debug, Clone)]
pub struct DbMemory {
    /// In-memory node databases open at once, as `nodedb_memory` was asked.
    pub databases: usize,
    /// Node records written into each (each with its last ping and two last pongs).
    pub records: usize,
    /// Resident bytes per database, all in (memtable, in-memory files, caches, allocator slack).
    pub bytes_per_db: u64,
    /// Wall time per write while filling.
    pub put: Duration,
    /// Wall time per write in steady state (after an hour of a peer's updates).
    pub steady_put: Duration,
}

/// Opens `databases` in-memory node databases and writes `records` nodes into each, as a peer
/// does over its life (record, last ping, last pong, then a second pong), and reports the memory
/// they hold.
pub fn nodedb_memory(databases: usize, records: usize, cfg: &NodeDbConfig) -> DbMemory {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let before = rss_bytes().unwrap_or(0);
    let now = SimTime::DEFAULT_EPOCH;
    let started = Stopwatch::start();
    let mut dbs = Vec::with_capacity(databases);
    let mut writes = 0u64;
    let mut ids = Vec::with_capacity(databases * records);
    for _ in 0..databases {
        let mut db = NodeDb::open(Storage::memory(), NodeId::random(&mut rng), cfg.clone())
            .expect("in-memory open");
        for i in 0..records {
            let n = Node::new(
                [10, 0, (i >> 8) as u8, i as u8].into(),
                30303,
                30303,
                NodeId::random(&mut rng),
            );
            ids.push(n.id);
            db.update_node(&n);
            db.update_last_ping(&n.id, now);
            db.update_last_pong(&n.id, now);
            db.update_last_pong(&n.id, now + Duration::from_secs(60));
            writes += 4;
        }
        db.flush();
        dbs.push(db);
    }
    let put = started.elapsed() / writes.max(1) as u32;
    // Steady state: what a peer does for an hour, a last-pong and a last-ping update per
    // revalidation, round robin over the databases so that caches are as cold as in a run, with
    // a flush every 900 updates (30 minutes of them) as the default write-behind does.
    let steady_writes = 1500u64;
    let started = Stopwatch::start();
    for round in 0..steady_writes {
        if round % 900 == 899 {
            dbs.iter_mut().for_each(NodeDb::flush);
        }
        let t = now + Duration::from_secs(120 + round * 2);
        for (d, db) in dbs.iter_mut().enumerate() {
            let i = (round as usize * 7 + d) % records.max(1);
            let id = ids[d * records + i];
            if round % 2 == 0 {
                db.update_last_pong(&id, t);
            } else {
                db.update_last_ping(&id, t);
            }
        }
    }
    dbs.iter_mut().for_each(NodeDb::flush);
    let steady = started.elapsed() / (steady_writes * databases as u64).max(1) as u32;
    let after = rss_bytes().unwrap_or(0);
    let bytes_per_db = after.saturating_sub(before) / databases.max(1) as u64;
    drop(dbs);
    DbMemory {
        databases,
        records,
        bytes_per_db,
        put,
        steady_put: steady,
    }
}
