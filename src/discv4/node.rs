//! Node identity: public keys, their keccak256 hashes, and the XOR distance over those hashes.
//!
//! discv4 names a node by its 64-byte secp256k1 public key ([`NodeId`]) but measures Kademlia
//! distance between `keccak256(id)` values ([`NodeHash`]). Hashing costs about as much as delivering
//! an actor message, so a [`Node`] carries its hash, computed once when the node is made or decoded.

use std::cmp::Ordering;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand::Rng;
use std::cell::RefCell;
#[allow(clippy::disallowed_types)] // only looked up, never iterated: order cannot leak
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rlp::{Decodable, DecoderError, Encodable, Rlp, RlpStream};
use tiny_keccak::{Hasher as _, Keccak};

/// Number of bits in a [`NodeHash`]; log distances range over `0..=HASH_BITS`.
pub const HASH_BITS: u32 = 256;

/// Entries the per-thread hash memo keeps before it starts over.
const HASH_CACHE_LIMIT: usize = 1 << 20;

thread_local! {
    #[allow(clippy::disallowed_types)] // only looked up, never iterated: order cannot leak
    static HASHES: RefCell<IdMap<NodeHash>> = RefCell::new(IdMap::default());
}

/// Node IDs are uniformly random bytes already: folding them is as good as hashing them.
/// Also the hasher of the node database's mirror (an order-free lookup map).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

/// A `HashMap` keyed by [`NodeId`] with [`IdHasher`]: for maps that are only looked up (the
/// determinism lints allow it here; whoever iterates one sorts first).
#[allow(clippy::disallowed_types)]
pub(crate) type IdMap<V> = HashMap<NodeId, V, BuildHasherDefault<IdHasher>>;

/// The set of [`IdMap`]: for sets of IDs that are only asked about, never iterated.
#[allow(clippy::disallowed_types)]
pub(crate) type IdSet = std::collections::HashSet<NodeId, BuildHasherDefault<IdHasher>>;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// keccak256 of `data`.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut k = Keccak::v256();
    k.update(data);
    k.finalize(&mut out);
    out
}

/// A node's identity: its 64-byte uncompressed secp256k1 public key (without the 0x04 prefix).
///
/// The simulator never signs, so any 64 bytes serve; [`NodeId::random`] draws them from a seeded
/// generator, which keeps identities reproducible.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct NodeId(pub [u8; 64]);

/// Two distinct IDs almost always differ in their first 8 bytes: comparing those first spares
/// the 64-byte `memcmp` call that the derived comparison makes (11 % of CPU at 10,000 peers,
/// in table and replacement-list scans). Same answer as comparing all 64 bytes.
impl PartialEq for NodeId {
    fn eq(&self, other: &NodeId) -> bool {
        self.0[..8] == other.0[..8] && self.0 == other.0
    }
}

/// As derived (the bytes), which agrees with the hand-written `eq`.
impl std::hash::Hash for NodeId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl NodeId {
    /// The all-zero ID; geth's `makeKey` treats it as "no node".
    pub const ZERO: NodeId = NodeId([0u8; 64]);

    /// 64 bytes drawn from `rng`.
    pub fn random<R: Rng + ?Sized>(rng: &mut R) -> NodeId {
        let mut id = [0u8; 64];
        rng.fill_bytes(&mut id);
        NodeId(id)
    }

    /// The Kademlia key of this ID: keccak256, memoised per thread.
    ///
    /// A simulated network hashes the same few thousand IDs millions of times (every decoded
    /// NEIGHBORS entry, every ping), and keccak costs as much as delivering a message; the memo is
    /// a pure function cache, so it cannot change a result.
    pub fn hash(&self) -> NodeHash {
        HASHES.with(|cache| {
            let mut cache = cache.borrow_mut();
            if let Some(h) = cache.get(self) {
                return *h;
            }
            if cache.len() >= HASH_CACHE_LIMIT {
                cache.clear();
            }
            let h = NodeHash(keccak256(&self.0));
            cache.insert(*self, h);
            h
        })
    }

    /// keccak256 of the ID, not memoised: for IDs seen about once, such as a lookup's random
    /// target, which would only fill the memo of [`NodeId::hash`] (by about 100 bytes each, a
    /// few hundred thousand an hour at 10,000 peers).
    ///
    /// ```
    /// use discsim::discv4::node::NodeId;
    /// let target = NodeId([7; 64]);
    /// assert_eq!(target.hash_unmemoised(), target.hash());
    /// ```
    pub fn hash_unmemoised(&self) -> NodeHash {
        NodeHash(keccak256(&self.0))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }

    /// The ID in a byte slice, if it is exactly 64 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<NodeId> {
        Some(NodeId(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…")
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// `keccak256(NodeId)`: the point of a node in Kademlia's 256-bit XOR space.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NodeHash(pub [u8; 32]);

impl NodeHash {
    /// The log distance to `other`: the position of the highest differing bit, 1-based, or 0
    /// when the hashes are equal (geth's `logdist`).
    ///
    /// ```
    /// use discsim::discv4::node::NodeHash;
    /// let a = NodeHash([0u8; 32]);
    /// let mut b = a;
    /// b.0[31] = 1;
    /// assert_eq!(a.log_distance(&a), 0);
    /// assert_eq!(a.log_distance(&b), 1);
    /// b.0[0] = 0x80;
    /// assert_eq!(a.log_distance(&b), 256);
    /// ```
    pub fn log_distance(&self, other: &NodeHash) -> u32 {
        let mut lz = 0u32;
        for (x, y) in self.0.iter().zip(other.0.iter()) {
            let d = x ^ y;
            if d == 0 {
                lz += 8;
            } else {
                lz += d.leading_zeros();
                break;
            }
        }
        HASH_BITS - lz
    }

    /// Compares the XOR distances of `a` and `b` to `self` (geth's `distcmp(target, a, b)`):
    /// `Less` means `a` is closer.
    pub fn cmp_distance(&self, a: &NodeHash, b: &NodeHash) -> Ordering {
        // Big-endian words order like the bytes they hold, four compares instead of 32.
        let word = |h: &NodeHash, i: usize| {
            u64::from_be_bytes(h.0[8 * i..8 * i + 8].try_into().expect("8 bytes"))
        };
        for i in 0..4 {
            let t = word(self, i);
            match (word(a, i) ^ t).cmp(&(word(b, i) ^ t)) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }

    /// The XOR of two hashes, big-endian: ordering these orders nodes by distance.
    pub fn xor(&self, other: &NodeHash) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.0[i] ^ other.0[i];
        }
        out
    }
}

impl fmt::Debug for NodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("#")?;
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…")
    }
}

/// A discv4 node: endpoint and identity, with the identity's hash cached.
///
/// Its RLP form is geth's `[IP, UDP, TCP, ID]`, IP as 4 bytes for IPv4 and 16 for IPv6:
///
/// ```
/// use discsim::discv4::node::{Node, NodeId};
/// let n = Node::new("10.0.0.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
/// let bytes = rlp::encode(&n);
/// assert_eq!(&bytes[..7], &[0xf8, 0x4d, 0x84, 10, 0, 0, 1]);
/// assert_eq!(rlp::decode::<Node>(&bytes).unwrap(), n);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// The address packets are sent to; `discv4::netutil` classifies it as LAN or public.
    pub ip: IpAddr,
    /// Discovery (UDP) port; with `ip`, the destination of every packet to this node.
    pub udp: u16,
    /// RLPx (TCP) port, carried in packets and records but never dialled by the simulator;
    /// 0 means none (ENR's "tcp" key is then left out).
    pub tcp: u16,
    /// The node's public key; its keccak256 is the cached hash that distances are measured on.
    pub id: NodeId,
    hash: NodeHash,
}

impl Node {
    /// A node, hashing its ID once.
    pub fn new(ip: IpAddr, udp: u16, tcp: u16, id: NodeId) -> Node {
        Node {
            ip,
            udp,
            tcp,
            id,
            hash: id.hash(),
        }
    }

    /// A node whose hash is given rather than computed: for tests that need a node at a chosen
    /// distance (geth keeps `sha` settable for the same reason), and for callers that already
    /// know the hash of `id`.
    pub fn with_hash(ip: IpAddr, udp: u16, tcp: u16, id: NodeId, hash: NodeHash) -> Node {
        Node {
            ip,
            udp,
            tcp,
            id,
            hash,
        }
    }

    /// `keccak256(id)`, cached.
    pub fn hash(&self) -> &NodeHash {
        &self.hash
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({:?}@{}:{})", self.id, self.ip, self.udp)
    }
}

/// IP bytes as geth writes them: 4 for IPv4, 16 for IPv6.
pub fn ip_bytes(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// Parses 4 or 16 IP bytes; anything else is not an address.
pub fn ip_from_bytes(b: &[u8]) -> Result<IpAddr, DecoderError> {
    match b.len() {
        4 => Ok(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        16 => {
            let arr: [u8; 16] = b.try_into().expect("length checked");
            Ok(IpAddr::V6(Ipv6Addr::from(arr)))
        }
        _ => Err(DecoderError::Custom("IP must be 4 or 16 bytes")),
    }
}

impl Encodable for Node {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(4);
        s.append(&ip_bytes(&self.ip));
        s.append(&self.udp);
        s.append(&self.tcp);
        s.append(&self.id.0.as_slice());
    }
}

impl Decodable for Node {
    /// Strict like geth's decoder: exactly four items, a 64-byte ID, canonical integers.
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        if !rlp.is_list() {
            return Err(DecoderError::RlpExpectedToBeList);
        }
        if rlp.item_count()? != 4 {
            return Err(DecoderError::RlpIncorrectListLen);
        }
        Node::from_items([&rlp.at(0)?, &rlp.at(1)?, &rlp.at(2)?, &rlp.at(3)?])
    }
}

impl Node {
    /// A node from the four items of its RLP list, `[IP, UDP, TCP, ID]`, checked in that order:
    /// a 4- or 16-byte IP, canonical 16-bit ports, a 64-byte ID. One place for the rules that both
    /// the database's records and NEIGHBORS entries (`packet::codec`) follow.
    pub(crate) fn from_items([ip, udp, tcp, id]: [&Rlp<'_>; 4]) -> Result<Node, DecoderError> {
        let ip = ip_from_bytes(ip.data()?)?;
        let (udp, tcp): (u16, u16) = (udp.as_val()?, tcp.as_val()?);
        let id = NodeId::from_slice(id.data()?)
            .ok_or(DecoderError::Custom("node ID must be 64 bytes"))?;
        Ok(Node::new(ip, udp, tcp, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_with(bytes: &[(usize, u8)]) -> NodeHash {
        let mut h = [0u8; 32];
        for &(i, b) in bytes {
            h[i] = b;
        }
        NodeHash(h)
    }

    #[test]
    fn rlp_matches_geth_bytes() {
        let n = Node::new("10.0.0.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
        let mut want = vec![
            0xf8, 0x4d, 0x84, 10, 0, 0, 1, 0x82, 0x76, 0x5f, 0x82, 0x76, 0x5f,
        ];
        want.extend_from_slice(&[0xb8, 0x40]);
        want.extend_from_slice(&[1u8; 64]);
        assert_eq!(rlp::encode(&n).to_vec(), want);
    }

    #[test]
    fn rlp_zero_ports_and_ipv6() {
        let ip: IpAddr = "::1".parse().unwrap();
        let n = Node::new(ip, 0, 1, NodeId([2; 64]));
        let bytes = rlp::encode(&n);
        // list(85) = 0xf8 0x55; 16-byte IP string 0x90; port 0 is the empty string 0x80; port 1 is 0x01.
        assert_eq!(&bytes[..3], &[0xf8, 0x55, 0x90]);
        assert_eq!(&bytes[19..21], &[0x80, 0x01]);
        assert_eq!(rlp::decode::<Node>(&bytes).unwrap(), n);
    }

    #[test]
    fn rlp_rejects_malformed() {
        let n = Node::new("10.0.0.1".parse().unwrap(), 1, 2, NodeId([3; 64]));
        let good = rlp::encode(&n).to_vec();
        // Truncated.
        assert!(rlp::decode::<Node>(&good[..good.len() - 1]).is_err());
        // Five items.
        let mut s = RlpStream::new_list(5);
        s.append(&vec![10u8, 0, 0, 1]).append(&1u16).append(&2u16);
        s.append(&[3u8; 64].as_slice()).append(&0u8);
        assert!(rlp::decode::<Node>(&s.out()).is_err());
        // Short ID.
        let mut s = RlpStream::new_list(4);
        s.append(&vec![10u8, 0, 0, 1]).append(&1u16).append(&2u16);
        s.append(&[3u8; 63].as_slice());
        assert!(rlp::decode::<Node>(&s.out()).is_err());
        // Five-byte IP.
        let mut s = RlpStream::new_list(4);
        s.append(&vec![10u8, 0, 0, 1, 5])
            .append(&1u16)
            .append(&2u16);
        s.append(&[3u8; 64].as_slice());
        assert!(rlp::decode::<Node>(&s.out()).is_err());
    }

    #[test]
    fn keccak_of_empty_input() {
        // The well-known keccak256("") value.
        let h = keccak256(b"");
        assert_eq!(h[..4], [0xc5, 0xd2, 0x46, 0x01]);
        assert_eq!(h[28..], [0x5d, 0x85, 0xa4, 0x70]);
    }

    #[test]
    fn log_distance_cases() {
        let zero = NodeHash::default();
        assert_eq!(zero.log_distance(&zero), 0);
        // Highest differing bit is bit 255 (the top bit of byte 0).
        assert_eq!(zero.log_distance(&hash_with(&[(0, 0x80)])), 256);
        assert_eq!(zero.log_distance(&hash_with(&[(0, 0x01)])), 249);
        // Bucket boundary: 239 is the last distance that shares bucket 0 in geth 2018+.
        // 2^238 sets bit 238 (0-based), which lies in byte 2 (bits 239..232), mask 0x40.
        assert_eq!(zero.log_distance(&hash_with(&[(2, 0x40)])), 239);
        assert_eq!(zero.log_distance(&hash_with(&[(2, 0x80)])), 240);
        assert_eq!(zero.log_distance(&hash_with(&[(2, 0x7f), (31, 0xff)])), 239);
        assert_eq!(zero.log_distance(&hash_with(&[(31, 0x01)])), 1);
        // Symmetric and ignores common prefixes.
        let a = hash_with(&[(0, 0xf0), (5, 0x10)]);
        let b = hash_with(&[(0, 0xf0), (5, 0x01)]);
        assert_eq!(a.log_distance(&b), b.log_distance(&a));
        assert_eq!(a.log_distance(&b), 256 - (5 * 8 + 3));
    }

    #[test]
    fn distance_comparison() {
        let target = hash_with(&[(0, 0xff)]);
        let near = hash_with(&[(0, 0xfe)]);
        let far = hash_with(&[(0, 0x0f)]);
        assert_eq!(target.cmp_distance(&near, &far), Ordering::Less);
        assert_eq!(target.cmp_distance(&far, &near), Ordering::Greater);
        assert_eq!(target.cmp_distance(&near, &near), Ordering::Equal);
        // Lower bytes decide only when the higher ones tie.
        let a = hash_with(&[(0, 0xfe), (31, 1)]);
        assert_eq!(target.cmp_distance(&near, &a), Ordering::Less);
        assert_eq!(target.xor(&near)[0], 0x01);
    }

    proptest::proptest! {
        /// The word-wise comparison orders as the byte-wise XOR does, also when only the last
        /// bytes differ (hashes are drawn from two bytes' worth of values to make that common).
        #[test]
        fn cmp_distance_orders_as_the_xor_bytes(t: [u8; 32], a: [u8; 32], b: [u8; 32], tail: bool) {
            let (t, mut a, mut b) = (NodeHash(t), NodeHash(a), NodeHash(b));
            if tail {
                b.0[..30].copy_from_slice(&a.0[..30]);
            }
            proptest::prop_assert_eq!(t.cmp_distance(&a, &b), t.xor(&a).cmp(&t.xor(&b)));
            a = b;
            proptest::prop_assert_eq!(t.cmp_distance(&a, &b), Ordering::Equal);
        }

        /// Equality on the first 8 bytes, then all 64, is equality.
        #[test]
        fn id_equality_is_byte_equality(a: [[u8; 32]; 2], b: [[u8; 32]; 2], head: bool) {
            let id = |h: [[u8; 32]; 2]| NodeId(<[u8; 64]>::try_from([h[0], h[1]].concat()).unwrap());
            let (x, mut y) = (id(a), id(b));
            if head {
                y.0[..8].copy_from_slice(&x.0[..8]);
            }
            proptest::prop_assert_eq!(x == y, x.0 == y.0);
            proptest::prop_assert!(x == x);
        }
    }
}
