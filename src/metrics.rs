//! The observer: ground truth about who is alive, and the metrics computed against it.
//!
//! Every sample looks at each live peer's table and asks how it compares with what an omniscient
//! observer knows: how many entries point at peers that are gone (or have since changed identity),
//! how many of the peer's true 16 closest live peers it knows (recall), and how much of the table
//! it could ideally fill it has filled. Network-wide traffic is the difference of the peers'
//! cumulative counters between samples.

use std::time::Duration;

use crate::clock::SimTime;
use crate::engine::runner::{id_prefix, Snapshot};
use crate::node::{NodeHash, NodeId};
use crate::packet::PacketKind;
use crate::protocol::{PeerStats, ProbeResult};
use crate::table::TableConfig;
use crate::truth::TruthIndex;

/// When the network counts as converged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConvergenceCriteria {
    /// A peer has converged when its recall reaches this (0.9).
    pub recall: f64,
    /// The network has converged when this share of live peers has (0.95).
    pub share: f64,
}

impl Default for ConvergenceCriteria {
    fn default() -> Self {
        ConvergenceCriteria {
            recall: 0.9,
            share: 0.95,
        }
    }
}

/// One row of the time series.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Virtual seconds since the start of the run.
    pub t: f64,
    pub live_peers: usize,
    /// Live peers whose first refresh has ended.
    pub init_done: usize,
    pub mean_table_size: f64,
    /// Share of all table entries that point at a dead peer or a stale identity.
    pub dead_entry_share: f64,
    pub mean_recall: f64,
    /// Share of live peers whose recall reaches the convergence threshold.
    pub converged_share: f64,
    /// Mean share of the ideal table (what the live peers would allow) that is filled.
    pub mean_ideal_fill: f64,
    pub mean_db_records: f64,
    /// Packets and bytes sent since the previous sample, by kind (ping, pong, findnode, neighbors).
    pub packets: [u64; 4],
    pub bytes: [u64; 4],
}

/// A probe lookup, judged against the truth.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOutcome {
    pub id: u64,
    pub origin: u32,
    /// Virtual seconds since the start of the run at which the probe started.
    pub started: f64,
    pub duration: Duration,
    /// Whether the true closest live node to the target was among the results.
    pub success: bool,
    /// Hops at which that node was learned, when found.
    pub hops: Option<u32>,
    pub queries: u32,
}

/// What the observer knows about each slot.
pub struct Observer {
    start: SimTime,
    table_cfg: TableConfig,
    criteria: ConvergenceCriteria,
    /// Per slot: whether it runs, and its current identity.
    online: Vec<bool>,
    ids: Vec<(NodeId, NodeHash)>,
    last_totals: PeerStats,
    samples: Vec<Sample>,
    probes: Vec<ProbeOutcome>,
}

impl Observer {
    pub fn new(
        start: SimTime,
        table_cfg: TableConfig,
        criteria: ConvergenceCriteria,
        ids: Vec<NodeId>,
    ) -> Observer {
        Observer {
            start,
            table_cfg,
            criteria,
            online: vec![false; ids.len()],
            ids: ids.into_iter().map(|id| (id, id.hash())).collect(),
            last_totals: PeerStats::default(),
            samples: Vec::new(),
            probes: Vec::new(),
        }
    }

    /// A slot went online or offline.
    pub fn set_online(&mut self, slot: u32, online: bool) {
        self.online[slot as usize] = online;
    }

    /// A slot has a new identity (a fresh install).
    pub fn set_identity(&mut self, slot: u32, id: NodeId) {
        self.ids[slot as usize] = (id, id.hash());
    }

    pub fn is_online(&self, slot: u32) -> bool {
        self.online[slot as usize]
    }

    /// The slots online now, in order.
    pub fn live(&self) -> Vec<u32> {
        (0..self.online.len() as u32)
            .filter(|s| self.online[*s as usize])
            .collect()
    }

    fn truth(&self) -> TruthIndex {
        TruthIndex::new(self.live().into_iter().map(|s| (self.ids[s as usize].1, s)))
    }

    fn entry_alive(&self, slot: u32, prefix: u64) -> bool {
        (slot as usize) < self.online.len()
            && self.online[slot as usize]
            && id_prefix(&self.ids[slot as usize].0) == prefix
    }

    /// Computes a sample from every slot's snapshot (sorted by slot).
    pub fn sample(&mut self, now: SimTime, snaps: &[Snapshot]) -> &Sample {
        let truth = self.truth();
        let k = self.table_cfg.bucket_size;
        let (mut live, mut init_done, mut table_total, mut dead, mut entries) =
            (0usize, 0usize, 0usize, 0usize, 0usize);
        let (mut recall_sum, mut converged, mut fill_sum, mut db_sum) =
            (0.0f64, 0usize, 0.0f64, 0usize);
        let mut totals = PeerStats::default();
        for s in snaps {
            totals.accumulate(&s.protocol);
            if !s.online || !self.online[s.index as usize] {
                continue;
            }
            live += 1;
            init_done += s.init_done as usize;
            db_sum += s.db_records;
            table_total += s.table.len();
            let mine = self.ids[s.index as usize].1;
            let mut alive_slots = Vec::with_capacity(s.table.len());
            for &(slot, prefix) in &s.table {
                entries += 1;
                if self.entry_alive(slot, prefix) {
                    if slot != s.index {
                        alive_slots.push(slot);
                    }
                } else {
                    dead += 1;
                }
            }
            alive_slots.sort_unstable();
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
            recall_sum += recall;
            if recall >= self.criteria.recall {
                converged += 1;
            }
            let ideal = truth.ideal_table_size(
                &mine,
                Some(s.index),
                k,
                self.table_cfg.bucket_min_distance,
                self.table_cfg.n_buckets,
            );
            fill_sum += if ideal == 0 {
                1.0
            } else {
                (alive_slots.len() as f64 / ideal as f64).min(1.0)
            };
        }
        let mut packets = [0u64; 4];
        let mut bytes = [0u64; 4];
        for kind in PacketKind::ALL {
            let i = kind.index();
            packets[i] = totals.sent[i] - self.last_totals.sent[i];
            bytes[i] = totals.sent_bytes[i] - self.last_totals.sent_bytes[i];
        }
        self.last_totals = totals;
        let per = |x: f64| if live == 0 { 0.0 } else { x / live as f64 };
        self.samples.push(Sample {
            t: now.saturating_since(self.start).as_secs_f64(),
            live_peers: live,
            init_done,
            mean_table_size: per(table_total as f64),
            dead_entry_share: if entries == 0 {
                0.0
            } else {
                dead as f64 / entries as f64
            },
            mean_recall: per(recall_sum),
            converged_share: per(converged as f64),
            mean_ideal_fill: per(fill_sum),
            mean_db_records: per(db_sum as f64),
            packets,
            bytes,
        });
        self.samples.last().expect("just pushed")
    }

    /// Judges a finished probe against the live peers now.
    pub fn probe_done(&mut self, origin: u32, r: &ProbeResult) {
        let target = r.target.hash();
        let truth = self.truth();
        let best = truth.closest(&target, 1, None).first().copied();
        let found = best.and_then(|b| {
            let id = self.ids[b as usize].0;
            r.result.iter().find(|(n, _)| n.id == id).map(|(_, h)| *h)
        });
        self.probes.push(ProbeOutcome {
            id: r.id,
            origin,
            started: r.started.saturating_since(self.start).as_secs_f64(),
            duration: r.finished.saturating_since(r.started),
            success: found.is_some(),
            hops: found,
            queries: r.queries,
        });
    }

    /// The first sample at which the network had converged, as seconds since the start.
    pub fn convergence_time(&self) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.live_peers > 0 && s.converged_share >= self.criteria.share)
            .map(|s| s.t)
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    pub fn probes(&self) -> &[ProbeOutcome] {
        &self.probes
    }

    pub fn into_parts(self) -> (Vec<Sample>, Vec<ProbeOutcome>) {
        (self.samples, self.probes)
    }
}
