//! TCP connections between peer slots for the dialer (with `protocol.dialer`): a dial from A to
//! B is a few messages with the link's latency that reproduce geth's `SetupConn` timings
//! (docs: the dialer spec §3, r = one round trip):
//!
//! | t | A (dialer) | B |
//! |---|---|---|
//! | 0 | SYN and (after the SYN-ACK) AUTH | |
//! | 0.5 r | | offline: nothing (A times out at `dial_timeout`) or a reset (`offline_connect = "refused"`); a bootnode without TCP (`bootnodes_accept_tcp`): reset; behind NAT (`nat_accepts_tcp` false): the SYN is dropped, A times out |
//! | 1.5 r | | AUTH: identity check (a stale record fails), accept (geth-2019's IP throttle), first checkpoint; ACK+HELLO or DISC |
//! | 2 r | both checkpoints of A's side; the peer is added, the dial task ends; HELLO or DISC | |
//! | 2.5 r | | second checkpoint: the peer is added, or DISC (A drops at 3 r) |
//!
//! A connection whose eth handshake fails (`useless_share`, drawn by A from the slot's
//! connection stream) is added at A, refused by B at 2.5 r and dropped by A at 3 r. When a peer
//! leaves, each of its connections closes and the other side learns it half a round trip later.
//! Simultaneous dials A↔B: whichever reaches a side's checkpoint second is refused as "already
//! connected" (geth can end with no connection; not modelled).

use super::runner::{Outgoing, PeerRunner};
use super::{ConnKey, ConnMsg, InputKind};
use crate::discv4::dial::OfflineConnect;
use crate::discv4::node::{Node, NodeId};
use crate::sim::clock::SimTime;

/// One side's view of a connection.
#[derive(Clone, Debug)]
pub(super) struct Conn {
    pub remote: u32,
    pub remote_id: NodeId,
    pub state: ConnState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ConnState {
    /// A: dialed, waiting for B.
    Dialing,
    /// B: the SYN arrived (the listener will read AUTH).
    SynReceived {
        expected: NodeId,
    },
    /// B: the SYN was refused or dropped; A hears at the chosen time, AUTH is ignored.
    Refused,
    /// B: ACK+HELLO sent, waiting for A's HELLO.
    AckSent,
    Established,
}

impl PeerRunner {
    /// Starts the dials the peer asked for.
    pub(super) fn start_dials(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        loop {
            let Some(peer) = self.peer.as_mut() else {
                return;
            };
            let dials: Vec<Node> = peer.drain_dials().collect();
            if dials.is_empty() {
                return;
            }
            for n in dials {
                let to = match n.ip {
                    std::net::IpAddr::V4(v4) => self
                        .shared
                        .layout
                        .index_of(v4)
                        .filter(|i| *i < self.shared.peers),
                    std::net::IpAddr::V6(_) => None,
                };
                let Some(to) = to else {
                    if let Some(p) = self.peer.as_mut() {
                        let _ = p.dial_result(now, n.id, false, false);
                    }
                    continue;
                };
                self.next_conn += 1;
                let conn = ConnKey {
                    dialer: self.index,
                    id: self.next_conn,
                };
                self.conns.insert(
                    conn,
                    Conn {
                        remote: to,
                        remote_id: n.id,
                        state: ConnState::Dialing,
                    },
                );
                let me = self.peer.as_ref().expect("online").node().id;
                let lat = self.tcp_latency(to);
                self.send_conn(
                    now,
                    to,
                    lat,
                    ConnMsg::Syn {
                        conn,
                        from_id: me,
                        to_id: n.id,
                    },
                    out,
                );
                self.send_conn(now, to, lat * 3, ConnMsg::Auth { conn }, out);
            }
        }
    }

    fn tcp_latency(&self, to: u32) -> std::time::Duration {
        self.shared
            .network
            .latency
            .link_latency(self.shared.seed, self.index, to)
    }

    fn send_conn(
        &mut self,
        now: SimTime,
        to: u32,
        delay: std::time::Duration,
        msg: ConnMsg,
        out: &mut Vec<Outgoing>,
    ) {
        self.sender
            .emit(now + delay, to, InputKind::Conn(Box::new(msg)), out);
    }

    /// A connection message arrived from slot `from`.
    pub(super) fn on_conn(
        &mut self,
        now: SimTime,
        from: u32,
        msg: ConnMsg,
        out: &mut Vec<Outgoing>,
    ) {
        let lat = self.tcp_latency(from);
        match msg {
            ConnMsg::Syn {
                conn,
                from_id,
                to_id,
            } => self.on_syn(now, from, lat, (conn, from_id, to_id), out),
            ConnMsg::Auth { conn } => self.on_auth(now, from, lat, conn, out),
            ConnMsg::ConnectFailed { conn } => self.on_connect_failed(now, conn),
            ConnMsg::Ack { conn, ok } => self.on_ack(now, from, lat, (conn, ok), out),
            ConnMsg::Hello { conn, ok, useless } => {
                self.on_hello(now, from, lat, (conn, ok, useless), out)
            }
            ConnMsg::Close { conn } => self.on_close(now, conn),
        }
    }

    /// B, a dial's SYN: refused at once (offline, a bootnode that takes no TCP, a NAT), or
    /// waiting for the dialer's auth.
    fn on_syn(
        &mut self,
        now: SimTime,
        from: u32,
        lat: std::time::Duration,
        (conn, from_id, to_id): (ConnKey, NodeId, NodeId),
        out: &mut Vec<Outgoing>,
    ) {
        let dial = &self.protocol.dial;
        let refused_at = match &self.peer {
            None => Some(match dial.offline_connect {
                OfflineConnect::Refused => lat,
                OfflineConnect::Timeout => dial.dial_timeout.saturating_sub(lat).max(lat),
            }),
            Some(_) if self.is_bootnode && !dial.bootnodes_accept_tcp => Some(lat),
            Some(_) if self.nat.is_some() && !dial.nat_accepts_tcp => {
                Some(dial.dial_timeout.saturating_sub(lat).max(lat))
            }
            Some(_) => None,
        };
        let state = match refused_at {
            Some(delay) => {
                self.send_conn(now, from, delay, ConnMsg::ConnectFailed { conn }, out);
                ConnState::Refused
            }
            None => ConnState::SynReceived { expected: to_id },
        };
        self.conns.insert(
            conn,
            Conn {
                remote: from,
                remote_id: from_id,
                state,
            },
        );
    }

    /// B, the dialer's auth: admitted through both inbound checkpoints, or refused.
    fn on_auth(
        &mut self,
        now: SimTime,
        from: u32,
        lat: std::time::Duration,
        conn: ConnKey,
        out: &mut Vec<Outgoing>,
    ) {
        let Some(c) = self.conns.remove(&conn) else {
            // B restarted since the SYN: the connection is gone.
            return self.send_conn(now, from, lat, ConnMsg::Ack { conn, ok: false }, out);
        };
        let ConnState::SynReceived { expected } = c.state else {
            return;
        };
        let ip = std::net::IpAddr::V4(self.shared.layout.ip_of(from));
        let ok = match self.peer.as_mut() {
            Some(p) if p.node().id == expected => {
                p.admit_inbound(now, &c.remote_id, ip, 0).is_ok()
                    && p.admit_inbound(now, &c.remote_id, ip, 1).is_ok()
            }
            _ => false,
        };
        if ok {
            self.conns.insert(
                conn,
                Conn {
                    state: ConnState::AckSent,
                    ..c
                },
            );
        }
        self.send_conn(now, from, lat, ConnMsg::Ack { conn, ok }, out);
    }

    /// A, the SYN refused: the dial failed.
    fn on_connect_failed(&mut self, now: SimTime, conn: ConnKey) {
        if let Some(c) = self.take_dialing(&conn) {
            if let Some(p) = self.peer.as_mut() {
                let _ = p.dial_result(now, c.remote_id, false, false);
            }
        }
    }

    /// A, B's answer to the auth: the dialer's own checks, then its hello.
    fn on_ack(
        &mut self,
        now: SimTime,
        from: u32,
        lat: std::time::Duration,
        (conn, ok): (ConnKey, bool),
        out: &mut Vec<Outgoing>,
    ) {
        let useless_share = self.protocol.dial.useless_share;
        let Some(c) = self.take_dialing(&conn) else {
            return;
        };
        let Some(p) = self.peer.as_mut() else {
            return;
        };
        let useless = ok
            && useless_share > 0.0
            && rand::RngExt::random_bool(&mut self.conn_rng, useless_share);
        let added = p.dial_result(now, c.remote_id, ok, useless).is_ok();
        if added {
            self.establish(conn, c);
        }
        if ok {
            let msg = ConnMsg::Hello {
                conn,
                ok: added,
                useless,
            };
            self.send_conn(now, from, lat, msg, out);
        }
    }

    /// B, the dialer's hello: the last inbound checkpoint, or close.
    fn on_hello(
        &mut self,
        now: SimTime,
        from: u32,
        lat: std::time::Duration,
        (conn, ok, useless): (ConnKey, bool, bool),
        out: &mut Vec<Outgoing>,
    ) {
        let Some(c) = self.conns.remove(&conn) else {
            if ok {
                self.send_conn(now, from, lat, ConnMsg::Close { conn }, out);
            }
            return;
        };
        if c.state != ConnState::AckSent || !ok {
            return;
        }
        let ip = std::net::IpAddr::V4(self.shared.layout.ip_of(from));
        let added = !useless
            && self
                .peer
                .as_mut()
                .is_some_and(|p| p.admit_inbound(now, &c.remote_id, ip, 2).is_ok());
        if added {
            self.establish(conn, c);
        } else {
            self.send_conn(now, from, lat, ConnMsg::Close { conn }, out);
        }
    }

    /// Either side: the other closed the connection.
    fn on_close(&mut self, now: SimTime, conn: ConnKey) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        let Some(p) = self.peer.as_mut() else {
            return;
        };
        match c.state {
            ConnState::Established => p.peer_dropped(now, &c.remote_id),
            ConnState::Dialing => {
                let _ = p.dial_result(now, c.remote_id, false, false);
            }
            _ => {}
        }
    }

    /// Keeps `c` as an established connection: both handshake checkpoints passed on this side.
    fn establish(&mut self, conn: ConnKey, c: Conn) {
        self.conns.insert(
            conn,
            Conn {
                state: ConnState::Established,
                ..c
            },
        );
    }

    /// Removes and returns an outbound connection still being dialed.
    fn take_dialing(&mut self, conn: &ConnKey) -> Option<Conn> {
        if self
            .conns
            .get(conn)
            .is_some_and(|c| c.state == ConnState::Dialing)
        {
            self.conns.remove(conn)
        } else {
            None
        }
    }

    /// The peer stops: every connection it has or is making closes, and the remote learns it
    /// after the link's latency. Refusals already sent stay remembered (their AUTH is ignored).
    pub(super) fn close_conns(&mut self, now: SimTime, out: &mut Vec<Outgoing>) {
        let conns = std::mem::take(&mut self.conns);
        for (key, c) in conns {
            match c.state {
                ConnState::Refused => {
                    self.conns.insert(key, c);
                }
                ConnState::SynReceived { .. } => {}
                _ => {
                    let lat = self.tcp_latency(c.remote);
                    self.send_conn(now, c.remote, lat, ConnMsg::Close { conn: key }, out);
                }
            }
        }
    }
}
