//! The per-peer node database, faithful to geth's `p2p/discover/database.go` (2018).
//!
//! A [`NodeDb`] is a rusty-leveldb database with geth's key layout (see `keys.rs`): node records,
//! the times of the last ping and pong, and FINDNODE failure counts, all in Unix seconds. It is a
//! plain state machine: every operation that depends on time takes `now` as an argument, and the
//! periodic expirer is polled by whoever owns the virtual clock ([`NodeDb::next_expiry`],
//! [`NodeDb::poll_expirer`]).
//!
//! Two deliberate departures from geth, both for the sake of experiments:
//! - geth skips the version check for in-memory databases (they never outlive the process). A
//!   simulated peer's in-memory database *does* outlive a restart, and versioning experiments
//!   depend on the check, so [`NodeDb::open`] runs it for every storage.
//! - geth's `RecoverFile` repairs a corrupted directory in place; rusty-leveldb has no repair, so
//!   [`NodeDb::open`] salvages every readable record into a fresh database (see `salvage.rs`).
//!
//! ```
//! use discsim::sim::clock::SimTime;
//! use discsim::discv4::node::{Node, NodeId};
//! use discsim::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
//! use std::time::Duration;
//!
//! let now = SimTime::DEFAULT_EPOCH;
//! let mut db = NodeDb::open(Storage::memory(), NodeId([0; 64]), NodeDbConfig::default()).unwrap();
//! let peer = Node::new("10.0.0.2".parse().unwrap(), 30303, 30303, NodeId([2; 64]));
//! db.update_node(&peer);
//! db.update_last_pong(&peer.id, now);
//! assert_eq!(db.node(&peer.id), Some(peer));
//! assert_eq!(db.record_count(), 1);
//! // A day later the record has expired.
//! assert_eq!(db.expire_nodes(now + Duration::from_secs(24 * 3600)), 1);
//! assert_eq!(db.node(&peer.id), None);
//! ```

mod config;
mod keys;
mod salvage;
mod storage;
mod write;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use rand::Rng;
use rusty_leveldb::{LdbIterator, Status, StatusCode, DB};
use tracing::{debug, warn};

use crate::discv4::intern::{HandleMap, IdHandle};
use crate::discv4::node::{Node, NodeId};
use crate::sim::clock::SimTime;
pub use config::{NodeDbConfig, NodeDbConfigError, DEFAULT_VERSION};
pub use storage::{DbTuning, Storage};

use keys::{
    decode_int, encode_int, make_key, split_key, DISCOVER_FIND_FAILS, DISCOVER_PING, DISCOVER_PONG,
    DISCOVER_ROOT, VERSION_KEY,
};

/// Things that happened to a database that a researcher may want to count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeDbStats {
    /// Opens that found the database unreadable and rebuilt it from what could be salvaged.
    pub recoveries: u64,
    /// Node records carried into a rebuilt database.
    pub salvaged_records: u64,
    /// Log records, table blocks or files that could not be read during recoveries.
    pub damaged_parts: u64,
    /// Opens that found another version and flushed the database.
    pub version_flushes: u64,
    /// Node records that failed to decode when read.
    pub bad_records: u64,
    /// Expirer runs.
    pub expiry_runs: u64,
    /// Node records deleted by the expirer.
    pub expired_nodes: u64,
    /// Writes or deletes that rusty-leveldb refused.
    pub write_errors: u64,
    /// `update_node` calls that found the same record already stored and wrote nothing.
    pub unchanged_writes: u64,
    /// Puts handed to rusty-leveldb: one per direct write, one per key in a flushed batch.
    pub db_writes: u64,
    /// Calls into rusty-leveldb that carried those puts: one per direct write or flush, so
    /// `db_writes / db_batches` is how much write-behind coalesced.
    pub db_batches: u64,
}

/// Errors that leave no usable database.
#[derive(Debug, thiserror::Error)]
pub enum NodeDbError {
    /// rusty-leveldb could not open or create the database even after recovery
    /// (for example, another handle holds its lock).
    #[error("cannot open node database at {path}: {status}")]
    Open {
        /// The database directory.
        path: String,
        /// The status rusty-leveldb returned (from the open, or a write while rebuilding).
        status: Status,
    },
    /// The directory could not be removed or read.
    #[error("node database at {path}: {source}")]
    Io {
        /// The database directory.
        path: String,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
}

/// A peer's database of known nodes.
pub struct NodeDb {
    db: DB,
    storage: Storage,
    self_id: NodeId,
    cfg: NodeDbConfig,
    next_expiry: Option<SimTime>,
    stats: NodeDbStats,
    /// A write-through mirror of every node's fields. Every read of a time or a counter is
    /// served from it: rusty-leveldb reads are slow, and they trigger seek compactions that
    /// would otherwise dominate a simulation. It also keeps the endpoint each node record encodes,
    /// which gives the record count in O(1) and lets `update_node` recognise an unchanged record
    /// without encoding it. Keyed by interned IDs (a peer's database holds a good share of the
    /// network's IDs, and the records in rusty-leveldb hold them already). Only looked up
    /// (`record_ids` sorts), so its order cannot reach results.
    known: HandleMap<Known>,
    records: usize,
    /// Node records not yet handed to rusty-leveldb, in key order. (Pending field writes are
    /// flags in the mirror, with their nodes listed in `dirty`.)
    pending: BTreeMap<Vec<u8>, Vec<u8>>,
    dirty: Vec<IdHandle>,
    pending_since: Option<SimTime>,
    /// See [`NodeDb::records_epoch`].
    records_epoch: u64,
}

/// Records epochs are unique across every database of the process: a number remembered from
/// one database (or a closed one) can never match another. Only compared for equality, so the
/// order in which threads draw them cannot reach results.
fn next_records_epoch() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What the database holds for one node, mirrored.
#[derive(Clone, Copy, Debug, Default)]
struct Known {
    /// Whether the node has a record, and if so the endpoint it encodes: `Some(None)` for a
    /// record whose bytes are not exactly the RLP of a node with this key's ID (garbled or
    /// foreign bytes planted with `put_raw`), which no `update_node` rewrite equals.
    record: Option<Option<RecordEndpoint>>,
    last_ping: i64,
    last_pong: i64,
    find_fails: i64,
    /// Fields written since the last flush (`Field` bits).
    dirty: u8,
}

/// The integer fields of a node, as bits of [`Known::dirty`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Ping = 1,
    Pong = 2,
    FindFails = 4,
}

impl Field {
    const ALL: [Field; 3] = [Field::FindFails, Field::Ping, Field::Pong];

    fn key_suffix(self) -> &'static [u8] {
        match self {
            Field::Ping => DISCOVER_PING,
            Field::Pong => DISCOVER_PONG,
            Field::FindFails => DISCOVER_FIND_FAILS,
        }
    }

    fn get(self, k: &Known) -> i64 {
        match self {
            Field::Ping => k.last_ping,
            Field::Pong => k.last_pong,
            Field::FindFails => k.find_fails,
        }
    }

    fn set(self, k: &mut Known, v: i64) {
        match self {
            Field::Ping => k.last_ping = v,
            Field::Pong => k.last_pong = v,
            Field::FindFails => k.find_fails = v,
        }
    }
}

impl NodeDb {
    /// Opens (creating if needed) the database on `storage` for the node `self_id`.
    ///
    /// Order of events, as in geth's `newPersistentNodeDB`: a corrupted database is recovered
    /// (salvaged, with a warning), then the version is checked: missing, it is written; different,
    /// the whole directory is removed and a fresh database created.
    pub fn open(
        storage: Storage,
        self_id: NodeId,
        cfg: NodeDbConfig,
    ) -> Result<NodeDb, NodeDbError> {
        let mut stats = NodeDbStats::default();
        let mut db = open_or_recover(&storage, &cfg, &mut stats)?;
        let want = encode_int(cfg.version);
        match db.get(VERSION_KEY) {
            None => put_or_fail(&mut db, &storage, VERSION_KEY, &want)?,
            Some(v) if v.as_ref() == want.as_slice() => {}
            Some(v) => {
                debug!(path = %storage.path().display(), old = ?decode_int(&v), new = cfg.version,
                       "node database version changed: flushing");
                drop(db);
                storage.remove_all().map_err(|e| io_err(&storage, e))?;
                stats.version_flushes += 1;
                db = try_open(&storage, &cfg).map_err(|s| open_err(&storage, s))?;
                put_or_fail(&mut db, &storage, VERSION_KEY, &want)?;
            }
        }
        let mut db = NodeDb {
            db,
            storage,
            self_id,
            cfg,
            next_expiry: None,
            stats,
            known: HandleMap::default(),
            records: 0,
            pending: BTreeMap::new(),
            dirty: Vec::new(),
            pending_since: None,
            records_epoch: next_records_epoch(),
        };
        for (k, v) in db.scan_all() {
            db.mirror(&k, &v);
        }
        Ok(db)
    }

    /// Flushes and releases the database, handing back its storage so that it can be reopened
    /// (a restart).
    pub fn close(mut self) -> Storage {
        self.flush();
        if self.db.close().is_err() {
            self.stats.write_errors += 1;
        }
        self.storage.clone()
    }

    /// The ID of the node that owns this database.
    pub fn self_id(&self) -> &NodeId {
        &self.self_id
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &NodeDbConfig {
        &self.cfg
    }

    /// Counters since this handle was opened.
    pub fn stats(&self) -> &NodeDbStats {
        &self.stats
    }

    /// The node record of `id`, if present and decodable. An undecodable record is logged,
    /// counted and read as absent (geth logs it and returns nil).
    pub fn node(&mut self, id: &NodeId) -> Option<Node> {
        self.flush();
        let blob = self.db.get(&make_key(Some(id), DISCOVER_ROOT))?;
        match rlp::decode::<Node>(&blob) {
            Ok(n) => Some(n),
            Err(e) => {
                self.stats.bad_records += 1;
                warn!(id = ?id, err = %e, "failed to decode node RLP");
                None
            }
        }
    }

    /// Inserts or overwrites the record of `node`. Rewriting the very bytes already stored is a
    /// logical no-op and is skipped (geth's `copyLiveNodes` rewrites every live entry every 30 s;
    /// simulating those identical puts would dominate the cost of a run and change no result).
    /// Returns whether the stored record now encodes `node` (false only if the write failed).
    pub fn update_node(&mut self, node: &Node) -> bool {
        // The mirror knows the endpoint the stored record encodes (the record of a node is a
        // function of its endpoint and ID), so an unchanged record is recognised without
        // encoding it: `copyLiveNodes` rewrites every live entry every 30 s.
        let endpoint = RecordEndpoint::of(node);
        if self.known_of(&node.id).and_then(|k| k.record) == Some(Some(endpoint)) {
            self.stats.unchanged_writes += 1;
            return true;
        }
        let blob = rlp::encode(node);
        let key = make_key(Some(&node.id), DISCOVER_ROOT);
        if !self.put(&key, &blob) {
            return false;
        }
        self.set_record(IdHandle::intern(&node.id), Some(endpoint));
        true
    }

    /// [`NodeDb::update_node`] for a caller that keeps, in `confirmed`, the
    /// [records epoch](NodeDb::records_epoch) at which it last found this node's record stored
    /// as `node` encodes it: while no record has changed since, the write is known to be
    /// unchanged without looking the node up (two hash-map probes, each a cache miss at 10,000
    /// peers, for every table entry every 30 s).
    ///
    /// ```
    /// use discsim::discv4::node::{Node, NodeId};
    /// use discsim::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
    /// let mut db = NodeDb::open(Storage::memory(), NodeId([1; 64]), NodeDbConfig::default()).unwrap();
    /// let n = Node::new("11.0.0.2".parse().unwrap(), 30303, 30303, NodeId([2; 64]));
    /// let mut confirmed = 0;
    /// db.update_node_remembered(&n, &mut confirmed); // writes the record
    /// assert_eq!(confirmed, db.records_epoch());
    /// db.update_node_remembered(&n, &mut confirmed); // known unchanged: no lookup
    /// assert_eq!(db.stats().unchanged_writes, 1);
    /// ```
    pub fn update_node_remembered(&mut self, node: &Node, confirmed: &mut u64) {
        if *confirmed == self.records_epoch {
            self.stats.unchanged_writes += 1;
            return;
        }
        if self.update_node(node) {
            *confirmed = self.records_epoch;
        }
    }

    /// A number that changes whenever a node record of this database is overwritten (written or
    /// planted over an existing one) or deleted, and that no other database (or earlier state of
    /// this one) ever had: while it stays the same, every record stored stays as it was. A new
    /// record leaves it alone: it changes no record stored before.
    pub fn records_epoch(&self) -> u64 {
        self.records_epoch
    }

    fn records_changed(&mut self) {
        self.records_epoch = next_records_epoch();
    }

    /// Deletes every key under the node's prefix `n:<id>`: its record and all its fields.
    pub fn delete_node(&mut self, id: &NodeId) {
        if let Some(k) = IdHandle::find(id).and_then(|h| self.known.remove(&h)) {
            self.records -= k.record.is_some() as usize;
        }
        self.records_changed();
        self.flush();
        let prefix = make_key(Some(id), b"");
        let keys = self.keys_with_prefix(&prefix);
        for k in keys {
            if self.db.delete(&k).is_err() {
                self.stats.write_errors += 1;
            }
        }
    }

    /// When `id` last pinged us (Unix epoch if never).
    pub fn last_ping(&mut self, id: &NodeId) -> SimTime {
        secs_to_time(self.known_of(id).map_or(0, |k| k.last_ping))
    }

    /// Records a ping from `id` at `t` (whole seconds are stored).
    pub fn update_last_ping(&mut self, id: &NodeId, t: SimTime) {
        self.put_int(id, Field::Ping, t.unix_secs());
    }

    /// When `id` last answered our ping (Unix epoch if never).
    pub fn last_pong(&mut self, id: &NodeId) -> SimTime {
        secs_to_time(self.known_of(id).map_or(0, |k| k.last_pong))
    }

    /// Records a pong from `id` at `t` (whole seconds are stored).
    pub fn update_last_pong(&mut self, id: &NodeId, t: SimTime) {
        self.put_int(id, Field::Pong, t.unix_secs());
    }

    /// FINDNODE failures of `id` since bonding.
    pub fn find_fails(&mut self, id: &NodeId) -> i64 {
        self.known_of(id).map_or(0, |k| k.find_fails)
    }

    /// Sets the FINDNODE failure count of `id`.
    pub fn update_find_fails(&mut self, id: &NodeId, fails: i64) {
        self.put_int(id, Field::FindFails, fails);
    }

    /// The mirror's entry for `id`, if the database holds anything under it.
    fn known_of(&self, id: &NodeId) -> Option<&Known> {
        self.known.get(&IdHandle::find(id)?)
    }

    /// Starts the expirer if it is not running (geth's `sync.Once`): its first run is one cleanup
    /// cycle after `now`.
    pub fn ensure_expirer(&mut self, now: SimTime) {
        if self.next_expiry.is_none() {
            self.next_expiry = Some(now + self.cfg.cleanup_cycle);
        }
    }

    /// When the expirer runs next, if it was started.
    pub fn next_expiry(&self) -> Option<SimTime> {
        self.next_expiry
    }

    /// Runs the expirer if it is due at `now`; returns the records it deleted. Like Go's ticker, a
    /// late poll runs once and skips the ticks it missed.
    pub fn poll_expirer(&mut self, now: SimTime) -> usize {
        let Some(next) = self.next_expiry else {
            return 0;
        };
        if now < next {
            return 0;
        }
        let mut following = next + self.cfg.cleanup_cycle;
        while following <= now {
            following += self.cfg.cleanup_cycle;
        }
        self.next_expiry = Some(following);
        self.expire_nodes(now)
    }

    /// geth's `expireNodes`: deletes every node record (with all its fields) whose last pong is not
    /// after `now - node_expiration`, and the record of self. Records that never ponged read as
    /// Unix 0 and are deleted too. Returns how many records were deleted.
    pub fn expire_nodes(&mut self, now: SimTime) -> usize {
        let threshold = now.saturating_sub(self.cfg.node_expiration);
        // One pass: a node's fields sort right after its record, so the pong is seen in the same
        // scan rather than read back per record.
        let mut records: BTreeMap<NodeId, SimTime> = BTreeMap::new();
        for (key, value) in self.scan_all() {
            match split_key(&key) {
                (Some(id), f) if f == DISCOVER_ROOT => {
                    records.entry(id).or_insert(SimTime::from_unix_secs(0));
                }
                (Some(id), f) if f == DISCOVER_PONG => {
                    if let Some(r) = records.get_mut(&id) {
                        *r = secs_to_time(decode_int(&value).unwrap_or(0));
                    }
                }
                _ => {}
            }
        }
        let mut deleted = 0;
        for (id, pong) in records {
            if id != self.self_id && pong > threshold {
                continue;
            }
            self.delete_node(&id);
            deleted += 1;
        }
        self.stats.expiry_runs += 1;
        self.stats.expired_nodes += deleted as u64;
        deleted
    }

    /// geth's `querySeeds`: up to `n` random nodes, other than self, that ponged within `max_age`.
    ///
    /// It seeks `n * 5` times at most, each time to a random key whose first ID byte is a cursor
    /// advanced by 0–15 (wrapping), so that even a small database is covered; running off the end
    /// resets the cursor. It may return fewer than `n` nodes even when more are eligible, exactly
    /// as geth does. All randomness comes from `rng`.
    pub fn query_seeds<R: Rng + ?Sized>(
        &mut self,
        n: usize,
        max_age: Duration,
        now: SimTime,
        rng: &mut R,
    ) -> Vec<Node> {
        let mut nodes: Vec<Node> = Vec::with_capacity(n);
        let mut id = [0u8; 64];
        if self.records == 0 {
            // No record at all (a fresh database, as at every join): every seek would find
            // nothing, so only the draws are made, keeping the random stream where geth's loop
            // leaves it.
            for _ in 0..n * 5 {
                rng.fill_bytes(&mut id);
            }
            return nodes;
        }
        self.flush();
        let Ok(mut it) = self.db.new_iter() else {
            return nodes;
        };
        let mut seeks = 0;
        'seek: while nodes.len() < n && seeks < n * 5 {
            seeks += 1;
            let ctr = id[0];
            rng.fill_bytes(&mut id);
            id[0] = ctr.wrapping_add(id[0] % 16);
            it.seek(&make_key(Some(&NodeId(id)), DISCOVER_ROOT));
            let Some(node) = next_node(&mut it, &mut self.stats) else {
                id[0] = 0;
                continue 'seek;
            };
            if node.id == self.self_id {
                continue 'seek;
            }
            let pong = self.last_pong(&node.id);
            if now.saturating_since(pong) > max_age {
                continue 'seek;
            }
            if nodes.iter().any(|m| m.id == node.id) {
                continue 'seek;
            }
            nodes.push(node);
        }
        nodes
    }

    /// Number of node records (any age, self included, decodable or not).
    pub fn record_count(&self) -> usize {
        self.records
    }

    /// Number of nodes the database holds anything about: a record, a last ping or pong, or a
    /// FINDNODE failure count (self included if it has a record). geth keeps the times of every
    /// node it exchanged packets with, record or not, so this, not [`NodeDb::record_count`], is
    /// what a database's size follows.
    pub fn node_count(&self) -> usize {
        self.known.len()
    }

    /// The IDs of every node with a record, self excluded, sorted: for observers that count (how
    /// many records point at dead nodes) without needing the records themselves. Sorted because
    /// the mirror is a hash map, whose order must never reach a result.
    pub fn record_ids(&self) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self
            .known
            .iter()
            .filter(|(_, k)| k.record.is_some())
            .map(|(h, _)| h.id())
            .filter(|id| *id != self.self_id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Every decodable node record, in key order.
    pub fn all_nodes(&mut self) -> Vec<Node> {
        let mut out = Vec::new();
        for (k, v) in self.scan_all() {
            if let (Some(_), f) = split_key(&k) {
                if f == DISCOVER_ROOT {
                    match rlp::decode::<Node>(&v) {
                        Ok(n) => out.push(n),
                        Err(_) => self.stats.bad_records += 1,
                    }
                }
            }
        }
        out
    }

    /// Every decodable record other than self whose last pong is within `max_age` of `now`, in
    /// key order, with its last pong: what the non-geth seed strategies choose from.
    pub fn fresh_records(&mut self, max_age: Duration, now: SimTime) -> Vec<(Node, SimTime)> {
        let me = self.self_id;
        let nodes = self.all_nodes();
        nodes
            .into_iter()
            .filter(|n| n.id != me)
            .map(|n| {
                let pong = self.last_pong(&n.id);
                (n, pong)
            })
            .filter(|(_, pong)| now.saturating_since(*pong) <= max_age)
            .collect()
    }

    fn keys_with_prefix(&mut self, prefix: &[u8]) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        let Ok(mut it) = self.db.new_iter() else {
            return keys;
        };
        it.seek(prefix);
        while let Some((k, _)) = it.current() {
            if !k.starts_with(prefix) {
                break;
            }
            keys.push(k.to_vec());
            if !it.advance() {
                break;
            }
        }
        keys
    }

    fn scan_all(&mut self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.flush();
        let mut out = Vec::new();
        if let Ok(mut it) = self.db.new_iter() {
            while let Some(kv) = it.next() {
                out.push(kv);
            }
        }
        out
    }
}

/// geth's `nextNode`: the first decodable node record at or after the iterator's position.
fn next_node(it: &mut rusty_leveldb::DBIterator, stats: &mut NodeDbStats) -> Option<Node> {
    loop {
        let (key, value) = it.current()?;
        if let (Some(id), f) = split_key(&key) {
            if f == DISCOVER_ROOT {
                match rlp::decode::<Node>(&value) {
                    Ok(n) => return Some(n),
                    Err(e) => {
                        stats.bad_records += 1;
                        warn!(id = ?id, err = %e, "failed to decode node RLP");
                    }
                }
            }
        }
        if !it.advance() {
            return None;
        }
    }
}

/// The endpoint a node record encodes: with the ID in its key, it determines the record's bytes
/// (`rlp::encode` of the node), so equal endpoints mean byte-identical records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RecordEndpoint {
    ip: std::net::IpAddr,
    udp: u16,
    tcp: u16,
}

impl RecordEndpoint {
    fn of(node: &Node) -> RecordEndpoint {
        RecordEndpoint {
            ip: node.ip,
            udp: node.udp,
            tcp: node.tcp,
        }
    }

    /// The endpoint of stored bytes, if they are exactly the record `update_node` would write
    /// for a node with ID `id` (decoded, then encoded back to the same bytes).
    fn of_record(id: &NodeId, bytes: &[u8]) -> Option<RecordEndpoint> {
        let n = rlp::decode::<Node>(bytes).ok()?;
        (n.id == *id && rlp::encode(&n).as_ref() == bytes).then(|| RecordEndpoint::of(&n))
    }
}

fn secs_to_time(secs: i64) -> SimTime {
    SimTime::from_unix_secs(secs.max(0) as u64)
}

/// Opens rusty-leveldb, turning its panics on damaged files into errors.
fn try_open(storage: &Storage, cfg: &NodeDbConfig) -> Result<DB, Status> {
    let opts = storage.options(&cfg.tuning);
    match catch_unwind(AssertUnwindSafe(|| DB::open(storage.path(), opts))) {
        Ok(r) => r,
        Err(_) => Err(Status::new(
            StatusCode::Corruption,
            "rusty-leveldb panicked while opening",
        )),
    }
}

/// Opens the database if every data file reads cleanly; otherwise rebuilds it from what
/// [`salvage::scan`] could read.
fn open_or_recover(
    storage: &Storage,
    cfg: &NodeDbConfig,
    stats: &mut NodeDbStats,
) -> Result<DB, NodeDbError> {
    let scan = salvage::scan(storage);
    let first_error = if scan.damaged == 0 {
        match try_open(storage, cfg) {
            Ok(db) => return Ok(db),
            Err(s) if s.code == StatusCode::LockError => return Err(open_err(storage, s)),
            Err(s) => s.to_string(),
        }
    } else {
        format!(
            "{} unreadable parts in {} data files",
            scan.damaged, scan.files
        )
    };
    stats.recoveries += 1;
    stats.damaged_parts += scan.damaged as u64;
    storage.remove_all().map_err(|e| io_err(storage, e))?;
    let mut db = try_open(storage, cfg).map_err(|s| open_err(storage, s))?;
    let mut records = 0u64;
    for (k, v) in scan.live() {
        if matches!(split_key(&k), (Some(_), f) if f == DISCOVER_ROOT) {
            records += 1;
        }
        put_or_fail(&mut db, storage, &k, &v)?;
    }
    stats.salvaged_records += records;
    warn!(path = %storage.path().display(), cause = %first_error, salvaged = records,
          "node database was corrupted: rebuilt from the readable records");
    Ok(db)
}

fn put_or_fail(db: &mut DB, storage: &Storage, k: &[u8], v: &[u8]) -> Result<(), NodeDbError> {
    db.put(k, v).map_err(|s| open_err(storage, s))
}

fn open_err(storage: &Storage, status: Status) -> NodeDbError {
    NodeDbError::Open {
        path: storage.path().display().to_string(),
        status,
    }
}

fn io_err(storage: &Storage, source: std::io::Error) -> NodeDbError {
    NodeDbError::Io {
        path: storage.path().display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests;
