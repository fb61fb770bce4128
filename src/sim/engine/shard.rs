//! A shard: one thread with its own actix system, hosting the actors of every slot `i` with
//! `i % shards == shard`. Its driver keeps each local slot's inbox and wake-up time, runs the slots
//! that have work in a window one after another, delivers packets between its own slots directly,
//! and hands packets for other shards back to the coordinator at the window's end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::Sender;
use std::sync::Arc;

use actix::{Actor, Addr};
use tokio::sync::mpsc::UnboundedReceiver;

use super::actor::{Collector, PeerActor, RunWindow, TakeDigest, TakeSnapshot};
use super::runner::{Outgoing, PeerRunner, SlotEvent};
use super::{Input, Shared, Slot};
use crate::observe::snapshot::Snapshot;
use crate::sim::clock::SimTime;

pub(crate) enum ShardCmd {
    /// Deliver these inputs (to this shard's slots) and run every slot up to `until`.
    Window {
        until: SimTime,
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
    Window {
        shard: usize,
        /// Packets for slots of other shards.
        outgoing: Vec<Outgoing>,
        events: Vec<(SimTime, u32, SlotEvent)>,
        next_wake: Option<SimTime>,
        /// Slot runs in this window (for the benchmark's event count).
        runs: u64,
    },
    Snapshot(Vec<Snapshot>),
    Digests(Vec<(u32, Option<[u8; 32]>)>),
}

struct LocalSlot {
    addr: Addr<PeerActor>,
    inbox: BinaryHeap<Reverse<Input>>,
    timer: Option<SimTime>,
}

impl LocalSlot {
    fn wake(&self) -> Option<SimTime> {
        let inbox = self.inbox.peek().map(|Reverse(i)| i.at);
        match (inbox, self.timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

struct Driver {
    shard: usize,
    shards: usize,
    slots: Vec<LocalSlot>,
    wakes: BinaryHeap<Reverse<(SimTime, usize)>>,
    collector: Arc<Collector>,
}

impl Driver {
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

    async fn window(&mut self, until: SimTime, inputs: Vec<(u32, Input)>) -> ShardReply {
        for (slot, input) in inputs {
            self.deliver(slot, input);
        }
        let mut outgoing = Vec::new();
        let mut events = Vec::new();
        // Every slot with work before `until` runs once: what one sends in this window arrives
        // after it, so the slots are independent and can all be started before any answers.
        let mut due = Vec::new();
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
        // A slot can still be due twice (an inbox entry and a timer wake-up): run it once.
        due.sort_unstable();
        due.dedup();
        let runs = due.len() as u64;
        if !due.is_empty() {
            self.collector.expect(due.len());
            for &l in &due {
                let mut batch = Vec::new();
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
                    collector: self.collector.clone(),
                });
            }
            self.collector.done.notified().await;
        }
        for (l, reply) in self.collector.take() {
            self.slots[l].timer = reply.next_wake;
            self.push_wake(l);
            let slot = Slot::from_local(l, self.shard, self.shards).0;
            events.extend(reply.events.into_iter().map(|(t, e)| (t, slot, e)));
            for o in reply.outgoing {
                debug_assert!(
                    o.input.at >= until,
                    "packet arrives inside the window it was sent in"
                );
                if Slot(o.to).shard_of(self.shards) == self.shard {
                    self.deliver(o.to, o.input);
                } else {
                    outgoing.push(o);
                }
            }
        }
        let next_wake = loop {
            match self.wakes.peek().copied() {
                Some(Reverse((t, l))) if self.slots[l].wake() != Some(t) => {
                    self.wakes.pop();
                }
                Some(Reverse((t, _))) => break Some(t),
                None => break None,
            }
        };
        ShardReply::Window {
            shard: self.shard,
            outgoing,
            events,
            next_wake,
            runs,
        }
    }
}

/// The body of a shard thread.
pub(crate) fn run_shard(
    shard: usize,
    shards: usize,
    shared: Arc<Shared>,
    mut cmds: UnboundedReceiver<ShardCmd>,
    replies: Sender<ShardReply>,
) {
    // A runtime without I/O or timer drivers: the simulation has neither, and a scheduler turn
    // that polls them costs more than delivering a message.
    let system = actix_rt::System::with_tokio_rt(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    });
    system.block_on(tokio::task::unconstrained(async move {
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
        let mut driver = Driver {
            shard,
            shards,
            slots,
            wakes: BinaryHeap::new(),
            collector: Arc::new(Collector::default()),
        };
        while let Some(cmd) = cmds.recv().await {
            let reply = match cmd {
                ShardCmd::Window { until, inputs } => driver.window(until, inputs).await,
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
                ShardCmd::Digests => {
                    let mut out = Vec::with_capacity(driver.slots.len());
                    for (l, s) in driver.slots.iter().enumerate() {
                        let d = s.addr.send(TakeDigest).await.expect("actor alive");
                        out.push(((l * shards + shard) as u32, d));
                    }
                    ShardReply::Digests(out)
                }
                ShardCmd::Stop => break,
            };
            if replies.send(reply).is_err() {
                break;
            }
        }
        actix_rt::System::current().stop();
    }));
}
