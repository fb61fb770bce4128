//! A discv4 peer as a sans-IO state machine: geth's 2018 table loop and v4 UDP transport.
//!
//! A [`Peer`] owns its Kademlia [`Table`], its [`NodeDb`] and its random stream. It is driven with
//! `(now, input)` calls — [`Peer::start`], [`Peer::handle_packet`], [`Peer::handle_timers`],
//! [`Peer::start_probe`] — and answers with packets to send ([`Peer::drain_transmits`]), events
//! ([`Peer::drain_events`]) and the time it next wants to be woken ([`Peer::next_timer`]). It
//! never reads a clock and never touches a socket, so it runs the same under the simulator's actors
//! and in a unit test.
//!
//! What geth runs as goroutines becomes explicit state here: a revalidation waiting for its pong,
//! a FINDNODE waiting to bond first, a lookup with up to α queries in flight, a refresh running its
//! four lookups one after another. Timers due at the same instant fire in the order they were set
//! (geth's `mclock` rule), which keeps a peer deterministic.

pub mod config;
mod dialer;
pub mod profile;
mod table_loop;
mod transport;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::net::SocketAddr;
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;

use crate::discv4::lookup::Lookup;
use crate::discv4::node::{Node, NodeId};
use crate::discv4::nodedb::{NodeDb, Storage};
use crate::discv4::packet::{HashCheck, PacketKind};
use crate::discv4::table::{Entry, Table};
use crate::sim::clock::SimTime;

pub use config::{ConfigError, ProtocolConfig, SeedStrategy};
pub use profile::Profile;

/// A packet to put on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// The destination: the recipient's IP and UDP port.
    pub to: SocketAddr,
    /// The packet's type, so the network can count and drop by kind without decoding.
    pub kind: PacketKind,
    /// The whole datagram, as [`packet::encode`](crate::discv4::packet::encode) made it.
    pub bytes: Vec<u8>,
}

/// Something a researcher may want to know about, reported by the peer.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerEvent {
    /// The peer started: what its node database held, and the seeds it gave (bootnodes not
    /// included), so that an observer can tell how many of them were still alive.
    Started {
        /// Node records in the database when the peer opened it, before seeding.
        db_records: usize,
        /// The database was flushed when opened because it held another version (geth's
        /// `dbVersion` check).
        version_flushed: bool,
        /// The database's seeds added to the table, as the configured [`SeedStrategy`] chose
        /// them.
        seeds: Vec<Node>,
        /// How many of `seeds` the table kept as entries after they were added.
        seeds_kept: usize,
    },
    /// The first refresh ended: from now on nodes that ping us are added to the table.
    InitDone {
        /// When the first refresh ended.
        at: SimTime,
    },
    /// A refresh (seeds, self lookup, random lookups) ended.
    RefreshDone {
        /// When it ended.
        at: SimTime,
    },
    /// A probe lookup started with [`Peer::start_probe`] ended.
    ProbeDone(ProbeResult),
}

/// The outcome of a probe lookup.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeResult {
    /// The `id` given to [`Peer::start_probe`], so the caller can match results to probes.
    pub id: u64,
    /// The lookup target, a public key.
    pub target: NodeId,
    /// When [`Peer::start_probe`] was called; a wait for a refresh on an empty table counts.
    pub started: SimTime,
    /// When the lookup ended.
    pub finished: SimTime,
    /// The closest nodes found, closest first, each with the hops at which it was learned
    /// (0 = from the local table).
    pub result: Vec<(Node, u32)>,
    /// FINDNODE queries the lookup sent.
    pub queries: u32,
}

/// Counters of one peer's traffic and protocol decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeerStats {
    /// Packets sent, by kind, indexed by [`PacketKind::index`].
    pub sent: [u64; PacketKind::COUNT],
    /// Bytes sent (whole datagrams, header included), by kind.
    pub sent_bytes: [u64; PacketKind::COUNT],
    /// Packets that decoded (malformed ones are in `malformed`), by kind, counted before the
    /// expiration check.
    pub received: [u64; PacketKind::COUNT],
    /// Bytes of those packets, by kind.
    pub received_bytes: [u64; PacketKind::COUNT],
    /// Packets that failed to decode.
    pub malformed: u64,
    /// Packets dropped because their expiration had passed.
    pub expired: u64,
    /// Pongs and neighbors no pending request was waiting for.
    pub unsolicited: u64,
    /// FINDNODE requests refused for lack of an endpoint proof.
    pub unbonded_findnode: u64,
    /// NEIGHBORS entries rejected (low port, missing address).
    pub rejected_nodes: u64,
    /// FINDNODE queries that failed (timeout or empty answer).
    pub findnode_failures: u64,
    /// Table entries dropped after too many FINDNODE failures.
    pub dropped_findnode: u64,
    /// ENR records requested after a revalidation (geth-2019).
    pub enr_requests: u64,
    /// Of those, the ones answered with a record before the reply timeout.
    pub enr_responses: u64,
    /// Revalidations answered: the entry moved to the front of its bucket.
    pub revalidated_ok: u64,
    /// Revalidations unanswered where a replacement took the entry's place.
    pub revalidated_replaced: u64,
    /// Revalidations unanswered where the entry was deleted with no replacement to take its
    /// place.
    pub revalidated_deleted: u64,
    /// Lookups started (refresh, probe and dialer).
    pub lookups: u64,
    /// Lookups started by the dialer (geth-2018's discover tasks, geth-2019's iterator).
    pub dialer_lookups: u64,
    /// Dials the dialer started.
    pub dials: u64,
    /// Of those, the ones that ended without a connection.
    pub dials_failed: u64,
    /// Refreshes completed.
    pub refreshes: u64,
    /// Seeds taken from the node database (bootnodes not counted).
    pub seeds_loaded: u64,
    /// FINDNODEs sent after a bonding PING, by the gap from that PING: under 250 ms, 250-550 ms,
    /// 550-800 ms, over 800 ms (the bins of the reference measurements of real geth).
    pub bond_gaps: [u64; 4],
    /// FINDNODEs sent without bonding first.
    pub unbonded_findnodes_sent: u64,
}

impl PeerStats {
    /// Packets sent, of every kind.
    pub fn packets_sent(&self) -> u64 {
        self.sent.iter().sum()
    }
}

/// Totals over restarts, or over peers. Every field is named here: a counter added to
/// [`PeerStats`] and not summed does not compile (and `every_counter_is_summed` checks the sums).
impl std::ops::AddAssign<&PeerStats> for PeerStats {
    fn add_assign(&mut self, other: &PeerStats) {
        let PeerStats {
            sent,
            sent_bytes,
            received,
            received_bytes,
            malformed,
            expired,
            unsolicited,
            unbonded_findnode,
            rejected_nodes,
            findnode_failures,
            dropped_findnode,
            enr_requests,
            enr_responses,
            revalidated_ok,
            revalidated_replaced,
            revalidated_deleted,
            lookups,
            dialer_lookups,
            dials,
            dials_failed,
            refreshes,
            seeds_loaded,
            bond_gaps,
            unbonded_findnodes_sent,
        } = other;
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
        add(&mut self.sent, sent);
        add(&mut self.sent_bytes, sent_bytes);
        add(&mut self.received, received);
        add(&mut self.received_bytes, received_bytes);
        add(&mut self.bond_gaps, bond_gaps);
        self.malformed += malformed;
        self.expired += expired;
        self.unsolicited += unsolicited;
        self.unbonded_findnode += unbonded_findnode;
        self.rejected_nodes += rejected_nodes;
        self.findnode_failures += findnode_failures;
        self.dropped_findnode += dropped_findnode;
        self.enr_requests += enr_requests;
        self.enr_responses += enr_responses;
        self.revalidated_ok += revalidated_ok;
        self.revalidated_replaced += revalidated_replaced;
        self.revalidated_deleted += revalidated_deleted;
        self.lookups += lookups;
        self.dialer_lookups += dialer_lookups;
        self.dials += dials;
        self.dials_failed += dials_failed;
        self.refreshes += refreshes;
        self.seeds_loaded += seeds_loaded;
        self.unbonded_findnodes_sent += unbonded_findnodes_sent;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Revalidate,
    Refresh,
    CopyNodes,
    PendingDeadline,
    /// geth-2019's fixed sleep after the bonding PING: the request of this op (FINDNODE or
    /// ENRREQUEST) goes when it ends.
    BondWait(u64),
    /// geth-2019's `RequestENR` of this op begins (its `ensureBond` reads the database).
    EnrStart(u64),
}

/// What a pending reply is for (geth's per-request callbacks).
#[derive(Clone, Debug)]
enum Awaiting {
    /// The entry object pinged (geth keeps it and stores it back on success).
    Revalidate {
        bucket: usize,
        last: Entry,
    },
    PingBack(Node),
    Bond(u64),
    /// geth-2018's `waitping`: the target's own PING, before the FINDNODE of this op.
    WaitPing(u64),
    Neighbors(u64),
    /// geth-2019's `RequestENR` during a revalidation: the ENRRESPONSE of this op.
    EnrResponse(u64),
}

#[derive(Clone, Debug)]
struct Pending {
    from: NodeId,
    kind: PacketKind,
    deadline: SimTime,
    /// For pings: the hash a matching pong must quote.
    token: Option<[u8; 32]>,
    purpose: Awaiting,
    /// When the entry was registered, and whether a packet that had already arrived by then (it
    /// was queued right behind the one that caused the entry) still finds it: geth registers
    /// `waitping` from another goroutine than the read loop that handles that packet, so such a
    /// packet wins or loses a race.
    registered: SimTime,
    catches_same_instant: bool,
}

/// geth-2019's `RequestENR` of a revalidated entry whose PONG named a newer record
/// (table.go:329-336): bond, ask, then finish the revalidation.
#[derive(Clone, Debug)]
struct EnrOp {
    bucket: usize,
    last: Entry,
}

/// A FINDNODE query of a lookup, possibly bonding first.
#[derive(Clone, Debug)]
struct FindnodeOp {
    to: Node,
    /// When the bonding PING went out, if there was one.
    bonded_at: Option<SimTime>,
    lookup: u64,
    fails: i64,
    received: Vec<Node>,
    nreceived: usize,
}

#[derive(Clone, Debug)]
enum LookupPurpose {
    Refresh,
    Probe {
        id: u64,
        started: SimTime,
    },
    /// geth-2018's dialer `discoverTask`: its result goes to the dial scheduler when it ends.
    Dial,
    /// A lookup of geth-2019's discovery iterator: its replies are applied only while the
    /// iterator is read (see `dialer.rs`).
    Iter,
}

#[derive(Clone, Debug)]
struct LookupRun {
    lookup: Lookup,
    purpose: LookupPurpose,
    /// Iterator lookups: replies that arrived and wait to be read (geth's `replyCh`).
    replies: std::collections::VecDeque<(NodeId, Vec<Node>)>,
}

/// A refresh in progress: the self lookup is step 0, random lookups follow.
#[derive(Clone, Debug)]
struct RefreshRun {
    step: usize,
}

/// One simulated discv4 node.
pub struct Peer {
    me: Node,
    cfg: Arc<ProtocolConfig>,
    db: NodeDb,
    table: Table,
    rng: ChaCha8Rng,
    bootnodes: Vec<Node>,
    /// The bootnodes' `addedAt`: geth keeps them as long-lived objects (`tab.nursery`), so a
    /// bump by a later refresh keeps the time they first entered the table.
    nursery_added_at: Vec<Option<SimTime>>,
    init_done: bool,
    timers: BinaryHeap<Reverse<(SimTime, u64, Timer)>>,
    timer_seq: u64,
    pending: Vec<Pending>,
    next_id: u64,
    ops: BTreeMap<u64, FindnodeOp>,
    enr_ops: BTreeMap<u64, EnrOp>,
    lookups: BTreeMap<u64, LookupRun>,
    refresh: Option<RefreshRun>,
    /// Probe and dialer lookups that found the table empty and wait for a refresh.
    waiting_for_refresh: Vec<(NodeId, LookupPurpose)>,
    /// The dial scheduler (with `protocol.dialer`), and geth-2019's discovery iterator.
    dialer: Option<crate::discv4::dial::Scheduler>,
    dial_iter: Option<dialer::DialIter>,
    /// Dials started and not yet handed to the host.
    dials_out: Vec<Node>,
    out: Vec<Transmit>,
    events: Vec<PeerEvent>,
    stats: PeerStats,
    /// Whether arriving packets have their hash recomputed and checked (geth does; on by
    /// default, see [`Peer::set_hash_check`]).
    hash_check: HashCheck,
}

impl Peer {
    /// A peer that is not running yet. `db` must belong to `me` (its self ID is `me.id`).
    pub fn new(
        me: Node,
        cfg: Arc<ProtocolConfig>,
        db: NodeDb,
        bootnodes: Vec<Node>,
        rng: ChaCha8Rng,
    ) -> Peer {
        let table = Table::new(&me, cfg.table.clone());
        let nursery_added_at = vec![None; bootnodes.len()];
        let dialer = cfg.dialer.then(|| {
            crate::discv4::dial::Scheduler::new(cfg.profile, &cfg.dial, me.id, bootnodes.clone())
        });
        let dial_iter =
            (cfg.dialer && cfg.profile == Profile::Geth2019).then(dialer::DialIter::default);
        Peer {
            me,
            cfg,
            db,
            table,
            rng,
            bootnodes,
            nursery_added_at,
            init_done: false,
            timers: BinaryHeap::new(),
            timer_seq: 0,
            pending: Vec::new(),
            next_id: 0,
            ops: BTreeMap::new(),
            enr_ops: BTreeMap::new(),
            lookups: BTreeMap::new(),
            refresh: None,
            waiting_for_refresh: Vec::new(),
            dialer,
            dial_iter,
            dials_out: Vec::new(),
            out: Vec::new(),
            events: Vec::new(),
            stats: PeerStats::default(),
            hash_check: HashCheck::Verify,
        }
    }

    /// Whether arriving packets' hashes are checked ([`HashCheck::Verify`], the default and
    /// geth's behaviour) or trusted ([`HashCheck::Trust`]: for a network that never alters a
    /// packet, where the check always passes and only costs a keccak256 per packet).
    ///
    /// Trust is a property of the whole network: a trusting peer hashes only the packets a reply
    /// quotes ([`packet::encode_for`](crate::discv4::packet::encode_for)) and leaves the others'
    /// hash slot zero, which a verifying receiver would drop. Set every peer of a run alike (the
    /// engine does).
    pub fn set_hash_check(&mut self, check: HashCheck) {
        self.hash_check = check;
    }

    /// geth's `newTable` and the start of its loop: seeds are loaded, the expirer starts, the
    /// first refresh begins at once and the periodic timers are armed.
    pub fn start(&mut self, now: SimTime) {
        let db_records = self.db.record_count();
        let version_flushed = self.db.stats().version_flushes > 0;
        let (seeds, seeds_kept) = self.load_seed_nodes(now);
        self.events.push(PeerEvent::Started {
            db_records,
            version_flushed,
            seeds,
            seeds_kept,
        });
        self.db.ensure_expirer(now);
        self.arm_revalidation(now);
        self.set_timer(now + self.cfg.refresh_interval, Timer::Refresh);
        self.set_timer(now + self.cfg.copy_nodes_interval, Timer::CopyNodes);
        self.start_refresh(now);
        self.start_dialer(now);
    }

    /// The earliest instant at which [`Peer::handle_timers`] has work.
    pub fn next_timer(&self) -> Option<SimTime> {
        let t = self.timers.peek().map(|Reverse((t, _, _))| *t);
        let d = self.dialer.as_ref().and_then(|d| d.next_timer());
        [t, self.db.next_expiry(), d].into_iter().flatten().min()
    }

    /// Fires every timer due at or before `now`, in time order, ties in the order they were set.
    pub fn handle_timers(&mut self, now: SimTime) {
        while let Some(Reverse((t, _, timer))) = self.timers.peek().copied() {
            if t > now {
                break;
            }
            self.timers.pop();
            self.fire(t, timer);
        }
        if self.db.next_expiry().is_some_and(|t| t <= now) {
            self.db.poll_expirer(now);
        }
        self.db.maybe_flush(now);
        self.dialer_timers(now);
        self.poll_dial_iterator(now);
    }

    fn fire(&mut self, now: SimTime, timer: Timer) {
        match timer {
            Timer::Revalidate => self.do_revalidate(now),
            Timer::Refresh => {
                self.set_timer(now + self.cfg.refresh_interval, Timer::Refresh);
                if self.refresh.is_none() {
                    self.start_refresh(now);
                }
            }
            Timer::CopyNodes => {
                self.set_timer(now + self.cfg.copy_nodes_interval, Timer::CopyNodes);
                self.copy_live_nodes(now);
            }
            Timer::PendingDeadline => self.expire_pending(now),
            Timer::BondWait(op) => self.send_after_bond(now, op),
            Timer::EnrStart(op) => self.start_enr_request(now, op),
        }
    }

    fn set_timer(&mut self, at: SimTime, timer: Timer) {
        self.timer_seq += 1;
        self.timers.push(Reverse((at, self.timer_seq, timer)));
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Packets produced since the last call, in the order they were sent.
    pub fn drain_transmits(&mut self) -> std::vec::Drain<'_, Transmit> {
        self.out.drain(..)
    }

    /// Events produced since the last call.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, PeerEvent> {
        self.events.drain(..)
    }

    /// This peer's node.
    pub fn node(&self) -> &Node {
        &self.me
    }

    /// Whether the first refresh has ended.
    pub fn init_done(&self) -> bool {
        self.init_done
    }

    /// The Kademlia table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The node database.
    pub fn db(&mut self) -> &mut NodeDb {
        &mut self.db
    }

    /// Traffic and decision counters.
    pub fn stats(&self) -> &PeerStats {
        &self.stats
    }

    /// Stops the peer, closing its database and handing back its storage (for a restart).
    pub fn shutdown(self) -> Storage {
        self.db.close()
    }
}

#[cfg(test)]
mod dialer_tests;
#[cfg(test)]
mod harness;
#[cfg(test)]
mod tests;
