//! discsim: a deterministic simulation harness for Ethereum discv4 node discovery.
//!
//! The crate is layered like the system it simulates:
//! - [`clock`]: virtual time; nothing reads the wall clock.
//! - [`node`]: node identities, keccak hashes and XOR distances.
//! - [`nodedb`]: each peer's node database on rusty-leveldb, faithful to geth's.

pub mod benchmark;
pub mod clock;
pub mod node;
pub mod nodedb;
