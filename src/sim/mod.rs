//! The simulator: virtual time, seeded randomness, the simulated network and churn, and the
//! engine that moves packets and timers between peers.
//!
//! Nothing here is a claim about geth: these are the experiment's conditions (latency, loss,
//! NAT, sessions and downtimes) and the machinery that makes runs deterministic.
//!
//! - [`clock`]: virtual time; nothing reads the wall clock.
//! - [`rng`]: one seeded ChaCha stream per (peer, purpose).
//! - [`network`]: latency, loss, NAT, address layout.
//! - [`churn`]: session and downtime distributions, traces, fresh installs.
//! - [`engine`]: the discrete-event engine, peers as actix actors on shards.

pub mod churn;
pub mod clock;
pub mod engine;
pub mod network;
pub mod rng;
