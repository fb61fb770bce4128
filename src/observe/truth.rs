//! Ground truth for metrics: what each peer's Kademlia table *should* hold.
//!
//! Measuring table quality means asking, for every peer, which live peers are truly closest to
//! it and how full its table could be. Scanning all peers per question is O(n²) per snapshot,
//! which rules out large networks. [`TruthIndex`] sorts the hashes once instead: every set of
//! hashes sharing a prefix is then a contiguous slice, so XOR-nearest neighbours fall out of a
//! descent on bits and log-distance counts out of two binary searches.

use crate::discv4::node::{NodeHash, HASH_BITS};

/// Below this many entries, a slice is ordered by sorting it outright rather than by splitting
/// it further: cheaper, and just as exact.
const LEAF: usize = 8;

/// The live peers' hashes, sorted, for O(k log n) nearest-neighbour and O(log n) counting
/// queries.
///
/// ```
/// use discsim::discv4::node::NodeHash;
/// use discsim::observe::truth::TruthIndex;
/// let h = |b: u8| { let mut x = [0u8; 32]; x[0] = b; NodeHash(x) };
/// let idx = TruthIndex::new([(h(0b0000_0000), 0), (h(0b1000_0000), 1), (h(0b0100_0000), 2), (h(0b0000_0001), 3)]);
/// // Peer 3 is at XOR distance 1 from peer 0, peer 2 at 64, peer 1 at 128.
/// assert_eq!(idx.closest(&h(0), 3, Some(0)), vec![3, 2, 1]);
/// assert_eq!(idx.count_at_log_distance(&h(0), 256, None), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TruthIndex {
    /// Sorted by hash, then by peer index.
    sorted: Vec<(NodeHash, u32)>,
    /// `(peer index, position in sorted)`, sorted: finds an excluded peer's hash in O(log n).
    by_peer: Vec<(u32, u32)>,
}

impl TruthIndex {
    /// Indexes `(hash, peer index)` pairs; peer indices are expected to be distinct.
    ///
    /// # Panics
    /// With more than `u32::MAX` entries.
    pub fn new<I: IntoIterator<Item = (NodeHash, u32)>>(peers: I) -> Self {
        let mut sorted: Vec<(NodeHash, u32)> = peers.into_iter().collect();
        sorted.sort_unstable();
        let mut by_peer: Vec<(u32, u32)> = sorted
            .iter()
            .enumerate()
            .map(|(pos, &(_, peer))| (peer, u32::try_from(pos).expect("too many peers")))
            .collect();
        by_peer.sort_unstable();
        TruthIndex { sorted, by_peer }
    }

    /// How many peers are indexed.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether no peer is indexed.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The `k` peers closest to `target` by XOR distance, closest first, leaving out `exclude`
    /// (typically the asking peer itself). Equal distances (duplicate hashes) go by peer index.
    /// Fewer than `k` come back only when fewer are indexed.
    pub fn closest(&self, target: &NodeHash, k: usize, exclude: Option<u32>) -> Vec<u32> {
        let mut out = Vec::with_capacity(k.min(self.len()));
        if k > 0 {
            self.descend(0, self.sorted.len(), target, k, exclude, &mut out);
        }
        out
    }

    /// Appends the peers of `sorted[lo..hi]` to `out` in XOR order from `target`, until `out`
    /// holds `k`.
    ///
    /// Invariant: every peer in the slice is closer to `target` than any peer in slices not yet
    /// visited, and farther than those already in `out`. It holds because the slice is a subtree
    /// of the binary trie over hashes, and the half whose next bit matches the target's is
    /// entirely closer than the other half.
    fn descend(
        &self,
        lo: usize,
        hi: usize,
        target: &NodeHash,
        k: usize,
        exclude: Option<u32>,
        out: &mut Vec<u32>,
    ) {
        if out.len() >= k || lo >= hi {
            return;
        }
        let slice = &self.sorted[lo..hi];
        // All hashes in a sorted slice share the prefix its ends share, so the first bit where
        // the ends differ is the first bit that splits the slice: the bits above it are skipped
        // in one step.
        let split = HASH_BITS - slice[0].0.log_distance(&slice[slice.len() - 1].0);
        if slice.len() <= LEAF || split == HASH_BITS {
            let mut leaf: Vec<([u8; 32], u32)> = slice
                .iter()
                .filter(|e| Some(e.1) != exclude)
                .map(|e| (target.xor(&e.0), e.1))
                .collect();
            leaf.sort_unstable();
            let room = k - out.len();
            out.extend(leaf.into_iter().take(room).map(|e| e.1));
            return;
        }
        let (byte, mask) = ((split / 8) as usize, 0x80u8 >> (split % 8));
        let mid = lo + slice.partition_point(|e| e.0 .0[byte] & mask == 0);
        if target.0[byte] & mask == 0 {
            self.descend(lo, mid, target, k, exclude, out);
            self.descend(mid, hi, target, k, exclude, out);
        } else {
            self.descend(mid, hi, target, k, exclude, out);
            self.descend(lo, mid, target, k, exclude, out);
        }
    }

    /// How many indexed peers lie at log distance `d` from `target` (`target.log_distance(h) ==
    /// d`), leaving out `exclude`. Those peers share `target`'s top `256 - d` bits and differ in
    /// the next one, so they form one contiguous slice, found by two binary searches.
    pub fn count_at_log_distance(&self, target: &NodeHash, d: u32, exclude: Option<u32>) -> usize {
        if d > HASH_BITS {
            return 0;
        }
        if d == 0 {
            return self.count_between(target, target, exclude);
        }
        let mut base = *target;
        flip_bit(&mut base, d - 1);
        let (mut lo, mut hi) = (base, base);
        fill_low_bits(&mut lo, d - 1, false);
        fill_low_bits(&mut hi, d - 1, true);
        self.count_between(&lo, &hi, exclude)
    }

    /// How many indexed peers lie at log distance `d` or less from `target`: those sharing its
    /// top `256 - d` bits.
    fn count_within_log_distance(&self, target: &NodeHash, d: u32, exclude: Option<u32>) -> usize {
        let d = d.min(HASH_BITS);
        let (mut lo, mut hi) = (*target, *target);
        fill_low_bits(&mut lo, d, false);
        fill_low_bits(&mut hi, d, true);
        self.count_between(&lo, &hi, exclude)
    }

    /// How many indexed peers have a hash in `[lo, hi]`, leaving out `exclude`.
    fn count_between(&self, lo: &NodeHash, hi: &NodeHash, exclude: Option<u32>) -> usize {
        let a = self.sorted.partition_point(|e| e.0 < *lo);
        let b = self.sorted.partition_point(|e| e.0 <= *hi);
        let mut n = b.saturating_sub(a);
        if let Some(peer) = exclude {
            let from = self.by_peer.partition_point(|e| e.0 < peer);
            let to = self.by_peer.partition_point(|e| e.0 <= peer);
            n -= self.by_peer[from..to]
                .iter()
                .filter(|e| (a..b).contains(&(e.1 as usize)))
                .count();
        }
        n
    }

    /// How many entries the Kademlia table of a peer at `target` could hold if it knew every
    /// indexed peer: the sum over buckets of `min(bucket_size, live peers in that bucket)`.
    ///
    /// The layout is geth's since 2018: log distances up to `bucket_min_distance` share bucket
    /// 0, and distance `d` above it goes to bucket `d - bucket_min_distance - 1` (so, with geth's
    /// 239 and 17 buckets, bucket 0 also takes distance 240 and bucket 16 takes 256). Distances
    /// past the last bucket are not counted; geth sizes the table so none are.
    ///
    /// ```
    /// use discsim::discv4::node::NodeHash;
    /// use discsim::observe::truth::TruthIndex;
    /// // 20 peers in the far half of the space from the zero hash, one near it.
    /// let idx = TruthIndex::new((0..21u32).map(|i| {
    ///     let mut h = [0u8; 32];
    ///     h[0] = if i < 20 { 0x80 } else { 0 };
    ///     h[31] = i as u8 + 1;
    ///     (NodeHash(h), i)
    /// }));
    /// // Bucket 16 (distance 256) keeps 16 of its 20; bucket 0 takes the near one.
    /// assert_eq!(idx.ideal_table_size(&NodeHash::default(), None, 16, 239, 17), 17);
    /// ```
    pub fn ideal_table_size(
        &self,
        target: &NodeHash,
        exclude: Option<u32>,
        bucket_size: usize,
        bucket_min_distance: u32,
        n_buckets: usize,
    ) -> usize {
        let mut total = 0;
        for b in 0..n_buckets {
            let live = if b == 0 {
                let top = u64::from(bucket_min_distance) + 1;
                let top = u32::try_from(top.min(u64::from(HASH_BITS))).unwrap_or(HASH_BITS);
                self.count_within_log_distance(target, top, exclude)
            } else {
                let d = u64::from(bucket_min_distance) + 1 + b as u64;
                if d > u64::from(HASH_BITS) {
                    break;
                }
                self.count_at_log_distance(target, d as u32, exclude)
            };
            total += live.min(bucket_size);
        }
        total
    }
}

/// Flips bit `p` of `h`, counting from the least significant bit (0) of the big-endian hash.
fn flip_bit(h: &mut NodeHash, p: u32) {
    h.0[31 - (p / 8) as usize] ^= 1 << (p % 8);
}

/// Sets (or clears) the lowest `n` bits of `h`.
fn fill_low_bits(h: &mut NodeHash, n: u32, ones: bool) {
    let full = (n / 8) as usize;
    for b in &mut h.0[32 - full..] {
        *b = if ones { 0xff } else { 0 };
    }
    let rem = n % 8;
    if rem > 0 {
        let mask = (1u8 << rem) - 1;
        let b = &mut h.0[31 - full];
        *b = if ones { *b | mask } else { *b & !mask };
    }
}

#[cfg(test)]
mod tests;
