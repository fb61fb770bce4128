//! The protocol's knobs, each with geth's 2018 default.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::table::TableConfig;

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
    /// Kademlia table layout and limits.
    pub table: TableConfig,
    /// Concurrent FINDNODE queries per lookup (3).
    pub alpha: usize,
    /// How long to wait for a reply (500 ms).
    #[serde(with = "crate::clock::human_duration")]
    pub resp_timeout: Duration,
    /// Packet lifetime written into every packet (20 s).
    #[serde(with = "crate::clock::human_duration")]
    pub expiration: Duration,
    /// How long a pong proves an endpoint (24 h): FINDNODE is answered only within it, and a ping
    /// from a node not ponged within it is answered with a ping back.
    #[serde(with = "crate::clock::human_duration")]
    pub bond_expiration: Duration,
    /// FINDNODE failures after which a node is dropped from the table (5).
    pub max_findnode_failures: i64,
    /// Period of table refreshes (30 min).
    #[serde(with = "crate::clock::human_duration")]
    pub refresh_interval: Duration,
    /// Revalidation runs every uniform [0, this) (10 s).
    #[serde(with = "crate::clock::human_duration")]
    pub revalidate_interval: Duration,
    /// Period of copying live table entries to the node database (30 s).
    #[serde(with = "crate::clock::human_duration")]
    pub copy_nodes_interval: Duration,
    /// Time in the table before an entry is copied to the database (5 min).
    #[serde(with = "crate::clock::human_duration")]
    pub seed_min_table_time: Duration,
    /// How seeds are chosen from the database (geth's `querySeeds`).
    pub seed_strategy: SeedStrategy,
    /// Seeds read from the database per refresh (30).
    pub seed_count: usize,
    /// Maximum age of a seed's last pong (5 days).
    #[serde(with = "crate::clock::human_duration")]
    pub seed_max_age: Duration,
    /// Random-target lookups per refresh, after the self lookup (3).
    pub random_lookups: usize,
    /// Nodes per NEIGHBORS packet (12).
    pub max_neighbors: usize,
    /// NEIGHBORS entries with a UDP port at or below this are rejected (1024).
    pub min_udp_port: u16,
}

impl Default for ProtocolConfig {
    fn default() -> Self {
        ProtocolConfig {
            table: TableConfig::default(),
            alpha: 3,
            resp_timeout: Duration::from_millis(500),
            expiration: Duration::from_secs(20),
            bond_expiration: Duration::from_secs(24 * 3600),
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
        }
    }
}
