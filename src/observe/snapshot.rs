//! What the observer reads of a slot between windows: a [`Snapshot`] of its table, database and
//! counters. The engine takes snapshots; only the observer interprets them.

use crate::discv4::node::NodeId;
use crate::discv4::protocol::PeerStats;

/// Counters of what happened to a slot outside the protocol: its packets on the network, and the
/// engine's work for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlotStats {
    /// Sent packets lost by the loss model.
    pub lost: u64,
    /// Sent packets to an address no peer has.
    pub unroutable: u64,
    /// Packets that arrived while this peer was offline.
    pub dropped_offline: u64,
    /// Unsolicited packets this peer's NAT dropped.
    pub dropped_nat: u64,
    /// Node databases that could not be opened at a join (the peer stays offline).
    pub open_failures: u64,
    /// Node databases flushed at a join because their version differed (upgrades).
    pub version_flushes: u64,
    /// Node databases found damaged at a join and rebuilt from what was readable.
    pub db_recoveries: u64,
    /// Inputs handled (packets delivered and scenario actions).
    pub inputs: u64,
    /// Timer wake-ups of the peer.
    pub timer_wakes: u64,
}

/// Totals over slots. Every field is named here: a counter added to [`SlotStats`] and not summed
/// does not compile (and `every_counter_is_summed` checks the sums).
impl std::ops::AddAssign<&SlotStats> for SlotStats {
    fn add_assign(&mut self, other: &SlotStats) {
        let SlotStats {
            lost,
            unroutable,
            dropped_offline,
            dropped_nat,
            open_failures,
            version_flushes,
            db_recoveries,
            inputs,
            timer_wakes,
        } = other;
        self.lost += lost;
        self.unroutable += unroutable;
        self.dropped_offline += dropped_offline;
        self.dropped_nat += dropped_nat;
        self.open_failures += open_failures;
        self.version_flushes += version_flushes;
        self.db_recoveries += db_recoveries;
        self.inputs += inputs;
        self.timer_wakes += timer_wakes;
    }
}

/// What a runner reports at a metrics sample or a bootstrap check.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The slot.
    pub index: u32,
    /// A peer is running in the slot (false while offline, or when its database failed to open).
    pub online: bool,
    /// The running peer's first refresh has ended.
    pub init_done: bool,
    /// Table entries as (slot, first 8 bytes of the node ID); slot [`Snapshot::NOT_A_SLOT`] if
    /// the address belongs to no slot.
    pub table: Vec<(u32, u64)>,
    /// Node records in the running peer's database (0 when offline).
    pub db_records: usize,
    /// Nodes the running peer's database holds anything about (records, ping and pong times,
    /// FINDNODE failures; 0 when offline): what its size grows with.
    pub db_nodes: usize,
    /// The first 8 bytes of the ID of every node the database holds a record of (self excluded);
    /// only in full snapshots, for the staleness of databases.
    pub db_ids: Vec<u64>,
    /// Packets sent by the running incarnation since it started.
    pub session_sent: u64,
    /// Records the running incarnation's expirer deleted since it started.
    pub session_expired: u64,
    /// Records expired over every incarnation of this slot.
    pub expired_total: u64,
    /// Protocol counters summed over every incarnation of this slot.
    pub protocol: PeerStats,
    /// The slot's network and engine counters since the start of the run.
    pub slot_stats: SlotStats,
    /// The dialer's state, when it runs and the peer is online.
    pub dial: Option<DialSnapshot>,
}

/// A running dialer, as a snapshot sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DialSnapshot {
    /// Connected peers dialed by us (dynamic).
    pub dyn_peers: usize,
    /// Connected peers that dialed us (inbound).
    pub inbound_peers: usize,
    /// `maxDynDials`: the dynamic peers the dialer aims for.
    pub max_dyn: usize,
    /// When this session first had a peer, half of `max_dyn` dynamic peers, and all of them.
    pub milestones: [Option<crate::sim::clock::SimTime>; 3],
    /// Dials this session's dialer started.
    pub dials: u64,
    /// Of those, the dials that ended without a connection.
    pub dials_failed: u64,
    /// Lookups this session's dialer started.
    pub lookups: u64,
}

/// What a peer's session did, from its start until it stopped: reported by the slot when the
/// peer stops, or read from the last snapshot when the run ends, and kept by its episode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionEnd {
    /// Packets the peer sent in the session, every kind.
    pub packets_sent: u64,
    /// Records the peer's expirer deleted in the session.
    pub records_expired: u64,
    /// The dialer's state at the stop, when the peer ran one.
    pub dial: Option<DialSnapshot>,
}

impl Snapshot {
    /// What the session running at this snapshot has done so far.
    pub fn session(&self) -> SessionEnd {
        SessionEnd {
            packets_sent: self.session_sent,
            records_expired: self.session_expired,
            dial: self.dial.clone(),
        }
    }

    /// The slot of a table entry whose address belongs to no peer slot.
    pub const NOT_A_SLOT: u32 = u32::MAX;
}

/// The first 8 bytes of an ID: enough to tell incarnations of a slot apart in metrics.
pub fn id_prefix(id: &NodeId) -> u64 {
    u64::from_be_bytes(id.0[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    /// Every number in `v` set to `n`.
    fn fill(v: &mut serde_json::Value, n: u64) {
        match v {
            serde_json::Value::Number(x) => *x = n.into(),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| fill(x, n)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| fill(x, n)),
            _ => {}
        }
    }

    /// Ones everywhere, added to itself, must give twos everywhere: a counter that `+=` forgets
    /// stays at one.
    fn assert_every_counter_summed<T>()
    where
        T: Default + Serialize + DeserializeOwned + for<'a> std::ops::AddAssign<&'a T>,
    {
        let mut v = serde_json::to_value(T::default()).unwrap();
        fill(&mut v, 1);
        let one: T = serde_json::from_value(v.clone()).unwrap();
        let mut sum: T = serde_json::from_value(v.clone()).unwrap();
        sum += &one;
        fill(&mut v, 2);
        assert_eq!(serde_json::to_value(&sum).unwrap(), v);
    }

    #[test]
    fn every_counter_is_summed() {
        assert_every_counter_summed::<SlotStats>();
        assert_every_counter_summed::<PeerStats>();
    }
}
