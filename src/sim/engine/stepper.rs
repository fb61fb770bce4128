//! One shard stepped window by window in the calling thread, without a coordinator: the hook for
//! the criterion bench "one window of a shard", and a check of the window rule.
//!
//! It hosts every peer of a configuration on a single shard and hands out the scenario's actions
//! (joins, churn, restarts, upgrades) as the coordinator does, but it has no observer: no
//! samples, no bootstrap checks, no probes. Samples and checks only read the peers' state, and a
//! window cut short by one changes nothing (a packet sent inside a window always arrives after
//! it), so with `probe_interval: None` a stepped run reaches the same state as
//! [`run`](super::run): a test holds their input digests equal.

use std::sync::Arc;
use std::time::Duration;

use super::shard::{self, Batch, Driver, Links, ShardReply};
use super::timeline::Timeline;
use super::{Shared, SimConfig, SimError};
use crate::sim::clock::SimTime;

/// A run on one shard, advanced one window at a time.
///
/// ```
/// use discsim::sim::engine::{ShardStepper, SimConfig};
/// use std::time::Duration;
/// let cfg = SimConfig {
///     peers: 20,
///     duration: Duration::from_secs(60),
///     probe_interval: None,
///     ..SimConfig::default()
/// };
/// let mut stepper = ShardStepper::new(&cfg).unwrap();
/// stepper.run_until(cfg.start + Duration::from_secs(30));
/// let w = stepper.step().unwrap();
/// assert!(w.until > cfg.start + Duration::from_secs(30));
/// assert!(w.slot_runs > 0);
/// ```
pub struct ShardStepper {
    system: actix_rt::SystemRunner,
    driver: Driver,
    timeline: Timeline,
    /// Where the last window ended.
    t: SimTime,
    end: SimTime,
    window: Duration,
    trace: bool,
}

/// What one window did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowWork {
    /// Where the window ended.
    pub until: SimTime,
    /// Slots run in it (one actor message each).
    pub slot_runs: u64,
    /// Packets sent in it.
    pub packets: u64,
}

impl ShardStepper {
    /// The peers of `cfg` on one shard in this thread, their actors started, at the run's start.
    /// `cfg.threads` and `cfg.probe_interval` are ignored (there is one shard and no observer).
    pub fn new(cfg: &SimConfig) -> Result<ShardStepper, SimError> {
        cfg.validate()?;
        let shared = Arc::new(Shared::from_config(cfg));
        let system = shard::system();
        let links = Links::mesh(1).pop().expect("one shard");
        let driver = system.block_on(async { Driver::new(0, 1, shared, links) });
        Ok(ShardStepper {
            system,
            driver,
            timeline: Timeline::from_config(cfg),
            t: cfg.start,
            end: cfg.start + cfg.duration,
            window: cfg.network.latency.min_latency(),
            trace: cfg.trace,
        })
    }

    /// Runs the next window: it starts at the first instant a peer has work or an action is due,
    /// and lasts the window length (or up to the end). `None` once nothing is left before the end.
    pub fn step(&mut self) -> Option<WindowWork> {
        let work = shard::earliest(self.driver.next_wake(), self.timeline.next_at());
        let Some(until) = shard::window_until(self.t, work, self.end, self.window) else {
            self.t = self.end;
            return None;
        };
        let mut inputs = Vec::new();
        while let Some((at, slot, control)) = self.timeline.pop_before(until) {
            inputs.push((slot, self.timeline.input(at, control)));
        }
        // A batch bounded at its own first window's end is that one window.
        let batch = Batch {
            until,
            bound: until,
            action: None,
        };
        let packets = self.driver.packets;
        let reply = self
            .system
            .block_on(tokio::task::unconstrained(self.driver.run(batch, inputs)));
        let Some(ShardReply::Ran { runs, last, .. }) = reply else {
            unreachable!("a lone shard has no other shard to lose");
        };
        self.t = last;
        Some(WindowWork {
            until: last,
            slot_runs: runs,
            packets: self.driver.packets - packets,
        })
    }

    /// Runs windows until virtual time `t` (or the end); returns how many.
    pub fn run_until(&mut self, t: SimTime) -> u64 {
        let mut windows = 0;
        while self.t < t {
            if self.step().is_none() {
                break;
            }
            windows += 1;
        }
        windows
    }

    /// Where the last window ended.
    pub fn now(&self) -> SimTime {
        self.t
    }

    /// The run's digest so far, as [`SimOutput::digest`](super::SimOutput::digest) computes it
    /// (`None` without `trace`).
    pub fn digest(&mut self) -> Option<[u8; 32]> {
        if !self.trace {
            return None;
        }
        let slots = self.system.block_on(self.driver.digests());
        Some(super::run_digest(slots))
    }
}
