//! discsim: a deterministic simulation harness for Ethereum discv4 node discovery.
//!
//! The crate is layered like the system it simulates:
//! - [`clock`]: virtual time; nothing reads the wall clock.
//! - [`node`]: node identities, keccak hashes and XOR distances.
//! - [`nodedb`]: each peer's node database on rusty-leveldb, faithful to geth's.
//! - [`packet`]: discv4 wire packets (RLP, real sizes).
//! - [`table`], [`lookup`]: geth 2018's Kademlia table and iterative lookup.
//! - [`protocol`]: a discv4 peer as a sans-IO state machine (transport and table loop).
//! - [`network`]: latency, loss, NAT, addresses, subnets.
//! - [`churn`]: session and downtime distributions, fresh installs.
//! - [`engine`]: virtual-time discrete-event engine with peers as actix actors on shards.
//! - [`truth`], [`metrics`]: the observer's ground truth and the metrics measured against it.
//! - [`rng`]: seeded random streams.
//! - [`scenario`]: scenario files (TOML) and their overrides; [`report`]: results on disk.
//! - [`benchmark`]: wall-clock and memory measurement for the `bench` commands.
//! - [`validate`]: discsim against figures measured by running real geth (`discsim validate`).

pub mod benchmark;
pub mod churn;
pub mod clock;
pub mod engine;
pub mod lookup;
pub mod metrics;
pub mod network;
pub mod node;
pub mod nodedb;
pub mod packet;
pub mod plot;
pub mod protocol;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod table;
pub mod truth;
pub mod validate;
