//! The actix layer: each peer slot is an actor that owns its runner (and so its protocol state
//! and its rusty-leveldb database, created on the actor's own thread). Actors only move messages:
//! a window's inputs in, the packets and events it produced out.

use actix::{Actor, Context, Handler, Message, MessageResult};

use super::runner::{Outgoing, PeerRunner, Snapshot};
use super::Input;
use crate::clock::SimTime;
use crate::protocol::PeerEvent;

pub(crate) struct PeerActor {
    runner: PeerRunner,
}

impl PeerActor {
    pub fn new(runner: PeerRunner) -> PeerActor {
        PeerActor { runner }
    }
}

impl Actor for PeerActor {
    type Context = Context<Self>;
}

/// Run the slot up to (excluding) `until` with these inputs.
pub(crate) struct RunWindow {
    pub until: SimTime,
    pub inputs: Vec<Input>,
}

pub(crate) struct WindowOut {
    pub outgoing: Vec<Outgoing>,
    pub events: Vec<(SimTime, PeerEvent)>,
    pub next_wake: Option<SimTime>,
}

impl Message for RunWindow {
    type Result = WindowOut;
}

impl Handler<RunWindow> for PeerActor {
    type Result = MessageResult<RunWindow>;

    fn handle(&mut self, msg: RunWindow, _: &mut Context<Self>) -> Self::Result {
        let mut outgoing = Vec::new();
        self.runner.run(msg.until, msg.inputs, &mut outgoing);
        MessageResult(WindowOut {
            outgoing,
            events: self.runner.take_events(),
            next_wake: self.runner.next_wake(),
        })
    }
}

/// Report the slot's state for a metrics sample.
pub(crate) struct TakeSnapshot;

impl Message for TakeSnapshot {
    type Result = Snapshot;
}

impl Handler<TakeSnapshot> for PeerActor {
    type Result = MessageResult<TakeSnapshot>;

    fn handle(&mut self, _: TakeSnapshot, _: &mut Context<Self>) -> Self::Result {
        MessageResult(self.runner.snapshot())
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
