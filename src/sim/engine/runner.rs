//! One peer slot as the engine sees it: the protocol peer when it is online, its storage while
//! it is offline, and what lies between the peer and the network (NAT, loss and latency draws).
//!
//! A runner processes its inputs and timers strictly in time order. Its inputs are ordered by
//! `(time, sender slot, sender sequence)`, which depends on nothing but the simulation itself, so a
//! runner does the same work whatever shard or thread hosts it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use tiny_keccak::{Hasher, Keccak};
use tracing::warn;

use super::{Control, Input, InputKind, Shared, Slot};
use crate::discv4::node::{Node, NodeId};
use crate::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
use crate::discv4::protocol::{Peer, PeerEvent, PeerStats, Profile, ProtocolConfig};
use crate::observe::snapshot::{id_prefix, DialSnapshot, SessionEnd, SlotStats, Snapshot};
use crate::sim::clock::SimTime;
use crate::sim::network::Nat;
use crate::sim::rng::{stream, Purpose};

/// A packet on its way, as the engine routes it.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub to: u32,
    pub input: Input,
}

/// Something a slot reports to the coordinator: a protocol event, or the end of a session.
#[derive(Clone, Debug)]
pub(crate) enum SlotEvent {
    Peer(PeerEvent),
    /// The peer stopped (it left, or restarts): what its session cost and expired.
    Stopped(SessionEnd),
}

/// A slot's numbering of what it sends: the sequence number is the last part of the receiver's
/// ordering key (`InputKey`), so every input a slot sends, packet or connection message, is
/// numbered here and nowhere else.
pub(crate) struct Sender {
    from: Slot,
    seq: u64,
}

impl Sender {
    pub(crate) fn new(from: Slot) -> Sender {
        Sender { from, seq: 0 }
    }

    /// Queues `kind` for slot `to`, arriving at `at`.
    pub(crate) fn emit(&mut self, at: SimTime, to: u32, kind: InputKind, out: &mut Vec<Outgoing>) {
        self.seq += 1;
        out.push(Outgoing {
            to,
            input: Input {
                at,
                from: self.from,
                seq: self.seq,
                kind,
            },
        });
    }
}

pub(crate) struct PeerRunner {
    pub(super) index: u32,
    pub(super) shared: Arc<Shared>,
    pub(super) peer: Option<Peer>,
    storage: Option<Storage>,
    incarnation: u64,
    db_version: i64,
    net_rng: ChaCha8Rng,
    pub(super) nat: Option<Nat>,
    pub(super) sender: Sender,
    digest: Option<Keccak>,
    /// Counters of finished incarnations, so that totals survive restarts.
    past: PeerStats,
    past_expired: u64,
    slot_stats: SlotStats,
    events: Vec<(SimTime, SlotEvent)>,
    /// With a handling time: packets received and waiting for the peer, each with the instant
    /// its handling ends (non-decreasing), and when the peer is free again.
    queued: std::collections::VecDeque<(SimTime, Input)>,
    busy_until: SimTime,
    handling_rng: ChaCha8Rng,
    /// The protocol knobs this slot runs with (its own profile, if it is in a group or upgraded).
    pub(super) protocol: Arc<ProtocolConfig>,
    /// Dialer connections this slot is part of, its last connection number, its draws, and
    /// whether it is a bootnode (which accepts TCP only with `dial.bootnodes_accept_tcp`).
    pub(super) conns: std::collections::BTreeMap<super::ConnKey, super::conn::Conn>,
    pub(super) next_conn: u64,
    pub(super) conn_rng: ChaCha8Rng,
    pub(super) is_bootnode: bool,
}

/// The identity a slot has in a given incarnation.
pub(crate) fn identity(seed: u64, index: u32, incarnation: u64) -> NodeId {
    NodeId::random(&mut stream(
        seed,
        Purpose::Identity,
        index as u64,
        incarnation,
    ))
}

impl PeerRunner {
    pub(super) fn new(index: u32, shared: Arc<Shared>, behind_nat: bool) -> PeerRunner {
        let seed = shared.seed;
        let protocol = shared.protocol.clone();
        let mut r = PeerRunner {
            index,
            db_version: shared.nodedb.version,
            peer: None,
            storage: None,
            incarnation: 0,
            net_rng: stream(seed, Purpose::Network, index as u64, 0),
            nat: behind_nat.then(Nat::default),
            sender: Sender::new(Slot(index)),
            digest: shared.trace.then(Keccak::v256),
            past: PeerStats::default(),
            past_expired: 0,
            slot_stats: SlotStats::default(),
            events: Vec::new(),
            queued: Default::default(),
            busy_until: SimTime::from_unix_secs(0),
            handling_rng: stream(seed, Purpose::Handling, index as u64, 0),
            conns: Default::default(),
            next_conn: 0,
            conn_rng: stream(seed, Purpose::Connection, index as u64, 0),
            is_bootnode: shared
                .bootnodes
                .iter()
                .any(|b| b.ip == IpAddr::V4(shared.layout.ip_of(index))),
            protocol,
            shared,
        };
        if let Some(p) = r.shared.profiles.get(&index) {
            r.set_profile(*p);
        }
        r
    }

    /// The slot runs `profile`'s rules from its next start on.
    fn set_profile(&mut self, profile: Profile) {
        if self.protocol.profile != profile {
            self.protocol = Arc::new(ProtocolConfig {
                profile,
                ..(*self.protocol).clone()
            });
        }
    }

    pub(super) fn next_wake(&self) -> Option<SimTime> {
        let timer = self.peer.as_ref().and_then(|p| p.next_timer());
        match (timer, self.queued.front().map(|(t, _)| *t)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes `inputs` (sorted, all before `until`) interleaved with the peer's timers, up to
    /// but excluding `until`. At equal instants inputs go before timers. `inputs` is left empty
    /// (its buffer is reused).
    pub(super) fn run(&mut self, until: SimTime, inputs: &mut Vec<Input>, out: &mut Vec<Outgoing>) {
        let mut inputs = inputs.drain(..).peekable();
        loop {
            // At equal instants: arrivals, then packets whose handling ends, then timers.
            let ti = inputs.peek().map(|i| i.at);
            let tq = self.queued.front().map(|(t, _)| *t).filter(|t| *t < until);
            let tt = self
                .peer
                .as_ref()
                .and_then(|p| p.next_timer())
                .filter(|t| *t < until);
            let first = [ti, tq, tt]
                .into_iter()
                .enumerate()
                .filter_map(|(k, t)| t.map(|t| (t, k)))
                .min();
            match first {
                None => break,
                Some((_, 0)) => {
                    let input = inputs.next().expect("peeked");
                    self.on_arrival(input, out);
                }
                Some((_, 1)) => {
                    let (done, input) = self.queued.pop_front().expect("peeked");
                    self.on_input_at(done, input, out);
                }
                Some((t, _)) => self.on_timers(t, out),
            }
        }
        if let Some(nat) = self.nat.as_mut() {
            nat.prune(until, self.shared.network.nat_mapping_timeout);
        }
    }

    fn on_timers(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        self.slot_stats.timer_wakes += 1;
        if let Some(p) = self.peer.as_mut() {
            p.handle_timers(now);
        }
        self.flush(now, out);
    }

    /// An input arrives: scenario actions act at once; a packet waits for the peer when packets
    /// take time to handle (it is handled, and answered, when its turn ends).
    fn on_arrival(&mut self, input: Input, out: &mut Vec<Outgoing>) {
        let handling = self.shared.network.handling;
        if handling.is_zero() || !matches!(input.kind, InputKind::Packet { .. }) {
            return self.on_input_at(input.at, input, out);
        }
        let start = input.at.max(self.busy_until);
        self.busy_until = start + handling.draw(&mut self.handling_rng);
        self.queued.push_back((self.busy_until, input));
    }

    /// Handles `input` (which arrived at `input.at`) at `now`.
    fn on_input_at(&mut self, now: SimTime, input: Input, out: &mut Vec<Outgoing>) {
        self.slot_stats.inputs += 1;
        if let Some(d) = self.digest.as_mut() {
            d.update(&now.as_micros().to_le_bytes());
            d.update(&input.from.0.to_le_bytes());
            d.update(&input.seq.to_le_bytes());
        }
        match input.kind {
            InputKind::Packet { src, bytes } => {
                let Some(peer) = self.peer.as_mut() else {
                    self.slot_stats.dropped_offline += 1;
                    return;
                };
                if let Some(nat) = self.nat.as_mut() {
                    if !nat.allows_inbound(
                        input.from.0,
                        now,
                        self.shared.network.nat_mapping_timeout,
                    ) {
                        self.slot_stats.dropped_nat += 1;
                        return;
                    }
                }
                if let Some(d) = self.digest.as_mut() {
                    // Not the hash slot: a function of the rest where computed, and left zero
                    // where no trusting receiver reads it (`packet::encode_for`), so the digest
                    // is the same whether hashes are verified or trusted.
                    d.update(bytes.get(32..).unwrap_or(&bytes));
                }
                peer.handle_packet_arrived(now, input.at, src, &bytes);
            }
            InputKind::Control(c) => self.on_control(now, *c, out),
            InputKind::Conn(msg) => self.on_conn(now, input.from.0, *msg, out),
        }
        self.flush(now, out);
    }

    fn on_control(&mut self, now: SimTime, control: Control, out: &mut Vec<Outgoing>) {
        match control {
            Control::Join => self.join(now),
            Control::Leave => self.leave(now, out),
            Control::Restart {
                fresh,
                db_version,
                profile,
            } => {
                self.leave(now, out);
                if fresh {
                    self.storage = None;
                    self.incarnation += 1;
                }
                if let Some(v) = db_version {
                    self.db_version = v;
                }
                if let Some(p) = profile {
                    self.set_profile(p);
                }
                self.join(now);
            }
            Control::Probe { id, target } => {
                if let Some(p) = self.peer.as_mut() {
                    p.start_probe(now, target, id);
                }
            }
        }
    }

    fn join(&mut self, now: SimTime) {
        if self.peer.is_some() {
            return;
        }
        let s = &self.shared;
        let id = identity(s.seed, self.index, self.incarnation);
        let me = Node::new(
            IpAddr::V4(s.layout.ip_of(self.index)),
            s.udp_port,
            s.udp_port,
            id,
        );
        let storage = self.storage.take().unwrap_or_else(Storage::memory);
        let cfg = NodeDbConfig {
            version: self.db_version,
            ..s.nodedb.clone()
        };
        let db = match NodeDb::open(storage, id, cfg) {
            Ok(db) => db,
            Err(e) => {
                self.slot_stats.open_failures += 1;
                warn!(slot = self.index, err = %e, "node database could not be opened; peer stays offline");
                return;
            }
        };
        self.slot_stats.version_flushes += db.stats().version_flushes;
        self.slot_stats.db_recoveries += db.stats().recoveries;
        let bootnodes = s.bootnodes.iter().filter(|b| b.id != id).copied().collect();
        let rng = stream(
            s.seed,
            Purpose::Protocol,
            self.index as u64,
            self.incarnation,
        );
        let mut peer = Peer::new(me, self.protocol.clone(), db, bootnodes, rng);
        peer.set_hash_check(s.hash_check);
        peer.start(now);
        self.peer = Some(peer);
    }

    fn leave(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        self.close_conns(now, out);
        // Packets waiting in the socket die with the process.
        self.slot_stats.dropped_offline += self.queued.len() as u64;
        self.queued.clear();
        if let Some(mut p) = self.peer.take() {
            self.past += p.stats();
            let records_expired = p.db().stats().expired_nodes;
            self.past_expired += records_expired;
            self.events.push((
                now,
                SlotEvent::Stopped(SessionEnd {
                    packets_sent: p.stats().packets_sent(),
                    records_expired,
                    dial: dial_snapshot(&p),
                }),
            ));
            self.storage = Some(p.shutdown());
        }
        if let Some(nat) = self.nat.as_mut() {
            *nat = Nat::default();
        }
    }

    /// Routes what the peer sent at `now` and collects its events.
    fn flush(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        self.start_dials(now, out);
        let Some(peer) = self.peer.as_mut() else {
            return;
        };
        for e in peer.drain_events() {
            self.events.push((now, SlotEvent::Peer(e)));
        }
        let s = &self.shared;
        let src = SocketAddr::new(peer.node().ip, peer.node().udp);
        for t in peer.drain_transmits() {
            let to = match t.to.ip() {
                IpAddr::V4(v4) => s.layout.index_of(v4).filter(|i| *i < s.peers),
                IpAddr::V6(_) => None,
            };
            let Some(to) = to else {
                self.slot_stats.unroutable += 1;
                continue;
            };
            if let Some(nat) = self.nat.as_mut() {
                nat.record_outbound(to, now);
            }
            let Some(delay) = s
                .network
                .packet_delay(s.seed, self.index, to, &mut self.net_rng)
            else {
                self.slot_stats.lost += 1;
                continue;
            };
            let kind = InputKind::Packet {
                src,
                bytes: t.bytes,
            };
            self.sender.emit(now + delay, to, kind, out);
        }
    }

    pub(super) fn take_events(&mut self) -> Vec<(SimTime, SlotEvent)> {
        std::mem::take(&mut self.events)
    }

    /// The slot's state; `full` adds the IDs its database holds.
    pub(super) fn snapshot(&mut self, full: bool) -> Snapshot {
        let layout = &self.shared.layout;
        let mut protocol = self.past.clone();
        let (mut session_sent, mut session_expired, mut db_ids) = (0, 0, Vec::new());
        let dial = self.peer.as_ref().and_then(dial_snapshot);
        let (online, init_done, table, db_records, db_nodes) = match self.peer.as_mut() {
            None => (false, false, Vec::new(), 0, 0),
            Some(p) => {
                session_sent = p.stats().packets_sent();
                session_expired = p.db().stats().expired_nodes;
                if full {
                    db_ids = p.db().record_ids().iter().map(id_prefix).collect();
                }
                protocol += p.stats();
                let table = p
                    .table()
                    .entries()
                    .map(|e| {
                        let slot = match e.node.ip {
                            IpAddr::V4(v4) => layout.index_of(v4).unwrap_or(Snapshot::NOT_A_SLOT),
                            IpAddr::V6(_) => Snapshot::NOT_A_SLOT,
                        };
                        (slot, id_prefix(&e.node.id))
                    })
                    .collect();
                let init_done = p.init_done();
                let db = p.db();
                (true, init_done, table, db.record_count(), db.node_count())
            }
        };
        Snapshot {
            index: self.index,
            online,
            init_done,
            table,
            db_records,
            db_nodes,
            db_ids,
            session_sent,
            session_expired,
            expired_total: self.past_expired + session_expired,
            protocol,
            slot_stats: self.slot_stats.clone(),
            dial,
        }
    }

    /// The digest of every input this slot processed, in order (with tracing on).
    pub(super) fn digest(&self) -> Option<[u8; 32]> {
        self.digest.as_ref().map(|d| {
            let mut out = [0u8; 32];
            d.clone().finalize(&mut out);
            out
        })
    }
}

/// The running dialer's state, when the peer runs one.
fn dial_snapshot(p: &Peer) -> Option<DialSnapshot> {
    p.dialer().map(|d| {
        let (dyn_peers, inbound_peers) = d.peer_counts();
        DialSnapshot {
            dyn_peers,
            inbound_peers,
            max_dyn: d.max_dyn(),
            milestones: d.milestones(),
            dials: p.stats().dials,
            dials_failed: p.stats().dials_failed,
            lookups: p.stats().dialer_lookups,
        }
    })
}
