//! geth of July 2018, commit c73b654fd1: `p2p/discover/udp.go`, `table.go`, `database.go`.
//!
//! - The bond lifetime is `nodeDBNodeExpiration` itself (`hasBond`, database.go:288; udp.go:311
//!   and 611): shortening node expiry shortens bonds on both sides.
//! - Before FINDNODE, ping only if no PING came from the target within that lifetime
//!   (udp.go:311); failure counts play no part.
//! - After the bonding PING: `waitping` (udp.go:302-314), a race with the read loop.
//! - A PONG that waits on a pending entry updates `lastPongReceived` whatever its token
//!   (udp.go:622-631: `handleReply` reports "matched" before the callback compares tokens).
//! - A successful FINDNODE decrements a non-zero failure count (table.go:330).
//! - Seeds come from `nextNode` with a zero `sha` (database.go:350-364; table.go:543), so they
//!   all land in the bucket of log distance `logdist(self.sha, 0)` and sort as equidistant from
//!   every target. The `protocol.hash_seeds` knob hashes them as later geth does (30cd5c1854).
//! - One `add` for every node (table.go:556-563, 681-695): present, it moves to the front as the new
//!   object; absent, it joins the front of its bucket. Self is not refused.
//! - FINDNODE answers, lookups and copyLiveNodes use every entry; a FINDNODE that ends by the
//!   timeout (fewer than 16 nodes) or empty is a failure (table.go:321).

use std::time::Duration;

use super::{AfterBond, Rules};
use crate::discv4::node::{Node, NodeHash};
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::ProtocolConfig;
use crate::discv4::table::Table;
use crate::sim::clock::SimTime;

pub(super) struct Geth2018;

impl Rules for Geth2018 {
    fn commit(&self) -> &'static str {
        "c73b654fd1"
    }

    fn bond_lifetime(&self, _: &ProtocolConfig, db: &NodeDbConfig) -> Duration {
        db.node_expiration
    }

    fn bond_before_findnode(
        &self,
        _: &ProtocolConfig,
        since_ping: Duration,
        bond: Duration,
        _: i64,
    ) -> bool {
        since_ping > bond
    }

    fn after_bond(&self) -> AfterBond {
        AfterBond::WaitPing
    }

    fn pong_proves_without_token(&self) -> bool {
        true
    }

    fn fails_after_success(&self, fails: i64) -> i64 {
        (fails - 1).max(0)
    }

    fn hash_seeds(&self, cfg: &ProtocolConfig) -> bool {
        cfg.hash_seeds.unwrap_or(false)
    }

    fn refuse_knobs(&self, cfg: &ProtocolConfig) -> Option<(&'static str, &'static str)> {
        cfg.bond_expiration.is_some().then_some((
            "protocol.bond_expiration",
            "geth-2018 has no separate bond lifetime: a bond lasts nodedb.node_expiration \
             (hasBond, database.go:288); set that instead, or use profile geth-2019",
        ))
    }

    fn add_seen(
        &self,
        table: &mut Table,
        node: Node,
        now: SimTime,
        added_at: &mut Option<SimTime>,
    ) {
        table.add_object(node, now, added_at);
    }

    fn add_verified(&self, table: &mut Table, node: Node, now: SimTime) {
        table.add(node, now);
    }

    fn findnode_answer(&self, table: &Table, target: &NodeHash, k: usize) -> Vec<Node> {
        table.closest(target, k)
    }

    fn copy_needs_check(&self) -> bool {
        false
    }

    fn findnode_failed(&self, timed_out: bool, valid: usize) -> bool {
        timed_out || valid == 0
    }

    fn lookup_dedups_start(&self) -> bool {
        false
    }

    fn enr(&self) -> bool {
        false
    }
}
