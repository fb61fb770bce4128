//! The coordinator: it owns virtual time. It hands scenario actions to slots, runs the shards
//! window by window, routes the packets that cross shards, and lets the observer sample
//! between windows.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use super::runner::SlotEvent;
use super::shard::{self, Batch, Links, ShardCmd, ShardReply};
use super::timeline::Timeline;
use super::{identity, Control, Input, RunCounters, Shared, SimConfig, SimError, SimOutput, Slot};
use crate::discv4::node::NodeId;
use crate::discv4::protocol::{PeerEvent, PeerStats};
use crate::observe::metrics::{EpisodeKind, Observer, Sample};
use crate::observe::snapshot::{SlotStats, Snapshot};
use crate::sim::clock::SimTime;
use crate::sim::rng::{stream, Purpose};

pub(crate) struct Coordinator<'a> {
    cfg: &'a SimConfig,
    shards: usize,
    window: Duration,
    to_shards: Vec<tokio::sync::mpsc::UnboundedSender<ShardCmd>>,
    from_shards: mpsc::Receiver<ShardReply>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Inputs waiting to be handed to each shard.
    outbox: Vec<Vec<(u32, Input)>>,
    /// Scenario actions by time.
    timeline: Timeline,
    incarnation: Vec<u64>,
    observer: Observer,
    obs_rng: rand_chacha::ChaCha8Rng,
    next_probe_id: u64,
    counters: RunCounters,
    shard_wake: Vec<Option<SimTime>>,
}

impl<'a> Coordinator<'a> {
    pub(crate) fn new(cfg: &'a SimConfig) -> Coordinator<'a> {
        let shards = cfg.threads.min(cfg.peers as usize).max(1);
        let ids: Vec<NodeId> = (0..cfg.peers).map(|i| identity(cfg.seed, i, 0)).collect();
        let shared = Arc::new(Shared::from_config(cfg));
        let (reply_tx, from_shards) = mpsc::channel();
        let mut to_shards = Vec::new();
        let mut threads = Vec::new();
        for (s, links) in Links::mesh(shards).into_iter().enumerate() {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            to_shards.push(tx);
            let shared = shared.clone();
            let reply_tx = reply_tx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("discsim-shard-{s}"))
                    .spawn(move || shard::run_shard(s, shards, shared, links, rx, reply_tx))
                    .expect("spawn shard thread"),
            );
        }
        let observer = Observer::new(
            cfg.start,
            cfg.protocol.table.clone(),
            cfg.convergence.clone(),
            ids,
        );
        Coordinator {
            cfg,
            shards,
            window: cfg.network.latency.min_latency(),
            to_shards,
            from_shards,
            threads,
            outbox: vec![Vec::new(); shards],
            timeline: Timeline::from_config(cfg),
            incarnation: vec![0; cfg.peers as usize],
            observer,
            obs_rng: stream(cfg.seed, Purpose::Observer, 0, 0),
            next_probe_id: 0,
            counters: RunCounters::default(),
            shard_wake: vec![None; shards],
        }
    }

    /// Hands a scenario action to its slot and updates the observer's truth at the same instant.
    fn dispatch(&mut self, at: SimTime, slot: u32, control: Control) {
        match &control {
            Control::Join => {
                if !self.observer.is_online(slot) {
                    let kind = if self.observer.has_started(slot) {
                        EpisodeKind::Return
                    } else {
                        EpisodeKind::Join
                    };
                    self.observer.begin_episode(slot, at, kind);
                }
                self.observer.set_online(slot, true);
            }
            Control::Leave => {
                self.observer.end_episode(slot, at);
                self.observer.set_online(slot, false);
            }
            Control::Restart {
                fresh,
                db_version,
                profile,
            } => {
                if *fresh {
                    self.incarnation[slot as usize] += 1;
                    let id = identity(self.cfg.seed, slot, self.incarnation[slot as usize]);
                    self.observer.set_identity(slot, id);
                }
                let upgrade = db_version.is_some() || profile.is_some();
                let kind = match (fresh, upgrade) {
                    (true, _) => EpisodeKind::Fresh,
                    (false, true) => EpisodeKind::Upgrade,
                    (false, false) => EpisodeKind::Restart,
                };
                self.observer.begin_episode(slot, at, kind);
                self.observer.set_online(slot, true);
            }
            Control::Probe { .. } => {}
        }
        let input = self.timeline.input(at, control);
        self.outbox[Slot(slot).shard_of(self.shards)].push((slot, input));
    }

    fn send_all(&self, cmd: impl Fn() -> ShardCmd) -> Result<(), SimError> {
        for tx in &self.to_shards {
            tx.send(cmd())
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        Ok(())
    }

    fn recv(&self) -> Result<ShardReply, SimError> {
        self.from_shards
            .recv()
            .map_err(|_| SimError::Runtime("a shard thread exited".into()))
    }

    /// Snapshots of every slot (`slots` = `None`) or of some, sorted by slot; `full` ones carry
    /// database contents.
    fn snapshots(
        &mut self,
        slots: Option<Vec<u32>>,
        full: bool,
    ) -> Result<Vec<Snapshot>, SimError> {
        let mut per_shard: Vec<Option<Vec<u32>>> = vec![None; self.shards];
        if let Some(slots) = slots {
            let mut split = vec![Vec::new(); self.shards];
            for s in slots {
                split[Slot(s).shard_of(self.shards)].push(s);
            }
            per_shard = split.into_iter().map(Some).collect();
        }
        for (tx, slots) in self.to_shards.iter().zip(per_shard) {
            tx.send(ShardCmd::Snapshot { slots, full })
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        let mut all = Vec::with_capacity(self.cfg.peers as usize);
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Snapshot(s) => all.extend(s),
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        all.sort_by_key(|s| s.index);
        Ok(all)
    }

    fn start_probe(&mut self, at: SimTime) {
        let live = self.observer.live();
        if live.is_empty() {
            return;
        }
        let origin = live[rand::RngExt::random_range(&mut self.obs_rng, 0..live.len())];
        let target = NodeId::random(&mut self.obs_rng);
        self.next_probe_id += 1;
        let id = self.next_probe_id;
        self.dispatch(at, origin, Control::Probe { id, target });
    }

    fn handle_events(&mut self, mut events: Vec<(SimTime, u32, SlotEvent)>) {
        // Stable: one slot's events keep their order.
        events.sort_by_key(|(t, slot, _)| (*t, *slot));
        for (t, slot, e) in events {
            match e {
                SlotEvent::Peer(PeerEvent::Started {
                    db_records,
                    version_flushed,
                    seeds,
                    seeds_kept,
                }) => self.observer.peer_started(
                    slot,
                    db_records,
                    version_flushed,
                    &seeds,
                    seeds_kept,
                ),
                SlotEvent::Peer(PeerEvent::InitDone { .. }) => self.observer.init_done(slot, t),
                SlotEvent::Peer(PeerEvent::RefreshDone { .. }) => {}
                SlotEvent::Peer(PeerEvent::ProbeDone(r)) => self.observer.probe_done(slot, &r),
                SlotEvent::Stopped(session) => self.observer.peer_stopped(slot, &session),
            }
        }
    }

    pub(crate) fn run(mut self, progress: &mut dyn FnMut(&Sample)) -> Result<SimOutput, SimError> {
        let cfg = self.cfg;
        let end = cfg.start + cfg.duration;
        let mut t = cfg.start;
        let mut next_sample = cfg.start + cfg.sample_interval;
        let mut next_probe = cfg.probe_interval.map(|p| cfg.start + p);
        loop {
            let next_check = self.observer.next_check().unwrap_or(end);
            if t >= next_sample {
                let snaps = self.snapshots(None, true)?;
                next_sample += cfg.sample_interval;
                progress(self.observer.sample(t, &snaps));
            }
            if t >= next_check && t < end {
                let due = self.observer.due_checks(t);
                let snaps = self.snapshots(Some(due), false)?;
                self.observer.check(t, &snaps);
                continue;
            }
            if t >= end {
                break;
            }
            if let Some(p) = next_probe.filter(|p| *p <= t) {
                self.start_probe(t);
                next_probe = Some(p + cfg.probe_interval.expect("set"));
            }
            // Jump to the next instant with work.
            let observer_due = end.min(next_sample).min(next_check);
            t = t.max(self.next_work(next_probe.map_or(observer_due, |p| observer_due.min(p))));
            if t >= next_sample || t >= next_check || t >= end || next_probe.is_some_and(|p| p <= t)
            {
                continue;
            }
            let mut until = (t + self.window).min(next_sample).min(next_check).min(end);
            if let Some(p) = next_probe {
                until = until.min(p);
            }
            while let Some((at, slot, control)) = self.timeline.pop_before(until) {
                self.dispatch(at, slot, control);
            }
            // The shards go on by this loop's rule until it reaches one of these instants. A
            // join just dispatched may have planned a check: the next turn of this loop would
            // see it.
            let next_check = self.observer.next_check().unwrap_or(end);
            let mut bound = end.min(next_sample).min(next_check);
            if let Some(p) = next_probe {
                bound = bound.min(p);
            }
            let batch = Batch {
                until,
                bound,
                action: self.timeline.next_at(),
            };
            t = self.run_windows(batch)?;
        }
        self.finish(end)
    }

    /// The first instant at which anything is due: `due` (the observer's and the run's own
    /// deadlines), a scenario action, a peer's timer, or a packet waiting to be handed over.
    fn next_work(&self, due: SimTime) -> SimTime {
        let mut next = due;
        if let Some(at) = self.timeline.next_at() {
            next = next.min(at);
        }
        for w in self.shard_wake.iter().flatten() {
            next = next.min(*w);
        }
        for o in self.outbox.iter().flatten() {
            next = next.min(o.1.at);
        }
        next
    }

    /// The last snapshot, the shards stopped, and the run's totals.
    fn finish(mut self, end: SimTime) -> Result<SimOutput, SimError> {
        let final_snapshots = self.snapshots(None, false)?;
        self.observer.finish(end, &final_snapshots);
        let digest = if self.cfg.trace {
            Some(self.digests()?)
        } else {
            None
        };
        self.send_all(|| ShardCmd::Stop)?;
        for th in self.threads.drain(..) {
            th.join()
                .map_err(|_| SimError::Runtime("a shard thread panicked".into()))?;
        }
        let mut totals = PeerStats::default();
        let mut slot_stats = SlotStats::default();
        for s in &final_snapshots {
            totals += &s.protocol;
            slot_stats += &s.slot_stats;
        }
        self.counters.packets_sent = totals.packets_sent();
        self.counters.bytes_sent = totals.sent_bytes.iter().sum();
        self.counters.packets_received = totals.received.iter().sum::<u64>() + totals.malformed;
        let convergence = self.observer.convergence_time();
        let (samples, probes, episodes) = self.observer.into_parts();
        Ok(SimOutput {
            samples,
            probes,
            convergence,
            final_snapshots,
            totals,
            slot_stats,
            episodes,
            counters: self.counters,
            digest,
        })
    }

    /// Runs a batch of windows (see [`Batch`]); returns where the last one ended.
    fn run_windows(&mut self, batch: Batch) -> Result<SimTime, SimError> {
        for (s, tx) in self.to_shards.iter().enumerate() {
            let inputs = std::mem::take(&mut self.outbox[s]);
            tx.send(ShardCmd::Run { batch, inputs })
                .map_err(|_| SimError::Runtime("a shard thread exited".into()))?;
        }
        let mut events = Vec::new();
        let mut ended = None;
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Ran {
                    shard,
                    events: ev,
                    next_wake,
                    last,
                    windows,
                    runs,
                } => {
                    self.shard_wake[shard] = next_wake;
                    self.counters.slot_runs += runs;
                    events.extend(ev);
                    if ended.is_none() {
                        self.counters.windows += windows;
                    }
                    debug_assert!(ended.is_none_or(|e| e == last), "shards disagree");
                    ended = Some(last);
                }
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        // Sorting by (instant, slot) the events of several windows at once gives the order of
        // handling them window by window: windows do not overlap.
        self.handle_events(events);
        ended.ok_or_else(|| SimError::Runtime("no shard ran".into()))
    }

    fn digests(&mut self) -> Result<[u8; 32], SimError> {
        self.send_all(|| ShardCmd::Digests)?;
        let mut all = Vec::new();
        for _ in 0..self.shards {
            match self.recv()? {
                ShardReply::Digests(d) => all.extend(d),
                _ => return Err(SimError::Runtime("unexpected shard reply".into())),
            }
        }
        Ok(super::run_digest(all))
    }
}
