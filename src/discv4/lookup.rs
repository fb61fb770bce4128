//! geth's 2018 iterative lookup (`Table.lookup`), as a state machine.
//!
//! The lookup keeps the 16 closest nodes it knows of and keeps up to α FINDNODE queries in
//! flight, always to the closest nodes not yet asked; it ends when nothing is in flight and every
//! node of the result has been asked. The caller sends the queries [`Lookup::next_queries`] hands
//! out and reports each answer (or failure) with [`Lookup::on_reply`].
//!
//! Two details of geth 2018 are kept (table.go:266-311): only `asked` holds self at the start, so
//! a reply naming self puts self in the result (it is never queried); and the nodes the lookup
//! starts from are not marked "seen", so a reply that names one of them again pushes a duplicate
//! into the result.

use crate::discv4::node::{IdMap, IdSet, Node, NodeHash, NodeId};
use crate::discv4::table::Closest;

/// One lookup towards a target.
///
/// ```
/// use discsim::discv4::lookup::Lookup;
/// use discsim::discv4::node::{Node, NodeId};
/// let target = NodeId([9; 64]);
/// let a = Node::new("11.0.0.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
/// let mut l = Lookup::new(target, NodeId([0; 64]), vec![a], 3, 16);
/// assert_eq!(l.next_queries(), vec![a]);
/// assert!(!l.is_done());
/// l.on_reply(&a.id, &[]); // a knew nobody
/// assert!(l.next_queries().is_empty());
/// assert!(l.is_done());
/// assert_eq!(l.result(), &[a]);
/// ```
#[derive(Clone, Debug)]
pub struct Lookup {
    target: NodeId,
    target_hash: NodeHash,
    alpha: usize,
    // Hash sets, only asked about: a lookup's sets were ordered trees of 64-byte keys, 3 % of CPU
    // at 10,000 peers in `memcmp`-bound inserts. Nothing iterates them, so order cannot leak.
    asked: IdSet,
    seen: IdSet,
    result: Closest,
    in_flight: usize,
    /// Hops from the local table: 0 for the starting nodes, h + 1 for nodes named by a node at h.
    hops: IdMap<u32>,
    queries: u32,
}

impl Lookup {
    /// A lookup of `target` starting from `initial` (the local table's closest nodes).
    pub fn new(
        target: NodeId,
        self_id: NodeId,
        initial: Vec<Node>,
        alpha: usize,
        k: usize,
    ) -> Lookup {
        Lookup::with_target_hash(target, target.hash_unmemoised(), self_id, initial, alpha, k)
    }

    /// A lookup whose target hash is given rather than computed (for callers that know it, and
    /// for tests that need a target at a chosen place).
    pub fn with_target_hash(
        target: NodeId,
        target_hash: NodeHash,
        self_id: NodeId,
        initial: Vec<Node>,
        alpha: usize,
        k: usize,
    ) -> Lookup {
        let mut result = Closest::new(target_hash, k);
        let mut hops = IdMap::default();
        for n in initial {
            hops.entry(n.id).or_insert(0);
            result.push(n);
        }
        let mut asked = IdSet::default();
        asked.insert(self_id);
        let seen = IdSet::default();
        Lookup {
            target,
            target_hash,
            alpha,
            asked,
            seen,
            result,
            in_flight: 0,
            hops,
            queries: 0,
        }
    }

    /// Marks the starting nodes seen, so that a reply naming one of them again does not push a
    /// duplicate into the result (geth's lookup from its 2019 rewrite on).
    pub fn mark_start_seen(&mut self) {
        for n in self.result.nodes() {
            self.seen.insert(n.id);
        }
    }

    /// The target ID (what FINDNODE carries).
    pub fn target(&self) -> &NodeId {
        &self.target
    }

    /// keccak256 of the target: what distances are measured to.
    pub fn target_hash(&self) -> &NodeHash {
        &self.target_hash
    }

    /// The nodes to query now: the closest not yet asked, up to α in flight.
    pub fn next_queries(&mut self) -> Vec<Node> {
        let mut out = Vec::new();
        for n in self.result.nodes() {
            if self.in_flight >= self.alpha {
                break;
            }
            if self.asked.insert(n.id) {
                self.in_flight += 1;
                self.queries += 1;
                out.push(*n);
            }
        }
        out
    }

    /// A query to `from` ended with `nodes` (empty on failure).
    pub fn on_reply(&mut self, from: &NodeId, nodes: &[Node]) {
        self.on_reply_new(from, nodes);
    }

    /// [`Lookup::on_reply`], returning the nodes the reply named that the lookup had not seen,
    /// in reply order (geth-2019's `replyBuffer`, lookup.go:74-80).
    pub fn on_reply_new(&mut self, from: &NodeId, nodes: &[Node]) -> Vec<Node> {
        debug_assert!(self.in_flight > 0, "reply without a query");
        self.in_flight = self.in_flight.saturating_sub(1);
        let hop = self.hops.get(from).copied().unwrap_or(0) + 1;
        let mut new = Vec::new();
        for n in nodes {
            if self.seen.insert(n.id) {
                self.hops.entry(n.id).or_insert(hop);
                self.result.push(*n);
                new.push(*n);
            }
        }
        new
    }

    /// Done when nothing is in flight (call after [`Lookup::next_queries`]).
    pub fn is_done(&self) -> bool {
        self.in_flight == 0
    }

    /// The closest nodes found, closest first.
    pub fn result(&self) -> &[Node] {
        self.result.nodes()
    }

    /// Hops from the local table at which `id` was learned, if it was.
    pub fn hops_to(&self, id: &NodeId) -> Option<u32> {
        self.hops.get(id).copied()
    }

    /// FINDNODE queries issued so far.
    pub fn queries(&self) -> u32 {
        self.queries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node whose hash is `d` in its first byte, so distances to a zero target are easy to see.
    fn n(d: u8) -> Node {
        let mut h = [0u8; 32];
        h[0] = d;
        Node::with_hash(
            format!("11.0.0.{d}").parse().unwrap(),
            30303,
            30303,
            NodeId([d; 64]),
            NodeHash(h),
        )
    }

    /// A lookup of the zero hash with k = 4.
    fn lookup(initial: Vec<Node>) -> Lookup {
        let me = NodeId([0xee; 64]);
        Lookup::with_target_hash(NodeId([0; 64]), NodeHash([0; 32]), me, initial, 3, 4)
    }

    #[test]
    fn keeps_alpha_in_flight_closest_first() {
        let mut l = lookup(vec![n(50), n(10), n(40), n(30), n(20)]);
        let q = l.next_queries();
        assert_eq!(q, vec![n(10), n(20), n(30)]);
        assert!(l.next_queries().is_empty(), "alpha reached");
        l.on_reply(&n(10).id, &[n(5), n(15)]);
        // Result is now 5, 10, 15, 20: 5 and 15 were not asked; one slot is free.
        assert_eq!(l.next_queries(), vec![n(5)]);
        assert_eq!(l.hops_to(&n(5).id), Some(1));
    }

    #[test]
    fn terminates_when_the_closest_were_all_asked() {
        let mut l = lookup(vec![n(10), n(20)]);
        let q = l.next_queries();
        assert_eq!(q.len(), 2);
        l.on_reply(&n(10).id, &[n(30)]);
        l.on_reply(&n(20).id, &[]);
        assert_eq!(l.next_queries(), vec![n(30)]);
        assert!(!l.is_done());
        l.on_reply(&n(30).id, &[n(10)]); // already known: a duplicate of a starting node
        assert!(l.next_queries().is_empty());
        assert!(l.is_done());
        assert_eq!(l.queries(), 3);
        // The starting node named again is pushed twice, as in geth 2018.
        let ids: Vec<u8> = l.result().iter().map(|x| x.id.0[0]).collect();
        assert_eq!(ids, vec![10, 10, 20, 30]);
    }

    /// D4: geth 2018's `seen` does not hold self, so a reply naming self puts self in the
    /// result (table.go:272-276, 300-304); `asked` does, so self is never queried.
    #[test]
    fn self_named_in_a_reply_enters_the_result_but_is_never_queried() {
        let me = NodeId([0xee; 64]);
        let mut l = lookup(vec![n(10)]);
        l.next_queries();
        let me_node = Node::with_hash("11.0.0.99".parse().unwrap(), 1, 1, me, NodeHash([0; 32]));
        l.on_reply(&n(10).id, &[me_node]);
        assert!(l.next_queries().is_empty());
        assert!(l.is_done());
        assert_eq!(
            l.result()[0].id,
            me,
            "self, at distance 0 of the zero target, leads"
        );
        assert_eq!(l.queries(), 1);
    }

    #[test]
    fn empty_start_is_done_at_once() {
        let mut l = Lookup::new(NodeId([1; 64]), NodeId([2; 64]), vec![], 3, 16);
        assert!(l.next_queries().is_empty());
        assert!(l.is_done());
    }
}
