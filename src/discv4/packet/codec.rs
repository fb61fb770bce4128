//! The RLP of each packet body, as geth's decoder reads it (the rules are listed in the
//! [`packet`](super) module's doc). These impls give the body alone; `encode` adds the head.

use std::net::IpAddr;

use rlp::{Decodable, DecoderError, Encodable, Rlp, RlpStream};

use super::enr::check_record;
use super::{Endpoint, EnrRequest, EnrResponse, FindNode, Neighbors, Ping, Pong, MIN_NODE_RLP};
use crate::discv4::node::{ip_from_bytes, Node, NodeId};

/// Appends an IP as a byte string without the allocation `node::ip_bytes` makes.
pub(super) fn append_ip(s: &mut RlpStream, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => s.append(&&v4.octets()[..]),
        IpAddr::V6(v6) => s.append(&&v6.octets()[..]),
    };
}

impl Encodable for Endpoint {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(3);
        append_ip(s, &self.ip);
        s.append(&self.udp).append(&self.tcp);
    }
}

impl Decodable for Endpoint {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let [ip, udp, tcp] = fields(rlp, Tail::Reject)?;
        Ok(Endpoint {
            ip: ip_from_bytes(byte_string(&ip)?)?,
            udp: udp.as_val()?,
            tcp: tcp.as_val()?,
        })
    }
}

impl Encodable for Ping {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(4 + self.enr_seq.is_some() as usize)
            .append(&self.version)
            .append(&self.from)
            .append(&self.to)
            .append(&self.expiration);
        append_seq(s, self.enr_seq);
    }
}

impl Decodable for Ping {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let ([version, from, to, expiration], tail) = fields_and_tail(rlp)?;
        Ok(Ping {
            version: version.as_val()?,
            from: from.as_val()?,
            to: to.as_val()?,
            expiration: expiration.as_val()?,
            enr_seq: seq_from_tail(tail),
        })
    }
}

impl Encodable for Pong {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(3 + self.enr_seq.is_some() as usize)
            .append(&self.to)
            .append(&&self.reply_tok[..])
            .append(&self.expiration);
        append_seq(s, self.enr_seq);
    }
}

impl Decodable for Pong {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let ([to, reply_tok, expiration], tail) = fields_and_tail(rlp)?;
        Ok(Pong {
            to: to.as_val()?,
            reply_tok: reply_token(&reply_tok)?,
            expiration: expiration.as_val()?,
            enr_seq: seq_from_tail(tail),
        })
    }
}

/// geth 2019 writes the seq as `Rest = []rlp.RawValue{rlp(seq)}`: one more list element, an RLP
/// integer, after the named fields.
fn append_seq(s: &mut RlpStream, seq: Option<u64>) {
    if let Some(seq) = seq {
        s.append(&seq);
    }
}

/// geth 2019's `seqFromTail`: the first tail element decoded as a `uint64`, canonical as geth's
/// decoder requires; a missing or undecodable element gives `None` (geth: 0), never an error, so
/// the packet itself still decodes.
fn seq_from_tail(first: Option<Rlp<'_>>) -> Option<u64> {
    first.and_then(|r| r.as_val::<u64>().ok())
}

/// A 32-byte reply token (a packet hash).
fn reply_token(rlp: &Rlp<'_>) -> Result<[u8; 32], DecoderError> {
    byte_string(rlp)?
        .try_into()
        .map_err(|_| DecoderError::Custom("reply token must be 32 bytes"))
}

impl Encodable for FindNode {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(2)
            .append(&&self.target.0[..])
            .append(&self.expiration);
    }
}

impl Decodable for FindNode {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let [target, expiration] = fields(rlp, Tail::Skip)?;
        Ok(FindNode {
            target: NodeId::from_slice(byte_string(&target)?)
                .ok_or(DecoderError::Custom("target must be 64 bytes"))?,
            expiration: expiration.as_val()?,
        })
    }
}

impl Encodable for Neighbors {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(2);
        s.append_list(&self.nodes);
        s.append(&self.expiration);
    }
}

impl Decodable for Neighbors {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let [nodes, expiration] = fields(rlp, Tail::Skip)?;
        let items = Items::of(&nodes)?;
        let mut out = Vec::with_capacity(items.rest.len() / MIN_NODE_RLP);
        for item in items {
            out.push(decode_node(&item?)?);
        }
        Ok(Neighbors {
            nodes: out,
            expiration: expiration.as_val()?,
        })
    }
}

impl Encodable for EnrRequest {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(1).append(&self.expiration);
    }
}

impl Decodable for EnrRequest {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let [expiration] = fields(rlp, Tail::Skip)?;
        Ok(EnrRequest {
            expiration: expiration.as_val()?,
        })
    }
}

impl Encodable for EnrResponse {
    fn rlp_append(&self, s: &mut RlpStream) {
        s.begin_list(2).append(&&self.reply_tok[..]);
        // The record is already RLP: written as-is, as geth's `Record.EncodeRLP` writes its raw
        // bytes.
        s.append_raw(&self.record, 1);
    }
}

impl Decodable for EnrResponse {
    fn decode(rlp: &Rlp<'_>) -> Result<Self, DecoderError> {
        let [reply_tok, record] = fields(rlp, Tail::Skip)?;
        let raw = record.as_raw();
        check_record(raw)?;
        Ok(EnrResponse {
            reply_tok: reply_token(&reply_tok)?,
            record: raw.to_vec(),
        })
    }
}

/// `Node`'s own decoder counts items with the rlp crate's iterator and reads its byte fields
/// with `Rlp::data`, which let malformed trailing bytes and lists-for-strings through; geth's
/// `rpcNode` rejects both, so they are checked here first.
fn decode_node(rlp: &Rlp<'_>) -> Result<Node, DecoderError> {
    // Split once by the strictness walk (the rlp crate's `at` would walk the list again per
    // field), with geth's byte-string checks before `Node::decode`'s field rules.
    let [ip, udp, tcp, id] = fields(rlp, Tail::Reject)?;
    byte_string(&ip)?;
    byte_string(&id)?;
    Node::from_items([&ip, &udp, &tcp, &id])
}

// ---------------------------------------------------------------------------------------------
// Strict list walking.

/// What to do with list items past the declared fields.
#[derive(Clone, Copy)]
enum Tail {
    /// geth's `rlp:"tail"` field on packet bodies (EIP-8).
    Skip,
    /// Structs without a tail field: geth reports "input list has too many elements".
    Reject,
}

/// The first `N` items of a list. Unlike the rlp crate's accessors, every item — the skipped tail
/// included — must be well-formed and lie inside the list, and the items must fill it, as geth's
/// stream decoder requires.
fn fields<'a, const N: usize>(rlp: &Rlp<'a>, tail: Tail) -> Result<[Rlp<'a>; N], DecoderError> {
    match tail {
        Tail::Skip => fields_and_tail(rlp).map(|(out, _)| out),
        Tail::Reject => {
            let mut items = Items::of(rlp)?;
            let out = first_items(&mut items)?;
            if items.next().is_some() {
                return Err(DecoderError::RlpIncorrectListLen);
            }
            Ok(out)
        }
    }
}

/// [`fields`] with a skipped tail, also giving the tail's first item (where geth 2019 looks for
/// an ENR seq).
fn fields_and_tail<'a, const N: usize>(
    rlp: &Rlp<'a>,
) -> Result<([Rlp<'a>; N], Option<Rlp<'a>>), DecoderError> {
    let mut items = Items::of(rlp)?;
    let out = first_items(&mut items)?;
    let first = items.next().transpose()?;
    for item in items {
        item?;
    }
    Ok((out, first))
}

pub(super) fn first_items<'a, const N: usize>(
    items: &mut Items<'a>,
) -> Result<[Rlp<'a>; N], DecoderError> {
    let mut out: [Rlp<'a>; N] = std::array::from_fn(|_| Rlp::new(&[]));
    for slot in &mut out {
        *slot = items.next().ok_or(DecoderError::RlpIncorrectListLen)??;
    }
    Ok(out)
}

/// The payload of a byte string, rejecting lists and the non-canonical one-byte form `0x81 b`
/// with `b < 0x80` (geth's `ErrCanonSize`).
pub(super) fn byte_string<'a>(rlp: &Rlp<'a>) -> Result<&'a [u8], DecoderError> {
    if !rlp.is_data() {
        return Err(DecoderError::RlpExpectedToBeData);
    }
    let data = rlp.data()?;
    if rlp.as_raw()[0] == 0x81 && data[0] < 0x80 {
        return Err(DecoderError::RlpInvalidIndirection);
    }
    Ok(data)
}

/// Iterates over the items of a list, yielding an error (once) at the first item that is
/// malformed or overruns the list. The rlp crate's own iterator silently stops there instead.
pub(super) struct Items<'a> {
    rest: &'a [u8],
}

impl<'a> Items<'a> {
    pub(super) fn of(rlp: &Rlp<'a>) -> Result<Items<'a>, DecoderError> {
        if !rlp.is_list() {
            return Err(DecoderError::RlpExpectedToBeList);
        }
        // Checks that header and payload fit in the input; anything after the list is ignored.
        let info = rlp.payload_info()?;
        Ok(Items {
            rest: &rlp.as_raw()[info.header_len..info.total()],
        })
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Result<Rlp<'a>, DecoderError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Rlp::new(self.rest).payload_info() {
            Ok(info) => {
                let (item, rest) = self.rest.split_at(info.total());
                self.rest = rest;
                Some(Ok(Rlp::new(item)))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}
