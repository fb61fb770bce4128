//! The discrete-event engine: virtual time, peer actors on shards, and the observer.
//!
//! # Time and ordering guarantees
//!
//! - Time is a [`SimTime`] that only the coordinator advances. It jumps from one instant with work
//!   to the next; nothing sleeps and nothing reads the wall clock.
//! - The coordinator advances in *windows* no longer than the smallest possible link latency
//!   ([`crate::sim::network::LatencyModel::min_latency`]). A packet sent inside a window therefore
//!   always arrives after it, so within a window every peer slot depends only on itself: the
//!   shards run their slots independently, on as many threads as configured.
//! - Each slot handles its inputs in the order `(arrival time, sender slot, sender's sequence
//!   number)`, and at equal instants inputs before its own timers; a peer's timers due at the same
//!   instant fire in the order they were set. Scenario actions (joins, leaves, restarts, probes)
//!   are inputs from the coordinator (sender slot `u32::MAX`) and sort after packets of the same
//!   instant.
//! - Every random draw comes from a ChaCha stream owned by one slot (or by the observer), derived
//!   from the seed, its purpose and its slot number (see [`crate::sim::rng`]).
//!
//! Together these make a run a function of its configuration and seed alone: the samples, the
//! probes and the per-slot input digests are identical with one thread or several (tested in
//! `tests/engine.rs`).

mod actor;
pub mod runner;
mod shard;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use tiny_keccak::{Hasher, Keccak};

use crate::discv4::node::{Node, NodeId};
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::{PeerEvent, PeerStats, Profile, ProtocolConfig};
use crate::observe::metrics::{
    ConvergenceCriteria, Episode, EpisodeKind, Observer, ProbeOutcome, Sample,
};
use crate::sim::churn::{ChurnConfig, ChurnEvent, DurationDist};
use crate::sim::clock::SimTime;
use crate::sim::network::NetworkConfig;
use crate::sim::rng::{stream, Purpose};
use runner::{identity, Outgoing, SlotEvent, SlotStats, Snapshot};
use shard::{ShardCmd, ShardReply};

/// When the non-bootnode peers join (in a scenario file: `kind = "all-at-once"`, or
/// `kind = "ramp"` and `over`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum JoinSchedule {
    /// Every peer at the start.
    AllAtOnce,
    /// Evenly spread over the first `over` of the run.
    Ramp {
        #[serde(with = "crate::sim::clock::human_duration")]
        over: Duration,
    },
    /// A Poisson process: exponential gaps with this mean between arrivals.
    Poisson {
        #[serde(with = "crate::sim::clock::human_duration")]
        mean_interval: Duration,
    },
}

/// Something the scenario does to a set of peers at a given time.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Stop the peers (their databases are kept).
    Leave,
    /// Start stopped peers again.
    Join,
    /// Stop and start at once; `fresh` wipes the database and draws a new identity; `db_version`
    /// sets the version the node database is opened with and `profile` the protocol rules the
    /// peer runs from then on (an upgrade).
    Restart {
        fresh: bool,
        db_version: Option<i64>,
        profile: Option<Profile>,
    },
}

/// An [`Action`] applied to `peers` at `at` (an offset from the start of the run), or, with a
/// non-zero `over`, spread evenly over `[at, at + over)` in the order of `peers` (a rolling
/// upgrade).
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    pub at: Duration,
    pub peers: Vec<u32>,
    pub action: Action,
    pub over: Duration,
}

/// Everything a run depends on.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Peer slots; slots `0..bootnodes` are the bootnodes.
    pub peers: u32,
    pub bootnodes: u32,
    /// Virtual start of the run (Unix time).
    pub start: SimTime,
    pub duration: Duration,
    /// How often the observer samples.
    pub sample_interval: Duration,
    /// How often a probe lookup is started from a random live peer (none if `None`).
    pub probe_interval: Option<Duration>,
    /// Shard threads.
    pub threads: usize,
    pub udp_port: u16,
    pub join: JoinSchedule,
    pub actions: Vec<ScheduledAction>,
    /// Peers leaving and coming back (none by default).
    pub churn: ChurnConfig,
    pub protocol: ProtocolConfig,
    /// Slots that start with another profile than `protocol.profile` (peer groups).
    pub profiles: BTreeMap<u32, Profile>,
    pub nodedb: NodeDbConfig,
    pub network: NetworkConfig,
    pub convergence: ConvergenceCriteria,
    /// Keep a digest of every slot's inputs (for determinism checks; costs a hash per packet).
    pub trace: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            peers: 200,
            bootnodes: 2,
            start: SimTime::DEFAULT_EPOCH,
            duration: Duration::from_secs(3600),
            sample_interval: Duration::from_secs(60),
            probe_interval: Some(Duration::from_secs(30)),
            threads: 1,
            udp_port: 30303,
            join: JoinSchedule::AllAtOnce,
            actions: Vec::new(),
            churn: ChurnConfig::default(),
            protocol: ProtocolConfig::default(),
            profiles: BTreeMap::new(),
            nodedb: NodeDbConfig::default(),
            network: NetworkConfig::default(),
            convergence: ConvergenceCriteria::default(),
            trace: false,
        }
    }
}

impl SimConfig {
    /// Every profile some peer runs at some point: the default, the groups', the upgrades'.
    pub fn profiles_used(&self) -> std::collections::BTreeSet<Profile> {
        let mut used: std::collections::BTreeSet<Profile> =
            self.profiles.values().copied().collect();
        used.insert(self.protocol.profile);
        for a in &self.actions {
            if let Action::Restart {
                profile: Some(p), ..
            } = a.action
            {
                used.insert(p);
            }
        }
        used
    }
}

/// A configuration the engine cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid `{field}`: {allowed}")]
    Invalid { field: String, allowed: String },
    #[error("simulation thread failed: {0}")]
    Runtime(String),
}

fn invalid(field: &str, allowed: impl Into<String>) -> SimError {
    SimError::Invalid {
        field: field.to_string(),
        allowed: allowed.into(),
    }
}

impl SimConfig {
    /// Checks what the engine relies on; errors name the knob and what is allowed.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.peers == 0 {
            return Err(invalid("peers", "at least 1"));
        }
        if self.bootnodes > self.peers {
            return Err(invalid(
                "bootnodes",
                format!("at most peers ({})", self.peers),
            ));
        }
        if (self.peers as u64) > self.network.ip_layout.capacity() {
            return Err(invalid(
                "network.ip_layout",
                format!(
                    "room for {} peers; this layout holds {}",
                    self.peers,
                    self.network.ip_layout.capacity()
                ),
            ));
        }
        self.network
            .validate()
            .map_err(|e| invalid("network", e.to_string()))?;
        for profile in self.profiles_used() {
            let protocol = ProtocolConfig {
                profile,
                ..self.protocol.clone()
            };
            protocol.validate().map_err(|e| SimError::Invalid {
                field: e.key,
                allowed: format!("{} (profile {profile})", e.allowed),
            })?;
        }
        if let Some(s) = self.profiles.keys().find(|s| **s >= self.peers) {
            return Err(invalid(
                "groups.peers",
                format!("slots below {} (got {s})", self.peers),
            ));
        }
        self.nodedb
            .validate()
            .map_err(|e| invalid(e.key, e.allowed))?;
        if self.duration.is_zero() {
            return Err(invalid("duration", "more than 0"));
        }
        if self.sample_interval.is_zero() {
            return Err(invalid("sample_interval", "more than 0"));
        }
        if self.convergence.check_interval.is_zero() {
            return Err(invalid("convergence.check_interval", "more than 0"));
        }
        if self.probe_interval.is_some_and(|p| p.is_zero()) {
            return Err(invalid("probe_interval", "more than 0, or none"));
        }
        if self.threads == 0 || self.threads > 256 {
            return Err(invalid("threads", "1 to 256"));
        }
        if self.udp_port <= self.protocol.min_udp_port {
            return Err(invalid(
                "udp_port",
                format!(
                    "above protocol.min_udp_port ({})",
                    self.protocol.min_udp_port
                ),
            ));
        }
        if let JoinSchedule::Poisson { mean_interval } = self.join {
            if mean_interval.is_zero() {
                return Err(invalid("join.mean_interval", "more than 0"));
            }
        }
        self.churn.validate().map_err(|e| SimError::Invalid {
            field: "churn".into(),
            allowed: e,
        })?;
        if let Some(s) = self.churn.sessions.iter().find(|s| s.peer >= self.peers) {
            return Err(invalid(
                "churn.sessions",
                format!("peers below {} (got {})", self.peers, s.peer),
            ));
        }
        for a in &self.actions {
            if let Some(p) = a.peers.iter().find(|p| **p >= self.peers) {
                return Err(invalid(
                    "actions.peers",
                    format!("slots below {} (got {p})", self.peers),
                ));
            }
        }
        Ok(())
    }
}

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

#[derive(Clone, Debug)]
pub(crate) enum InputKind {
    Packet { src: SocketAddr, bytes: Vec<u8> },
    Control(Control),
}

/// Something that happens to a slot at an instant: a packet arriving or a scenario action.
#[derive(Clone, Debug)]
pub(crate) struct Input {
    pub at: SimTime,
    /// Sender slot (`u32::MAX` for the coordinator).
    pub from: u32,
    /// The sender's sequence number: ties at one instant from one sender keep sending order.
    pub seq: u64,
    pub kind: InputKind,
}

impl PartialEq for Input {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.from, self.seq) == (o.at, o.from, o.seq)
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
        (self.at, self.from, self.seq).cmp(&(o.at, o.from, o.seq))
    }
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
    pub samples: Vec<Sample>,
    pub probes: Vec<ProbeOutcome>,
    /// Seconds from the start until the convergence criteria first held at a sample.
    pub convergence: Option<f64>,
    /// The last snapshot of every slot.
    pub final_snapshots: Vec<Snapshot>,
    /// Protocol counters summed over all peers.
    pub totals: PeerStats,
    /// Slot counters (network losses, engine work) summed over all slots.
    pub link: SlotStats,
    /// Every bootstrap episode (a join, return or restart), in the order they began.
    pub episodes: Vec<Episode>,
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

/// [`run`], calling `progress` with the virtual time elapsed at every sample (for a progress
/// bar; it cannot change the run).
pub fn run_with_progress(
    cfg: &SimConfig,
    progress: &mut dyn FnMut(Duration),
) -> Result<SimOutput, SimError> {
    cfg.validate()?;
    Coordinator::new(cfg).run(progress)
}

struct Coordinator<'a> {
    cfg: &'a SimConfig,
    shards: usize,
    window: Duration,
    to_shards: Vec<tokio::sync::mpsc::UnboundedSender<ShardCmd>>,
    from_shards: mpsc::Receiver<ShardReply>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Inputs waiting to be handed to each shard.
    outbox: Vec<Vec<(u32, Input)>>,
    /// Scenario actions by time.
    timeline: BTreeMap<(SimTime, u64), (u32, Control)>,
    timeline_seq: u64,
    incarnation: Vec<u64>,
    observer: Observer,
    obs_rng: rand_chacha::ChaCha8Rng,
    next_probe_id: u64,
    counters: RunCounters,
    shard_wake: Vec<Option<SimTime>>,
}

impl<'a> Coordinator<'a> {
    fn new(cfg: &'a SimConfig) -> Coordinator<'a> {
        let shards = cfg.threads.min(cfg.peers as usize).max(1);
        let layout = cfg.network.ip_layout;
        let ids: Vec<NodeId> = (0..cfg.peers).map(|i| identity(cfg.seed, i, 0)).collect();
        let bootnodes = (0..cfg.bootnodes)
            .map(|i| {
                Node::new(
                    IpAddr::V4(layout.ip_of(i)),
                    cfg.udp_port,
                    cfg.udp_port,
                    ids[i as usize],
                )
            })
            .collect();
        // Bootnodes are reachable by definition; other peers sit behind a NAT at the configured
        // rate.
        let nat = (0..cfg.peers)
            .map(|i| i >= cfg.bootnodes && cfg.network.behind_nat(cfg.seed, i))
            .collect();
        let shared = Arc::new(Shared {
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
        });
        let (reply_tx, from_shards) = mpsc::channel();
        let mut to_shards = Vec::new();
        let mut threads = Vec::new();
        for s in 0..shards {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            to_shards.push(tx);
            let shared = shared.clone();
            let reply_tx = reply_tx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("discsim-shard-{s}"))
                    .spawn(move || shard::run_shard(s, shards, shared, rx, reply_tx))
                    .expect("spawn shard thread"),
            );
        }
        let observer = Observer::new(
            cfg.start,
            cfg.protocol.table.clone(),
            cfg.convergence.clone(),
            ids,
        );
        let mut c = Coordinator {
            cfg,
            shards,
            window: cfg.network.latency.min_latency(),
            to_shards,
            from_shards,
            threads,
            outbox: vec![Vec::new(); shards],
            timeline: BTreeMap::new(),
            timeline_seq: 0,
            incarnation: vec![0; cfg.peers as usize],
            observer,
            obs_rng: stream(cfg.seed, Purpose::Observer, 0, 0),
            next_probe_id: 0,
            counters: RunCounters::default(),
            shard_wake: vec![None; shards],
        };
        c.schedule_joins();
        c
    }

    fn schedule(&mut self, at: SimTime, slot: u32, control: Control) {
        self.timeline_seq += 1;
        self.timeline
            .insert((at, self.timeline_seq), (slot, control));
    }

    fn schedule_joins(&mut self) {
        let cfg = self.cfg;
        let others = cfg.peers - cfg.bootnodes;
        let mut arrivals = stream(cfg.seed, Purpose::Schedule, u64::MAX, 0);
        let mut poisson_clock = Duration::ZERO;
        let traced: std::collections::BTreeSet<u32> =
            cfg.churn.sessions.iter().map(|s| s.peer).collect();
        for slot in 0..cfg.peers {
            let offset = match &cfg.join {
                _ if slot < cfg.bootnodes => Duration::ZERO,
                JoinSchedule::AllAtOnce => Duration::ZERO,
                JoinSchedule::Ramp { over } => {
                    let k = (slot - cfg.bootnodes) as u128;
                    Duration::from_micros((over.as_micros() * k / others.max(1) as u128) as u64)
                }
                JoinSchedule::Poisson { mean_interval } => {
                    let gap = DurationDist::Exponential {
                        mean: *mean_interval,
                    };
                    poisson_clock += gap.sample(&mut arrivals);
                    poisson_clock
                }
            };
            if offset >= cfg.duration || traced.contains(&slot) {
                continue; // arrives after the end, or when its trace says
            }
            self.schedule(cfg.start + offset, slot, Control::Join);
            if slot >= cfg.bootnodes {
                // Each peer's churn comes from its own schedule stream.
                let mut rng = stream(cfg.seed, Purpose::Schedule, slot as u64, 0);
                for (at, e) in cfg.churn.schedule(offset, cfg.duration, &mut rng) {
                    let control = match e {
                        ChurnEvent::Leave => Control::Leave,
                        ChurnEvent::Return => Control::Join,
                        ChurnEvent::FreshReturn => Control::Restart {
                            fresh: true,
                            db_version: None,
                            profile: None,
                        },
                    };
                    self.schedule(cfg.start + at, slot, control);
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut sessions: Vec<_> = cfg.churn.sessions.iter().collect();
        sessions.sort_by_key(|s| (s.join, s.peer));
        for s in sessions {
            if s.join >= cfg.duration {
                continue;
            }
            let first = seen.insert(s.peer);
            let control = if s.fresh && !first {
                Control::Restart {
                    fresh: true,
                    db_version: None,
                    profile: None,
                }
            } else {
                Control::Join
            };
            self.schedule(cfg.start + s.join, s.peer, control);
            if let Some(l) = s.leave.filter(|l| *l < cfg.duration) {
                self.schedule(cfg.start + l, s.peer, Control::Leave);
            }
        }
        for a in &cfg.actions {
            let control = match &a.action {
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
            };
            let n = a.peers.len().max(1) as u128;
            for (k, p) in a.peers.iter().enumerate() {
                let spread = Duration::from_micros((a.over.as_micros() * k as u128 / n) as u64);
                self.schedule(cfg.start + a.at + spread, *p, control.clone());
            }
        }
    }

    /// Hands a scenario action to its slot and updates the observer's truth at the same instant.
    fn dispatch(&mut self, at: SimTime, slot: u32, control: Control) {
        match &control {
            Control::Join => {
                if !self.observer.is_online(slot) {
                    let kind = if self.observer.has_started(slot) {
                        EpisodeKind::Return
                    } else {
                        EpisodeKind::Join
                    };
                    self.observer.begin_episode(slot, at, kind);
                }
                self.observer.set_online(slot, true);
            }
            Control::Leave => {
                self.observer.end_episode(slot, at);
                self.observer.set_online(slot, false);
            }
            Control::Restart {
                fresh,
                db_version,
                profile,
            } => {
                if *fresh {
                    self.incarnation[slot as usize] += 1;
                    let id = identity(self.cfg.seed, slot, self.incarnation[slot as usize]);
                    self.observer.set_identity(slot, id);
                }
                let upgrade = db_version.is_some() || profile.is_some();
                let kind = match (fresh, upgrade) {
                    (true, _) => EpisodeKind::Fresh,
                    (false, true) => EpisodeKind::Upgrade,
                    (false, false) => EpisodeKind::Restart,
                };
                self.observer.begin_episode(slot, at, kind);
                self.observer.set_online(slot, true);
            }
            Control::Probe { .. } => {}
        }
        self.timeline_seq += 1;
        let input = Input {
            at,
            from: u32::MAX,
            seq: self.timeline_seq,
            kind: InputKind::Control(control),
        };
        self.outbox[slot as usize % self.shards].push((slot, input));
    }

    fn send_all(&self, cmd: impl Fn() -> ShardCmd) -> Result<(), SimError> {
        for tx in &self.to_shards {
            tx.send(cmd())
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        Ok(())
    }

    fn recv(&self) -> Result<ShardReply, SimError> {
        self.from_shards
            .recv()
            .map_err(|_| SimError::Runtime("a shard thread exited".into()))
    }

    /// Snapshots of every slot (`slots` = `None`) or of some, sorted by slot; `full` ones carry
    /// database contents.
    fn snapshots(
        &mut self,
        slots: Option<Vec<u32>>,
        full: bool,
    ) -> Result<Vec<Snapshot>, SimError> {
        let mut per_shard: Vec<Option<Vec<u32>>> = vec![None; self.shards];
        if let Some(slots) = slots {
            let mut split = vec![Vec::new(); self.shards];
            for s in slots {
                split[s as usize % self.shards].push(s);
            }
            per_shard = split.into_iter().map(Some).collect();
        }
        for (tx, slots) in self.to_shards.iter().zip(per_shard) {
            tx.send(ShardCmd::Snapshot { slots, full })
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        let mut all = Vec::with_capacity(self.cfg.peers as usize);
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Snapshot(s) => all.extend(s),
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        all.sort_by_key(|s| s.index);
        Ok(all)
    }

    fn start_probe(&mut self, at: SimTime) {
        let live = self.observer.live();
        if live.is_empty() {
            return;
        }
        let origin = live[rand::RngExt::random_range(&mut self.obs_rng, 0..live.len())];
        let target = NodeId::random(&mut self.obs_rng);
        self.next_probe_id += 1;
        let id = self.next_probe_id;
        self.dispatch(at, origin, Control::Probe { id, target });
    }

    fn handle_events(&mut self, mut events: Vec<(SimTime, u32, SlotEvent)>) {
        // Stable: one slot's events keep their order.
        events.sort_by_key(|(t, slot, _)| (*t, *slot));
        for (t, slot, e) in events {
            match e {
                SlotEvent::Peer(PeerEvent::Started {
                    db_records,
                    version_flushed,
                    seeds,
                }) => self
                    .observer
                    .peer_started(slot, db_records, version_flushed, &seeds),
                SlotEvent::Peer(PeerEvent::InitDone { .. }) => self.observer.init_done(slot, t),
                SlotEvent::Peer(PeerEvent::RefreshDone { .. }) => {}
                SlotEvent::Peer(PeerEvent::ProbeDone(r)) => self.observer.probe_done(slot, &r),
                SlotEvent::Stopped {
                    records_expired,
                    packets_sent,
                } => self
                    .observer
                    .peer_stopped(slot, records_expired, packets_sent),
            }
        }
    }

    fn run(mut self, progress: &mut dyn FnMut(Duration)) -> Result<SimOutput, SimError> {
        let cfg = self.cfg;
        let end = cfg.start + cfg.duration;
        let mut t = cfg.start;
        let mut next_sample = cfg.start + cfg.sample_interval;
        let mut next_probe = cfg.probe_interval.map(|p| cfg.start + p);
        loop {
            let next_check = self.observer.next_check().unwrap_or(end);
            if t >= next_sample {
                let snaps = self.snapshots(None, true)?;
                self.observer.sample(t, &snaps);
                next_sample += cfg.sample_interval;
                progress(t.saturating_since(cfg.start));
            }
            if t >= next_check && t < end {
                let due = self.observer.due_checks(t);
                let snaps = self.snapshots(Some(due), false)?;
                self.observer.check(t, &snaps);
                continue;
            }
            if t >= end {
                break;
            }
            if let Some(p) = next_probe.filter(|p| *p <= t) {
                self.start_probe(t);
                next_probe = Some(p + cfg.probe_interval.expect("set"));
            }
            // Jump to the next instant with work.
            let mut next = end.min(next_sample).min(next_check);
            if let Some(p) = next_probe {
                next = next.min(p);
            }
            if let Some(((at, _), _)) = self.timeline.first_key_value() {
                next = next.min(*at);
            }
            for w in self.shard_wake.iter().flatten() {
                next = next.min(*w);
            }
            for o in self.outbox.iter().flatten() {
                next = next.min(o.1.at);
            }
            t = t.max(next);
            if t >= next_sample || t >= next_check || t >= end || next_probe.is_some_and(|p| p <= t)
            {
                continue;
            }
            let mut until = (t + self.window).min(next_sample).min(next_check).min(end);
            if let Some(p) = next_probe {
                until = until.min(p);
            }
            while let Some(((at, _), _)) = self.timeline.first_key_value() {
                if *at >= until {
                    break;
                }
                let ((at, _), (slot, control)) = self.timeline.pop_first().expect("present");
                self.dispatch(at, slot, control);
            }
            self.run_window(until)?;
            t = until;
        }
        let final_snapshots = self.snapshots(None, false)?;
        self.observer.finish(end, &final_snapshots);
        let digest = if cfg.trace {
            Some(self.digests()?)
        } else {
            None
        };
        self.send_all(|| ShardCmd::Stop)?;
        for th in self.threads.drain(..) {
            th.join()
                .map_err(|_| SimError::Runtime("a shard thread panicked".into()))?;
        }
        let mut totals = PeerStats::default();
        let mut link = SlotStats::default();
        for s in &final_snapshots {
            totals.accumulate(&s.protocol);
            link.accumulate(&s.link);
        }
        self.counters.packets_sent = totals.packets_sent();
        self.counters.bytes_sent = totals.sent_bytes.iter().sum();
        self.counters.packets_received = totals.received.iter().sum::<u64>() + totals.malformed;
        let convergence = self.observer.convergence_time();
        let (samples, probes, episodes) = self.observer.into_parts();
        Ok(SimOutput {
            samples,
            probes,
            convergence,
            final_snapshots,
            totals,
            link,
            episodes,
            counters: self.counters,
            digest,
        })
    }

    fn run_window(&mut self, until: SimTime) -> Result<(), SimError> {
        self.counters.windows += 1;
        for (s, tx) in self.to_shards.iter().enumerate() {
            let inputs = std::mem::take(&mut self.outbox[s]);
            tx.send(ShardCmd::Window { until, inputs })
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        let mut events = Vec::new();
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Window {
                    shard,
                    outgoing,
                    events: ev,
                    next_wake,
                    runs,
                } => {
                    self.shard_wake[shard] = next_wake;
                    self.counters.slot_runs += runs;
                    events.extend(ev);
                    for Outgoing { to, input } in outgoing {
                        self.outbox[to as usize % self.shards].push((to, input));
                    }
                }
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        self.handle_events(events);
        Ok(())
    }

    fn digests(&mut self) -> Result<[u8; 32], SimError> {
        self.send_all(|| ShardCmd::Digests)?;
        let mut all = Vec::new();
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Digests(d) => all.extend(d),
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        all.sort_by_key(|(slot, _)| *slot);
        let mut k = Keccak::v256();
        for (slot, d) in all {
            k.update(&slot.to_le_bytes());
            k.update(&d.unwrap_or([0; 32]));
        }
        let mut out = [0u8; 32];
        k.finalize(&mut out);
        Ok(out)
    }
}
