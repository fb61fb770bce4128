//! geth of November 2019, commit 3a4a3d080b (`p2p/discover/v4_udp.go`, `table.go`, `lookup.go`,
//! `p2p/enode/nodedb.go`): the enode rework (30cd5c1854) plus f0c6f92140 (endpoint proof per ID
//! and IP, a separate `bondExpiration`, a fixed sleep after the bonding PING, token-checked
//! PONGs), a89170cfb2 (seen and verified adds) and 350a87dd3c (EIP-868, re-bond after failures,
//! failure count reset on success).

use std::time::Duration;

use super::{AfterBond, Rules};
use crate::nodedb::NodeDbConfig;
use crate::protocol::ProtocolConfig;

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
}
