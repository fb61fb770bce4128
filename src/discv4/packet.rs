//! discv4 wire packets, byte for byte as go-ethereum writes them: the four kinds of 2018's
//! `p2p/discover/udp.go`, and the ENR additions (EIP-868) of 2019's `v4_udp.go`, which put the
//! sender's record sequence number at the end of PING and PONG and add ENRREQUEST and ENRRESPONSE.
//!
//! A packet is `hash(32) || signature(65) || type(1) || RLP body`, where
//! `hash = keccak256(signature || type || body)`. In a network whose receivers trust hashes
//! ([`HashCheck::Trust`]), only the hashes a reply quotes are computed; see [`encode_for`].
//!
//! **Signatures are not modelled.** The simulator never holds private keys, and recovering a
//! public key from a real signature would cost more than delivering the packet. Instead the
//! 65-byte signature slot carries the sender's 64-byte [`NodeId`] followed by one zero byte (where
//! a real signature keeps its recovery id), and [`decode`] "recovers" the sender by reading it
//! back. Everything else — sizes, the hash check, the RLP bodies — is what geth sends and checks,
//! so packet sizes, the 1280-byte limit and malformed-input handling behave as on the real network.
//! Node records ([`enr_record`]) follow the same rule: real structure and size, a stand-in
//! signature.
//!
//! Decoding follows geth's RLP decoder, including EIP-8 forward compatibility:
//! - each packet struct ends in ``Rest []rlp.RawValue `rlp:"tail"` ``, so extra elements at the
//!   end of a body list are skipped — but they must still be well-formed RLP that fills the list;
//! - geth 2019 reads a PING's or PONG's ENR sequence number from the first of those extra
//!   elements, and a 2018 decoder skips it like any other: both are modelled ([`Ping::enr_seq`]);
//! - bytes after the body list are ignored (geth decodes one value from a stream and stops);
//! - endpoint and node lists have no tail in geth, so they must have exactly their 3 or 4 items;
//! - integers must be canonical, a [`NodeId`] exactly 64 bytes, an IP 4 or 16 bytes;
//! - a Neighbors packet decodes whole or not at all: one bad node rejects the packet;
//! - an ENRRESPONSE's record must pass geth's structural record checks (see [`EnrResponse`]).
//!
//! Where geth's Go types are looser than ours (its `net.IP` and `ReplyTok []byte` take any length,
//! its `Version uint` any 64-bit value), a packet geth would decode and then ignore is rejected here
//! as [`PacketError::Rlp`]; the simulator never produces such packets, and either way they are
//! dropped.

use std::net::IpAddr;
use std::time::Duration;

use rlp::{DecoderError, Rlp, RlpStream};

use crate::discv4::node::{keccak256, Node, NodeId};
use crate::sim::clock::SimTime;

const MAC_SIZE: usize = 32;
const SIG_SIZE: usize = 65;

/// Bytes before the packet type: the hash and the signature slot.
pub const HEAD_SIZE: usize = MAC_SIZE + SIG_SIZE;

/// Largest datagram geth reads; it sizes its read buffer to this, so longer packets never arrive
/// whole.
pub const MAX_PACKET_SIZE: usize = 1280;

/// Nodes per Neighbors packet: geth's `maxNeighbors`, the most IPv6 nodes that keep a packet
/// under [`MAX_PACKET_SIZE`] with a full-width expiration.
pub const MAX_NEIGHBORS: usize = 12;

/// The `version` every Ping carries (geth's `Version = 4`).
pub const PING_VERSION: u32 = 4;

/// Upper bound of an encoded [`Node`]: list header 2, IPv6 17, ports 3 + 3, ID 66.
const MAX_NODE_RLP: usize = 91;

/// Lower bound of an encoded [`Node`] (IPv4, zero ports), used only to size vectors.
const MIN_NODE_RLP: usize = 75;

/// Largest node record geth decodes (`enr.SizeLimit`), header included.
pub const MAX_RECORD_SIZE: usize = 300;

/// The packet type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PacketKind {
    /// PING (type 1): liveness check and endpoint proof; answered by a PONG.
    Ping = 1,
    /// PONG (type 2): the answer to a PING, quoting its hash.
    Pong = 2,
    /// FINDNODE (type 3): asks for the nodes closest to a target; answered by NEIGHBORS.
    FindNode = 3,
    /// NEIGHBORS (type 4): up to [`MAX_NEIGHBORS`] nodes answering a FINDNODE.
    Neighbors = 4,
    /// EIP-868 (geth 2019): asks for the recipient's current node record.
    EnrRequest = 5,
    /// EIP-868 (geth 2019): the record, quoting the request's hash.
    EnrResponse = 6,
}

impl PacketKind {
    /// How many kinds there are: the length of per-kind counter arrays.
    pub const COUNT: usize = 6;

    /// Every kind, in type-byte order, so per-kind counters can be indexed by [`PacketKind::index`].
    pub const ALL: [PacketKind; PacketKind::COUNT] = [
        PacketKind::Ping,
        PacketKind::Pong,
        PacketKind::FindNode,
        PacketKind::Neighbors,
        PacketKind::EnrRequest,
        PacketKind::EnrResponse,
    ];

    /// A lower-case name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            PacketKind::Ping => "ping",
            PacketKind::Pong => "pong",
            PacketKind::FindNode => "findnode",
            PacketKind::Neighbors => "neighbors",
            PacketKind::EnrRequest => "enrrequest",
            PacketKind::EnrResponse => "enrresponse",
        }
    }

    /// Position in [`PacketKind::ALL`], `0..COUNT`.
    pub fn index(self) -> usize {
        self as usize - 1
    }

    /// Whether a reply quotes this kind's hash: a PONG quotes its PING's (`ReplyTok`), an
    /// ENRRESPONSE its ENRREQUEST's (EIP-868).
    pub fn is_quoted(self) -> bool {
        matches!(self, PacketKind::Ping | PacketKind::EnrRequest)
    }

    fn from_type(t: u8) -> Option<PacketKind> {
        match t {
            1 => Some(PacketKind::Ping),
            2 => Some(PacketKind::Pong),
            3 => Some(PacketKind::FindNode),
            4 => Some(PacketKind::Neighbors),
            5 => Some(PacketKind::EnrRequest),
            6 => Some(PacketKind::EnrResponse),
            _ => None,
        }
    }
}

/// A UDP/TCP endpoint as packets carry it (geth's `rpcEndpoint`): RLP `[IP, UDP, TCP]`, the IP
/// as 4 bytes for IPv4 and 16 for IPv6.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The IP address, encoded as 4 or 16 bytes.
    pub ip: IpAddr,
    /// Discovery (UDP) port.
    pub udp: u16,
    /// RLPx (TCP) port; 0 when unknown (geth sends 0 in a PING's `to`).
    pub tcp: u16,
}

impl Endpoint {
    /// An endpoint from its three parts, in wire order.
    pub fn new(ip: IpAddr, udp: u16, tcp: u16) -> Endpoint {
        Endpoint { ip, udp, tcp }
    }
}

/// PING: asks the recipient to prove it is at `to` and to bond with the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// Always [`PING_VERSION`] when sent; ignored on receipt, as geth does.
    pub version: u32,
    /// The sender's own endpoint as it believes it to be. Receivers take only the TCP port from
    /// it (geth does too): the UDP address is the datagram's source.
    pub from: Endpoint,
    /// The recipient's endpoint as the sender addressed it, TCP port 0.
    pub to: Endpoint,
    /// Absolute Unix seconds.
    pub expiration: u64,
    /// The sender's ENR sequence number (EIP-868): geth 2019 sends it as one extra list element
    /// after the expiration, geth 2018 sends none (`None`). On receipt it is the first extra
    /// element when that decodes as an integer, else `None`, where geth 2019's `seqFromTail`
    /// answers 0 (a record learned without one has seq 0 too).
    pub enr_seq: Option<u64>,
}

/// PONG: answers a Ping, quoting its hash so the pinger can match it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pong {
    /// The address the Ping came from, as the ponger saw it.
    pub to: Endpoint,
    /// The hash of the Ping being answered.
    pub reply_tok: [u8; 32],
    /// Absolute Unix seconds.
    pub expiration: u64,
    /// The sender's ENR sequence number, as in [`Ping::enr_seq`].
    pub enr_seq: Option<u64>,
}

/// FINDNODE: asks for the recipient's nodes closest to `keccak256(target)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindNode {
    /// A public key (not a hash): the recipient measures distance to `keccak256(target)`.
    pub target: NodeId,
    /// Absolute Unix seconds.
    pub expiration: u64,
}

/// NEIGHBORS: one chunk of a FindNode answer; see [`neighbors_packets`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbors {
    /// At most [`MAX_NEIGHBORS`] nodes, closest to the target first.
    pub nodes: Vec<Node>,
    /// Absolute Unix seconds.
    pub expiration: u64,
}

/// ENRREQUEST (EIP-868): asks for the recipient's node record. geth answers only a sender that
/// has bonded with it, and the requester bonds first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrRequest {
    /// Absolute Unix seconds.
    pub expiration: u64,
}

/// ENRRESPONSE (EIP-868): the responder's current node record.
///
/// The record is kept as the RLP list it was sent as (see [`enr_record`]); decoding checks its
/// structure as geth's `enr.Record` decoder does — at most [`MAX_RECORD_SIZE`] bytes, a list of a
/// signature string, a canonical seq, then key/value pairs with string keys in strictly
/// increasing order — but not its signature, which geth checks only when it uses the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrResponse {
    /// The hash of the EnrRequest being answered.
    pub reply_tok: [u8; 32],
    /// The raw RLP of the record list, header included.
    pub record: Vec<u8>,
}

/// Any discv4 packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// See [`Ping`].
    Ping(Ping),
    /// See [`Pong`].
    Pong(Pong),
    /// See [`FindNode`].
    FindNode(FindNode),
    /// See [`Neighbors`].
    Neighbors(Neighbors),
    /// See [`EnrRequest`].
    EnrRequest(EnrRequest),
    /// See [`EnrResponse`].
    EnrResponse(EnrResponse),
}

impl Packet {
    /// The type byte this packet is sent with.
    pub fn kind(&self) -> PacketKind {
        match self {
            Packet::Ping(_) => PacketKind::Ping,
            Packet::Pong(_) => PacketKind::Pong,
            Packet::FindNode(_) => PacketKind::FindNode,
            Packet::Neighbors(_) => PacketKind::Neighbors,
            Packet::EnrRequest(_) => PacketKind::EnrRequest,
            Packet::EnrResponse(_) => PacketKind::EnrResponse,
        }
    }

    /// Receivers drop the packet once it has passed ([`is_expired`]). Every kind carries one
    /// except ENRRESPONSE, which has no expiration field and which geth does not check for
    /// expiry (it only has to match a pending request, which has its own timeout): it gets
    /// `u64::MAX`, which never passes.
    pub fn expiration(&self) -> u64 {
        match self {
            Packet::Ping(p) => p.expiration,
            Packet::Pong(p) => p.expiration,
            Packet::FindNode(p) => p.expiration,
            Packet::Neighbors(p) => p.expiration,
            Packet::EnrRequest(p) => p.expiration,
            Packet::EnrResponse(_) => u64::MAX,
        }
    }

    /// An upper bound of the encoded size, so [`encode`] allocates once.
    fn max_encoded_len(&self) -> usize {
        // Body list header 3, expiration 9 (a full u64), an ENR seq 9 more.
        let body = match self {
            // version 5, two IPv6 endpoints of 1 + 17 + 3 + 3.
            Packet::Ping(_) => 3 + 5 + 2 * 24 + 9 + 9,
            // endpoint 24, token 33.
            Packet::Pong(_) => 3 + 24 + 33 + 9 + 9,
            // target 66.
            Packet::FindNode(_) => 3 + 66 + 9,
            // node list header 3 (5 past 64 KiB, far beyond any sendable packet).
            Packet::Neighbors(n) => 3 + 5 + n.nodes.len() * MAX_NODE_RLP + 9,
            Packet::EnrRequest(_) => 3 + 9,
            // token 33, the record as it is.
            Packet::EnrResponse(r) => 3 + 33 + r.record.len(),
        };
        HEAD_SIZE + 1 + body
    }
}

impl From<Ping> for Packet {
    fn from(p: Ping) -> Packet {
        Packet::Ping(p)
    }
}

impl From<Pong> for Packet {
    fn from(p: Pong) -> Packet {
        Packet::Pong(p)
    }
}

impl From<FindNode> for Packet {
    fn from(p: FindNode) -> Packet {
        Packet::FindNode(p)
    }
}

impl From<Neighbors> for Packet {
    fn from(p: Neighbors) -> Packet {
        Packet::Neighbors(p)
    }
}

impl From<EnrRequest> for Packet {
    fn from(p: EnrRequest) -> Packet {
        Packet::EnrRequest(p)
    }
}

impl From<EnrResponse> for Packet {
    fn from(p: EnrResponse) -> Packet {
        Packet::EnrResponse(p)
    }
}

/// Why a datagram was dropped.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PacketError {
    /// Shorter than the hash, signature slot and type byte (98 bytes): geth's `errPacketTooSmall`.
    #[error("packet too small")]
    TooSmall,
    /// Longer than [`MAX_PACKET_SIZE`]; geth would have read a truncated datagram.
    #[error("packet larger than {MAX_PACKET_SIZE} bytes")]
    TooLarge,
    /// The first 32 bytes are not the keccak256 of the rest: geth's `errBadHash`.
    #[error("bad packet hash")]
    BadHash,
    /// A type byte outside 1..=6 (geth's `unknown type`).
    #[error("unknown packet type {0}")]
    UnknownType(u8),
    /// The body failed RLP decoding or one of geth's structural checks; the decoder's message.
    #[error("invalid packet body: {0}")]
    Rlp(String),
}

impl From<DecoderError> for PacketError {
    fn from(e: DecoderError) -> PacketError {
        PacketError::Rlp(e.to_string())
    }
}

/// A packet as received: its body, who sent it, and its hash (which a Pong to it must quote).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The decoded body.
    pub packet: Packet,
    /// The ID read from the signature slot (geth recovers it from the signature).
    pub sender: NodeId,
    /// The packet's first 32 bytes, `keccak256` of the rest, already checked.
    pub hash: [u8; 32],
}

/// `RlpStream` only takes a `bytes::BytesMut`, a type this crate cannot name without depending on
/// `bytes` itself; taking the parameter type from a constructor's signature lets [`encode`] size
/// and prefill that buffer anyway.
fn param_of<A, R>(_: fn(A) -> R, a: A) -> A {
    a
}

/// Encodes `packet` as sent by `sender`, returning the datagram and its hash (its first 32 bytes,
/// which a Pong quotes as `reply_tok`).
///
/// The signature slot holds `sender` and a zero byte; see the [module docs](self).
///
/// ```
/// use discsim::discv4::node::NodeId;
/// use discsim::discv4::packet::{decode, encode, FindNode, Packet, HEAD_SIZE};
/// let me = NodeId([7; 64]);
/// let p = Packet::FindNode(FindNode { target: NodeId([9; 64]), expiration: 1_530_576_020 });
/// let (bytes, hash) = encode(&p, &me);
/// assert_eq!(bytes[HEAD_SIZE], 3);
/// let d = decode(&bytes).unwrap();
/// assert_eq!((d.packet, d.sender, d.hash), (p, me, hash));
/// ```
pub fn encode(packet: &Packet, sender: &NodeId) -> (Vec<u8>, [u8; 32]) {
    encode_for(packet, sender, HashCheck::Verify)
}

/// [`encode`] for a network whose receivers check hashes as `receivers` says. Under
/// [`HashCheck::Trust`] no receiver ever recomputes a hash, and the only hashes anyone reads are
/// those a reply quotes: a PING's (in its PONG) and an ENRREQUEST's (in its ENRRESPONSE). Those
/// are computed as geth computes them; every other packet leaves its hash slot zero, which saves
/// a keccak256 per packet and changes nothing a trusting receiver sees but the 32 bytes it never
/// reads. The returned hash is then zero too.
///
/// ```
/// use discsim::discv4::node::NodeId;
/// use discsim::discv4::packet::{decode_with, encode, encode_for, FindNode, HashCheck, Packet};
/// let me = NodeId([7; 64]);
/// let p = Packet::FindNode(FindNode { target: NodeId([9; 64]), expiration: 1_530_576_020 });
/// let (bytes, hash) = encode_for(&p, &me, HashCheck::Trust);
/// assert_eq!(hash, [0; 32]);
/// assert_eq!(bytes[32..], encode(&p, &me).0[32..]);
/// assert_eq!(decode_with(&bytes, HashCheck::Trust).unwrap().packet, p);
/// ```
pub fn encode_for(packet: &Packet, sender: &NodeId, receivers: HashCheck) -> (Vec<u8>, [u8; 32]) {
    let mut buf = param_of(RlpStream::new_with_buffer, Default::default());
    buf.reserve(packet.max_encoded_len());
    buf.extend_from_slice(&[0u8; MAC_SIZE]);
    buf.extend_from_slice(&sender.0);
    buf.extend_from_slice(&[0, packet.kind() as u8]);
    // The stream writes after what the buffer already holds.
    let mut s = RlpStream::new_with_buffer(buf);
    match packet {
        Packet::Ping(p) => s.append(p),
        Packet::Pong(p) => s.append(p),
        Packet::FindNode(p) => s.append(p),
        Packet::Neighbors(p) => s.append(p),
        Packet::EnrRequest(p) => s.append(p),
        Packet::EnrResponse(p) => s.append(p),
    };
    let mut out: Vec<u8> = s.out().into();
    if receivers == HashCheck::Trust && !packet.kind().is_quoted() {
        return (out, [0; 32]);
    }
    let hash = keccak256(&out[MAC_SIZE..]);
    out[..MAC_SIZE].copy_from_slice(&hash);
    (out, hash)
}

/// Checks and decodes a datagram the way geth's `decodePacket` does: size, then hash, then type,
/// then body. Never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<Decoded, PacketError> {
    decode_with(bytes, HashCheck::Verify)
}

/// Whether [`decode_with`] recomputes the packet hash to check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashCheck {
    /// geth's check: keccak256 of everything after the hash must equal the first 32 bytes.
    Verify,
    /// Trust the first 32 bytes as the hash. Only for packets that [`encode`] wrote and nothing
    /// corrupted since (the engine's network never alters bytes in flight): for those the check
    /// always passes, and skipping it saves one keccak256 per packet. Every other check (size,
    /// type, body) still applies. A network where every receiver trusts also lets senders skip
    /// the hashes no one reads ([`encode_for`]).
    Trust,
}

/// [`decode`], with the hash check as `check` says. With [`HashCheck::Trust`], a datagram whose
/// hash is wrong decodes as if it were right, and [`Decoded::hash`] is its first 32 bytes.
///
/// ```
/// use discsim::discv4::node::NodeId;
/// use discsim::discv4::packet::{decode_with, encode, FindNode, HashCheck, Packet, PacketError};
/// let p = Packet::FindNode(FindNode { target: NodeId([9; 64]), expiration: 1_530_576_020 });
/// let (mut bytes, hash) = encode(&p, &NodeId([7; 64]));
/// assert_eq!(decode_with(&bytes, HashCheck::Trust).unwrap().hash, hash);
/// bytes[0] ^= 1;
/// assert_eq!(decode_with(&bytes, HashCheck::Verify), Err(PacketError::BadHash));
/// assert!(decode_with(&bytes, HashCheck::Trust).is_ok());
/// ```
pub fn decode_with(bytes: &[u8], check: HashCheck) -> Result<Decoded, PacketError> {
    if bytes.len() < HEAD_SIZE + 1 {
        return Err(PacketError::TooSmall);
    }
    if bytes.len() > MAX_PACKET_SIZE {
        return Err(PacketError::TooLarge);
    }
    let hash: [u8; 32] = match check {
        HashCheck::Verify => {
            let hash = keccak256(&bytes[MAC_SIZE..]);
            if hash[..] != bytes[..MAC_SIZE] {
                return Err(PacketError::BadHash);
            }
            hash
        }
        HashCheck::Trust => bytes[..MAC_SIZE].try_into().expect("32-byte slice"),
    };
    // The 65th signature byte (a recovery id in geth) carries nothing here and is not checked.
    let sender = NodeId::from_slice(&bytes[MAC_SIZE..MAC_SIZE + 64]).expect("64-byte slice");
    let ptype = bytes[HEAD_SIZE];
    let kind = PacketKind::from_type(ptype).ok_or(PacketError::UnknownType(ptype))?;
    let body = Rlp::new(&bytes[HEAD_SIZE + 1..]);
    let packet = match kind {
        PacketKind::Ping => Packet::Ping(body.as_val()?),
        PacketKind::Pong => Packet::Pong(body.as_val()?),
        PacketKind::FindNode => Packet::FindNode(body.as_val()?),
        PacketKind::Neighbors => Packet::Neighbors(body.as_val()?),
        PacketKind::EnrRequest => Packet::EnrRequest(body.as_val()?),
        PacketKind::EnrResponse => Packet::EnrResponse(body.as_val()?),
    };
    Ok(Decoded {
        packet,
        sender,
        hash,
    })
}

/// The expiration to stamp on a packet sent at `now` that should live for `window` (geth uses
/// 20 s): whole Unix seconds, truncated, as geth's `time.Now().Add(expiration).Unix()`.
///
/// ```
/// use discsim::sim::clock::SimTime;
/// use discsim::discv4::packet::{expiration_at, is_expired};
/// use std::time::Duration;
/// let now = SimTime::from_unix_secs(1_530_576_000) + Duration::from_millis(700);
/// let exp = expiration_at(now, Duration::from_secs(20));
/// assert_eq!(exp, 1_530_576_020);
/// assert!(!is_expired(exp, SimTime::from_unix_secs(exp)));
/// assert!(is_expired(exp, SimTime::from_unix_secs(exp) + Duration::from_micros(1)));
/// ```
pub fn expiration_at(now: SimTime, window: Duration) -> u64 {
    (now + window).unix_secs() as u64
}

/// geth's `expired`: `time.Unix(exp, 0).Before(now)`. A packet is still good during the whole
/// second `exp` names up to its first instant, and expired from one microsecond after.
///
/// geth converts `exp` to `int64`, so it treats values of 2^63 and above as long past; the
/// simulator never sends such values and compares them as the large numbers they are.
pub fn is_expired(expiration: u64, now: SimTime) -> bool {
    u128::from(expiration) * 1_000_000 < u128::from(now.as_micros())
}

/// Splits a FindNode answer into Neighbors packets as geth's `findnode.handle` does: at most
/// `per_packet` nodes each (geth: [`MAX_NEIGHBORS`]), no trailing empty packet, but one empty packet when there is
/// nothing to send (so the asker is not left waiting for a timeout).
///
/// geth drops nodes that fail `CheckRelayIP` against the asker before chunking; callers filter
/// `nodes` first.
///
/// ```
/// use discsim::discv4::node::{Node, NodeId};
/// use discsim::discv4::packet::{neighbors_packets, MAX_NEIGHBORS};
/// let n = Node::new("10.0.0.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
/// let sizes = |k: usize| -> Vec<usize> {
///     neighbors_packets(&vec![n; k], 0, MAX_NEIGHBORS).iter().map(|p| p.nodes.len()).collect()
/// };
/// assert_eq!(sizes(16), [12, 4]);
/// assert_eq!(sizes(24), [12, 12]);
/// assert_eq!(sizes(0), [0]);
/// ```
pub fn neighbors_packets(nodes: &[Node], expiration: u64, per_packet: usize) -> Vec<Neighbors> {
    if nodes.is_empty() {
        return vec![Neighbors {
            nodes: Vec::new(),
            expiration,
        }];
    }
    nodes
        .chunks(per_packet.max(1))
        .map(|chunk| Neighbors {
            nodes: chunk.to_vec(),
            expiration,
        })
        .collect()
}

mod codec;
mod enr;
pub use enr::{enr_record, enr_seq};

#[cfg(test)]
mod tests;
