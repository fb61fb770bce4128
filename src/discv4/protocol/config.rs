//! The protocol's knobs, each with geth's 2018 default, and the profile that decides which
//! version's rules apply.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Profile;
use crate::discv4::dial::DialConfig;
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::table::TableConfig;

/// How a refresh picks seeds from the node database (bootnodes are always added).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeedStrategy {
    /// geth's `querySeeds`: random seeks with a forward cursor (biased by key position).
    Geth,
    /// The records with the most recent pongs first.
    MostRecent,
    /// Uniformly at random among the records whose pong is within the maximum age.
    UniformFresh,
    /// No seeds: bootnodes only.
    None,
}

/// Everything a discv4 peer's behaviour depends on, apart from its node database's own knobs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProtocolConfig {
    /// Which geth version's rules the peer follows ("geth-2018" or "geth-2019").
    pub profile: Profile,
    /// Kademlia table layout and limits.
    pub table: TableConfig,
    /// Concurrent FINDNODE queries per lookup (3).
    pub alpha: usize,
    /// How long to wait for a reply (500 ms).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub resp_timeout: Duration,
    /// Packet lifetime written into every packet (20 s).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub expiration: Duration,
    /// geth-2019's `bondExpiration` (24 h): how long a pong proves an endpoint. geth-2018 has no
    /// such constant (its bonds last `nodedb.node_expiration`) and refuses the knob.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::sim::clock::human_duration_opt"
    )]
    pub bond_expiration: Option<Duration>,
    /// geth-2018's `waitping` race: the chance that a ping-back arriving right behind the bonding
    /// PONG is caught (the FINDNODE goes at once); otherwise the wait runs to `resp_timeout`.
    /// Calibrated on real geth's bond gaps (see the README).
    pub waitping_catch: f64,
    /// geth-2018 only: give seeds from the database their real hash, as geth does from the
    /// enode rework (30cd5c1854) on. By default they keep geth-2018's zero hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_seeds: Option<bool>,
    /// FINDNODE failures after which a node is dropped from the table (5).
    pub max_findnode_failures: i64,
    /// Period of table refreshes (30 min).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub refresh_interval: Duration,
    /// Revalidation runs every uniform [0, this) (10 s).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub revalidate_interval: Duration,
    /// Period of copying live table entries to the node database (30 s).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub copy_nodes_interval: Duration,
    /// Time in the table before an entry is copied to the database (5 min).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub seed_min_table_time: Duration,
    /// How seeds are chosen from the database (geth's `querySeeds`).
    pub seed_strategy: SeedStrategy,
    /// Seeds read from the database per refresh (30).
    pub seed_count: usize,
    /// Maximum age of a seed's last pong (5 days).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub seed_max_age: Duration,
    /// Random-target lookups per refresh, after the self lookup (3).
    pub random_lookups: usize,
    /// Nodes per NEIGHBORS packet (12).
    pub max_neighbors: usize,
    /// NEIGHBORS entries with a UDP port at or below this are rejected (1024).
    pub min_udp_port: u16,
    /// Runs geth's p2p dial scheduler (the profile's, see [`crate::discv4::dial`]) and TCP
    /// connections between peers, as every real geth node does: on by default. Off, a peer only
    /// discovers (lookups in refreshes and probes), as in the reference runs of real geth
    /// (`scenarios/validation/`), which had no dialer.
    pub dialer: bool,
    /// The dialer's knobs.
    #[serde(default, skip_serializing_if = "DialConfig::is_default")]
    pub dial: DialConfig,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            profile: Profile::Geth2018,
            table: TableConfig::default(),
            alpha: 3,
            resp_timeout: Duration::from_millis(500),
            expiration: Duration::from_secs(20),
            bond_expiration: None,
            waitping_catch: WAITPING_CATCH,
            hash_seeds: None,
            max_findnode_failures: 5,
            refresh_interval: Duration::from_secs(30 * 60),
            revalidate_interval: Duration::from_secs(10),
            copy_nodes_interval: Duration::from_secs(30),
            seed_min_table_time: Duration::from_secs(5 * 60),
            seed_strategy: SeedStrategy::Geth,
            seed_count: 30,
            seed_max_age: Duration::from_secs(5 * 24 * 3600),
            random_lookups: 3,
            max_neighbors: 12,
            min_udp_port: 1024,
            dialer: true,
            dial: DialConfig::default(),
        }
    }
}

/// Default of [`ProtocolConfig::waitping_catch`].
pub const WAITPING_CATCH: f64 = 0.34;

/// A protocol knob out of range, or one the chosen profile does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{key}`: {allowed}")]
pub struct ConfigError {
    /// The scenario key, e.g. `protocol.alpha`.
    pub key: String,
    /// What is allowed, or why the key is refused.
    pub allowed: String,
}

fn bad(key: &str, allowed: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_string(),
        allowed: allowed.into(),
    }
}

impl ProtocolConfig {
    /// Checks every knob, and that the profile has each knob that is set.
    ///
    /// ```
    /// use discsim::discv4::protocol::{Profile, ProtocolConfig};
    /// let mut c = ProtocolConfig::default();
    /// assert!(c.validate().is_ok());
    /// c.bond_expiration = Some(std::time::Duration::from_secs(3600));
    /// assert!(c.validate().is_err(), "geth-2018 has no separate bond lifetime");
    /// c.profile = Profile::Geth2019;
    /// assert!(c.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.table.validate().map_err(|e| ConfigError {
            key: format!("protocol.{}", e.key),
            allowed: e.allowed,
        })?;
        if self.alpha == 0 {
            return Err(bad("protocol.alpha", "at least 1"));
        }
        if self.resp_timeout.is_zero() {
            return Err(bad("protocol.resp_timeout", "more than 0"));
        }
        if self.expiration < Duration::from_secs(1) {
            return Err(bad(
                "protocol.expiration",
                "at least 1s (packets carry Unix seconds)",
            ));
        }
        if self.bond_expiration.is_some_and(|d| d.is_zero()) {
            return Err(bad("protocol.bond_expiration", "more than 0"));
        }
        if !(0.0..=1.0).contains(&self.waitping_catch) {
            return Err(bad("protocol.waitping_catch", "a probability from 0 to 1"));
        }
        if self.max_findnode_failures < 1 {
            return Err(bad("protocol.max_findnode_failures", "at least 1"));
        }
        for (key, d) in [
            ("protocol.refresh_interval", self.refresh_interval),
            ("protocol.copy_nodes_interval", self.copy_nodes_interval),
        ] {
            if d.is_zero() {
                return Err(bad(key, "more than 0"));
            }
        }
        if self.max_neighbors == 0 {
            return Err(bad("protocol.max_neighbors", "at least 1"));
        }
        self.dial.validate()?;
        if let Some((key, why)) = self.profile.rules().refuse_knobs(self) {
            return Err(bad(key, why));
        }
        Ok(())
    }

    /// How long an endpoint proof lasts under this profile (geth-2018: the node expiration).
    pub fn bond_lifetime(&self, db: &NodeDbConfig) -> Duration {
        self.profile.rules().bond_lifetime(self, db)
    }
}
