//! The discrete-event engine: virtual time, peer actors on shards, and the observer.
//!
//! # Time and ordering guarantees
//!
//! - Time is a [`SimTime`](crate::sim::clock::SimTime) that only the engine advances. It jumps
//!   from one instant with work to the next; nothing sleeps and nothing reads the wall clock.
//! - Time advances in *windows* no longer than the smallest possible link latency
//!   ([`crate::sim::network::LatencyModel::min_latency`]). A packet sent inside a window therefore
//!   always arrives after it, so within a window every peer slot depends only on itself: the
//!   shards run their slots independently, on as many threads as configured. Between two of the
//!   coordinator's instants (samples, checks, probes, scenario actions) the shards run the
//!   windows on their own, exchanging packets directly at each window's end, and compute the
//!   same windows the coordinator would (`shard::Batch`).
//! - Each slot handles its inputs in the order `(arrival time, sender slot, sender's sequence
//!   number)`, and at equal instants inputs before its own timers; a peer's timers due at the same
//!   instant fire in the order they were set. Scenario actions (joins, leaves, restarts, probes)
//!   are inputs from the coordinator (`Slot::COORDINATOR`) and sort after packets of the same
//!   instant. The key is a named type, `input::InputKey`.
//! - Every random draw comes from a ChaCha stream owned by one slot (or by the observer), derived
//!   from the seed, its purpose and its slot number (see [`crate::sim::rng`]).
//!
//! Together these make a run a function of its configuration and seed alone: the samples, the
//! probes and the per-slot input digests are identical with one thread or several (tested in
//! `tests/engine.rs`).

//!
//! # Files by role
//!
//! - `config.rs`: [`SimConfig`] and what a scenario schedules ([`JoinSchedule`], [`Action`]).
//! - `timeline.rs`: joins, churn, traces and actions merged into one timeline.
//! - `input.rs`: what reaches a slot, and the ordering key.
//! - `coordinator.rs`: virtual time, windows, the observer.
//! - `shard.rs`, `actor.rs`: a shard thread's actix system and its peer actors.
//! - `stepper.rs`: one shard stepped window by window without the coordinator (benchmarks).
//! - `runner.rs`: one slot (online or not, NAT, loss and latency draws) around a
//!   [`crate::discv4::protocol::Peer`].

mod actor;
mod config;
mod conn;
mod coordinator;
mod input;
mod runner;
mod shard;
mod stepper;
mod timeline;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::discv4::node::Node;
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::{PeerStats, Profile, ProtocolConfig};
use crate::observe::metrics::{Episode, ProbeOutcome, Sample};
use crate::observe::snapshot::{SlotStats, Snapshot};
use crate::sim::network::NetworkConfig;

pub use config::{Action, JoinSchedule, ScheduledAction, SimConfig, SimError};
pub(crate) use input::{ConnKey, ConnMsg, Control, Input, InputKind, Slot};
pub(crate) use runner::identity;
pub use stepper::{ShardStepper, WindowWork};

/// What every shard needs to know, shared read-only.
pub(crate) struct Shared {
    pub seed: u64,
    pub peers: u32,
    pub udp_port: u16,
    pub layout: crate::sim::network::IpLayout,
    pub network: NetworkConfig,
    pub protocol: Arc<ProtocolConfig>,
    /// Slots whose first profile is not `protocol.profile`.
    pub profiles: BTreeMap<u32, Profile>,
    pub nodedb: NodeDbConfig,
    pub bootnodes: Vec<Node>,
    /// Which slots sit behind a NAT.
    pub nat: Vec<bool>,
    pub trace: bool,
    /// How peers check arriving packets' hashes ([`SimConfig::verify_packet_hashes`]).
    pub hash_check: crate::discv4::packet::HashCheck,
}

impl Shared {
    /// What the shards of a run share, from its configuration.
    pub(crate) fn from_config(cfg: &SimConfig) -> Shared {
        let layout = cfg.network.ip_layout;
        let bootnodes = (0..cfg.bootnodes)
            .map(|i| {
                let ip = std::net::IpAddr::V4(layout.ip_of(i));
                Node::new(ip, cfg.udp_port, cfg.udp_port, identity(cfg.seed, i, 0))
            })
            .collect();
        // Bootnodes are reachable by definition; other peers sit behind a NAT at the configured
        // rate.
        let nat = (0..cfg.peers)
            .map(|i| i >= cfg.bootnodes && cfg.network.behind_nat(cfg.seed, i))
            .collect();
        Shared {
            seed: cfg.seed,
            peers: cfg.peers,
            udp_port: cfg.udp_port,
            layout,
            network: cfg.network.clone(),
            protocol: Arc::new(cfg.protocol.clone()),
            profiles: cfg.profiles.clone(),
            nodedb: cfg.nodedb.clone(),
            bootnodes,
            nat,
            trace: cfg.trace,
            hash_check: if cfg.verify_packet_hashes {
                crate::discv4::packet::HashCheck::Verify
            } else {
                crate::discv4::packet::HashCheck::Trust
            },
        }
    }
}

/// The digest of a run: every slot's input digest (zeros for a slot without one), in slot order.
fn run_digest(mut slots: Vec<(u32, Option<[u8; 32]>)>) -> [u8; 32] {
    use tiny_keccak::{Hasher, Keccak};
    slots.sort_by_key(|(slot, _)| *slot);
    let mut k = Keccak::v256();
    for (slot, d) in slots {
        k.update(&slot.to_le_bytes());
        k.update(&d.unwrap_or([0; 32]));
    }
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// Work counters of a run, for the benchmark.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunCounters {
    /// Windows the coordinator ran.
    pub windows: u64,
    /// Times a slot was run in a window (one actor message each).
    pub slot_runs: u64,
    /// Packets delivered to peers (decoded or not).
    pub packets_received: u64,
    /// Packets sent by peers.
    pub packets_sent: u64,
    /// Bytes sent by peers.
    pub bytes_sent: u64,
}

/// The result of a run.
#[derive(Clone, Debug)]
pub struct SimOutput {
    /// The time series: one sample every `sample_interval`, from one interval in up to the end.
    pub samples: Vec<Sample>,
    /// Every probe lookup that finished, judged against the truth, in the order they finished.
    pub probes: Vec<ProbeOutcome>,
    /// Seconds from the start until the convergence criteria first held at a sample.
    pub convergence: Option<f64>,
    /// The last snapshot of every slot.
    pub final_snapshots: Vec<Snapshot>,
    /// Protocol counters summed over all peers.
    pub totals: PeerStats,
    /// Slot counters (network losses, engine work) summed over all slots.
    pub slot_stats: SlotStats,
    /// Every bootstrap episode (a join, return or restart), in the order they began.
    pub episodes: Vec<Episode>,
    /// The engine's work, for the benchmark.
    pub counters: RunCounters,
    /// Digest over every slot's input digest, in slot order (with `trace`).
    pub digest: Option<[u8; 32]>,
}

/// Runs a simulation to its end.
///
/// ```
/// use discsim::sim::engine::{run, SimConfig};
/// use std::time::Duration;
/// let cfg = SimConfig {
///     peers: 20,
///     duration: Duration::from_secs(120),
///     ..SimConfig::default()
/// };
/// let out = run(&cfg).unwrap();
/// assert_eq!(out.samples.len(), 2);
/// assert!(out.counters.packets_sent > 0);
/// ```
pub fn run(cfg: &SimConfig) -> Result<SimOutput, SimError> {
    run_with_progress(cfg, &mut |_| {})
}

/// [`run`], showing `progress` every sample as it is taken (its `t` is the virtual time elapsed),
/// for a progress bar or `bench`'s memory over time; it cannot change the run.
pub fn run_with_progress(
    cfg: &SimConfig,
    progress: &mut dyn FnMut(&Sample),
) -> Result<SimOutput, SimError> {
    cfg.validate()?;
    coordinator::Coordinator::new(cfg).run(progress)
}
