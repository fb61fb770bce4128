//! What reaches a slot, and in which order: the engine's ordering contract.

use std::net::SocketAddr;

use super::config::Action;
use crate::discv4::node::NodeId;
use crate::discv4::protocol::Profile;
use crate::sim::churn::ChurnEvent;
use crate::sim::clock::SimTime;

/// A peer slot: the index of a peer position in the run (its identity may change with fresh
/// restarts; its slot never does). Slots are dealt round robin to shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Slot(pub u32);

impl Slot {
    /// The coordinator, as the sender of scenario actions. It is the largest slot, so at one
    /// instant a slot handles every packet before the scenario's actions.
    pub(crate) const COORDINATOR: Slot = Slot(u32::MAX);

    /// The shard thread that runs this slot. Call wherever an input is routed.
    pub(crate) fn shard_of(self, shards: usize) -> usize {
        self.0 as usize % shards
    }

    /// The slot's position among its shard's slots (the index into the shard's arrays).
    pub(crate) fn local_in(self, shards: usize) -> usize {
        self.0 as usize / shards
    }

    /// The slot at position `local` of shard `shard`: the inverse of [`Slot::shard_of`] and
    /// [`Slot::local_in`].
    pub(crate) fn from_local(local: usize, shard: usize, shards: usize) -> Slot {
        Slot((local * shards + shard) as u32)
    }
}

/// The order in which a slot handles its inputs, and so the contract that makes a run
/// independent of its thread count: by arrival time, then sender slot, then the sender's own
/// sequence number. Every sender numbers what it sends, so no two inputs of a slot share a key,
/// and the order never depends on which shard delivered first.
///
/// A slot's own timers are not inputs: at one instant they fire after its inputs, in the order
/// they were set (geth's `mclock` rule), which the protocol state machine keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct InputKey {
    pub at: SimTime,
    pub from: Slot,
    pub seq: u64,
}

/// A scenario action for one slot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Control {
    Join,
    Leave,
    Restart {
        fresh: bool,
        db_version: Option<i64>,
        profile: Option<Profile>,
    },
    Probe {
        id: u64,
        target: NodeId,
    },
}

/// What a scenario's action does to each slot it names.
impl From<&Action> for Control {
    fn from(action: &Action) -> Control {
        match action {
            Action::Leave => Control::Leave,
            Action::Join => Control::Join,
            Action::Restart {
                fresh,
                db_version,
                profile,
            } => Control::Restart {
                fresh: *fresh,
                db_version: *db_version,
                profile: *profile,
            },
        }
    }
}

/// What a churn event does to its slot: a fresh return is a restart with a new identity.
impl From<ChurnEvent> for Control {
    fn from(event: ChurnEvent) -> Control {
        match event {
            ChurnEvent::Leave => Control::Leave,
            ChurnEvent::Return => Control::Join,
            ChurnEvent::FreshReturn => Control::Restart {
                fresh: true,
                db_version: None,
                profile: None,
            },
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum InputKind {
    Packet {
        src: SocketAddr,
        bytes: Vec<u8>,
    },
    /// Boxed, as `Conn`: packets are nearly every input, and an inbox entry the size of the
    /// largest variant would make every heap push and pop move twice the bytes.
    Control(Box<Control>),
    /// A TCP/RLPx step of a dialer connection (only with `protocol.dialer`).
    Conn(Box<ConnMsg>),
}

/// A connection, named by the slot that dialed it and that slot's own number for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnKey {
    pub dialer: u32,
    pub id: u64,
}

/// The steps of a dial from A to B (geth's `SetupConn`, spec §3), each a message between the two
/// slots with the link's latency (no loss, no jitter: TCP retransmits).
#[derive(Clone, Debug)]
pub(crate) enum ConnMsg {
    /// A's SYN, with A's identity and the identity A expects at B (arrives at 0.5 RTT).
    Syn {
        conn: ConnKey,
        from_id: NodeId,
        to_id: NodeId,
    },
    /// A's AUTH, sent after the SYN-ACK (arrives at 1.5 RTT).
    Auth { conn: ConnKey },
    /// B to A: the TCP connect failed, refused (at 1 RTT) or timed out (at `dial_timeout`).
    ConnectFailed { conn: ConnKey },
    /// B to A after B's accept and first checkpoint: ACK and HELLO, or DISC (at 2 RTT).
    Ack { conn: ConnKey, ok: bool },
    /// A to B after A's checkpoints: HELLO (and whether the eth handshake will fail), or DISC
    /// (at 2.5 RTT).
    Hello {
        conn: ConnKey,
        ok: bool,
        useless: bool,
    },
    /// Either side closed the connection (it left, refused the last checkpoint, or the eth
    /// handshake failed).
    Close { conn: ConnKey },
}

/// Something that happens to a slot at an instant: a packet arriving or a scenario action.
#[derive(Clone, Debug)]
pub(crate) struct Input {
    pub at: SimTime,
    /// Sender slot ([`Slot::COORDINATOR`] for scenario actions).
    pub from: Slot,
    /// The sender's sequence number: ties at one instant from one sender keep sending order.
    pub seq: u64,
    pub kind: InputKind,
}

// Every packet in flight sits in a slot's inbox heap as an `Input`, moved at each push and pop:
// keep it small (the large, rare variants are boxed).
const _: () = assert!(std::mem::size_of::<Input>() <= 80);

impl Input {
    /// Where this input falls in its slot's order.
    pub(crate) fn key(&self) -> InputKey {
        InputKey {
            at: self.at,
            from: self.from,
            seq: self.seq,
        }
    }
}

impl PartialEq for Input {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
    }
}
impl Eq for Input {}
impl PartialOrd for Input {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Input {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key().cmp(&o.key())
    }
}
