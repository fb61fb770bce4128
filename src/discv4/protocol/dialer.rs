//! The peer's side of the dial scheduler: it feeds [`crate::discv4::dial::Scheduler`] with the
//! table, runs the lookups it asks for as real lookups of this peer (their own purpose, so the
//! observer's probe figures stay clean), and hands the dials it starts to the host, which reports
//! back how they ended.
//!
//! geth-2018's discover task is `Table.Lookup(random)` (dial.go:361-373): an empty table waits for
//! a refresh, and the 16 closest nodes found go to the scheduler when the lookup ends.
//!
//! geth-2019's is `enode.ReadNodes(discmix, want)` (dial.go:324-326) over the discv4 iterator
//! (`lookupIterator`, p2p/discover/lookup.go:154-204), modelled node by node: the iterator holds
//! one node ahead (the mixer's `runSource` read-ahead, p2p/enode/iter.go:274-286) and advances
//! only while it holds none, so a lookup sends queries only while the dialer reads. A lookup
//! first yields the ≤ 16 table entries closest to its random target, without a packet, then each
//! reply's nodes it had not seen; replies that arrive while the iterator is paused wait in a FIFO
//! (geth's `replyCh`) and still count as queries in flight. When a lookup ends the next one
//! starts at once. On an empty table geth spins (fixed by 2e98706a99 with a 1 s sleep); here the
//! iterator waits until the table holds an entry, which costs the same traffic (none).

use std::collections::VecDeque;

use rand::RngExt;

use super::{LookupPurpose, LookupRun, Peer};
use crate::discv4::dial::{Command, Ctx, Refusal, Scheduler};
use crate::discv4::lookup::Lookup;
use crate::discv4::node::{Node, NodeId};
use crate::sim::clock::SimTime;

/// geth-2019's discovery iterator as the dialer reads it.
#[derive(Clone, Debug, Default)]
pub(super) struct DialIter {
    /// The running lookup (an `Iter` lookup of the peer).
    lookup: Option<u64>,
    /// Nodes of the last reply not handed out yet (`lookupIterator.buffer`).
    buffer: VecDeque<Node>,
    /// The node `runSource` holds, offered to the next reader.
    held: Option<Node>,
    /// The running `ReadNodes`: nodes still to read, and those read.
    want: usize,
    pulled: Vec<Node>,
    /// The table was empty when a lookup was to start: wait for an entry.
    waiting_table: bool,
    /// Re-entrancy guard (a finished read can start the next one).
    running: bool,
}

impl Peer {
    /// Runs `f` on the scheduler with this peer's table and random stream, then carries out the
    /// commands it produced.
    fn with_dialer(&mut self, now: SimTime, f: impl FnOnce(&mut Scheduler, &mut Ctx<'_>)) {
        let Some(d) = self.dialer.as_mut() else {
            return;
        };
        let mut ctx = Ctx {
            table: &self.table,
            init_done: self.init_done,
            rng: &mut self.rng,
        };
        f(d, &mut ctx);
        let cmds: Vec<Command> = d.drain_commands().collect();
        for c in cmds {
            match c {
                Command::Dial(n) => {
                    self.stats.dials += 1;
                    self.dials_out.push(n);
                }
                Command::Lookup => {
                    self.stats.dialer_lookups += 1;
                    let target = NodeId::random(&mut self.rng);
                    self.start_lookup(now, target, LookupPurpose::Dial, true);
                }
                Command::Pull { want } => {
                    if let Some(it) = self.dial_iter.as_mut() {
                        it.want = want;
                        it.pulled.clear();
                    }
                    self.poll_dial_iterator(now);
                }
            }
        }
    }

    /// The server starts: the scheduler's first iteration, and geth-2019's iterator reads ahead.
    pub(super) fn start_dialer(&mut self, now: SimTime) {
        self.poll_dial_iterator(now);
        self.with_dialer(now, |d, c| d.start(now, c));
    }

    pub(super) fn dialer_timers(&mut self, now: SimTime) {
        if self
            .dialer
            .as_ref()
            .and_then(|d| d.next_timer())
            .is_some_and(|t| t <= now)
        {
            self.with_dialer(now, |d, c| d.handle_timers(now, c));
        }
    }

    /// geth-2018: a dialer lookup ended with its result, closest first.
    pub(super) fn dial_lookup_done(&mut self, now: SimTime, nodes: Vec<Node>) {
        self.with_dialer(now, |d, c| d.discover_done(now, nodes, c));
    }

    /// Dials started since the last call: the host connects to each and reports with
    /// [`Peer::dial_result`].
    pub fn drain_dials(&mut self) -> std::vec::Drain<'_, Node> {
        self.dials_out.drain(..)
    }

    /// A dial to `id` ended: `remote_ok` if the remote accepted both handshakes so far; then our
    /// own checkpoints run (a dial can fail locally when inbound peers filled `MaxPeers`
    /// meanwhile). `useless`: the eth handshake will fail and the peer drop. Returns whether the
    /// connection was added.
    pub fn dial_result(
        &mut self,
        now: SimTime,
        id: NodeId,
        remote_ok: bool,
        useless: bool,
    ) -> Result<(), Option<Refusal>> {
        let Some(d) = self.dialer.as_ref() else {
            return Err(None);
        };
        let verdict = if remote_ok {
            d.admit_outbound(&id).map_err(Some)
        } else {
            Err(None)
        };
        if verdict.is_err() {
            self.stats.dials_failed += 1;
        }
        let ok = verdict.is_ok();
        self.with_dialer(now, |d, c| d.dial_done(now, id, ok, useless, c));
        verdict
    }

    /// An inbound connection from `id` at `ip` reached a checkpoint: 0 accept, 1 encryption
    /// handshake, 2 protocol handshake (the peer is added if it passes).
    pub fn admit_inbound(
        &mut self,
        now: SimTime,
        id: &NodeId,
        ip: std::net::IpAddr,
        stage: u8,
    ) -> Result<(), Refusal> {
        let mut verdict = Err(Refusal::TooManyPeers);
        self.with_dialer(now, |d, c| verdict = d.admit_inbound(now, id, ip, stage, c));
        verdict
    }

    /// A connected peer is gone.
    pub fn peer_dropped(&mut self, now: SimTime, id: &NodeId) {
        self.with_dialer(now, |d, c| d.peer_dropped(now, id, c));
    }

    /// The dial scheduler, when the dialer runs.
    pub fn dialer(&self) -> Option<&Scheduler> {
        self.dialer.as_ref()
    }

    /// Advances geth-2019's iterator while it holds no node, and completes a `ReadNodes` when
    /// `want` nodes were read.
    pub(super) fn poll_dial_iterator(&mut self, now: SimTime) {
        let Some(it) = self.dial_iter.as_mut() else {
            return;
        };
        if it.running || (it.waiting_table && self.table.is_empty()) {
            return;
        }
        it.waiting_table = false;
        it.running = true;
        loop {
            let it = self.dial_iter.as_mut().expect("present");
            if it.want > 0 {
                if let Some(n) = it.held.take() {
                    it.pulled.push(n);
                    it.want -= 1;
                    if it.want == 0 {
                        let nodes = self.read_nodes_done();
                        self.with_dialer(now, |d, c| d.discover_done(now, nodes, c));
                    }
                    continue;
                }
            }
            if it.held.is_some() {
                break;
            }
            if let Some(n) = it.buffer.pop_front() {
                it.held = Some(n);
                continue;
            }
            match it.lookup {
                None => {
                    if self.table.is_empty() {
                        self.dial_iter.as_mut().expect("present").waiting_table = true;
                        break;
                    }
                    self.start_iter_lookup();
                }
                Some(id) => {
                    let Some(run) = self.lookups.get_mut(&id) else {
                        self.dial_iter.as_mut().expect("present").lookup = None;
                        continue;
                    };
                    // `startQueries`, then read one reply (lookup.go:67-88).
                    let queries = run.lookup.next_queries();
                    let applied = match run.replies.pop_front() {
                        Some((from, nodes)) => {
                            let new = run.lookup.on_reply_new(&from, &nodes);
                            let it = self.dial_iter.as_mut().expect("present");
                            it.buffer.extend(new);
                            true
                        }
                        None => false,
                    };
                    if !applied && queries.is_empty() && run.lookup.is_done() {
                        // The lookup ended: the next starts at once (lookup.go:191-196).
                        self.lookups.remove(&id);
                        self.dial_iter.as_mut().expect("present").lookup = None;
                        continue;
                    }
                    for q in queries {
                        self.start_findnode(now, q, id);
                    }
                    if !applied {
                        // Queries in flight, nothing to read yet: wait for a reply.
                        break;
                    }
                }
            }
        }
        if let Some(it) = self.dial_iter.as_mut() {
            it.running = false;
        }
    }

    /// `newRandomLookup` (v4_udp.go:403-430) and its first `advance`: the table's closest
    /// entries to a random target, handed out without a packet (lookup.go:99-106).
    fn start_iter_lookup(&mut self) {
        let target = NodeId::random(&mut self.rng);
        let k = self.cfg.table.bucket_size;
        let hash = target.hash_unmemoised();
        let initial = self.table.closest(&hash, k);
        let mut lookup =
            Lookup::with_target_hash(target, hash, self.me.id, initial.clone(), self.cfg.alpha, k);
        lookup.mark_start_seen();
        self.stats.lookups += 1;
        self.stats.dialer_lookups += 1;
        let id = self.next_id();
        self.lookups.insert(
            id,
            LookupRun {
                lookup,
                purpose: LookupPurpose::Iter,
                replies: VecDeque::new(),
            },
        );
        let it = self.dial_iter.as_mut().expect("present");
        it.lookup = Some(id);
        it.buffer.extend(initial);
    }

    /// `enode.ReadNodes` (p2p/enode/iter.go:36-52): the nodes read, each ID once (a repeat is
    /// lost, not replaced), in Go's map order: a random permutation.
    fn read_nodes_done(&mut self) -> Vec<Node> {
        let it = self.dial_iter.as_mut().expect("present");
        let mut seen = std::collections::BTreeSet::new();
        let mut nodes: Vec<Node> = std::mem::take(&mut it.pulled)
            .into_iter()
            .filter(|n| seen.insert(n.id))
            .collect();
        for i in (1..nodes.len()).rev() {
            let j = self.rng.random_range(0..=i);
            nodes.swap(i, j);
        }
        nodes
    }
}
