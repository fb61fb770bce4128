//! geth's Kademlia table (`p2p/discover/table.go` from 9123eceb0f on): 17 buckets by log
//! distance, 16 entries each with a replacement list of 10, and /24 IP limits.
//!
//! It offers the operations of both profiles: geth 2018's single `add` (bump or add), and geth
//! 2019's "seen" and "verified" adds with a liveness count per entry (a89170cfb2, f0c6f92140).
//! Which one runs is the protocol profile's choice.
//!
//! A plain data structure: it never sends anything. The protocol layer decides when to add, bump,
//! replace or delete, as geth's table loop does; randomness (which bucket to revalidate, which
//! replacement to promote) comes from the caller's seeded generator.
//!
//! Entries are ordered most recently seen first. [`Entry::added_at`] reproduces a quirk of geth:
//! `bump` puts the *new* node object at the front, and a node object decoded from a packet or read
//! from the database has a zero `addedAt`, so bumping an entry with a fresh object makes it count
//! as "in the table for long enough" to be copied to the database.

use std::net::IpAddr;
use std::time::Duration;

use rand::{Rng, RngExt};

use crate::discv4::netutil::{is_lan, DistinctNetSet};
use crate::discv4::node::{Node, NodeHash, NodeId, HASH_BITS};
use crate::sim::clock::SimTime;

/// The table's knobs, with geth's 2018 defaults.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TableConfig {
    /// Kademlia `k`: entries per bucket (16).
    pub bucket_size: usize,
    /// Number of buckets (17 = hashBits / 15).
    pub n_buckets: usize,
    /// Log distances up to this share bucket 0 (239).
    pub bucket_min_distance: u32,
    /// Replacement list length per bucket (10).
    pub max_replacements: usize,
    /// Whether the /24 IP limits apply at all.
    pub ip_limits: bool,
    /// Addresses per subnet in one bucket (2).
    pub bucket_ip_limit: usize,
    /// Prefix length of a bucket's subnets (24).
    pub bucket_subnet: u8,
    /// Addresses per subnet in the whole table (10).
    pub table_ip_limit: usize,
    /// Prefix length of the table's subnets (24).
    pub table_subnet: u8,
    /// Refuse to add self. geth 2018 had no such guard (a FINDNODE answer naming the asker put it
    /// in its own table); the enode rewrite of September 2018 added it. Off by default.
    pub guard_self: bool,
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            bucket_size: 16,
            n_buckets: (HASH_BITS / 15) as usize,
            bucket_min_distance: HASH_BITS - 17,
            max_replacements: 10,
            ip_limits: true,
            bucket_ip_limit: 2,
            bucket_subnet: 24,
            table_ip_limit: 10,
            table_subnet: 24,
            guard_self: false,
        }
    }
}

/// A table knob out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{key}`: {allowed}")]
pub struct TableConfigError {
    /// The key under `protocol.`, e.g. `table.bucket_size`.
    pub key: String,
    /// What is allowed.
    pub allowed: String,
}

impl TableConfig {
    /// Checks every knob; the error names the key under `protocol.`.
    ///
    /// ```
    /// use discsim::discv4::table::TableConfig;
    /// assert!(TableConfig::default().validate().is_ok());
    /// let c = TableConfig { n_buckets: 0, ..TableConfig::default() };
    /// assert_eq!(c.validate().unwrap_err().key, "table.n_buckets");
    /// ```
    pub fn validate(&self) -> Result<(), TableConfigError> {
        let check = |key: &str, ok: bool, allowed: &str| {
            if ok {
                Ok(())
            } else {
                Err(TableConfigError {
                    key: format!("table.{key}"),
                    allowed: allowed.to_string(),
                })
            }
        };
        check("bucket_size", self.bucket_size >= 1, "at least 1")?;
        check("n_buckets", (1..=257).contains(&self.n_buckets), "1 to 257")?;
        check(
            "bucket_min_distance",
            self.bucket_min_distance <= 256,
            "0 to 256",
        )?;
        check("bucket_subnet", self.bucket_subnet <= 32, "0 to 32")?;
        check("table_subnet", self.table_subnet <= 32, "0 to 32")
    }

    /// The bucket that holds nodes at log distance `d` from self: distances up to
    /// `bucket_min_distance` share bucket 0, the rest get one bucket each.
    ///
    /// ```
    /// use discsim::discv4::table::TableConfig;
    /// let c = TableConfig::default();
    /// assert_eq!(c.bucket_for_distance(1), 0);
    /// assert_eq!(c.bucket_for_distance(239), 0);
    /// assert_eq!(c.bucket_for_distance(240), 0);
    /// assert_eq!(c.bucket_for_distance(241), 1);
    /// assert_eq!(c.bucket_for_distance(256), 16);
    /// ```
    pub fn bucket_for_distance(&self, d: u32) -> usize {
        if d <= self.bucket_min_distance {
            0
        } else {
            ((d - self.bucket_min_distance - 1) as usize).min(self.n_buckets - 1)
        }
    }

    /// The smallest log distance from self that [`TableConfig::bucket_for_distance`] files in
    /// bucket `bi` (for a bucket that no distance reaches, one more than the largest distance).
    ///
    /// ```
    /// use discsim::discv4::table::TableConfig;
    /// let c = TableConfig::default();
    /// assert_eq!(c.min_distance_of_bucket(0), 0);
    /// assert_eq!(c.min_distance_of_bucket(1), 241);
    /// assert_eq!(c.min_distance_of_bucket(16), 256);
    /// ```
    pub fn min_distance_of_bucket(&self, bi: usize) -> u32 {
        if bi == 0 {
            0
        } else {
            (self.bucket_min_distance + 1 + bi as u32).min(HASH_BITS + 1)
        }
    }
}

/// A table entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The node, with the hash that places it in a bucket.
    pub node: Node,
    /// When the node entered the table; `None` is Go's zero time (see the module docs).
    pub added_at: Option<SimTime>,
    /// geth 2019's `livenessChecks`: revalidations this entry object has passed.
    pub liveness_checks: u32,
    /// The ENR sequence number of the entry's record (geth 2019; 0 for a node known only from
    /// a packet).
    pub enr_seq: u64,
    /// Not geth's: the node database's [records epoch](crate::discv4::nodedb::NodeDb::records_epoch)
    /// at which `copyLiveNodes` last found this entry's record stored (0: never), so that it
    /// can skip looking it up again (`NodeDb::update_node_remembered`). An entry's node never
    /// changes (a bump stores a new entry), so the epoch vouches for this very endpoint. Not
    /// part of equality.
    pub record_epoch: u64,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Entry) -> bool {
        (self.node, self.added_at, self.liveness_checks, self.enr_seq)
            == (o.node, o.added_at, o.liveness_checks, o.enr_seq)
    }
}
impl Eq for Entry {}

impl Entry {
    /// In `copyLiveNodes`' selection: at least `min_time` in the table and, if `checked`,
    /// revalidated.
    fn is_live(&self, now: SimTime, min_time: Duration, checked: bool) -> bool {
        (!checked || self.liveness_checks > 0)
            && match self.added_at {
                None => true,
                Some(t) => now.saturating_since(t) >= min_time,
            }
    }

    /// A new entry object for `node` (what geth makes when it decodes a node from a packet).
    fn fresh(node: Node, added_at: Option<SimTime>) -> Entry {
        Entry {
            node,
            added_at,
            liveness_checks: 0,
            enr_seq: 0,
            record_epoch: 0,
        }
    }
}

/// Replaces `entries[i]` with `entry` at the front, the entries before it moving back by one:
/// what geth's bump does (remove, then push at the front), with one shift of `i` entries instead
/// of two shifts of the whole bucket.
fn move_to_front(entries: &mut [Entry], i: usize, entry: Entry) {
    entries[..=i].rotate_right(1);
    entries[0] = entry;
}

#[derive(Clone, Debug)]
struct Bucket {
    entries: Vec<Entry>,
    replacements: Vec<Node>,
    ips: DistinctNetSet,
}

/// What [`Table::add`] did with a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// It was in the bucket and moved to the front.
    Bumped,
    /// It joined the bucket.
    Added,
    /// The bucket was full (or an IP limit hit): it went to the replacement list.
    Replacement,
    /// It is self (with `guard_self`), already a replacement, or over an IP limit even as a replacement.
    Ignored,
}

/// A Kademlia table.
///
/// ```
/// use discsim::sim::clock::SimTime;
/// use discsim::discv4::node::{Node, NodeId};
/// use discsim::discv4::table::{AddOutcome, Table, TableConfig};
/// let me = Node::new("11.0.0.1".parse().unwrap(), 30303, 30303, NodeId([0; 64]));
/// let mut t = Table::new(&me, TableConfig::default());
/// let other = Node::new("11.0.1.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
/// assert_eq!(t.add(other, SimTime::DEFAULT_EPOCH), AddOutcome::Added);
/// assert_eq!(t.add(other, SimTime::DEFAULT_EPOCH), AddOutcome::Bumped);
/// assert_eq!(t.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Table {
    self_id: NodeId,
    self_hash: NodeHash,
    cfg: TableConfig,
    buckets: Vec<Bucket>,
    ips: DistinctNetSet,
}

impl Table {
    /// An empty table around `self_node`.
    pub fn new(self_node: &Node, cfg: TableConfig) -> Table {
        let buckets = (0..cfg.n_buckets)
            .map(|_| Bucket {
                entries: Vec::new(),
                replacements: Vec::new(),
                ips: DistinctNetSet::new(cfg.bucket_subnet, cfg.bucket_ip_limit),
            })
            .collect();
        Table {
            self_id: self_node.id,
            self_hash: *self_node.hash(),
            ips: DistinctNetSet::new(cfg.table_subnet, cfg.table_ip_limit),
            cfg,
            buckets,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TableConfig {
        &self.cfg
    }

    /// The bucket a hash falls in.
    pub fn bucket_index(&self, hash: &NodeHash) -> usize {
        self.cfg
            .bucket_for_distance(self.self_hash.log_distance(hash))
    }

    /// geth's `add` of a node object decoded from a packet or read from the database: bump the
    /// node if present, else add it if its bucket has room and the IP limits allow, else make it
    /// a replacement. Such an object has Go's zero `addedAt` until a real add sets it, so a bump
    /// clears the entry's `added_at` (see the module docs).
    pub fn add(&mut self, node: Node, now: SimTime) -> AddOutcome {
        self.add_object(node, now, &mut None)
    }

    /// geth's `add` of a long-lived node object whose `addedAt` is `added_at` (the bootnodes of
    /// `tab.nursery`): a bump puts that object, with its time, at the front; a real add sets the
    /// object's time.
    pub fn add_object(
        &mut self,
        node: Node,
        now: SimTime,
        added_at: &mut Option<SimTime>,
    ) -> AddOutcome {
        if self.cfg.guard_self && node.id == self.self_id {
            return AddOutcome::Ignored;
        }
        let bi = self.bucket_index(node.hash());
        if self.bump_with(bi, Entry::fresh(node, *added_at)) {
            return AddOutcome::Bumped;
        }
        if self.buckets[bi].entries.len() < self.cfg.bucket_size && self.add_ip(bi, node.ip) {
            *added_at = Some(now);
            let b = &mut self.buckets[bi];
            b.entries.insert(0, Entry::fresh(node, Some(now)));
            b.replacements.retain(|r| r.id != node.id);
            return AddOutcome::Added;
        }
        self.add_replacement(bi, node)
    }

    /// geth 2019's `addSeenNode` (table.go:438-466): a node we only heard of (a seed, a
    /// bootnode, a node named in NEIGHBORS). Never self; an entry already present stays where it
    /// is; otherwise appended at the back if the bucket has room and the IP limits allow, else
    /// a replacement.
    pub fn add_seen(&mut self, node: Node, now: SimTime) -> AddOutcome {
        if node.id == self.self_id {
            return AddOutcome::Ignored;
        }
        let bi = self.bucket_index(node.hash());
        if self.buckets[bi]
            .entries
            .iter()
            .any(|e| e.node.id == node.id)
        {
            return AddOutcome::Ignored;
        }
        if self.buckets[bi].entries.len() >= self.cfg.bucket_size {
            return self.add_replacement(bi, node);
        }
        if !self.add_ip(bi, node.ip) {
            return AddOutcome::Ignored;
        }
        let b = &mut self.buckets[bi];
        b.entries.push(Entry::fresh(node, Some(now)));
        b.replacements.retain(|r| r.id != node.id);
        AddOutcome::Added
    }

    /// geth 2019's `addVerifiedNode` (table.go:477-508): a node that proved its endpoint (it
    /// pinged us). Never self; an entry already present moves to the front as a fresh object
    /// (liveness count 0, ENR seq 0, zero `addedAt`: `bumpInBucket` stores the new object);
    /// otherwise pushed at the front, or a replacement when the bucket is full.
    pub fn add_verified(&mut self, node: Node, now: SimTime) -> AddOutcome {
        if node.id == self.self_id {
            return AddOutcome::Ignored;
        }
        let bi = self.bucket_index(node.hash());
        if self.bump_with(bi, Entry::fresh(node, None)) {
            return AddOutcome::Bumped;
        }
        if self.buckets[bi].entries.len() >= self.cfg.bucket_size {
            return self.add_replacement(bi, node);
        }
        if !self.add_ip(bi, node.ip) {
            return AddOutcome::Ignored;
        }
        let b = &mut self.buckets[bi];
        b.entries.insert(0, Entry::fresh(node, Some(now)));
        b.replacements.retain(|r| r.id != node.id);
        AddOutcome::Added
    }

    /// A revalidation of `last` (the entry as [`Table::node_to_revalidate`] gave it) succeeded:
    /// if its node is still in bucket `bi`, that object goes back to the front with one more
    /// liveness check and, if a newer record was fetched, its ENR seq. geth stores the object it
    /// pinged, whatever replaced it meanwhile (2018: `b.bump(last)`, table.go:470; 2019:
    /// `bumpInBucket(b, last)`, table.go:329-345). Returns whether the node was there.
    pub fn revalidated(&mut self, bi: usize, last: &Entry, enr_seq: Option<u64>) -> bool {
        let b = &mut self.buckets[bi];
        // From the back: the pinged entry was the last and usually still is (a bucket holds an
        // ID once, so the first match is the only one).
        match b.entries.iter().rposition(|e| e.node.id == last.node.id) {
            Some(i) => {
                let mut e = last.clone();
                e.liveness_checks += 1;
                if let Some(seq) = enr_seq {
                    e.enr_seq = e.enr_seq.max(seq);
                }
                move_to_front(&mut b.entries, i, e);
                true
            }
            None => false,
        }
    }

    fn bump_with(&mut self, bi: usize, entry: Entry) -> bool {
        let b = &mut self.buckets[bi];
        match b.entries.iter().position(|e| e.node.id == entry.node.id) {
            Some(i) => {
                move_to_front(&mut b.entries, i, entry);
                true
            }
            None => false,
        }
    }

    fn add_replacement(&mut self, bi: usize, node: Node) -> AddOutcome {
        if self.buckets[bi]
            .replacements
            .iter()
            .any(|r| r.id == node.id)
        {
            return AddOutcome::Ignored;
        }
        if !self.add_ip(bi, node.ip) {
            return AddOutcome::Ignored;
        }
        let b = &mut self.buckets[bi];
        b.replacements.insert(0, node);
        if b.replacements.len() > self.cfg.max_replacements {
            let removed = b.replacements.pop().expect("over capacity");
            self.remove_ip(bi, removed.ip);
        }
        AddOutcome::Replacement
    }

    /// geth's `nodeToRevalidate`: the last entry of the first non-empty bucket in a random
    /// permutation of the buckets. That bucket is uniformly distributed over the non-empty
    /// buckets, which is how it is drawn here (one draw instead of a permutation).
    pub fn node_to_revalidate<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(usize, Entry)> {
        let non_empty = self
            .buckets
            .iter()
            .filter(|b| !b.entries.is_empty())
            .count();
        if non_empty == 0 {
            return None;
        }
        let pick = rng.random_range(0..non_empty);
        let (bi, b) = self
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.entries.is_empty())
            .nth(pick)
            .expect("counted");
        b.entries.last().map(|e| (bi, e.clone()))
    }

    /// geth's `replace`, after `last` failed revalidation: if it is still the last entry of bucket
    /// `bi`, a random replacement takes its place (returned), or it is deleted when there is none.
    pub fn replace<R: Rng + ?Sized>(
        &mut self,
        bi: usize,
        last: &NodeId,
        rng: &mut R,
    ) -> Option<Node> {
        let b = &self.buckets[bi];
        if b.entries.last().map(|e| e.node.id) != Some(*last) {
            return None; // it moved: it was seen meanwhile
        }
        if b.replacements.is_empty() {
            let ip = b.entries.last().expect("checked").node.ip;
            self.delete_in_bucket(bi, last, ip);
            return None;
        }
        let ri = rng.random_range(0..b.replacements.len());
        let b = &mut self.buckets[bi];
        let r = b.replacements.remove(ri);
        let old = std::mem::replace(
            b.entries.last_mut().expect("checked"),
            Entry::fresh(r, None),
        );
        self.remove_ip(bi, old.node.ip);
        Some(r)
    }

    /// geth's `delete`: removes the node from the bucket its hash falls in (not from the
    /// replacement list) and, found or not, releases its IP from the limits (table.go:697-700).
    /// Returns whether an entry was removed.
    pub fn delete(&mut self, node: &Node) -> bool {
        let bi = self.bucket_index(node.hash());
        self.delete_in_bucket(bi, &node.id, node.ip)
    }

    fn delete_in_bucket(&mut self, bi: usize, id: &NodeId, ip: IpAddr) -> bool {
        let b = &mut self.buckets[bi];
        let found = b.entries.iter().position(|e| e.node.id == *id);
        if let Some(i) = found {
            b.entries.remove(i);
        }
        self.remove_ip(bi, ip);
        found.is_some()
    }

    /// The `n` entries closest to `target`, closest first (geth's `closest`).
    pub fn closest(&self, target: &NodeHash, n: usize) -> Vec<Node> {
        self.closest_where(target, n, |_| true)
    }

    /// The `n` entries closest to `target` that passed a revalidation (geth 2019's
    /// `closest(target, n, checklive = true)`, which answers FINDNODE).
    pub fn closest_checked(&self, target: &NodeHash, n: usize) -> Vec<Node> {
        self.closest_where(target, n, |e| e.liveness_checks > 0)
    }

    /// geth offers every entry of every bucket, in bucket order, to a list sorted by distance
    /// (table.go:522-533). The buckets are visited here nearest first instead, and the visit
    /// stops at the first bucket whose entries are all farther than a full list's farthest:
    /// the same list, usually from the target's own bucket alone (16 entries read, not ~140).
    ///
    /// Why it is the same: an entry at log distance `d` from self lies at `max(d, dt)` from a
    /// target at `dt` when `d != dt`, and below `dt` when `d == dt`. So every entry of a bucket
    /// other than the target's is at least `max(lowest d of the bucket, dt)` from the target (see
    /// [`TableConfig::min_distance_of_bucket`]), and skipped entries could only have been
    /// rejected. Entries at equal distance have equal hashes, hence share a bucket, whose entries
    /// are offered in geth's order: ties keep geth's order whatever the order of the buckets.
    fn closest_where(
        &self,
        target: &NodeHash,
        n: usize,
        keep: impl Fn(&Entry) -> bool,
    ) -> Vec<Node> {
        let mut c = Closest::new(*target, n);
        let dt = self.self_hash.log_distance(target);
        let home = self.cfg.bucket_for_distance(dt);
        // Nearest first: the target's bucket, those below it (all at exactly `dt`), then those
        // above it in order (each at its own distances, all beyond `dt`).
        let order = std::iter::once(home)
            .chain(0..home)
            .chain(home + 1..self.buckets.len());
        for bi in order {
            if let Some(far) = c.farthest_if_full() {
                let nearest = self.cfg.min_distance_of_bucket(bi).max(dt);
                if bi != home && nearest > target.log_distance(far.hash()) {
                    break;
                }
            }
            for e in self.buckets[bi].entries.iter().filter(|e| keep(e)) {
                c.offer(&e.node);
            }
        }
        c.into_nodes()
    }

    /// Number of entries (replacements excluded).
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|b| b.entries.len()).sum()
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.buckets.iter().all(|b| b.entries.is_empty())
    }

    /// Whether `id` is an entry.
    pub fn contains(&self, id: &NodeId) -> bool {
        self.entries().any(|e| e.node.id == *id)
    }

    /// All entries, bucket by bucket, most recently seen first within a bucket.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.buckets.iter().flat_map(|b| b.entries.iter())
    }

    /// Entries and replacements of bucket `bi`.
    pub fn bucket(&self, bi: usize) -> (&[Entry], &[Node]) {
        let b = &self.buckets[bi];
        (&b.entries, &b.replacements)
    }

    /// geth's `copyLiveNodes` selection: entries at least `min_time` in the table and, if
    /// `checked` (geth 2019, table.go:388), that passed a revalidation. The copy itself is
    /// [`Table::copy_live_nodes`].
    pub fn live_nodes(
        &self,
        now: SimTime,
        min_time: Duration,
        checked: bool,
    ) -> impl Iterator<Item = &Node> + '_ {
        self.entries()
            .filter(move |e| e.is_live(now, min_time, checked))
            .map(|e| &e.node)
    }

    /// `copyLiveNodes` itself, which every peer runs every 30 s over its whole table: `copy` gets
    /// each of [`Table::live_nodes`], in place, with its entry's `record_epoch` (the only part of
    /// an entry it may change).
    pub fn copy_live_nodes(
        &mut self,
        now: SimTime,
        min_time: Duration,
        checked: bool,
        mut copy: impl FnMut(&Node, &mut u64),
    ) {
        for b in &mut self.buckets {
            for e in &mut b.entries {
                if e.is_live(now, min_time, checked) {
                    copy(&e.node, &mut e.record_epoch);
                }
            }
        }
    }

    fn add_ip(&mut self, bi: usize, ip: IpAddr) -> bool {
        if !self.cfg.ip_limits || is_lan(&ip) {
            return true;
        }
        if !self.ips.add(ip) {
            return false;
        }
        if !self.buckets[bi].ips.add(ip) {
            self.ips.remove(ip);
            return false;
        }
        true
    }

    fn remove_ip(&mut self, bi: usize, ip: IpAddr) {
        if !self.cfg.ip_limits || is_lan(&ip) {
            return;
        }
        self.ips.remove(ip);
        self.buckets[bi].ips.remove(ip);
    }
}

/// Nodes ordered by distance to a target, at most `max` of them (geth's `nodesByDistance`).
/// A node at the same distance as one already present goes after it; duplicates are not
/// filtered, as in geth.
#[derive(Clone, Debug)]
pub struct Closest {
    target: NodeHash,
    max: usize,
    entries: Vec<Node>,
}

impl Closest {
    /// An empty list around `target`.
    pub fn new(target: NodeHash, max: usize) -> Closest {
        Closest {
            target,
            max,
            entries: Vec::with_capacity(max),
        }
    }

    /// Inserts `n` in distance order, dropping the farthest beyond `max`.
    pub fn push(&mut self, n: Node) {
        self.offer(&n);
    }

    /// [`Closest::push`] for a node held elsewhere, copied only if it is kept: a table answering
    /// FINDNODE offers all its ~140 entries (120 bytes each) to keep 16. Once the list is full,
    /// most offers are no closer than its farthest node, which one comparison rejects.
    ///
    /// ```
    /// use discsim::discv4::node::{Node, NodeId};
    /// use discsim::discv4::table::Closest;
    /// let ip = "11.0.0.1".parse().unwrap();
    /// let (near, far) = (Node::new(ip, 1, 1, NodeId([1; 64])), Node::new(ip, 2, 2, NodeId([2; 64])));
    /// let mut c = Closest::new(*near.hash(), 1);
    /// c.offer(&far);
    /// c.offer(&near); // distance 0 to the target: it replaces `far`
    /// c.offer(&far);
    /// assert_eq!(c.nodes(), &[near]);
    /// ```
    pub fn offer(&mut self, n: &Node) {
        let no_farther =
            |e: &Node| self.target.cmp_distance(e.hash(), n.hash()) != std::cmp::Ordering::Greater;
        if self.entries.len() == self.max && self.entries.last().is_some_and(no_farther) {
            return;
        }
        let ix = self.entries.partition_point(no_farther);
        if ix >= self.max {
            return;
        }
        if self.entries.len() == self.max {
            self.entries.pop();
        }
        self.entries.insert(ix, *n);
    }

    /// Its farthest node once it holds `max`: an offer no closer than that one is rejected.
    pub fn farthest_if_full(&self) -> Option<&Node> {
        self.entries
            .last()
            .filter(|_| self.entries.len() == self.max)
    }

    /// The nodes, closest first.
    pub fn nodes(&self) -> &[Node] {
        &self.entries
    }

    /// The nodes, closest first.
    pub fn into_nodes(self) -> Vec<Node> {
        self.entries
    }

    /// How many nodes it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests;
