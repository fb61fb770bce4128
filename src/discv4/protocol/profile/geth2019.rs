//! geth of November 2019, commit 3a4a3d080b (`p2p/discover/v4_udp.go`, `table.go`, `lookup.go`,
//! `p2p/enode/nodedb.go`): the enode rework (30cd5c1854) plus f0c6f92140 (endpoint proof per ID
//! and IP, a separate `bondExpiration`, a fixed sleep after the bonding PING, token-checked
//! PONGs), a89170cfb2 (seen and verified adds) and 350a87dd3c (EIP-868, re-bond after failures,
//! failure count reset on success).
//!
//! - Liveness (f0c6f92140): FINDNODE answers (v4_udp.go:893) and copyLiveNodes (table.go:388)
//!   use only entries that passed a revalidation. The lookup's starting set does not (lookup.go:107,
//!   `checklive = false` since dba1750eda, contrary to what f0c6f92140 alone did).
//! - A PING from a node in the table replaces its entry with a fresh object: liveness count 0,
//!   ENR seq 0, zero `addedAt` (`addVerifiedNode` -> `bumpInBucket`, table.go:593-594).
//! - Seeds, bootnodes and NEIGHBORS results are "seen" adds: appended, never moved
//!   (table.go:438-466); self is refused by both adds.
//! - Bonding (`ensureBond`, v4_udp.go:782-790): ping when the target's last PING is older than
//!   `bondExpiration` or it failed more than `maxFindnodeFailures` times, then sleep 500 ms.
//! - A PONG counts only if it quotes our PING (v4_udp.go:369-375, 853-866).
//! - A FINDNODE fails only when no usable node came back; a timeout with some nodes is a success,
//!   and success resets the failure count to 0 (lookup.go:127-153).
//! - The lookup marks its starting nodes seen: no duplicates in the result (lookup.go).
//! - EIP-868: PING and PONG carry the ENR seq; a revalidation whose PONG names a newer seq than
//!   the entry's fetches the record with ENRREQUEST after a bond (table.go:329-336).

use std::time::Duration;

use super::{AfterBond, Rules};
use crate::discv4::node::{Node, NodeHash};
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::ProtocolConfig;
use crate::discv4::table::Table;
use crate::sim::clock::SimTime;

pub(super) struct Geth2019;

/// `bondExpiration` (v4_udp.go).
pub(super) const BOND_EXPIRATION: Duration = Duration::from_secs(24 * 3600);

impl Rules for Geth2019 {
    fn commit(&self) -> &'static str {
        "3a4a3d080b"
    }

    fn bond_lifetime(&self, cfg: &ProtocolConfig, _: &NodeDbConfig) -> Duration {
        cfg.bond_expiration.unwrap_or(BOND_EXPIRATION)
    }

    fn bond_before_findnode(
        &self,
        cfg: &ProtocolConfig,
        since_ping: Duration,
        bond: Duration,
        fails: i64,
    ) -> bool {
        // ensureBond: `tooOld || fails > maxFindnodeFailures`.
        since_ping > bond || fails > cfg.max_findnode_failures
    }

    fn after_bond(&self) -> AfterBond {
        AfterBond::Sleep
    }

    fn pong_proves_without_token(&self) -> bool {
        false
    }

    fn fails_after_success(&self, _fails: i64) -> i64 {
        0
    }

    fn hash_seeds(&self, _: &ProtocolConfig) -> bool {
        true
    }

    fn refuse_knobs(&self, cfg: &ProtocolConfig) -> Option<(&'static str, &'static str)> {
        (cfg.hash_seeds == Some(false)).then_some((
            "protocol.hash_seeds",
            "geth-2019 always knows a seed's hash (the enode rework, 30cd5c1854, derives the \
             bucket from the ID); the knob belongs to geth-2018",
        ))
    }

    fn add_seen(&self, table: &mut Table, node: Node, now: SimTime, _: &mut Option<SimTime>) {
        table.add_seen(node, now);
    }

    fn add_verified(&self, table: &mut Table, node: Node, now: SimTime) {
        table.add_verified(node, now);
    }

    fn findnode_answer(&self, table: &Table, target: &NodeHash, k: usize) -> Vec<Node> {
        table.closest_checked(target, k)
    }

    fn copy_needs_check(&self) -> bool {
        true
    }

    fn findnode_failed(&self, _timed_out: bool, valid: usize) -> bool {
        valid == 0
    }

    fn lookup_dedups_start(&self) -> bool {
        true
    }

    fn enr(&self) -> bool {
        true
    }
}
