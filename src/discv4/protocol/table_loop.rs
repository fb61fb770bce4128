//! geth's 2018 table loop: refresh (seeds, self lookup, random lookups), revalidation of the
//! last entry of a random bucket, FINDNODE with bonding and failure counting, and copying live
//! entries to the node database.

use std::net::SocketAddr;

use rand::RngExt;

use super::profile::AfterBond;
use super::{
    Awaiting, EnrOp, FindnodeOp, LookupPurpose, LookupRun, Peer, PeerEvent, ProbeResult,
    RefreshRun, SeedStrategy, Timer,
};
use crate::discv4::lookup::Lookup;
use crate::discv4::node::{Node, NodeHash, NodeId};
use crate::discv4::packet::{EnrRequest, FindNode, Packet, PacketKind};
use crate::discv4::table::Entry;
use crate::sim::clock::SimTime;

impl Peer {
    /// geth's `loadSeedNodes`: seeds from the database plus the bootnodes, added like any node.
    /// Which seeds the database gives is the configured [`SeedStrategy`] (geth's by default).
    /// Returns the database's seeds and how many of them the table kept (geth-2018's unhashed
    /// seeds crowd into one bucket, so most are dropped: D7).
    pub(super) fn load_seed_nodes(&mut self, now: SimTime) -> (Vec<Node>, usize) {
        let (n, max_age) = (self.cfg.seed_count, self.cfg.seed_max_age);
        let seeds = match self.cfg.seed_strategy {
            SeedStrategy::Geth => self.db.query_seeds(n, max_age, now, &mut self.rng),
            SeedStrategy::MostRecent => {
                let mut fresh = self.db.fresh_records(max_age, now);
                // Newest pong first; key order breaks ties (the sort is stable).
                fresh.sort_by_key(|(_, pong)| std::cmp::Reverse(*pong));
                fresh.into_iter().take(n).map(|(node, _)| node).collect()
            }
            SeedStrategy::UniformFresh => {
                let mut fresh = self.db.fresh_records(max_age, now);
                let k = n.min(fresh.len());
                for i in 0..k {
                    let j = self.rng.random_range(i..fresh.len());
                    fresh.swap(i, j);
                }
                fresh.into_iter().take(k).map(|(node, _)| node).collect()
            }
            SeedStrategy::None => Vec::new(),
        };
        self.stats.seeds_loaded += seeds.len() as u64;
        let rules = self.cfg.profile.rules();
        let hashed = rules.hash_seeds(&self.cfg);
        let filed: Vec<Node> = seeds
            .iter()
            .map(|s| {
                if hashed {
                    *s
                } else {
                    // geth-2018's `nextNode` never sets `Node.sha` (database.go:350-364).
                    Node::with_hash(s.ip, s.udp, s.tcp, s.id, NodeHash([0; 32]))
                }
            })
            .collect();
        for s in &filed {
            rules.add_seen(&mut self.table, *s, now, &mut None);
        }
        for (b, added_at) in self.bootnodes.iter().zip(&mut self.nursery_added_at) {
            rules.add_seen(&mut self.table, *b, now, added_at);
        }
        // Kept = an entry of the bucket the seed was filed in (a seed that is also a bootnode
        // may sit elsewhere under its real hash; that copy is the bootnode's, not the seed's).
        let kept = filed
            .iter()
            .filter(|s| {
                let (entries, _) = self.table.bucket(self.table.bucket_index(s.hash()));
                entries.iter().any(|e| e.node.id == s.id)
            })
            .count();
        (seeds, kept)
    }

    pub(super) fn start_refresh(&mut self, now: SimTime) {
        self.refresh = Some(RefreshRun { step: 0 });
        let _ = self.load_seed_nodes(now);
        self.start_lookup(now, self.me.id, LookupPurpose::Refresh, false);
    }

    fn refresh_step_done(&mut self, now: SimTime) {
        let Some(run) = self.refresh.as_mut() else {
            return;
        };
        run.step += 1;
        if run.step <= self.cfg.random_lookups {
            let target = NodeId::random(&mut self.rng);
            self.start_lookup(now, target, LookupPurpose::Refresh, false);
            return;
        }
        self.refresh = None;
        self.stats.refreshes += 1;
        if !self.init_done {
            self.init_done = true;
            self.events.push(PeerEvent::InitDone { at: now });
        }
        self.events.push(PeerEvent::RefreshDone { at: now });
        for (target, purpose) in std::mem::take(&mut self.waiting_for_refresh) {
            self.start_lookup(now, target, purpose, false);
        }
    }

    /// Starts a lookup of `target` as a researcher's probe (geth's public `Lookup`): an empty
    /// table first triggers a refresh and waits for it. The outcome arrives as
    /// [`PeerEvent::ProbeDone`].
    pub fn start_probe(&mut self, now: SimTime, target: NodeId, id: u64) {
        self.start_lookup(now, target, LookupPurpose::Probe { id, started: now }, true);
    }

    pub(super) fn start_lookup(
        &mut self,
        now: SimTime,
        target: NodeId,
        purpose: LookupPurpose,
        refresh_if_empty: bool,
    ) {
        let lookup = Lookup::new(
            target,
            self.me.id,
            Vec::new(),
            self.cfg.alpha,
            self.cfg.table.bucket_size,
        );
        let initial = self
            .table
            .closest(lookup.target_hash(), self.cfg.table.bucket_size);
        if initial.is_empty() && refresh_if_empty {
            if matches!(purpose, LookupPurpose::Probe { .. } | LookupPurpose::Dial) {
                self.waiting_for_refresh.push((target, purpose));
            }
            if self.refresh.is_none() {
                self.start_refresh(now);
            }
            return;
        }
        let mut lookup = Lookup::with_target_hash(
            target,
            *lookup.target_hash(),
            self.me.id,
            initial,
            self.cfg.alpha,
            self.cfg.table.bucket_size,
        );
        if self.cfg.profile.rules().lookup_dedups_start() {
            lookup.mark_start_seen();
        }
        self.stats.lookups += 1;
        let id = self.next_id();
        self.lookups.insert(
            id,
            LookupRun {
                lookup,
                purpose,
                replies: Default::default(),
            },
        );
        self.advance_lookup(now, id);
    }

    fn advance_lookup(&mut self, now: SimTime, id: u64) {
        let Some(run) = self.lookups.get_mut(&id) else {
            return;
        };
        let queries = run.lookup.next_queries();
        let done = run.lookup.is_done();
        for q in queries {
            self.start_findnode(now, q, id);
        }
        if !done {
            return;
        }
        let run = self.lookups.remove(&id).expect("present");
        match run.purpose {
            LookupPurpose::Refresh => self.refresh_step_done(now),
            LookupPurpose::Dial => self.dial_lookup_done(now, run.lookup.result().to_vec()),
            LookupPurpose::Iter => {}
            LookupPurpose::Probe { id, started } => {
                let result = run
                    .lookup
                    .result()
                    .iter()
                    .map(|n| (*n, run.lookup.hops_to(&n.id).unwrap_or(0)))
                    .collect();
                self.events.push(PeerEvent::ProbeDone(ProbeResult {
                    id,
                    target: *run.lookup.target(),
                    started,
                    finished: now,
                    result,
                    queries: run.lookup.queries(),
                }));
            }
        }
    }

    /// geth's `Table.findnode` with the transport's bonding rule (the profile's): without a
    /// recent ping from the target, ping it, wait for the pong or the timeout, then wait for its
    /// ping-back (geth-2018) or a fixed time (geth-2019), and only then ask.
    pub(super) fn start_findnode(&mut self, now: SimTime, to: Node, lookup: u64) {
        let op = self.next_id();
        let (bond, fails) = self.needs_bond(now, &to.id);
        self.ops.insert(
            op,
            FindnodeOp {
                to,
                bonded_at: bond.then_some(now),
                lookup,
                fails,
                received: Vec::new(),
                nreceived: 0,
            },
        );
        if bond {
            self.send_ping(now, &to, Awaiting::Bond(op));
        } else {
            self.send_findnode(now, op);
        }
    }

    /// The request `op` waited for its bond: send it.
    pub(super) fn send_after_bond(&mut self, now: SimTime, op: u64) {
        if self.enr_ops.contains_key(&op) {
            self.send_enr_request(now, op);
        } else {
            self.send_findnode(now, op);
        }
    }

    /// The bonding PING of `op` was answered or timed out.
    fn bonded(&mut self, now: SimTime, op: u64) {
        match self.cfg.profile.rules().after_bond() {
            AfterBond::WaitPing => {
                if let Some(target) = self.ops.get(&op).map(|o| o.to.id) {
                    self.wait_ping(now, target, op);
                }
            }
            AfterBond::Sleep => self.set_timer(now + self.cfg.resp_timeout, Timer::BondWait(op)),
        }
    }

    pub(super) fn send_findnode(&mut self, now: SimTime, op: u64) {
        let Some(o) = self.ops.get(&op) else {
            return;
        };
        let to = o.to;
        match o.bonded_at {
            Some(t) => {
                let gap = now.saturating_since(t).as_millis();
                let bin = match gap {
                    0..250 => 0,
                    250..550 => 1,
                    550..=800 => 2,
                    _ => 3,
                };
                self.stats.bond_gaps[bin] += 1;
            }
            None => self.stats.unbonded_findnodes_sent += 1,
        }
        let Some(run) = self.lookups.get(&o.lookup) else {
            return;
        };
        let target = *run.lookup.target();
        self.add_pending(
            now,
            to.id,
            PacketKind::Neighbors,
            None,
            Awaiting::Neighbors(op),
        );
        let req = Packet::FindNode(FindNode {
            target,
            expiration: self.expiration(now),
        });
        self.send(SocketAddr::new(to.ip, to.udp), &req);
    }

    /// A FINDNODE ended: count the failure or success, add what came back, feed the lookup.
    fn finish_findnode(&mut self, now: SimTime, op: u64, timed_out: bool) {
        let Some(op) = self.ops.remove(&op) else {
            return;
        };
        let id = op.to.id;
        let rules = self.cfg.profile.rules();
        if rules.findnode_failed(timed_out, op.received.len()) {
            self.stats.findnode_failures += 1;
            let fails = op.fails + 1;
            self.db.update_find_fails(&id, fails);
            if fails >= self.cfg.max_findnode_failures && self.table.delete(&op.to) {
                self.stats.dropped_findnode += 1;
            }
        } else if op.fails > 0 {
            let fails = rules.fails_after_success(op.fails);
            self.db.update_find_fails(&id, fails);
        }
        for n in &op.received {
            rules.add_seen(&mut self.table, *n, now, &mut None);
        }
        if let Some(run) = self.lookups.get_mut(&op.lookup) {
            if matches!(run.purpose, LookupPurpose::Iter) {
                // geth's `query` goroutine has updated the table; the lookup reads the reply
                // from `replyCh` only when the iterator advances.
                run.replies.push_back((id, op.received));
                self.poll_dial_iterator(now);
            } else {
                run.lookup.on_reply(&id, &op.received);
                self.advance_lookup(now, op.lookup);
            }
        }
    }

    pub(super) fn arm_revalidation(&mut self, now: SimTime) {
        let max = self.cfg.revalidate_interval.as_micros() as u64;
        let wait = if max == 0 {
            0
        } else {
            self.rng.random_range(0..max)
        };
        self.set_timer(
            now + std::time::Duration::from_micros(wait),
            Timer::Revalidate,
        );
    }

    /// Pings the last entry of a random non-empty bucket; the timer is re-armed when it answers
    /// or times out.
    pub(super) fn do_revalidate(&mut self, now: SimTime) {
        match self.table.node_to_revalidate(&mut self.rng) {
            None => self.arm_revalidation(now),
            Some((bucket, last)) => {
                let node = last.node;
                self.send_ping(now, &node, Awaiting::Revalidate { bucket, last });
            }
        }
    }

    /// geth's `copyLiveNodes`: the only path that writes node records.
    pub(super) fn copy_live_nodes(&mut self, now: SimTime) {
        let checked = self.cfg.profile.rules().copy_needs_check();
        let db = &mut self.db;
        self.table
            .copy_live_nodes(now, self.cfg.seed_min_table_time, checked, |n, epoch| {
                db.update_node_remembered(n, epoch)
            });
    }

    /// A revalidation PONG came back announcing `seq` (EIP-868; 0 without). geth-2019 first
    /// fetches the record when it is newer than the entry's (table.go:329-336: `RequestENR`,
    /// which bonds first); the revalidation ends when that is done.
    fn revalidation_answered(&mut self, now: SimTime, bucket: usize, last: Entry, seq: u64) {
        if !(self.cfg.profile.rules().enr() && last.enr_seq < seq) {
            return self.finish_revalidation(now, bucket, &last, None);
        }
        self.stats.enr_requests += 1;
        let op = self.next_id();
        self.enr_ops.insert(op, EnrOp { bucket, last });
        // The revalidation goroutine reaches `ensureBond` after the read loop has handled what
        // arrived with the PONG (the target's ping-back, which records its PING): a timer at this
        // instant runs after this instant's packets.
        self.set_timer(now, Timer::EnrStart(op));
    }

    pub(super) fn start_enr_request(&mut self, now: SimTime, op: u64) {
        let Some(node) = self.enr_ops.get(&op).map(|o| o.last.node) else {
            return;
        };
        if self.needs_bond(now, &node.id).0 {
            self.send_ping(now, &node, Awaiting::Bond(op));
        } else {
            self.send_enr_request(now, op);
        }
    }

    /// The profile's bonding rule for a request to `id` (geth's check before FINDNODE, and
    /// geth-2019's `ensureBond` before ENRREQUEST too), and the failure count it read.
    fn needs_bond(&mut self, now: SimTime, id: &NodeId) -> (bool, i64) {
        let fails = self.db.find_fails(id);
        let since_ping = now.saturating_since(self.db.last_ping(id));
        let bond = self.cfg.profile.rules().bond_before_findnode(
            &self.cfg,
            since_ping,
            self.bond_lifetime(),
            fails,
        );
        (bond, fails)
    }

    fn send_enr_request(&mut self, now: SimTime, op: u64) {
        let Some(to) = self.enr_ops.get(&op).map(|o| o.last.node) else {
            return;
        };
        let req = Packet::EnrRequest(EnrRequest {
            expiration: self.expiration(now),
        });
        let hash = self.send(SocketAddr::new(to.ip, to.udp), &req);
        self.add_pending(
            now,
            to.id,
            PacketKind::EnrResponse,
            Some(hash),
            Awaiting::EnrResponse(op),
        );
    }

    /// The ENR request `op` ended with the record's seq, or without an answer.
    pub(super) fn enr_answered(&mut self, now: SimTime, op: u64, seq: Option<u64>) {
        if let Some(o) = self.enr_ops.remove(&op) {
            if seq.is_some() {
                self.stats.enr_responses += 1;
            }
            self.finish_revalidation(now, o.bucket, &o.last, seq);
        }
    }

    /// A revalidation ended with an answer: the entry moves to the front and counts one more
    /// liveness check; the next revalidation is armed only now (geth re-arms its timer when
    /// `doRevalidate` returns).
    fn finish_revalidation(&mut self, now: SimTime, bucket: usize, last: &Entry, seq: Option<u64>) {
        self.table.revalidated(bucket, last, seq);
        self.stats.revalidated_ok += 1;
        self.arm_revalidation(now);
    }

    /// A pending request got its answer; `seq` is the ENR seq a PONG or ENRRESPONSE carried.
    pub(super) fn on_reply(&mut self, now: SimTime, purpose: Awaiting, seq: Option<u64>) {
        match purpose {
            Awaiting::Revalidate { bucket, last } => {
                self.revalidation_answered(now, bucket, last, seq.unwrap_or(0))
            }
            Awaiting::PingBack(n) => self.add_through_ping(now, n),
            Awaiting::Bond(op) => self.bonded(now, op),
            Awaiting::WaitPing(op) => self.send_findnode(now, op),
            Awaiting::Neighbors(op) => self.finish_findnode(now, op, false),
            Awaiting::EnrResponse(op) => self.enr_answered(now, op, seq),
        }
    }

    /// A pending request timed out.
    pub(super) fn on_timeout(&mut self, now: SimTime, purpose: Awaiting) {
        match purpose {
            Awaiting::Revalidate { bucket, last } => {
                let id = last.node.id;
                match self.table.replace(bucket, &id, &mut self.rng) {
                    Some(_) => self.stats.revalidated_replaced += 1,
                    None if !self.table.contains(&id) => self.stats.revalidated_deleted += 1,
                    None => {}
                }
                self.arm_revalidation(now);
            }
            Awaiting::PingBack(_) => {}
            Awaiting::Bond(op) => self.bonded(now, op),
            Awaiting::WaitPing(op) => self.send_findnode(now, op),
            Awaiting::Neighbors(op) => self.finish_findnode(now, op, true),
            Awaiting::EnrResponse(op) => self.enr_answered(now, op, None),
        }
    }
}
