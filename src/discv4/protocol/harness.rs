//! A tiny in-test network for protocol tests without actors (like quinn-proto's `Pair` or geth's
//! `table_util_test.go`): peers wired by a constant 50 ms latency, packets and timers run in time
//! order. Shared by the protocol's own tests and each profile's.
#![allow(unreachable_pub)]

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::*;
use crate::discv4::nodedb::{NodeDbConfig, Storage};
use crate::sim::rng::{stream, Purpose};

pub const LATENCY: Duration = Duration::from_millis(50);

pub fn t0() -> SimTime {
    SimTime::DEFAULT_EPOCH
}

/// Peer `i` lives alone in its /24, so that geth's IP limits never interfere here.
pub fn addr(i: usize) -> SocketAddr {
    SocketAddr::new(
        IpAddr::from([11, (i / 250) as u8, (i % 250) as u8, 1]),
        30303,
    )
}

fn index(a: &SocketAddr) -> usize {
    match a.ip() {
        IpAddr::V4(v) => v.octets()[1] as usize * 250 + v.octets()[2] as usize,
        _ => unreachable!(),
    }
}

pub fn node(i: usize) -> Node {
    let id = NodeId::random(&mut stream(99, Purpose::Identity, i as u64, 0));
    Node::new(addr(i).ip(), 30303, 30303, id)
}

/// The default knobs without the dialer: the harness has no TCP to answer dials, and the
/// discovery rules are tested alone (as geth's own `p2p/discover` tests run them).
pub fn discovery_only() -> ProtocolConfig {
    ProtocolConfig {
        dialer: false,
        ..ProtocolConfig::default()
    }
}

type Wire = Reverse<(SimTime, u64, usize, SocketAddr, Vec<u8>)>;

pub struct Net {
    pub peers: Vec<Peer>,
    queue: BinaryHeap<Wire>,
    seq: u64,
    /// Slots whose inbound packets are dropped (dead, or unreachable).
    pub down: BTreeSet<usize>,
    /// Slots whose FINDNODE requests are dropped before they arrive.
    pub mute_findnode_to: BTreeSet<usize>,
    pub now: SimTime,
    pub events: Vec<(usize, PeerEvent)>,
}

impl Net {
    /// `n` peers with fresh in-memory databases; slot 0 is everyone's bootnode.
    pub fn new(n: usize, cfg: ProtocolConfig) -> Net {
        Net::with_db(n, cfg, NodeDbConfig::default())
    }

    /// [`Net::new`] with these node-database knobs for every peer.
    pub fn with_db(n: usize, cfg: ProtocolConfig, db_cfg: NodeDbConfig) -> Net {
        let cfg = Arc::new(cfg);
        let peers = (0..n)
            .map(|i| {
                let me = node(i);
                let db = NodeDb::open(Storage::memory(), me.id, db_cfg.clone()).unwrap();
                let boot = if i == 0 { vec![] } else { vec![node(0)] };
                Peer::new(
                    me,
                    cfg.clone(),
                    db,
                    boot,
                    stream(99, Purpose::Protocol, i as u64, 0),
                )
            })
            .collect();
        Net {
            peers,
            queue: BinaryHeap::new(),
            seq: 0,
            down: BTreeSet::new(),
            mute_findnode_to: BTreeSet::new(),
            now: t0(),
            events: Vec::new(),
        }
    }

    pub fn flush(&mut self, i: usize) {
        let from = addr(i);
        let now = self.now;
        let out: Vec<Transmit> = self.peers[i].drain_transmits().collect();
        for t in out {
            let to = index(&t.to);
            if to >= self.peers.len() || self.down.contains(&to) {
                continue;
            }
            if t.kind == PacketKind::FindNode && self.mute_findnode_to.contains(&to) {
                continue;
            }
            self.seq += 1;
            self.queue
                .push(Reverse((now + LATENCY, self.seq, to, from, t.bytes)));
        }
        for e in self.peers[i].drain_events() {
            self.events.push((i, e));
        }
    }

    pub fn start(&mut self, i: usize) {
        self.peers[i].start(self.now);
        self.flush(i);
    }

    /// Runs every packet and timer up to `until`, in time order.
    pub fn run_until(&mut self, until: SimTime) {
        loop {
            let tq = self.queue.peek().map(|Reverse((t, ..))| *t);
            let (tt, who) = self
                .peers
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.next_timer().map(|t| (t, i)))
                .min()
                .map_or((None, 0), |(t, i)| (Some(t), i));
            let next = match (tq, tt) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(x) => x,
                    None => break,
                },
            };
            if next > until {
                break;
            }
            self.now = next;
            if tq == Some(next) {
                let Reverse((_, _, to, from, bytes)) = self.queue.pop().unwrap();
                if !self.down.contains(&to) {
                    self.peers[to].handle_packet(next, from, &bytes);
                    self.flush(to);
                }
            } else {
                self.peers[who].handle_timers(next);
                self.flush(who);
            }
        }
        self.now = until;
    }

    pub fn db(&mut self, i: usize) -> &mut NodeDb {
        self.peers[i].db()
    }
}
