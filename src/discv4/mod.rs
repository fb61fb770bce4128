//! The geth model: discv4 as go-ethereum implements it, one module per concern of geth's
//! `p2p/discover`, each citing the commit and lines it follows.
//!
//! Everything here is a sans-IO state machine: it takes `(now, input)` and returns what to
//! send and when to wake up. Nothing here knows about actors, shards or the simulated network;
//! the only things borrowed from the simulator are its time type ([`crate::sim::clock`]) and
//! its seeded random streams ([`crate::sim::rng`]).
//!
//! - [`node`]: identities, keccak hashes, XOR distances; `intern` names stored IDs by 4 bytes.
//! - [`packet`]: the wire format (RLP, signatures by hash, real sizes, EIP-868).
//! - [`netutil`]: geth's LAN test and per-prefix IP limits.
//! - [`table`], [`lookup`]: the Kademlia table and the iterative lookup.
//! - [`dial`]: the p2p dial scheduler (geth's `p2p/dial.go`), per profile.
//! - [`nodedb`]: each peer's node database on rusty-leveldb.
//! - [`protocol`]: a peer (transport and table loop) and the per-version [`protocol::Profile`].

pub mod dial;
pub(crate) mod intern;
pub mod lookup;
pub mod netutil;
pub mod node;
pub mod nodedb;
pub mod packet;
pub mod protocol;
pub mod table;
