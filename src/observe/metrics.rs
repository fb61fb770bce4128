//! The observer: ground truth about who is alive, and the metrics computed against it.
//!
//! Every sample looks at each live peer's table and asks how it compares with what an omniscient
//! observer knows: how many entries point at peers that are gone (or have since changed identity),
//! how many of the peer's true 16 closest live peers it knows (recall), and how much of the table
//! it could ideally fill it has filled. Network-wide traffic is the difference of the peers'
//! cumulative counters between samples.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::discv4::node::{Node, NodeHash, NodeId};
use crate::discv4::packet::PacketKind;
use crate::discv4::protocol::{PeerStats, ProbeResult};
use crate::discv4::table::TableConfig;
use crate::observe::snapshot::{id_prefix, SessionEnd, Snapshot};
use crate::observe::truth::TruthIndex;
use crate::sim::clock::SimTime;

/// When a peer has bootstrapped and when the network counts as converged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvergenceCriteria {
    /// A peer has converged when its recall reaches this (0.9).
    pub recall: f64,
    /// The network has converged when this share of live peers has (0.95).
    pub share: f64,
    /// A peer's table is full enough when this share of its ideal table is filled (0.75; a
    /// settled geth-2018 network sits around 0.8 to 0.9).
    pub fill: f64,
    /// Peers still bootstrapping are checked for recall and fill between samples, at a gap
    /// of `check_growth` times the time since their start but at least `check_interval`, on a
    /// grid of `check_interval` (1 s and 0.1): bootstrap times are exact to 10 % or 1 s, with a
    /// few dozen checks per episode however long it takes.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub check_interval: Duration,
    /// The gap between two checks of a bootstrapping peer as a share of its age (0.1).
    pub check_growth: f64,
}

impl Default for ConvergenceCriteria {
    fn default() -> Self {
        ConvergenceCriteria {
            recall: 0.9,
            share: 0.95,
            fill: 0.75,
            check_interval: Duration::from_secs(1),
            check_growth: 0.1,
        }
    }
}

/// How a bootstrap episode began.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EpisodeKind {
    /// The slot's first start.
    Join,
    /// Back after leaving, database kept.
    Return,
    /// Stopped and started at once, database kept.
    Restart,
    /// A new identity with an empty database.
    Fresh,
    /// A restart (database kept) onto another node-database version or protocol profile.
    Upgrade,
}

impl EpisodeKind {
    /// The lower-case name written in the `kind` column of `peers.csv`.
    pub fn name(self) -> &'static str {
        match self {
            EpisodeKind::Join => "join",
            EpisodeKind::Return => "return",
            EpisodeKind::Restart => "restart",
            EpisodeKind::Fresh => "fresh",
            EpisodeKind::Upgrade => "upgrade",
        }
    }
}

/// One peer's (re)bootstrap: from a join or restart until it left or the run ended. Times are
/// virtual seconds; the `*_seconds` are measured from `at` and are `None` when never reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    /// The peer slot.
    pub slot: u32,
    /// What began it.
    pub kind: EpisodeKind,
    /// Seconds since the start of the run.
    pub at: f64,
    /// Seconds offline before this episode (for returns and restarts of stopped peers).
    pub downtime: Option<f64>,
    /// Records in the node database when the peer started (after any version flush).
    pub db_records: Option<usize>,
    /// The database was flushed at the start for holding another version.
    pub version_flushed: bool,
    /// Seeds the node database gave at the start (bootnodes not counted).
    pub seeds_tried: usize,
    /// Of those, the ones that were a live peer's current identity at that moment.
    pub seeds_alive: usize,
    /// Of the seeds tried, how many the table kept as entries (under geth-2018's unhashed seeds
    /// most land in one bucket and are dropped).
    pub seeds_kept: usize,
    /// Until the first refresh ended.
    pub init_seconds: Option<f64>,
    /// Until recall reached [`ConvergenceCriteria::recall`].
    pub recall_seconds: Option<f64>,
    /// Until the ideal fill reached [`ConvergenceCriteria::fill`].
    pub fill_seconds: Option<f64>,
    /// Packets the peer had sent in this episode when recall was first seen reached.
    pub packets_to_recall: Option<u64>,
    /// Packets the peer had sent in this episode when the fill was first seen reached.
    pub packets_to_fill: Option<u64>,
    /// When the episode ended (the peer left, restarted, or the run ended).
    pub ended: Option<f64>,
    /// Records the expirer deleted during the episode.
    pub records_expired: u64,
    /// Packets the peer sent during the episode, every kind.
    pub packets_sent: u64,
    /// How the peer's dialer did, when it ran one (`protocol.dialer`).
    pub dial: Option<DialEpisode>,
}

impl Episode {
    /// An episode that has just begun: nothing known or reached yet.
    pub fn begun(slot: u32, kind: EpisodeKind, at: f64, downtime: Option<f64>) -> Episode {
        Episode {
            slot,
            kind,
            at,
            downtime,
            db_records: None,
            version_flushed: false,
            seeds_tried: 0,
            seeds_alive: 0,
            seeds_kept: 0,
            init_seconds: None,
            recall_seconds: None,
            fill_seconds: None,
            packets_to_recall: None,
            packets_to_fill: None,
            ended: None,
            records_expired: 0,
            packets_sent: 0,
            dial: None,
        }
    }
}

/// An episode as the dialer lived it: when the peer had peers, and what it spent to get them.
/// Times are seconds from the episode's start, `None` when never reached before it ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DialEpisode {
    /// Until the first peer connected (dialed or inbound, not a useless one).
    pub first_peer_seconds: Option<f64>,
    /// Until half of `maxDynDials` dialed peers were connected (rounded up).
    pub half_peers_seconds: Option<f64>,
    /// Until all `maxDynDials` dialed peers were.
    pub full_peers_seconds: Option<f64>,
    /// Lookups the dialer started in the episode.
    pub lookups: u64,
    /// Dials it tried.
    pub dials: u64,
    /// Of those, the dials that ended without a peer.
    pub dials_failed: u64,
}

/// The dialers at a sample, over the live peers that run one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DialSample {
    /// Mean connected peers (dialed and inbound).
    pub mean_peers: f64,
    /// Share with no peer at all.
    pub no_peer_share: f64,
    /// Lookups the dialers started since the previous sample.
    pub lookups: u64,
}

/// One row of the time series.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Virtual seconds since the start of the run.
    pub t: f64,
    /// Peers online at the sample (bootnodes included).
    pub live_peers: usize,
    /// Live peers whose first refresh has ended.
    pub init_done: usize,
    /// Mean table entries per live peer, dead entries included.
    pub mean_table_size: f64,
    /// Share of all table entries that point at a dead peer or a stale identity.
    pub dead_entry_share: f64,
    /// Mean over live peers of the share of their true `bucket_size` closest live peers that
    /// their table holds (1 when no other peer is live).
    pub mean_recall: f64,
    /// Share of live peers whose recall reaches the convergence threshold.
    pub converged_share: f64,
    /// Mean share of the ideal table (what the live peers would allow) that is filled.
    pub mean_ideal_fill: f64,
    /// Mean node-database records per live peer.
    pub mean_db_records: f64,
    /// Mean nodes per live peer's database that it holds anything about (see
    /// [`Snapshot::db_nodes`]). Not a CSV column: `bench` reads it to show what memory grows with.
    pub mean_db_nodes: f64,
    /// Share of the live peers' database records that point at a node no longer alive.
    pub db_stale_share: f64,
    /// Records deleted by the expirers since the previous sample.
    pub records_expired: u64,
    /// Packets sent by all peers since the previous sample, by kind, indexed by
    /// [`PacketKind::index`].
    pub packets: [u64; PacketKind::COUNT],
    /// Bytes of those packets (whole datagrams), by kind.
    pub bytes: [u64; PacketKind::COUNT],
    /// The dialers (all zero without `protocol.dialer`).
    pub dial: DialSample,
}

/// A probe lookup, judged against the truth.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOutcome {
    /// The probe's number: 1 for the run's first probe, counting up in the order they started.
    pub id: u64,
    /// The slot the lookup ran on.
    pub origin: u32,
    /// Virtual seconds since the start of the run at which the probe started.
    pub started: f64,
    /// Virtual time from the start of the probe to the end of its lookup.
    pub duration: Duration,
    /// Whether the true closest live node to the target was among the results.
    pub success: bool,
    /// Hops at which that node was learned, when found.
    pub hops: Option<u32>,
    /// FINDNODE queries the lookup sent.
    pub queries: u32,
}

/// Live identities by ID prefix. A hash map for speed: only looked up, never iterated.
#[allow(clippy::disallowed_types)]
type SlotOfPrefix = std::collections::HashMap<u64, u32>;

/// What the observer knows about each slot.
pub struct Observer {
    start: SimTime,
    table_cfg: TableConfig,
    criteria: ConvergenceCriteria,
    /// Per slot: whether it runs, and its current identity.
    online: Vec<bool>,
    ids: Vec<(NodeId, NodeHash)>,
    /// Current identities by their first 8 bytes (the form tables and databases report).
    slot_of_prefix: SlotOfPrefix,
    /// The truth index of the live peers, rebuilt only after the live set changed.
    truth: Option<TruthIndex>,
    last_totals: PeerStats,
    last_expired: u64,
    samples: Vec<Sample>,
    probes: Vec<ProbeOutcome>,
    episodes: Vec<Episode>,
    /// Per slot: its running episode, its last finished one, and when it last left.
    open: Vec<Option<usize>>,
    closed: Vec<Option<usize>>,
    left_at: Vec<Option<SimTime>>,
    /// When each episode began.
    began: Vec<SimTime>,
    /// Bootstrap checks due, and each slot's next one (entries that differ are stale).
    checks: BTreeSet<(SimTime, u32)>,
    next_check: Vec<Option<SimTime>>,
}

/// How one live peer's table compares with the truth.
struct Judgement {
    recall: f64,
    fill: f64,
    entries: usize,
    dead: usize,
}

impl Observer {
    /// An observer of a run starting at `start`, with every slot offline and `ids[slot]` its
    /// first identity; `table_cfg` says what a full table is, for recall and fill.
    pub fn new(
        start: SimTime,
        table_cfg: TableConfig,
        criteria: ConvergenceCriteria,
        ids: Vec<NodeId>,
    ) -> Observer {
        let n = ids.len();
        Observer {
            start,
            table_cfg,
            criteria,
            online: vec![false; n],
            slot_of_prefix: ids
                .iter()
                .enumerate()
                .map(|(s, id)| (id_prefix(id), s as u32))
                .collect(),
            ids: ids.into_iter().map(|id| (id, id.hash())).collect(),
            truth: None,
            last_totals: PeerStats::default(),
            last_expired: 0,
            samples: Vec::new(),
            probes: Vec::new(),
            episodes: Vec::new(),
            open: vec![None; n],
            closed: vec![None; n],
            left_at: vec![None; n],
            began: Vec::new(),
            checks: BTreeSet::new(),
            next_check: vec![None; n],
        }
    }

    fn secs(&self, t: SimTime) -> f64 {
        t.secs_since(self.start)
    }

    /// A slot went online or offline.
    pub fn set_online(&mut self, slot: u32, online: bool) {
        if self.online[slot as usize] != online {
            self.online[slot as usize] = online;
            self.truth = None;
        }
    }

    /// A slot has a new identity (a fresh install).
    pub fn set_identity(&mut self, slot: u32, id: NodeId) {
        let old = id_prefix(&self.ids[slot as usize].0);
        if self.slot_of_prefix.get(&old) == Some(&slot) {
            self.slot_of_prefix.remove(&old);
        }
        self.slot_of_prefix.insert(id_prefix(&id), slot);
        self.ids[slot as usize] = (id, id.hash());
        self.truth = None;
    }

    /// Whether the slot is online now, according to the scenario (not the peer).
    pub fn is_online(&self, slot: u32) -> bool {
        self.online[slot as usize]
    }

    /// The slots online now, in order.
    pub fn live(&self) -> Vec<u32> {
        (0..self.online.len() as u32)
            .filter(|s| self.online[*s as usize])
            .collect()
    }

    fn truth(&mut self) -> &TruthIndex {
        if self.truth.is_none() {
            let live = self.live().into_iter();
            let ids = &self.ids;
            self.truth = Some(TruthIndex::new(live.map(|s| (ids[s as usize].1, s))));
        }
        self.truth.as_ref().expect("just built")
    }

    fn entry_alive(&self, slot: u32, prefix: u64) -> bool {
        (slot as usize) < self.online.len()
            && self.online[slot as usize]
            && id_prefix(&self.ids[slot as usize].0) == prefix
    }

    /// Whether the node with this ID prefix is a live peer's current identity.
    fn prefix_alive(&self, prefix: u64) -> bool {
        self.slot_of_prefix
            .get(&prefix)
            .is_some_and(|s| self.online[*s as usize])
    }

    /// Whether the slot has ever started (so that its next join is a return).
    pub fn has_started(&self, slot: u32) -> bool {
        self.open[slot as usize].is_some() || self.closed[slot as usize].is_some()
    }

    /// A peer (re)starts at `at`: a bootstrap episode begins.
    pub fn begin_episode(&mut self, slot: u32, at: SimTime, kind: EpisodeKind) {
        self.end_episode(slot, at);
        let downtime = if self.online[slot as usize] {
            None
        } else {
            self.left_at[slot as usize].map(|l| at.secs_since(l))
        };
        self.open[slot as usize] = Some(self.episodes.len());
        self.began.push(at);
        let e = Episode::begun(slot, kind, self.secs(at), downtime);
        self.episodes.push(e);
        self.schedule_check(slot, at);
    }

    /// A peer stops at `at` (it leaves, or is about to restart).
    pub fn end_episode(&mut self, slot: u32, at: SimTime) {
        self.next_check[slot as usize] = None;
        if let Some(e) = self.open[slot as usize].take() {
            self.episodes[e].ended = Some(self.secs(at));
            self.closed[slot as usize] = Some(e);
            self.left_at[slot as usize] = Some(at);
        }
    }

    /// The peer's start report: its database, the seeds it gave (judged alive now) and how many
    /// of them the table kept.
    pub fn peer_started(
        &mut self,
        slot: u32,
        db_records: usize,
        flushed: bool,
        seeds: &[Node],
        seeds_kept: usize,
    ) {
        let alive = seeds
            .iter()
            .filter(|n| self.prefix_alive(id_prefix(&n.id)))
            .count();
        if let Some(e) = self.open[slot as usize] {
            let e = &mut self.episodes[e];
            e.db_records = Some(db_records);
            e.version_flushed = flushed;
            e.seeds_tried = seeds.len();
            e.seeds_alive = alive;
            e.seeds_kept = seeds_kept;
        }
    }

    /// The peer's first refresh ended at `at`.
    pub fn init_done(&mut self, slot: u32, at: SimTime) {
        if let Some(e) = self.open[slot as usize] {
            let t = at.secs_since(self.began[e]);
            self.episodes[e].init_seconds.get_or_insert(t);
        }
    }

    /// The peer stopped: what its last episode's session did.
    pub fn peer_stopped(&mut self, slot: u32, session: &SessionEnd) {
        if let Some(e) = self.closed[slot as usize] {
            self.close_session(e, session);
        }
    }

    /// Records in episode `e` what its session did.
    fn close_session(&mut self, e: usize, session: &SessionEnd) {
        let began = self.began[e];
        let ep = &mut self.episodes[e];
        ep.records_expired = session.records_expired;
        ep.packets_sent = session.packets_sent;
        ep.dial = session.dial.as_ref().map(|d| {
            let since = |m: Option<SimTime>| m.map(|t| t.secs_since(began));
            DialEpisode {
                first_peer_seconds: since(d.milestones[0]),
                half_peers_seconds: since(d.milestones[1]),
                full_peers_seconds: since(d.milestones[2]),
                lookups: d.lookups,
                dials: d.dials,
                dials_failed: d.dials_failed,
            }
        });
    }

    /// Plans the next bootstrap check of `slot` after `now` (see
    /// [`ConvergenceCriteria::check_growth`]), unless its episode has reached both thresholds.
    fn schedule_check(&mut self, slot: u32, now: SimTime) {
        let Some(e) = self.open[slot as usize] else {
            return;
        };
        let ep = &self.episodes[e];
        if ep.recall_seconds.is_some() && ep.fill_seconds.is_some() {
            self.next_check[slot as usize] = None;
            return;
        }
        let step = self.criteria.check_interval.as_micros().max(1) as u64;
        let age = now.saturating_since(self.began[e]).as_micros() as u64;
        let gap = step.max((age as f64 * self.criteria.check_growth) as u64);
        // On the grid, so that peers due about the same time are checked together.
        let since = now.saturating_since(self.start).as_micros() as u64 + gap;
        let at = self.start + Duration::from_micros(since.div_ceil(step) * step);
        self.next_check[slot as usize] = Some(at);
        self.checks.insert((at, slot));
    }

    /// Whether a planned check is still the slot's current one (not superseded by a later
    /// plan, the end of its episode, or the slot going offline).
    fn check_current(&self, t: SimTime, slot: u32) -> bool {
        self.next_check[slot as usize] == Some(t) && self.online[slot as usize]
    }

    /// When the next bootstrap check is due.
    pub fn next_check(&mut self) -> Option<SimTime> {
        while let Some(&(t, slot)) = self.checks.first() {
            if self.check_current(t, slot) {
                return Some(t);
            }
            self.checks.pop_first();
        }
        None
    }

    /// The slots whose bootstrap check is due at or before `now`, in order.
    pub fn due_checks(&mut self, now: SimTime) -> Vec<u32> {
        let mut due = Vec::new();
        while let Some(&(t, slot)) = self.checks.first() {
            if t > now {
                break;
            }
            self.checks.pop_first();
            if self.check_current(t, slot) {
                self.next_check[slot as usize] = None;
                due.push(slot);
            }
        }
        due.sort_unstable();
        due.dedup();
        due
    }

    /// Compares a live peer's table with the truth.
    fn judge(&mut self, s: &Snapshot) -> Judgement {
        let k = self.table_cfg.bucket_size;
        let (bmin, nb) = (self.table_cfg.bucket_min_distance, self.table_cfg.n_buckets);
        let mine = self.ids[s.index as usize].1;
        let mut alive_slots = Vec::with_capacity(s.table.len());
        let mut dead = 0;
        for &(slot, prefix) in &s.table {
            if self.entry_alive(slot, prefix) {
                if slot != s.index {
                    alive_slots.push(slot);
                }
            } else {
                dead += 1;
            }
        }
        alive_slots.sort_unstable();
        let truth = self.truth();
        let closest = truth.closest(&mine, k, Some(s.index));
        let recall = if closest.is_empty() {
            1.0
        } else {
            let hits = closest
                .iter()
                .filter(|c| alive_slots.binary_search(c).is_ok())
                .count();
            hits as f64 / closest.len() as f64
        };
        let ideal = truth.ideal_table_size(&mine, Some(s.index), k, bmin, nb);
        let fill = if ideal == 0 {
            1.0
        } else {
            (alive_slots.len() as f64 / ideal as f64).min(1.0)
        };
        Judgement {
            recall,
            fill,
            entries: s.table.len(),
            dead,
        }
    }

    /// Records the first time a bootstrapping peer is seen past each threshold.
    fn note_progress(&mut self, now: SimTime, s: &Snapshot, j: &Judgement) {
        let Some(e) = self.open[s.index as usize] else {
            return;
        };
        let t = now.secs_since(self.began[e]);
        let (recall, fill) = (self.criteria.recall, self.criteria.fill);
        let e = &mut self.episodes[e];
        if e.recall_seconds.is_none() && j.recall >= recall {
            e.recall_seconds = Some(t);
            e.packets_to_recall = Some(s.session_sent);
        }
        if e.fill_seconds.is_none() && j.fill >= fill {
            e.fill_seconds = Some(t);
            e.packets_to_fill = Some(s.session_sent);
        }
    }

    /// A bootstrap check of the slots [`Observer::due_checks`] gave, from their snapshots.
    pub fn check(&mut self, now: SimTime, snaps: &[Snapshot]) {
        for s in snaps {
            if s.online && self.online[s.index as usize] {
                let j = self.judge(s);
                self.note_progress(now, s, &j);
            }
            self.schedule_check(s.index, now);
        }
    }

    /// Computes a sample from every slot's full snapshot (sorted by slot).
    pub fn sample(&mut self, now: SimTime, snaps: &[Snapshot]) -> &Sample {
        let (mut live, mut init_done, mut table_total, mut dead, mut entries) =
            (0usize, 0usize, 0usize, 0usize, 0usize);
        let (mut recall_sum, mut converged, mut fill_sum, mut db_sum, mut db_nodes) =
            (0.0f64, 0usize, 0.0f64, 0usize, 0usize);
        let (mut db_ids, mut db_stale, mut expired) = (0usize, 0usize, 0u64);
        let (mut dialers, mut dial_peers, mut no_peer) = (0usize, 0usize, 0usize);
        let mut totals = PeerStats::default();
        for s in snaps {
            totals += &s.protocol;
            expired += s.expired_total;
            if !s.online || !self.online[s.index as usize] {
                continue;
            }
            live += 1;
            init_done += s.init_done as usize;
            if let Some(d) = &s.dial {
                dialers += 1;
                dial_peers += d.dyn_peers + d.inbound_peers;
                no_peer += (d.dyn_peers + d.inbound_peers == 0) as usize;
            }
            db_sum += s.db_records;
            db_nodes += s.db_nodes;
            table_total += s.table.len();
            db_ids += s.db_ids.len();
            db_stale += s.db_ids.iter().filter(|p| !self.prefix_alive(**p)).count();
            let j = self.judge(s);
            self.note_progress(now, s, &j);
            entries += j.entries;
            dead += j.dead;
            recall_sum += j.recall;
            converged += (j.recall >= self.criteria.recall) as usize;
            fill_sum += j.fill;
        }
        let mut packets = [0u64; PacketKind::COUNT];
        let mut bytes = [0u64; PacketKind::COUNT];
        for kind in PacketKind::ALL {
            let i = kind.index();
            packets[i] = totals.sent[i] - self.last_totals.sent[i];
            bytes[i] = totals.sent_bytes[i] - self.last_totals.sent_bytes[i];
        }
        let dial_lookups = totals.dialer_lookups - self.last_totals.dialer_lookups;
        self.last_totals = totals;
        // Expiry counts of databases discarded by fresh installs are kept by their runners, so
        // the total never decreases.
        let records_expired = expired.saturating_sub(self.last_expired);
        self.last_expired = expired;
        let share = |part: usize, whole: usize| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let per = |x: f64| if live == 0 { 0.0 } else { x / live as f64 };
        self.samples.push(Sample {
            t: self.secs(now),
            live_peers: live,
            init_done,
            mean_table_size: per(table_total as f64),
            dead_entry_share: share(dead, entries),
            mean_recall: per(recall_sum),
            converged_share: per(converged as f64),
            mean_ideal_fill: per(fill_sum),
            mean_db_records: per(db_sum as f64),
            mean_db_nodes: per(db_nodes as f64),
            db_stale_share: share(db_stale, db_ids),
            records_expired,
            packets,
            bytes,
            dial: DialSample {
                mean_peers: if dialers == 0 {
                    0.0
                } else {
                    dial_peers as f64 / dialers as f64
                },
                no_peer_share: share(no_peer, dialers),
                lookups: dial_lookups,
            },
        });
        self.samples.last().expect("just pushed")
    }

    /// Judges a finished probe against the live peers now.
    pub fn probe_done(&mut self, origin: u32, r: &ProbeResult) {
        let target = r.target.hash();
        let best = self.truth().closest(&target, 1, None).first().copied();
        let found = best.and_then(|b| {
            let id = self.ids[b as usize].0;
            r.result.iter().find(|(n, _)| n.id == id).map(|(_, h)| *h)
        });
        self.probes.push(ProbeOutcome {
            id: r.id,
            origin,
            started: self.secs(r.started),
            duration: r.finished.saturating_since(r.started),
            success: found.is_some(),
            hops: found,
            queries: r.queries,
        });
    }

    /// Closes the episodes still running at the end of the run, with their final snapshots.
    pub fn finish(&mut self, end: SimTime, snaps: &[Snapshot]) {
        for s in snaps {
            if let Some(e) = self.open[s.index as usize].take() {
                self.episodes[e].ended = Some(self.secs(end));
                self.close_session(e, &s.session());
            }
        }
    }

    /// The first sample at which the network had converged, as seconds since the start.
    pub fn convergence_time(&self) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.live_peers > 0 && s.converged_share >= self.criteria.share)
            .map(|s| s.t)
    }

    /// The time series so far, one [`Sample`] per sample interval.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The probes judged so far, in the order they finished.
    pub fn probes(&self) -> &[ProbeOutcome] {
        &self.probes
    }

    /// Every bootstrap episode so far, in the order they began.
    pub fn episodes(&self) -> &[Episode] {
        &self.episodes
    }

    /// The samples, probes and episodes, for [`SimOutput`](crate::sim::engine::SimOutput).
    pub fn into_parts(self) -> (Vec<Sample>, Vec<ProbeOutcome>, Vec<Episode>) {
        (self.samples, self.probes, self.episodes)
    }
}
