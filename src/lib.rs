#![warn(missing_docs, unreachable_pub)]
//! discsim: a deterministic simulation harness for Ethereum discv4 node discovery.
//!
//! The crate has four layers, and a path says which one a piece of code belongs to:
//!
//! | layer | what it is | depends on |
//! |---|---|---|
//! | [`discv4`] | the geth model: table, lookup, node database, packets, protocol profiles | `sim::clock`, `sim::rng` |
//! | [`sim`] | virtual time, seeded randomness, network, churn, the engine | `discv4` |
//! | [`observe`] | ground truth and the metrics measured against it | `discv4`, `sim` |
//! | [`experiment`] | scenarios, results, charts, benchmarks, validation | all of the above |
//!
//! "Is this geth's behaviour or the simulator's?" is answered by the path: `discv4::` is a claim
//! about geth, `sim::` is a condition of the experiment.
//!
//! The few types a user of the library needs are re-exported here:
//!
//! ```
//! use discsim::{run, Scenario};
//! let text = "name = \"tiny\"\npeers = 8\nduration = \"2m\"";
//! let scenario = Scenario::from_toml_str(text, "tiny.toml").unwrap();
//! let out = run(&scenario.to_config().unwrap()).unwrap();
//! assert!(out.counters.packets_sent > 0);
//! ```

pub mod discv4;
mod error;
pub mod experiment;
pub mod observe;
pub mod sim;

pub use error::Error;
pub use experiment::report::Summary;
pub use experiment::scenario::Scenario;
pub use sim::engine::{run, SimConfig, SimError, SimOutput};
