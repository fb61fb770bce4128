//! What a scenario is checked for beyond its types: the bounds the engine does not check itself,
//! and the knobs set to no effect (warnings, not errors). Every message names the key.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    ActionKind, Scenario, MAX_DURATION, MAX_PROBES, MAX_SAMPLES, MAX_SEED, MAX_SWEEP_RUNS,
};
use crate::sim::engine::{JoinSchedule, SimConfig};

impl Scenario {
    /// Knobs set to no effect, for the command line to warn about: actions at or after the end,
    /// spread past it, naming no peer, or with restart options on a leave or join.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        for (i, a) in self.actions.iter().enumerate() {
            let name = format!(
                "actions[{i}] ({:?} at {})",
                a.action,
                humantime::format_duration(a.at)
            );
            if a.at >= self.duration {
                w.push(format!(
                    "{name} is at or after the end of the run (`duration`): it never happens"
                ));
            } else if a.at + a.over > self.duration {
                w.push(format!("{name} spreads `over` past the end of the run: the peers after the end are never reached"));
            }
            if a.peers.is_empty() && a.share.is_none() {
                w.push(format!(
                    "{name} names no peers (`peers` or `share`): it does nothing"
                ));
            }
            if a.action != ActionKind::Restart {
                for (set, key) in [
                    (a.fresh, "fresh"),
                    (a.db_version.is_some(), "db_version"),
                    (a.profile.is_some(), "profile"),
                ] {
                    if set {
                        w.push(format!(
                            "{name}: `{key}` applies to a restart only and is ignored"
                        ));
                    }
                }
            }
        }
        w
    }

    /// Bounds the engine does not check itself, named by their keys in the file.
    pub(super) fn check(&self, cfg: &SimConfig) -> Result<(), String> {
        self.check_name()?;
        self.check_peer_sets()?;
        self.check_sweep()?;
        self.check_ranges(cfg)
    }

    /// `name` is one folder name: results go to `results/<name>/`.
    fn check_name(&self) -> Result<(), String> {
        let n = &self.name;
        if n.is_empty() || n == "." || n == ".." || n.contains(['/', '\\']) || n.contains('\0') {
            return Err(format!(
                "invalid `name` {n:?}: one folder name (results go to results/<name>/), without `/`, `\\` or `..`"
            ));
        }
        Ok(())
    }

    /// Actions and groups name their peers by `peers` (each once) or by `share`, not both.
    fn check_peer_sets(&self) -> Result<(), String> {
        // Actions and groups both name their peers by `peers` or by `share`.
        let sets = self
            .actions
            .iter()
            .map(|a| ("actions", &a.peers, a.share))
            .chain(self.groups.iter().map(|g| ("groups", &g.peers, g.share)));
        for (section, peers, share) in sets {
            let mut seen = std::collections::BTreeSet::new();
            if let Some(p) = peers.iter().find(|p| !seen.insert(**p)) {
                return Err(format!(
                    "invalid `{section}.peers`: slot {p} is listed twice"
                ));
            }
            match share {
                Some(s) if !(0.0..=1.0).contains(&s) => {
                    return Err(format!(
                        "invalid `{section}.share`: a fraction in [0, 1] (got {s})"
                    ))
                }
                Some(_) if !peers.is_empty() => {
                    return Err(format!(
                        "invalid `{section}`: give `peers` or `share`, not both"
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The sweep: sweepable keys, no empty or repeated values, a plan of bounded size whose
    /// seeds fit, and one folder per variant.
    fn check_sweep(&self) -> Result<(), String> {
        for (key, values) in &self.sweep {
            if key == "seed" || key == "replicates" || key.starts_with("sweep") {
                return Err(format!(
                    "invalid `sweep.{key}`: sweep any knob but `seed`, `replicates` and `sweep` (use `replicates` for seeds)"
                ));
            }
            if values.is_empty() {
                return Err(format!(
                    "invalid `sweep.{key}`: an empty list; give at least one value (or remove the key)"
                ));
            }
            if let Some((i, v)) = values
                .iter()
                .enumerate()
                .find(|(i, v)| values[..*i].contains(v))
            {
                return Err(format!(
                    "invalid `sweep.{key}`: the value {v} is listed twice (values {} and {})",
                    values.iter().position(|x| x == v).unwrap_or(0) + 1,
                    i + 1
                ));
            }
        }
        let planned = self
            .sweep
            .values()
            .try_fold(self.replicates.max(1) as u64, |n, v| {
                n.checked_mul(v.len() as u64)
            });
        if planned.is_none_or(|n| n > MAX_SWEEP_RUNS) {
            return Err(format!(
                "invalid `sweep`: the grid times `replicates` makes more than {MAX_SWEEP_RUNS} runs; split it into several scenarios"
            ));
        }
        if self.replicates > 1
            && self
                .seed
                .checked_add(self.replicates as u64 - 1)
                .is_none_or(|s| s > MAX_SEED)
        {
            return Err(format!(
                "invalid `replicates`: the seeds `seed` to `seed + replicates - 1` must be at most {MAX_SEED}"
            ));
        }
        // Variants whose values differ only in characters a folder name cannot hold would
        // share a folder.
        let mut folders: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for run in self.sweep_plan() {
            let sets = folders
                .entry(run.variant.clone())
                .or_insert_with(|| run.sets.clone());
            if *sets != run.sets {
                return Err(format!(
                    "invalid `sweep`: the variants {} and {} would share the same folder {:?}; choose values that differ in letters, digits or `.,_-`",
                    sets.join(" "),
                    run.sets.join(" "),
                    run.variant
                ));
            }
        }
        Ok(())
    }

    /// Durations, intervals and thresholds in their ranges.
    fn check_ranges(&self, cfg: &SimConfig) -> Result<(), String> {
        let range = |key: &str, ok: bool, allowed: &str| {
            if ok {
                Ok(())
            } else {
                Err(format!("invalid `{key}`: {allowed}"))
            }
        };
        range(
            "duration",
            !self.duration.is_zero() && self.duration <= MAX_DURATION,
            "more than 0 and at most 366days",
        )?;
        let per = |interval: Duration| {
            if interval.is_zero() {
                u128::MAX
            } else {
                self.duration.as_nanos() / interval.as_nanos()
            }
        };
        range(
            "sample_interval",
            per(self.sample_interval) <= MAX_SAMPLES,
            &format!("more than 0, and at most {MAX_SAMPLES} samples per run (`duration` / `sample_interval`)"),
        )?;
        range(
            "probe_interval",
            self.probe_interval.is_zero() || per(self.probe_interval) <= MAX_PROBES,
            &format!("0 (no probes), or at most {MAX_PROBES} probes per run (`duration` / `probe_interval`)"),
        )?;
        range(
            "convergence.check_interval",
            cfg.convergence.check_interval.is_zero()
                || per(cfg.convergence.check_interval) <= MAX_SAMPLES,
            &format!("more than 0, and at most {MAX_SAMPLES} checks per run"),
        )?;
        range(
            "convergence.recall",
            (0.0..=1.0).contains(&cfg.convergence.recall),
            "a fraction in [0, 1]",
        )?;
        range(
            "convergence.share",
            (0.0..=1.0).contains(&cfg.convergence.share),
            "a fraction in [0, 1]",
        )?;
        range(
            "convergence.fill",
            (0.0..=1.0).contains(&cfg.convergence.fill),
            "a fraction in [0, 1]",
        )?;
        range(
            "join.over",
            match cfg.join {
                JoinSchedule::AllAtOnce | JoinSchedule::Poisson { .. } => true,
                JoinSchedule::Ramp { over } => over <= cfg.duration,
            },
            "at most `duration`",
        )?;
        Ok(())
    }
}
