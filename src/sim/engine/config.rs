//! What a run depends on: [`SimConfig`] and the schedule types a scenario fills in, and the
//! checks that make the library refuse what the command line refuses.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::{Profile, ProtocolConfig};
use crate::observe::metrics::ConvergenceCriteria;
use crate::sim::churn::ChurnConfig;
use crate::sim::clock::SimTime;
use crate::sim::network::NetworkConfig;

/// When the non-bootnode peers join (in a scenario file: `kind = "all-at-once"`, or
/// `kind = "ramp"` and `over`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum JoinSchedule {
    /// Every peer at the start.
    AllAtOnce,
    /// Evenly spread over the first `over` of the run.
    Ramp {
        /// The span of the ramp: the k-th of n joining peers starts at `over * k / n`.
        #[serde(with = "crate::sim::clock::human_duration")]
        over: Duration,
    },
    /// A Poisson process: exponential gaps with this mean between arrivals.
    Poisson {
        /// The mean gap between two arrivals, drawn from the run's schedule stream.
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
        /// Come back as a fresh install: empty database, next identity of the slot.
        fresh: bool,
        /// Open the database as this version (geth's `dbVersion`): one unlike the stored
        /// version flushes it, as a geth upgrade that bumps the version does. `None`: unchanged.
        db_version: Option<i64>,
        /// The profile to run from now on; `None` keeps the current one.
        profile: Option<Profile>,
    },
}

/// An [`Action`] applied to `peers` at `at` (an offset from the start of the run), or, with a
/// non-zero `over`, spread evenly over `[at, at + over)` in the order of `peers` (a rolling
/// upgrade).
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduledAction {
    /// When the action starts, as an offset from the start of the run.
    pub at: Duration,
    /// The slots it applies to, each below `peers`, in the order they are reached.
    pub peers: Vec<u32>,
    /// What happens to each of them.
    pub action: Action,
    /// The span the slots are spread over; zero applies the action to all at `at`.
    pub over: Duration,
}

/// Everything a run depends on.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seed of every random stream.
    pub seed: u64,
    /// Peer slots; slots `0..bootnodes` are the bootnodes.
    pub peers: u32,
    /// How many of the slots are bootnodes (at most `peers`): every peer is given them, they
    /// join at the start, never sit behind a NAT and never churn.
    pub bootnodes: u32,
    /// Virtual start of the run (Unix time).
    pub start: SimTime,
    /// Virtual length of the run; nothing is scheduled at or after `start + duration`.
    pub duration: Duration,
    /// How often the observer samples.
    pub sample_interval: Duration,
    /// How often a probe lookup is started from a random live peer (none if `None`).
    pub probe_interval: Option<Duration>,
    /// Shard threads, 1 to 256 (at most one per peer is used). Results do not depend on it.
    pub threads: usize,
    /// The UDP and TCP port of every peer (each has its own IP); must be above
    /// `protocol.min_udp_port`, or peers would reject each other as low-port nodes.
    pub udp_port: u16,
    /// When the non-bootnode peers first join.
    pub join: JoinSchedule,
    /// Scripted leaves, joins and restarts (upgrades, outages), besides churn.
    pub actions: Vec<ScheduledAction>,
    /// Peers leaving and coming back (none by default).
    pub churn: ChurnConfig,
    /// The protocol every peer runs, unless `profiles` or a restart says otherwise.
    pub protocol: ProtocolConfig,
    /// Slots that start with another profile than `protocol.profile` (peer groups).
    pub profiles: BTreeMap<u32, Profile>,
    /// Every peer's node database (write-behind, expiry, version).
    pub nodedb: NodeDbConfig,
    /// Latency, loss, NAT and the IP layout of the peers.
    pub network: NetworkConfig,
    /// When the observer counts a peer as bootstrapped and the network as converged.
    pub convergence: ConvergenceCriteria,
    /// Keep a digest of every slot's inputs (for determinism checks; costs a hash per packet).
    pub trace: bool,
    /// Receivers recompute and check every packet's hash, as geth does (off by default). The
    /// engine's network delivers the bytes a peer sent unaltered, so the check always passes and
    /// results are the same either way; it costs a keccak256 per packet (~18 % of a run's
    /// instructions). Packets are hashed when encoded either way (a PONG quotes its PING's hash).
    /// An engine setting, not a scenario key.
    pub verify_packet_hashes: bool,
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
            verify_packet_hashes: false,
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
    /// A knob out of range: bad input.
    #[error("invalid `{field}`: {allowed}")]
    Invalid {
        /// The knob, as a scenario file names it (`churn`, `network.ip_layout`).
        field: String,
        /// What values it may take.
        allowed: String,
    },
    /// A shard thread panicked or hung up: a bug, not the user's input.
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
        // The network first: the size check asks its address layout for its capacity.
        self.network
            .validate()
            .map_err(|e| invalid("network", e.to_string()))?;
        self.validate_size()?;
        self.validate_protocol()?;
        self.nodedb
            .validate()
            .map_err(|e| invalid(e.key, e.allowed))?;
        self.validate_times()?;
        self.validate_schedule()
    }

    /// Peers, bootnodes and threads, and whether the address layout has room.
    fn validate_size(&self) -> Result<(), SimError> {
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
        if self.threads == 0 || self.threads > 256 {
            return Err(invalid("threads", "1 to 256"));
        }
        Ok(())
    }

    /// The protocol knobs under every profile a peer runs, the groups' slots, and the port.
    fn validate_protocol(&self) -> Result<(), SimError> {
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
        if self.udp_port <= self.protocol.min_udp_port {
            return Err(invalid(
                "udp_port",
                format!(
                    "above protocol.min_udp_port ({})",
                    self.protocol.min_udp_port
                ),
            ));
        }
        Ok(())
    }

    /// Durations and intervals that must be positive.
    fn validate_times(&self) -> Result<(), SimError> {
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
        if let JoinSchedule::Poisson { mean_interval } = self.join {
            if mean_interval.is_zero() {
                return Err(invalid("join.mean_interval", "more than 0"));
            }
        }
        Ok(())
    }

    /// Churn, trace sessions and actions name only slots that exist.
    fn validate_schedule(&self) -> Result<(), SimError> {
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
