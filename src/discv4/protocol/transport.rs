//! geth's v4 UDP transport (2018b `udp.go`): sending, the pending-reply list, and the four
//! packet handlers with their endpoint-proof rules.

use std::net::{IpAddr, SocketAddr};

use tracing::debug;

use rand::RngExt;

use super::{Awaiting, Peer, Pending, Timer, Transmit};

/// The seq of every simulated node's record: geth signs the local record at start (seq 1 from a
/// fresh database, localnode.go) and re-signs it only when an entry changes.
const LOCAL_ENR_SEQ: u64 = 1;
use crate::discv4::node::{Node, NodeId};
use crate::discv4::packet::{
    self, Endpoint, EnrResponse, FindNode, Neighbors, Packet, PacketKind, Ping, Pong, PING_VERSION,
};
use crate::sim::clock::SimTime;

impl Peer {
    pub(super) fn send(&mut self, to: SocketAddr, packet: &Packet) -> [u8; 32] {
        let (bytes, hash) = packet::encode_for(packet, &self.me.id, self.hash_check);
        let k = packet.kind().index();
        self.stats.sent[k] += 1;
        self.stats.sent_bytes[k] += bytes.len() as u64;
        self.out.push(Transmit {
            to,
            kind: packet.kind(),
            bytes,
        });
        hash
    }

    fn my_endpoint(&self) -> Endpoint {
        Endpoint {
            ip: self.me.ip,
            udp: self.me.udp,
            tcp: self.me.tcp,
        }
    }

    /// The ENR seq our PINGs and PONGs announce (EIP-868 profiles only). A node's record is
    /// signed once at start and never changes here (static addresses): seq 1.
    fn enr_seq(&self) -> Option<u64> {
        self.cfg.profile.rules().enr().then_some(LOCAL_ENR_SEQ)
    }

    pub(super) fn expiration(&self, now: SimTime) -> u64 {
        packet::expiration_at(now, self.cfg.expiration)
    }

    /// Sends a ping and waits for the pong that quotes it.
    pub(super) fn send_ping(&mut self, now: SimTime, to: &Node, purpose: Awaiting) {
        let ping = Packet::Ping(Ping {
            version: PING_VERSION,
            from: self.my_endpoint(),
            to: Endpoint {
                ip: to.ip,
                udp: to.udp,
                tcp: 0,
            },
            expiration: self.expiration(now),
            enr_seq: self.enr_seq(),
        });
        let hash = self.send(SocketAddr::new(to.ip, to.udp), &ping);
        self.add_pending(now, to.id, PacketKind::Pong, Some(hash), purpose);
    }

    pub(super) fn add_pending(
        &mut self,
        now: SimTime,
        from: NodeId,
        kind: PacketKind,
        token: Option<[u8; 32]>,
        purpose: Awaiting,
    ) {
        self.add_pending_racing(now, from, kind, token, purpose, true);
    }

    /// [`Peer::add_pending`] for an entry that a packet arriving at this very instant finds only
    /// if `catches_same_instant`.
    pub(super) fn add_pending_racing(
        &mut self,
        now: SimTime,
        from: NodeId,
        kind: PacketKind,
        token: Option<[u8; 32]>,
        purpose: Awaiting,
        catches_same_instant: bool,
    ) {
        let deadline = now + self.cfg.resp_timeout;
        self.pending.push(Pending {
            from,
            kind,
            deadline,
            token,
            purpose,
            registered: now,
            catches_same_instant,
        });
        self.set_timer(deadline, Timer::PendingDeadline);
    }

    /// A packet arrived from `from`. Undecodable and expired packets are counted and dropped.
    pub fn handle_packet(&mut self, now: SimTime, from: SocketAddr, bytes: &[u8]) {
        self.handle_packet_arrived(now, now, from, bytes)
    }

    /// [`Peer::handle_packet`] for a packet handled at `now` that arrived at `arrived` and waited
    /// for the peer meanwhile (a handling-time model): pending entries registered after it
    /// arrived find it only if they win the race (see `Pending`).
    pub fn handle_packet_arrived(
        &mut self,
        now: SimTime,
        arrived: SimTime,
        from: SocketAddr,
        bytes: &[u8],
    ) {
        self.handle_packet_at(now, arrived, from, bytes);
        self.poll_dial_iterator(now);
    }

    fn handle_packet_at(&mut self, now: SimTime, arrived: SimTime, from: SocketAddr, bytes: &[u8]) {
        let decoded = match packet::decode_with(bytes, self.hash_check) {
            Ok(d) => d,
            Err(e) => {
                self.stats.malformed += 1;
                debug!(peer = ?self.me.id, %from, err = %e, "malformed packet dropped");
                return;
            }
        };
        let kind = decoded.packet.kind();
        if matches!(kind, PacketKind::EnrRequest | PacketKind::EnrResponse)
            && !self.cfg.profile.rules().enr()
        {
            // Before EIP-868 these type bytes are unknown: geth drops the packet as undecodable.
            self.stats.malformed += 1;
            return;
        }
        let k = kind.index();
        self.stats.received[k] += 1;
        self.stats.received_bytes[k] += bytes.len() as u64;
        if packet::is_expired(decoded.packet.expiration(), now) {
            self.stats.expired += 1;
            return;
        }
        let sender = decoded.sender;
        match decoded.packet {
            Packet::Ping(p) => self.handle_ping(now, arrived, from, sender, &p, decoded.hash),
            Packet::Pong(p) => self.handle_pong(now, sender, &p),
            Packet::FindNode(f) => self.handle_findnode(now, from, sender, &f),
            Packet::Neighbors(n) => self.handle_neighbors(now, sender, n),
            Packet::EnrRequest(_) => self.handle_enr_request(now, from, sender, decoded.hash),
            Packet::EnrResponse(r) => self.handle_enr_response(now, sender, &r),
        }
    }

    /// Always pong; ping back first if the sender has no recent endpoint proof from us, and add
    /// it to the table once it answers (or at once, if it has one).
    fn handle_ping(
        &mut self,
        now: SimTime,
        arrived: SimTime,
        from: SocketAddr,
        sender: NodeId,
        ping: &Ping,
        hash: [u8; 32],
    ) {
        let pong = Packet::Pong(Pong {
            to: Endpoint {
                ip: from.ip(),
                udp: from.port(),
                tcp: ping.from.tcp,
            },
            reply_tok: hash,
            expiration: self.expiration(now),
            enr_seq: self.enr_seq(),
        });
        self.send(from, &pong);
        self.complete_wait_ping(now, arrived, sender);
        let n = Node::new(from.ip(), from.port(), ping.from.tcp, sender);
        if now.saturating_since(self.db.last_pong(&sender)) > self.bond_lifetime() {
            self.send_ping(now, &n, Awaiting::PingBack(n));
        } else {
            self.add_through_ping(now, n);
        }
        self.db.update_last_ping(&sender, now);
    }

    /// geth's `handleReply` for a PING: it ends the `waitping` entries for its sender that it
    /// finds: those registered before the PING arrived, and those registered while it was
    /// already queued that win the race (see [`Pending`]).
    fn complete_wait_ping(&mut self, now: SimTime, arrived: SimTime, sender: NodeId) {
        let mut done = Vec::new();
        self.pending.retain(|p| {
            let found = p.from == sender
                && p.kind == PacketKind::Ping
                && (arrived > p.registered || p.catches_same_instant);
            if found {
                done.push(p.purpose.clone());
            }
            !found
        });
        for purpose in done {
            self.on_reply(now, purpose, None);
        }
    }

    /// geth's `hasBond` (2018, database.go:288) and `checkBond` (2019, v4_udp.go:776-778): a
    /// PONG from `id` within the bond lifetime, the condition for answering its requests.
    fn has_bond(&mut self, now: SimTime, id: &NodeId) -> bool {
        now.saturating_since(self.db.last_pong(id)) < self.bond_lifetime()
    }

    /// How long an endpoint proof lasts under this peer's profile.
    pub(super) fn bond_lifetime(&self) -> std::time::Duration {
        self.cfg.bond_lifetime(self.db.config())
    }

    /// Registers geth-2018's `waitping` for op's target, drawing whether it wins the race
    /// against a ping-back already queued behind the packet being handled.
    pub(super) fn wait_ping(&mut self, now: SimTime, target: NodeId, op: u64) {
        let catch = self.rng.random_bool(self.cfg.waitping_catch);
        self.add_pending_racing(
            now,
            target,
            PacketKind::Ping,
            None,
            Awaiting::WaitPing(op),
            catch,
        );
    }

    /// geth's `addThroughPing`: nodes that contacted us join the table only after the first
    /// refresh, so that pings alone cannot fill an initialising table.
    pub(super) fn add_through_ping(&mut self, now: SimTime, n: Node) {
        if self.init_done {
            self.cfg
                .profile
                .rules()
                .add_verified(&mut self.table, n, now);
        }
    }

    /// A pong counts if some request of ours waits for a pong from that node; it completes the
    /// requests whose ping it quotes, and records the endpoint proof.
    fn handle_pong(&mut self, now: SimTime, sender: NodeId, pong: &Pong) {
        let mut matched = false;
        let mut done = Vec::new();
        let loose = self.cfg.profile.rules().pong_proves_without_token();
        self.pending.retain(|p| {
            if p.from != sender || p.kind != PacketKind::Pong {
                return true;
            }
            let quotes = p.token == Some(pong.reply_tok);
            matched |= loose || quotes;
            if quotes {
                done.push(p.purpose.clone());
                return false;
            }
            true
        });
        if !matched {
            self.stats.unsolicited += 1;
            return;
        }
        for purpose in done {
            self.on_reply(now, purpose, pong.enr_seq);
        }
        self.db.update_last_pong(&sender, now);
    }

    /// Answered only for a bonded requester (anti-amplification): the 16 closest table entries,
    /// 12 per packet, or one empty packet.
    fn handle_findnode(&mut self, now: SimTime, from: SocketAddr, sender: NodeId, req: &FindNode) {
        if !self.has_bond(now, &sender) {
            self.stats.unbonded_findnode += 1;
            return;
        }
        // keccak256(target), as geth computes it. Not memoised: most targets are random and
        // reach a dozen peers once each, so a memo would keep every target ever looked up.
        let target = req.target.hash_unmemoised();
        let closest = self.cfg.profile.rules().findnode_answer(
            &self.table,
            &target,
            self.cfg.table.bucket_size,
        );
        let exp = self.expiration(now);
        for chunk in packet::neighbors_packets(&closest, exp, self.cfg.max_neighbors) {
            self.send(from, &Packet::Neighbors(chunk));
        }
    }

    /// Feeds every FINDNODE waiting on this sender; each is done once it has counted
    /// `bucket_size` entries.
    fn handle_neighbors(&mut self, now: SimTime, sender: NodeId, reply: Neighbors) {
        let mut matched = false;
        let mut done = Vec::new();
        let bucket_size = self.cfg.table.bucket_size;
        let mut ops_fed = Vec::new();
        for (i, p) in self.pending.iter().enumerate() {
            if p.from == sender && p.kind == PacketKind::Neighbors {
                matched = true;
                if let Awaiting::Neighbors(op) = p.purpose {
                    ops_fed.push((i, op));
                }
            }
        }
        if !matched {
            self.stats.unsolicited += 1;
            return;
        }
        let valid: Vec<Node> = reply
            .nodes
            .iter()
            .filter(|n| self.valid_remote(n))
            .copied()
            .collect();
        self.stats.rejected_nodes += (reply.nodes.len() - valid.len()) as u64;
        for (i, op_id) in ops_fed {
            if let Some(op) = self.ops.get_mut(&op_id) {
                op.nreceived += reply.nodes.len();
                op.received.extend_from_slice(&valid);
                if op.nreceived >= bucket_size {
                    done.push(i);
                }
            }
        }
        for i in done.iter().rev() {
            let p = self.pending.remove(*i);
            self.on_reply(now, p.purpose, None);
        }
    }

    /// geth-2019's ENRREQUEST handler (v4_udp.go:938-953): answered with our record, only for a
    /// requester with an endpoint proof.
    fn handle_enr_request(
        &mut self,
        now: SimTime,
        from: SocketAddr,
        sender: NodeId,
        hash: [u8; 32],
    ) {
        if !self.has_bond(now, &sender) {
            return;
        }
        let resp = Packet::EnrResponse(EnrResponse {
            reply_tok: hash,
            record: packet::enr_record(&self.me, LOCAL_ENR_SEQ),
        });
        self.send(from, &resp);
    }

    /// An ENRRESPONSE completes the request whose hash it quotes; any other is unsolicited.
    fn handle_enr_response(&mut self, now: SimTime, sender: NodeId, resp: &EnrResponse) {
        let found = self.pending.iter().position(|p| {
            p.from == sender && p.kind == PacketKind::EnrResponse && p.token == Some(resp.reply_tok)
        });
        let Some(i) = found else {
            self.stats.unsolicited += 1;
            return;
        };
        let p = self.pending.remove(i);
        let seq = packet::enr_seq(&resp.record);
        self.on_reply(now, p.purpose, seq);
    }

    /// geth's `nodeFromRPC` checks that apply without signatures: a UDP port above 1024 and a
    /// complete, usable endpoint.
    fn valid_remote(&self, n: &Node) -> bool {
        n.udp > self.cfg.min_udp_port && n.tcp != 0 && usable_ip(&n.ip)
    }

    /// Fails every pending request whose deadline has passed, in the order they were made.
    pub(super) fn expire_pending(&mut self, now: SimTime) {
        let mut failed = Vec::new();
        self.pending.retain(|p| {
            if p.deadline <= now {
                failed.push(p.purpose.clone());
                false
            } else {
                true
            }
        });
        for purpose in failed {
            self.on_timeout(now, purpose);
        }
    }
}

fn usable_ip(ip: &IpAddr) -> bool {
    !ip.is_unspecified() && !ip.is_multicast()
}
