//! Seeded random streams.
//!
//! Every consumer of randomness gets its own ChaCha8 stream derived from the run's seed, a purpose
//! and an index (a peer's slot, an incarnation). Streams never share state, so the draws one peer
//! makes cannot shift another's, whatever thread runs it; and adding peers does not reseed the
//! existing ones (the lesson of Shadow's issue #2074).
//!
//! Properties that must not depend on any stream's position (a link's base latency, whether a
//! peer is behind NAT) are stateless draws instead: pure functions of the seed and a key
//! (`link_key`, `nat_key`), so nothing per link is ever stored.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::discv4::node::keccak256;

/// What a stream is for; part of its derivation so that purposes never collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A peer's identity (its node ID) for one incarnation.
    Identity,
    /// A peer's protocol decisions (revalidation, seeds, lookup targets).
    Protocol,
    /// A peer's packet loss and jitter draws.
    Network,
    /// The observer's choices (probe origins and targets).
    Observer,
    /// Churn and scenario schedules.
    Schedule,
    /// A peer's packet handling times.
    Handling,
    /// A peer slot's TCP connection draws (the dialer's `useless_share`).
    Connection,
}

impl Purpose {
    fn tag(self) -> u8 {
        match self {
            Purpose::Identity => 1,
            Purpose::Protocol => 2,
            Purpose::Network => 3,
            Purpose::Observer => 4,
            Purpose::Schedule => 5,
            Purpose::Handling => 6,
            Purpose::Connection => 7,
        }
    }
}

/// The stream for `(seed, purpose, index, incarnation)`.
///
/// ```
/// use discsim::sim::rng::{stream, Purpose};
/// use rand::Rng;
/// let mut a = stream(7, Purpose::Protocol, 3, 0);
/// let mut b = stream(7, Purpose::Protocol, 3, 0);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let mut c = stream(7, Purpose::Protocol, 4, 0);
/// assert_ne!(stream(7, Purpose::Protocol, 3, 0).next_u64(), c.next_u64());
/// ```
pub fn stream(seed: u64, purpose: Purpose, index: u64, incarnation: u64) -> ChaCha8Rng {
    let mut material = [0u8; 25];
    material[..8].copy_from_slice(&seed.to_le_bytes());
    material[8] = purpose.tag();
    material[9..17].copy_from_slice(&index.to_le_bytes());
    material[17..25].copy_from_slice(&incarnation.to_le_bytes());
    ChaCha8Rng::from_seed(keccak256(&material))
}

/// splitmix64's finaliser: a bijective 64-bit mix whose outputs pass BigCrush, so consecutive
/// inputs (peer indices) give unrelated outputs.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Separates the derived streams, so a peer's NAT status is unrelated to its links' latencies.
const LINK_DOMAIN: u64 = 0x6c69_6e6b_6c61_7401; // "linklat"
const NAT_DOMAIN: u64 = 0x6e61_7462_6568_6e64; // "natbehnd"

/// The `i`-th 64-bit word of the stream keyed by `key` (splitmix64's own sequence).
pub(crate) fn derive(key: u64, i: u64) -> u64 {
    splitmix64(key.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
}

/// A uniform in [0, 1) from the top 53 bits.
pub(crate) fn unit(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform in (0, 1], safe to take the logarithm of.
pub(crate) fn unit_open0(x: u64) -> f64 {
    ((x >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The key of the link between slots `a` and `b` (either order): the base of its latency draws.
pub(crate) fn link_key(seed: u64, a: u32, b: u32) -> u64 {
    let (lo, hi) = (a.min(b), a.max(b));
    splitmix64(splitmix64(seed ^ LINK_DOMAIN) ^ ((u64::from(lo) << 32) | u64::from(hi)))
}

/// The key of slot `index`'s NAT draw.
pub(crate) fn nat_key(seed: u64, index: u32) -> u64 {
    splitmix64(splitmix64(seed ^ NAT_DOMAIN) ^ u64::from(index))
}
