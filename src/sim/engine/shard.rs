//! A shard: one thread with its own actix system, hosting the actors of every slot `i` with
//! `i % shards == shard`. Its driver keeps each local slot's inbox and wake-up time, runs the slots
//! that have work in a window one after another, and delivers packets between its own slots
//! directly.
//!
//! Between two of the coordinator's instants (a sample, a check, a probe, a scenario action, the
//! end) the shards run window after window on their own: at each window's end every shard hands
//! the packets it sent to each other shard straight to that shard, with the earliest instant at
//! which it has work, so that all of them compute the same next window by the coordinator's rule
//! (see [`Batch`]) without waking the coordinator. With one shard nothing is exchanged at all.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr};
use tokio::sync::mpsc::UnboundedReceiver;

use super::actor::WindowOut;
use super::actor::{Collector, PeerActor, RunWindow, TakeDigest, TakeSnapshot};
use super::runner::{Outgoing, PeerRunner, SlotEvent};
use super::{Input, InputKind, Shared, Slot};
use crate::observe::snapshot::Snapshot;
use crate::sim::clock::SimTime;

/// Windows the shards may run without the coordinator: the first ends at `until`; each next one
/// starts at the first instant with work (of any shard) or `action`, whichever is earlier, and
/// ends a window length later or at `bound`, whichever is earlier. The batch stops before a
/// window that would start at or after `bound` (the coordinator samples, checks, probes or ends
/// there) or that holds `action` (the coordinator dispatches it). This is exactly the
/// coordinator's own rule, so the windows are the same whatever the number of shards.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batch {
    pub until: SimTime,
    pub bound: SimTime,
    pub action: Option<SimTime>,
}

impl Batch {
    /// The window after one that ended at `t`, given the earliest instant with work in any shard;
    /// `None` when the coordinator must act first.
    fn next(&self, t: SimTime, work: Option<SimTime>, window: Duration) -> Option<SimTime> {
        let until = window_until(t, earliest(self.action, work), self.bound, window)?;
        if self.action.is_some_and(|a| a < until) {
            return None;
        }
        Some(until)
    }
}

/// The end of the next window after an instant `t`: it starts at the first instant with work
/// (not before `t`) and lasts `window`, cut at `bound`; `None` if it would start at or after
/// `bound`.
pub(super) fn window_until(
    t: SimTime,
    work: Option<SimTime>,
    bound: SimTime,
    window: Duration,
) -> Option<SimTime> {
    let start = t.max(work.map_or(bound, |w| w.min(bound)));
    if start >= bound {
        return None;
    }
    Some((start + window).min(bound))
}

pub(crate) enum ShardCmd {
    /// Deliver these inputs (to this shard's slots) and run a [`Batch`] of windows.
    Run {
        batch: Batch,
        inputs: Vec<(u32, Input)>,
    },
    /// Snapshots of these slots (all of the shard's if `None`); `full` ones for samples.
    Snapshot {
        slots: Option<Vec<u32>>,
        full: bool,
    },
    Digests,
    Stop,
}

pub(crate) enum ShardReply {
    Ran {
        shard: usize,
        events: Vec<(SimTime, u32, SlotEvent)>,
        /// The earliest instant this shard has work (every packet sent has been delivered).
        next_wake: Option<SimTime>,
        /// Where the last window ended.
        last: SimTime,
        /// Windows run (the same in every shard).
        windows: u64,
        /// Slot runs (for the benchmark's event count).
        runs: u64,
    },
    Snapshot(Vec<Snapshot>),
    Digests(Vec<(u32, Option<[u8; 32]>)>),
}

/// What one shard hands another at the end of a window: the packets for its slots, and the
/// earliest instant at which the sender has work or a packet it sent arrives.
pub(crate) struct Exchange {
    inputs: Vec<(u32, Input)>,
    work: Option<SimTime>,
}

/// A shard's links to the others: `to[s]` and `from[s]` for every other shard `s`.
pub(crate) struct Links {
    pub to: Vec<Option<Sender<Exchange>>>,
    pub from: Vec<Option<Receiver<Exchange>>>,
}

impl Links {
    /// The links of every shard to every other, by shard.
    pub(crate) fn mesh(shards: usize) -> Vec<Links> {
        let mut links: Vec<Links> = (0..shards)
            .map(|_| Links {
                to: (0..shards).map(|_| None).collect(),
                from: (0..shards).map(|_| None).collect(),
            })
            .collect();
        for a in 0..shards {
            for b in 0..shards {
                if a != b {
                    let (tx, rx) = std::sync::mpsc::channel();
                    links[a].to[b] = Some(tx);
                    links[b].from[a] = Some(rx);
                }
            }
        }
        links
    }
}

pub(super) fn earliest(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

struct LocalSlot {
    addr: Addr<PeerActor>,
    inbox: BinaryHeap<Reverse<Input>>,
    timer: Option<SimTime>,
}

impl LocalSlot {
    fn wake(&self) -> Option<SimTime> {
        earliest(self.inbox.peek().map(|Reverse(i)| i.at), self.timer)
    }
}

pub(super) struct Driver {
    shard: usize,
    shards: usize,
    /// The window length (the smallest link latency).
    window: Duration,
    slots: Vec<LocalSlot>,
    wakes: BinaryHeap<Reverse<(SimTime, usize)>>,
    collector: Arc<Collector>,
    links: Links,
    /// Packets for other shards' slots, by shard, handed over at the window's end.
    outbox: Vec<Vec<(u32, Input)>>,
    /// Events of the batch so far, and slot runs.
    events: Vec<(SimTime, u32, SlotEvent)>,
    runs: u64,
    /// Packets sent, over the whole run (for the window benchmark).
    pub(super) packets: u64,
    /// Buffers kept from window to window rather than allocated for each slot run.
    spare: Spare,
}

/// Emptied buffers for the next window: no allocation per slot run once they have grown.
/// Per-slot buffers that grew past [`Spare::KEEP`] entries (a bootnode's first windows) are
/// dropped rather than kept, so that the pool holds little memory.
#[derive(Default)]
struct Spare {
    due: Vec<usize>,
    results: Vec<(usize, WindowOut)>,
    inputs: Vec<Vec<Input>>,
    outgoing: Vec<Vec<Outgoing>>,
}

impl Spare {
    const KEEP: usize = 16;

    fn keep_inputs(&mut self, v: Vec<Input>) {
        if v.capacity() <= Self::KEEP {
            self.inputs.push(v);
        }
    }

    fn keep_outgoing(&mut self, v: Vec<Outgoing>) {
        if v.capacity() <= Self::KEEP {
            self.outgoing.push(v);
        }
    }
}

impl Driver {
    /// The driver of shard `shard` of `shards`, its slots' actors started (call it inside the
    /// shard's actix system).
    pub(super) fn new(shard: usize, shards: usize, shared: Arc<Shared>, links: Links) -> Driver {
        let mut slots = Vec::new();
        let mut index = shard as u32;
        while index < shared.peers {
            let nat = shared.nat.get(index as usize).copied().unwrap_or(false);
            let runner = PeerRunner::new(index, shared.clone(), nat);
            slots.push(LocalSlot {
                addr: PeerActor::new(runner).start(),
                inbox: BinaryHeap::new(),
                timer: None,
            });
            index += shards as u32;
        }
        Driver {
            shard,
            shards,
            window: shared.network.latency.min_latency(),
            slots,
            wakes: BinaryHeap::new(),
            collector: Arc::new(Collector::default()),
            links,
            outbox: (0..shards).map(|_| Vec::new()).collect(),
            events: Vec::new(),
            runs: 0,
            packets: 0,
            spare: Spare::default(),
        }
    }

    /// Every local slot's input digest, by slot.
    pub(super) async fn digests(&self) -> Vec<(u32, Option<[u8; 32]>)> {
        let mut out = Vec::with_capacity(self.slots.len());
        for (l, s) in self.slots.iter().enumerate() {
            let d = s.addr.send(TakeDigest).await.expect("actor alive");
            out.push((Slot::from_local(l, self.shard, self.shards).0, d));
        }
        out
    }

    fn local(&self, slot: u32) -> usize {
        Slot(slot).local_in(self.shards)
    }

    fn push_wake(&mut self, local: usize) {
        if let Some(t) = self.slots[local].wake() {
            self.wakes.push(Reverse((t, local)));
        }
    }

    fn deliver(&mut self, slot: u32, input: Input) {
        let l = self.local(slot);
        let before = self.slots[l].wake();
        self.slots[l].inbox.push(Reverse(input));
        if self.slots[l].wake() != before {
            self.push_wake(l);
        }
    }

    /// Runs every local slot with work before `until` once.
    async fn window(&mut self, until: SimTime) {
        // Every slot with work before `until` runs once: what one sends in this window arrives
        // after it, so the slots are independent and can all be started before any answers.
        let mut due = std::mem::take(&mut self.spare.due);
        due.clear();
        while let Some(Reverse((t, l))) = self.wakes.peek().copied() {
            if t >= until {
                break;
            }
            self.wakes.pop();
            if self.slots[l].wake() != Some(t) {
                continue; // stale entry
            }
            due.push(l);
            // Mark it as not waiting until its run reports its next wake-up.
            self.slots[l].timer = None;
        }
        if due.is_empty() {
            self.spare.due = due;
            return;
        }
        // A slot can still be due twice (an inbox entry and a timer wake-up): run it once.
        due.sort_unstable();
        due.dedup();
        self.runs += due.len() as u64;
        self.collector.expect(due.len());
        for &l in &due {
            let mut batch = self.spare.inputs.pop().unwrap_or_default();
            while self.slots[l]
                .inbox
                .peek()
                .is_some_and(|Reverse(i)| i.at < until)
            {
                batch.push(self.slots[l].inbox.pop().expect("peeked").0);
            }
            self.slots[l].addr.do_send(RunWindow {
                local: l,
                until,
                inputs: batch,
                outgoing: self.spare.outgoing.pop().unwrap_or_default(),
                collector: self.collector.clone(),
            });
        }
        self.spare.due = due;
        self.collector.done.notified().await;
        let mut results = std::mem::take(&mut self.spare.results);
        self.collector.take_into(&mut results);
        for (l, mut reply) in results.drain(..) {
            self.slots[l].timer = reply.next_wake;
            self.push_wake(l);
            let slot = Slot::from_local(l, self.shard, self.shards).0;
            self.events
                .extend(reply.events.into_iter().map(|(t, e)| (t, slot, e)));
            self.spare.keep_inputs(reply.spent);
            for o in reply.outgoing.drain(..) {
                debug_assert!(
                    o.input.at >= until,
                    "packet arrives inside the window it was sent in"
                );
                self.packets += matches!(o.input.kind, InputKind::Packet { .. }) as u64;
                let s = Slot(o.to).shard_of(self.shards);
                if s == self.shard {
                    self.deliver(o.to, o.input);
                } else {
                    self.outbox[s].push((o.to, o.input));
                }
            }
            self.spare.keep_outgoing(reply.outgoing);
        }
        self.spare.results = results;
    }

    /// The earliest instant a local slot has work.
    pub(super) fn next_wake(&mut self) -> Option<SimTime> {
        loop {
            match self.wakes.peek().copied() {
                Some(Reverse((t, l))) if self.slots[l].wake() != Some(t) => {
                    self.wakes.pop();
                }
                Some(Reverse((t, _))) => return Some(t),
                None => return None,
            }
        }
    }

    /// Hands every other shard the packets for its slots and takes theirs: returns the earliest
    /// instant any shard has work, the same in every shard (`None` if a shard is gone).
    fn exchange(&mut self) -> Option<Option<SimTime>> {
        let mut work = self.next_wake();
        for (_, input) in self.outbox.iter().flatten() {
            work = earliest(work, Some(input.at));
        }
        for s in 0..self.shards {
            if let Some(tx) = &self.links.to[s] {
                let inputs = std::mem::take(&mut self.outbox[s]);
                tx.send(Exchange { inputs, work }).ok()?;
            }
        }
        let mut all = work;
        for s in 0..self.shards {
            let Some(rx) = &self.links.from[s] else {
                continue;
            };
            let mut x = rx.recv().ok()?;
            all = earliest(all, x.work);
            for (slot, input) in x.inputs.drain(..) {
                self.deliver(slot, input);
            }
            // The buffer goes back to its sender with this shard's next packets for it.
            if self.outbox[s].is_empty() {
                self.outbox[s] = x.inputs;
            }
        }
        Some(all)
    }

    /// Delivers the coordinator's inputs and runs `batch`; `None` if another shard is gone.
    pub(super) async fn run(
        &mut self,
        batch: Batch,
        inputs: Vec<(u32, Input)>,
    ) -> Option<ShardReply> {
        for (slot, input) in inputs {
            self.deliver(slot, input);
        }
        let mut until = batch.until;
        let mut windows = 0;
        loop {
            self.window(until).await;
            windows += 1;
            let work = self.exchange()?;
            match batch.next(until, work, self.window) {
                Some(next) => until = next,
                None => break,
            }
        }
        Some(ShardReply::Ran {
            shard: self.shard,
            events: std::mem::take(&mut self.events),
            next_wake: self.next_wake(),
            last: until,
            windows,
            runs: std::mem::take(&mut self.runs),
        })
    }
}

/// A shard's actix system. Its runtime has no I/O or timer drivers: the simulation has neither,
/// and a scheduler turn that polls them costs more than delivering a message. Its callers run
/// the driver inside `tokio::task::unconstrained`, so that tokio's cooperative budget never makes
/// it yield.
pub(super) fn system() -> actix_rt::SystemRunner {
    actix_rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

/// The body of a shard thread.
pub(crate) fn run_shard(
    shard: usize,
    shards: usize,
    shared: Arc<Shared>,
    links: Links,
    mut cmds: UnboundedReceiver<ShardCmd>,
    replies: Sender<ShardReply>,
) {
    let system = system();
    system.block_on(tokio::task::unconstrained(async move {
        let mut driver = Driver::new(shard, shards, shared, links);
        while let Some(cmd) = cmds.recv().await {
            let reply = match cmd {
                ShardCmd::Run { batch, inputs } => match driver.run(batch, inputs).await {
                    Some(r) => r,
                    None => break,
                },
                ShardCmd::Snapshot { slots, full } => {
                    let locals: Vec<usize> = match slots {
                        None => (0..driver.slots.len()).collect(),
                        Some(s) => s.iter().map(|slot| driver.local(*slot)).collect(),
                    };
                    let mut snaps = Vec::with_capacity(locals.len());
                    for l in locals {
                        let msg = TakeSnapshot { full };
                        snaps.push(driver.slots[l].addr.send(msg).await.expect("actor alive"));
                    }
                    ShardReply::Snapshot(snaps)
                }
                ShardCmd::Digests => ShardReply::Digests(driver.digests().await),
                ShardCmd::Stop => break,
            };
            if replies.send(reply).is_err() {
                break;
            }
        }
        actix_rt::System::current().stop();
    }));
}
