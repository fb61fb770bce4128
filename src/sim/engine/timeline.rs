//! The scenario's timeline: joins (at once, on a ramp, or Poisson), each peer's churn, trace
//! sessions and scheduled actions, merged into one list of controls by instant.
//!
//! Each source draws from its own stream (`Purpose::Schedule`, per slot), so adding peers or
//! actions never moves another peer's schedule.

use std::collections::BTreeMap;
use std::time::Duration;

use super::config::{JoinSchedule, SimConfig};
use super::input::{Control, Input, InputKind, Slot};
use crate::sim::churn::DurationDist;
use crate::sim::clock::SimTime;
use crate::sim::rng::{stream, Purpose};

/// Scenario actions by instant, in the order they were scheduled.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    events: BTreeMap<(SimTime, u64), (u32, Control)>,
    seq: u64,
}

impl Timeline {
    /// Every scheduled action of a run, from its configuration.
    pub(crate) fn from_config(cfg: &SimConfig) -> Timeline {
        let mut timeline = Timeline::default();
        timeline.schedule_all(cfg);
        timeline
    }

    /// Adds an action; actions at one instant keep the order they were scheduled in.
    pub(crate) fn schedule(&mut self, at: SimTime, slot: u32, control: Control) {
        let seq = self.next_seq();
        self.events.insert((at, seq), (slot, control));
    }

    /// The coordinator's next sequence number: actions and the inputs it sends share one count.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The input that hands `control` to its slot at `at`, numbered in the coordinator's count.
    pub(crate) fn input(&mut self, at: SimTime, control: Control) -> Input {
        Input {
            at,
            from: Slot::COORDINATOR,
            seq: self.next_seq(),
            kind: InputKind::Control(Box::new(control)),
        }
    }

    /// When the next action is due.
    pub(crate) fn next_at(&self) -> Option<SimTime> {
        self.events.first_key_value().map(|((at, _), _)| *at)
    }

    /// The next action due before `until`, taken off the timeline.
    pub(crate) fn pop_before(&mut self, until: SimTime) -> Option<(SimTime, u32, Control)> {
        if self.next_at()? >= until {
            return None;
        }
        let ((at, _), (slot, control)) = self.events.pop_first()?;
        Some((at, slot, control))
    }

    fn schedule_all(&mut self, cfg: &SimConfig) {
        let others = cfg.peers - cfg.bootnodes;
        let mut arrivals = stream(cfg.seed, Purpose::Schedule, u64::MAX, 0);
        let mut poisson_clock = Duration::ZERO;
        let traced: std::collections::BTreeSet<u32> =
            cfg.churn.sessions.iter().map(|s| s.peer).collect();
        for slot in 0..cfg.peers {
            let offset = match &cfg.join {
                _ if slot < cfg.bootnodes => Duration::ZERO,
                JoinSchedule::AllAtOnce => Duration::ZERO,
                JoinSchedule::Ramp { over } => {
                    let k = (slot - cfg.bootnodes) as u128;
                    Duration::from_micros((over.as_micros() * k / others.max(1) as u128) as u64)
                }
                JoinSchedule::Poisson { mean_interval } => {
                    let gap = DurationDist::Exponential {
                        mean: *mean_interval,
                    };
                    poisson_clock += gap.sample(&mut arrivals);
                    poisson_clock
                }
            };
            if offset >= cfg.duration || traced.contains(&slot) {
                continue; // arrives after the end, or when its trace says
            }
            self.schedule(cfg.start + offset, slot, Control::Join);
            if slot >= cfg.bootnodes {
                // Each peer's churn comes from its own schedule stream.
                let mut rng = stream(cfg.seed, Purpose::Schedule, slot as u64, 0);
                for (at, e) in cfg.churn.schedule(offset, cfg.duration, &mut rng) {
                    self.schedule(cfg.start + at, slot, Control::from(e));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut sessions: Vec<_> = cfg.churn.sessions.iter().collect();
        sessions.sort_by_key(|s| (s.join, s.peer));
        for s in sessions {
            if s.join >= cfg.duration {
                continue;
            }
            let first = seen.insert(s.peer);
            let control = if s.fresh && !first {
                Control::Restart {
                    fresh: true,
                    db_version: None,
                    profile: None,
                }
            } else {
                Control::Join
            };
            self.schedule(cfg.start + s.join, s.peer, control);
            if let Some(l) = s.leave.filter(|l| *l < cfg.duration) {
                self.schedule(cfg.start + l, s.peer, Control::Leave);
            }
        }
        for a in &cfg.actions {
            let control = Control::from(&a.action);
            let n = a.peers.len().max(1) as u128;
            for (k, p) in a.peers.iter().enumerate() {
                let spread = Duration::from_micros((a.over.as_micros() * k as u128 / n) as u64);
                self.schedule(cfg.start + a.at + spread, *p, control.clone());
            }
        }
    }
}
