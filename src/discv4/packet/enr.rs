//! Node records (EIP-778), as geth's `p2p/enr` and the v4 identity scheme of `p2p/enode` write
//! them: the record an ENRRESPONSE carries, and the checks a received one must pass.

use super::codec::{append_ip, byte_string, first_items, Items};
use super::*;

/// The RLP of `node`'s v4 record with sequence number `seq`, as geth's `LocalNode` signs it:
/// `[signature, seq, "id", "v4", "ip", IP, "secp256k1", key, "tcp", TCP, "udp", UDP]`, keys in
/// sorted order, the IP 4 bytes for IPv4 and 16 for IPv6, and "tcp" left out when `node.tcp` is
/// 0. This is what an ENRRESPONSE carries.
///
/// The size is geth's (141 bytes for an IPv4 node at ports 30303 with seq 1; 134 without "tcp";
/// one more byte once seq reaches 128). Where geth would need the private key, the bytes are
/// stand-ins (see the [packet module docs](super)):
/// - the 33-byte "secp256k1" value is the compressed form of `node.id` read as the uncompressed
///   public key `X || Y` that a node ID is: `0x02` or `0x03` by the parity of Y, then X. For a
///   real key that is exactly what geth writes; simulated IDs are random bytes, not curve points.
/// - the 64-byte signature is `keccak256(id || h) || keccak256(h || id)`, where `h` is the hash
///   geth signs (keccak256 of the record's list without the signature): deterministic, different
///   for every content, and not verifiable. geth checks it only when it uses a record
///   (`enode.New`); a simulated requester has to compare the record's key with the node it asked
///   instead.
///
/// ```
/// use discsim::discv4::node::{Node, NodeId};
/// use discsim::discv4::packet::{enr_record, enr_seq};
/// let n = Node::new("10.0.0.1".parse().unwrap(), 30303, 30303, NodeId([1; 64]));
/// let record = enr_record(&n, 1);
/// assert_eq!(record.len(), 141);
/// assert_eq!(enr_seq(&record), Some(1));
/// ```
pub fn enr_record(node: &Node, seq: u64) -> Vec<u8> {
    let key = compressed_key(&node.id);
    let pairs = 4 + (node.tcp != 0) as usize;
    let content = |s: &mut RlpStream| {
        s.append(&seq);
        s.append(&"id").append(&"v4");
        s.append(&"ip");
        append_ip(s, &node.ip);
        s.append(&"secp256k1").append(&&key[..]);
        if node.tcp != 0 {
            s.append(&"tcp").append(&node.tcp);
        }
        s.append(&"udp").append(&node.udp);
    };
    let mut unsigned = RlpStream::new_list(1 + 2 * pairs);
    content(&mut unsigned);
    let h = keccak256(&unsigned.out());
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&keccak256(&[&node.id.0[..], &h[..]].concat()));
    sig[32..].copy_from_slice(&keccak256(&[&h[..], &node.id.0[..]].concat()));
    let mut s = RlpStream::new_list(2 + 2 * pairs);
    s.append(&&sig[..]);
    content(&mut s);
    s.out().to_vec()
}

/// The sequence number of a record, or `None` when `record` is not exactly one record that geth
/// would decode (the checks of [`EnrResponse`]).
pub fn enr_seq(record: &[u8]) -> Option<u64> {
    check_record(record).ok()
}

/// A node ID (`X || Y`) in the 33-byte compressed form of a secp256k1 public key.
fn compressed_key(id: &NodeId) -> [u8; 33] {
    let mut key = [0u8; 33];
    key[0] = 0x02 | (id.0[63] & 1);
    key[1..].copy_from_slice(&id.0[..32]);
    key
}

/// geth's `enr.decodeRecord`, without keeping the pairs: at most [`MAX_RECORD_SIZE`] bytes, a
/// list (filling `raw`) of a signature string, a canonical `uint64` seq, then key/value pairs
/// whose keys are strings in strictly increasing byte order and whose values are any RLP. Gives
/// the seq.
pub(super) fn check_record(raw: &[u8]) -> Result<u64, DecoderError> {
    if raw.len() > MAX_RECORD_SIZE {
        return Err(DecoderError::Custom("record bigger than 300 bytes"));
    }
    let rlp = Rlp::new(raw);
    let mut items = Items::of(&rlp)?;
    if rlp.payload_info()?.total() != raw.len() {
        return Err(DecoderError::RlpInconsistentLengthAndData);
    }
    let [sig, seq] = first_items(&mut items)?;
    byte_string(&sig)?;
    let seq: u64 = seq.as_val()?;
    let mut prev: Option<&[u8]> = None;
    while let Some(key) = items.next() {
        let key = byte_string(&key?)?;
        items
            .next()
            .ok_or(DecoderError::Custom("record contains incomplete k/v pair"))??;
        if prev.is_some_and(|p| key <= p) {
            return Err(DecoderError::Custom(
                "record keys are not sorted or not unique",
            ));
        }
        prev = Some(key);
    }
    Ok(seq)
}
