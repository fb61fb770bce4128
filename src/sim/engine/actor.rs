//! The actix layer: each peer slot is an actor that owns its runner (and so its protocol state
//! and its rusty-leveldb database, created on the actor's own thread). Actors only move messages:
//! a window's inputs in, the packets and events it produced out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix::{Actor, Context, Handler, Message, MessageResult};

use super::runner::{Outgoing, PeerRunner, SlotEvent};
use super::Input;
use crate::observe::snapshot::Snapshot;
use crate::sim::clock::SimTime;

pub(crate) struct PeerActor {
    runner: PeerRunner,
}

impl PeerActor {
    pub(super) fn new(runner: PeerRunner) -> PeerActor {
        PeerActor { runner }
    }
}

impl Actor for PeerActor {
    type Context = Context<Self>;
}

/// Run the slot up to (excluding) `until` with these inputs, and leave the result with the
/// collector. The driver sends these without waiting for each answer (`do_send`), then waits
/// once for the whole window: half the cost of a request/response per slot.
pub(crate) struct RunWindow {
    pub local: usize,
    pub until: SimTime,
    pub inputs: Vec<Input>,
    /// An empty buffer for the packets the slot sends (the driver reuses buffers).
    pub outgoing: Vec<Outgoing>,
    pub collector: Arc<Collector>,
}

pub(crate) struct WindowOut {
    pub outgoing: Vec<Outgoing>,
    /// The inputs' buffer, emptied, for the driver to reuse.
    pub spent: Vec<Input>,
    pub events: Vec<(SimTime, SlotEvent)>,
    pub next_wake: Option<SimTime>,
}

/// Where the slots of one window leave their results; the last one wakes the driver.
#[derive(Default)]
pub(crate) struct Collector {
    results: Mutex<Vec<(usize, WindowOut)>>,
    remaining: AtomicUsize,
    pub done: tokio::sync::Notify,
}

impl Collector {
    /// Expects `n` results.
    pub(super) fn expect(&self, n: usize) {
        self.remaining.store(n, Ordering::SeqCst);
    }

    /// Swaps the results, by slot, into `out` (empty; its buffer goes to the next window). Their
    /// arrival order is the runtime's business, not the run's.
    pub(super) fn take_into(&self, out: &mut Vec<(usize, WindowOut)>) {
        debug_assert!(out.is_empty());
        std::mem::swap(out, &mut *self.results.lock().expect("not poisoned"));
        out.sort_unstable_by_key(|(l, _)| *l);
    }
}

impl Message for RunWindow {
    type Result = ();
}

impl Handler<RunWindow> for PeerActor {
    type Result = ();

    fn handle(&mut self, msg: RunWindow, _: &mut Context<Self>) {
        let (mut inputs, mut outgoing) = (msg.inputs, msg.outgoing);
        self.runner.run(msg.until, &mut inputs, &mut outgoing);
        let out = WindowOut {
            outgoing,
            spent: inputs,
            events: self.runner.take_events(),
            next_wake: self.runner.next_wake(),
        };
        let c = &msg.collector;
        c.results
            .lock()
            .expect("not poisoned")
            .push((msg.local, out));
        if c.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
            c.done.notify_one();
        }
    }
}

/// Report the slot's state for a metrics sample (`full`) or a bootstrap check.
pub(crate) struct TakeSnapshot {
    pub full: bool,
}

impl Message for TakeSnapshot {
    type Result = Snapshot;
}

impl Handler<TakeSnapshot> for PeerActor {
    type Result = MessageResult<TakeSnapshot>;

    fn handle(&mut self, msg: TakeSnapshot, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.runner.snapshot(msg.full))
    }
}

/// Report the digest of the slot's inputs.
pub(crate) struct TakeDigest;

impl Message for TakeDigest {
    type Result = Option<[u8; 32]>;
}

impl Handler<TakeDigest> for PeerActor {
    type Result = Option<[u8; 32]>;

    fn handle(&mut self, _: TakeDigest, _: &mut Context<Self>) -> Self::Result {
        self.runner.digest()
    }
}
