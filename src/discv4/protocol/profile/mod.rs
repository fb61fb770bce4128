//! Protocol profiles: which version of geth's discovery rules a peer follows.
//!
//! geth's rules changed between the versions researchers compare, and the changes interact (a
//! bond lifetime, a liveness rule for FINDNODE answers, how seeds enter the table). Rather than
//! scatter `if version` tests over the transport and the table loop, every rule that differs is a
//! method of `Rules`, and each profile implements it in a file of its own that names the geth
//! commit it follows, the way geth gave revalidation its own type and file
//! (`p2p/discover/table_reval.go`) and quinn-proto keeps one congestion controller per file.
//! The transport and the table loop ask `Profile::rules`; nothing else knows which version
//! runs.
//!
//! ```
//! use discsim::discv4::protocol::Profile;
//! assert_eq!(Profile::default(), Profile::Geth2018);
//! assert_eq!(Profile::Geth2018.commit(), "c73b654fd1");
//! assert_eq!("geth-2019".parse::<Profile>().unwrap(), Profile::Geth2019);
//! ```

mod geth2018;
mod geth2019;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ProtocolConfig;
use crate::discv4::node::{Node, NodeHash};
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::table::Table;
use crate::sim::clock::SimTime;

/// A version of geth's discovery rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Profile {
    /// go-ethereum c73b654fd1 (July 2018): `p2p/discover` udp.go, table.go, database.go.
    #[default]
    #[serde(rename = "geth-2018")]
    Geth2018,
    /// go-ethereum 3a4a3d080b (November 2019): the rules of f0c6f92140, a89170cfb2 and
    /// 350a87dd3c on top of the enode rework.
    #[serde(rename = "geth-2019")]
    Geth2019,
}

impl Profile {
    /// Every profile, oldest first.
    pub const ALL: [Profile; 2] = [Profile::Geth2018, Profile::Geth2019];

    /// The rules of this profile.
    pub(crate) fn rules(self) -> &'static dyn Rules {
        match self {
            Profile::Geth2018 => &geth2018::Geth2018,
            Profile::Geth2019 => &geth2019::Geth2019,
        }
    }

    /// The go-ethereum commit whose source the profile follows.
    pub fn commit(self) -> &'static str {
        self.rules().commit()
    }

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Geth2018 => "geth-2018",
            Profile::Geth2019 => "geth-2019",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("`{s}` is not a profile; allowed: geth-2018, geth-2019"))
    }
}

/// What a peer does after the PING that bonds it to a FINDNODE target has been answered (or has
/// timed out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterBond {
    /// geth 2018's `waitping`: wait up to the reply timeout for the target's own PING. The wait is
    /// registered by another goroutine than the one reading packets, so a ping-back that arrives
    /// right behind the PONG is caught only with probability `waitping_catch`.
    WaitPing,
    /// geth 2019's fixed `time.Sleep(respTimeout)`.
    Sleep,
}

/// The rules that differ between profiles. Each method documents when the protocol asks it.
pub(crate) trait Rules: Sync {
    /// The geth commit the rules follow.
    fn commit(&self) -> &'static str;

    /// How long a received PONG proves the sender's endpoint (answer its FINDNODE; no ping-back
    /// needed), and how long a received PING spares us a bonding ping before our FINDNODE.
    /// Asked on every PING and FINDNODE received and every FINDNODE sent.
    fn bond_lifetime(&self, cfg: &ProtocolConfig, db: &NodeDbConfig) -> Duration;

    /// Whether to ping the target before a FINDNODE, given the time since its last PING and its
    /// FINDNODE failure count. Asked when a lookup queries a node.
    fn bond_before_findnode(
        &self,
        cfg: &ProtocolConfig,
        since_ping: Duration,
        bond: Duration,
        fails: i64,
    ) -> bool;

    /// What follows the bonding PING's answer or timeout.
    fn after_bond(&self) -> AfterBond;

    /// Whether a PONG from a node we wait on records its endpoint proof even when its token
    /// does not quote our PING (geth 2018: the packet counts as matched either way).
    fn pong_proves_without_token(&self) -> bool;

    /// The FINDNODE failure count stored after a successful FINDNODE.
    fn fails_after_success(&self, fails: i64) -> i64;

    /// Whether seeds read from the node database carry their real hash (geth 2018 left it zero:
    /// `database.go:nextNode` never sets `Node.sha`). Asked at every `loadSeedNodes`.
    fn hash_seeds(&self, cfg: &ProtocolConfig) -> bool;

    /// Knobs of [`ProtocolConfig`] that the profile does not have, with the reason; a scenario
    /// that sets one is refused.
    fn refuse_knobs(&self, cfg: &ProtocolConfig) -> Option<(&'static str, &'static str)>;

    /// Adds a node we only heard of (a seed, a bootnode, a node named in NEIGHBORS). `added_at`
    /// is the `addedAt` of the node object when geth keeps one across calls (the bootnodes),
    /// else a fresh `None`.
    fn add_seen(&self, table: &mut Table, node: Node, now: SimTime, added_at: &mut Option<SimTime>);

    /// Adds a node that proved its endpoint by pinging us (asked only after the first refresh).
    fn add_verified(&self, table: &mut Table, node: Node, now: SimTime);

    /// The table entries that answer a FINDNODE for `target`.
    fn findnode_answer(&self, table: &Table, target: &NodeHash, k: usize) -> Vec<Node>;

    /// Whether copyLiveNodes writes only entries that passed a revalidation.
    fn copy_needs_check(&self) -> bool;

    /// Whether a FINDNODE that ended (by its 16th node or by the timeout) with `valid` usable
    /// nodes counts as a failure of the target.
    fn findnode_failed(&self, timed_out: bool, valid: usize) -> bool;

    /// Whether a lookup's starting nodes count as seen, so that a reply naming one again does
    /// not push a duplicate into the result.
    fn lookup_dedups_start(&self) -> bool;

    /// Whether PING and PONG carry ENR sequence numbers and revalidation fetches newer records
    /// (EIP-868).
    fn enr(&self) -> bool;
}

#[cfg(test)]
mod rule_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
            let toml = toml::to_string(&std::collections::BTreeMap::from([("p", p)])).unwrap();
            assert!(toml.contains(p.name()), "{toml}");
        }
        let err = "geth-2020".parse::<Profile>().unwrap_err();
        assert!(err.contains("geth-2018, geth-2019"), "{err}");
    }
}
