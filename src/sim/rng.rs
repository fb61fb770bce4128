//! Seeded random streams.
//!
//! Every consumer of randomness gets its own ChaCha8 stream derived from the run's seed, a purpose
//! and an index (a peer's slot, an incarnation). Streams never share state, so the draws one peer
//! makes cannot shift another's, whatever thread runs it; and adding peers does not reseed the
//! existing ones (the lesson of Shadow's issue #2074).

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
