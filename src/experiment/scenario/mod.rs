//! Scenario files: a run described in TOML that a researcher can read, share and vary.
//!
//! A scenario names every knob of [`SimConfig`] that an experiment may want to vary; anything it
//! leaves out takes the library's default (geth's constants). Unknown keys are refused, and every
//! error names the file, the key and what is allowed. Durations are written as `"500ms"`, `"30s"`,
//! `"5m"`, `"1h"`, `"5days"`.
//!
//! ```
//! use discsim::experiment::scenario::Scenario;
//! let s = Scenario::from_toml_str("peers = 50\nduration = \"10m\"\n[join]\nkind = \"ramp\"\nover = \"2m\"\n", "inline").unwrap();
//! let cfg = s.to_config().unwrap();
//! assert_eq!(cfg.peers, 50);
//! assert_eq!(cfg.duration.as_secs(), 600);
//! assert_eq!(cfg.protocol.table.bucket_size, 16); // geth's default
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sim::clock::human_duration as dur;

use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::protocol::{Profile, ProtocolConfig};
use crate::observe::metrics::ConvergenceCriteria;
use crate::sim::churn::ChurnConfig;
use crate::sim::engine::{Action, JoinSchedule, ScheduledAction, SimConfig};
use crate::sim::network::NetworkConfig;

mod check;
mod overrides;

use overrides::{apply_override, fill_tags, without_lines};

/// A scenario that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file (a scenario, or the baseline `summary.json` of `discsim check`) could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Read {
        /// The file, as given.
        file: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The text does not read as a scenario (or a summary): not TOML (or JSON), an unknown key,
    /// a value of the wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The file, or the name the text was given.
        file: String,
        /// The parser's message, naming the key or the line.
        message: String,
    },
    /// The file reads, but a value is out of range or at odds with another (or the churn trace
    /// it names cannot be opened).
    #[error("{file}: {message}")]
    Invalid {
        /// The file, as given.
        file: String,
        /// What is wrong, naming the key and what is allowed.
        message: String,
    },
    /// A `--set path=value` that is malformed, or after which the scenario no longer reads.
    #[error("--set {assignment}: {message}")]
    Override {
        /// The `path=value` as given.
        assignment: String,
        /// What is wrong with it.
        message: String,
    },
    /// A churn trace that cannot be used (`line` 1 is its header).
    #[error("{file}: line {line}: {message} (the trace of `churn.trace` in {scenario})")]
    Trace {
        /// The trace file, as found relative to the scenario file.
        file: String,
        /// The scenario file whose `churn.trace` names it.
        scenario: String,
        /// The line at fault (1 is the header).
        line: u64,
        /// What is wrong with that line.
        message: String,
    },
}

/// A whole scenario file. Its sections are the library's own configuration types, so every knob
/// the library has is a key here, with the library's default.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Short name; results go to `results/<name>/`.
    pub name: String,
    /// The question the scenario answers (shown by `discsim scenarios`).
    pub question: String,
    /// Seed of every random stream (default 1, at most [`MAX_SEED`]); replicates take `seed`,
    /// `seed + 1`, ...
    pub seed: u64,
    /// Peer slots, bootnodes included (default 200, at most [`MAX_PEERS`]).
    pub peers: u32,
    /// How many slots are bootnodes, slots `0..bootnodes` (default 2, at most `peers`): every
    /// peer is given them, and they join at the start and never churn.
    pub bootnodes: u32,
    /// Virtual length of the run (default 1h, at most [`MAX_DURATION`]).
    #[serde(with = "dur")]
    pub duration: Duration,
    /// How often the observer samples, one row of `metrics.csv` each (default 1m).
    #[serde(with = "dur")]
    pub sample_interval: Duration,
    /// Zero disables probes.
    #[serde(with = "dur")]
    pub probe_interval: Duration,
    /// Shard threads, 1 to 256 (default 1); results do not depend on them.
    pub threads: usize,
    /// Every peer's UDP and TCP port (default 30303); each peer has its own IP.
    pub udp_port: u16,
    /// `[join]`: when the non-bootnode peers first join (default: all at once).
    pub join: JoinSchedule,
    /// `[network]`: latency, jitter, loss, NAT, handling time and the peers' IP layout.
    pub network: NetworkConfig,
    /// `[protocol]`: the profile, timings and table layout every peer follows (geth's constants
    /// by default); `[[groups]]` and restarts may give some peers another profile.
    pub protocol: ProtocolConfig,
    /// `[nodedb]`: every peer's node database (version, expiry, write-behind, tuning).
    pub nodedb: NodeDbConfig,
    /// `[convergence]`: when a peer counts as bootstrapped and the network as converged.
    pub convergence: ConvergenceCriteria,
    /// `[churn]`: peers leaving and coming back, from distributions or a trace (none by
    /// default).
    pub churn: ChurnConfig,
    /// `[[actions]]`: scripted leaves, joins and restarts (outages, upgrades), besides churn.
    pub actions: Vec<ActionFile>,
    /// `[[groups]]`: peers that start with another protocol profile than `protocol.profile`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupFile>,
    /// Runs per variant in `discsim sweep`, with seeds `seed`, `seed + 1`, ...
    pub replicates: u32,
    /// A grid for `discsim sweep`: each key (any path, as for `--set`) lists its values; every
    /// combination is a variant.
    pub sweep: BTreeMap<String, Vec<toml::Value>>,
}

/// `[[actions]]`: something done to a set of peers at a time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionFile {
    /// When the action starts, as an offset from the start of the run.
    #[serde(with = "dur")]
    pub at: Duration,
    /// Peer slots.
    #[serde(default)]
    pub peers: Vec<u32>,
    /// Instead of `peers`: this share of the non-bootnode peers, picked at random (from the
    /// scenario's seed).
    #[serde(default)]
    pub share: Option<f64>,
    /// Spread the action over this long, peer by peer (a rolling upgrade); 0: all at once.
    #[serde(default = "zero", with = "dur")]
    pub over: Duration,
    /// `"leave"`, `"join"` or `"restart"`.
    pub action: ActionKind,
    /// For a restart: wipe the database and draw a new identity.
    #[serde(default)]
    pub fresh: bool,
    /// For a restart: open the node database at this version.
    #[serde(default)]
    pub db_version: Option<i64>,
    /// For a restart: run this protocol profile from then on (an upgrade of the software).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
}

/// `[[groups]]`: a set of peers that runs another protocol profile from the start, for mixed
/// networks.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupFile {
    /// Peer slots.
    #[serde(default)]
    pub peers: Vec<u32>,
    /// Instead of `peers`: this share of the non-bootnode peers, picked at random.
    #[serde(default)]
    pub share: Option<f64>,
    /// The profile they run.
    pub profile: Profile,
}

/// What an `[[actions]]` entry does to its peers (`action = "leave"`, `"join"` or `"restart"`):
/// the file's form of [`Action`].
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// Stop the peers; their databases are kept.
    Leave,
    /// Start stopped peers again.
    Join,
    /// Stop and start at once, as the entry's `fresh`, `db_version` and `profile` say.
    Restart,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::from_config("default", "", &SimConfig::default())
    }
}

impl Scenario {
    /// The scenario that describes `cfg` (the library's defaults are the file's defaults).
    pub fn from_config(name: &str, question: &str, cfg: &SimConfig) -> Scenario {
        Scenario {
            name: name.to_string(),
            question: question.to_string(),
            seed: cfg.seed,
            peers: cfg.peers,
            bootnodes: cfg.bootnodes,
            duration: cfg.duration,
            sample_interval: cfg.sample_interval,
            probe_interval: cfg.probe_interval.unwrap_or(Duration::ZERO),
            threads: cfg.threads,
            udp_port: cfg.udp_port,
            join: cfg.join.clone(),
            network: cfg.network.clone(),
            protocol: cfg.protocol.clone(),
            nodedb: cfg.nodedb.clone(),
            convergence: cfg.convergence.clone(),
            churn: cfg.churn.clone(),
            replicates: 1,
            sweep: BTreeMap::new(),
            actions: cfg
                .actions
                .iter()
                .map(|a| {
                    let (action, fresh, db_version, profile) = match a.action {
                        Action::Leave => (ActionKind::Leave, false, None, None),
                        Action::Join => (ActionKind::Join, false, None, None),
                        Action::Restart {
                            fresh,
                            db_version,
                            profile,
                        } => (ActionKind::Restart, fresh, db_version, profile),
                    };
                    ActionFile {
                        at: a.at,
                        peers: a.peers.clone(),
                        share: None,
                        over: a.over,
                        action,
                        fresh,
                        db_version,
                        profile,
                    }
                })
                .collect(),
            groups: group_files(&cfg.profiles),
        }
    }

    /// Parses TOML; `file` names the source in errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Parses TOML after applying `--set path=value` overrides to it, as [`Scenario::load`] does
    /// (for a scenario that is not a file, such as one compiled into the binary). Unlike `load`,
    /// it reads no churn trace and does not check the result: call [`Scenario::to_config`].
    pub fn from_toml_str_with_overrides(
        text: &str,
        file: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| ScenarioError::Parse {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        if overrides.is_empty() {
            // The user's own text, so that an error names the user's line.
            return Scenario::from_toml_str(text, file);
        }
        let original = table.clone();
        let mut created = Vec::new();
        for o in overrides {
            created.extend(apply_override(&mut table, o)?);
        }
        fill_tags(&mut table, &created);
        let merged = toml::to_string(&table).expect("a table serialises");
        match Scenario::from_toml_str(&merged, file) {
            Ok(s) => Ok(s),
            // The lines of the merged text are not the user's: blame the file as written, or
            // the first override after which it no longer reads.
            Err(merged_err) => {
                Scenario::from_toml_str(text, file)?;
                let mut t = original;
                let mut created = Vec::new();
                for o in overrides {
                    created.extend(apply_override(&mut t, o)?);
                    let mut filled = t.clone();
                    fill_tags(&mut filled, &created);
                    let text = toml::to_string(&filled).expect("a table serialises");
                    if let Err(e) = toml::from_str::<Scenario>(&text) {
                        return Err(ScenarioError::Override {
                            assignment: o.clone(),
                            message: without_lines(&e.to_string()),
                        });
                    }
                }
                Err(merged_err)
            }
        }
    }

    /// Reads a scenario file, applying `--set path=value` overrides before it is interpreted.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            file: file.clone(),
            source,
        })?;
        let mut s = Scenario::from_toml_str_with_overrides(&text, &file, overrides)?;
        if let Some(trace) = &s.churn.trace {
            // Relative to the scenario file, so that a scenario and its trace travel together.
            let at = path.parent().unwrap_or(Path::new("")).join(trace);
            let trace_file = at.display().to_string();
            let input = std::fs::File::open(&at).map_err(|source| ScenarioError::Invalid {
                file: file.clone(),
                message: format!(
                    "invalid `churn.trace`: cannot read {trace_file}: {source} (the path is relative to the scenario file)"
                ),
            })?;
            s.churn.sessions =
                crate::sim::churn::read_trace(std::io::BufReader::new(input), s.peers).map_err(
                    |e| ScenarioError::Trace {
                        file: trace_file,
                        scenario: file.clone(),
                        line: e.line,
                        message: e.message,
                    },
                )?;
        }
        if s.name == "default" || s.name.is_empty() {
            s.name = path
                .file_stem()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "scenario".into());
        }
        s.to_config().map_err(|message| ScenarioError::Invalid {
            file: file.clone(),
            message,
        })?;
        Ok(s)
    }

    /// The scenario as TOML, every knob written out (the fully resolved configuration).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a scenario serialises")
    }

    /// The engine configuration, checked; the error names the key and what is allowed.
    pub fn to_config(&self) -> Result<SimConfig, String> {
        // Before `share` draws a number per slot.
        if self.peers > MAX_PEERS {
            return Err(format!(
                "invalid `peers`: 1 to {MAX_PEERS} (got {})",
                self.peers
            ));
        }
        let cfg = SimConfig {
            seed: self.seed,
            peers: self.peers,
            bootnodes: self.bootnodes,
            start: crate::sim::clock::SimTime::DEFAULT_EPOCH,
            duration: self.duration,
            sample_interval: self.sample_interval,
            probe_interval: (!self.probe_interval.is_zero()).then_some(self.probe_interval),
            threads: self.threads,
            udp_port: self.udp_port,
            join: self.join.clone(),
            actions: self
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| ScheduledAction {
                    at: a.at,
                    peers: match a.share {
                        None => a.peers.clone(),
                        Some(share) => pick_share(self.seed, i, self.bootnodes, self.peers, share),
                    },
                    over: a.over,
                    action: match a.action {
                        ActionKind::Leave => Action::Leave,
                        ActionKind::Join => Action::Join,
                        ActionKind::Restart => Action::Restart {
                            fresh: a.fresh,
                            db_version: a.db_version,
                            profile: a.profile,
                        },
                    },
                })
                .collect(),
            protocol: self.protocol.clone(),
            profiles: self
                .groups
                .iter()
                .enumerate()
                .flat_map(|(i, g)| {
                    let slots = match g.share {
                        None => g.peers.clone(),
                        // Groups draw from their own streams, after the actions' indices.
                        Some(share) => {
                            pick_share(self.seed, 1_000_000 + i, self.bootnodes, self.peers, share)
                        }
                    };
                    slots.into_iter().map(move |s| (s, g.profile))
                })
                .collect(),
            nodedb: self.nodedb.clone(),
            network: self.network.clone(),
            convergence: self.convergence.clone(),
            churn: self.churn.clone(),
            trace: false,
            verify_packet_hashes: false,
        };
        self.check(&cfg)?;
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    /// Every run of `discsim sweep`, in a fixed order: variants (the grid's combinations, keys in
    /// name order) by replicates. Each run is the overrides that make it.
    pub fn sweep_plan(&self) -> Vec<SweepRun> {
        // (override, folder-name part) per chosen value
        let mut variants: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (key, values) in &self.sweep {
            variants = variants
                .into_iter()
                .flat_map(|v| {
                    values.iter().map(move |value| {
                        let shown = match value {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        let mut v = v.clone();
                        v.push((format!("{key}={value}"), format!("{key}={shown}")));
                        v
                    })
                })
                .collect();
        }
        let mut runs = Vec::new();
        for chosen in variants {
            let variant = if chosen.is_empty() {
                "base".to_string()
            } else {
                let names: Vec<&str> = chosen.iter().map(|(_, n)| n.as_str()).collect();
                names
                    .join(",")
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "=.,_-".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            };
            let sets: Vec<String> = chosen.into_iter().map(|(s, _)| s).collect();
            for r in 0..self.replicates.max(1) {
                runs.push(SweepRun {
                    run: runs.len(),
                    variant: variant.clone(),
                    sets: sets.clone(),
                    seed: self.seed + r as u64,
                });
            }
        }
        runs
    }
}

/// The most peers a scenario may have (memory refuses far fewer on most machines).
pub const MAX_PEERS: u32 = 1 << 24;

/// The longest run.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86400);
/// The most observer samples (rows of `metrics.csv`) and convergence checks one run may take.
pub const MAX_SAMPLES: u128 = 1_000_000;
/// The most lookup probes one run may start.
pub const MAX_PROBES: u128 = 10_000_000;

/// The most runs one sweep may plan (variants times replicates).
pub const MAX_SWEEP_RUNS: u64 = 100_000;

/// The largest seed: a scenario file is TOML, whose integers are signed 64-bit.
pub const MAX_SEED: u64 = i64::MAX as u64;

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRun {
    /// Position in the plan.
    pub run: usize,
    /// A folder-safe name of the variant (`base` without a grid).
    pub variant: String,
    /// The `--set` overrides that make the variant.
    pub sets: Vec<String>,
    /// The run's seed: the scenario's `seed` plus the replicate's index.
    pub seed: u64,
}

fn zero() -> Duration {
    Duration::ZERO
}

/// The `[[groups]]` that give `profiles` (one group per profile, listing its slots).
fn group_files(profiles: &BTreeMap<u32, Profile>) -> Vec<GroupFile> {
    let mut by: BTreeMap<Profile, Vec<u32>> = BTreeMap::new();
    for (slot, p) in profiles {
        by.entry(*p).or_default().push(*slot);
    }
    by.into_iter()
        .map(|(profile, peers)| GroupFile {
            peers,
            share: None,
            profile,
        })
        .collect()
}

/// The non-bootnode slots an action with a `share` applies to: each slot independently with that
/// chance, from a stream of its own (action `index`, slot), in slot order.
fn pick_share(seed: u64, index: usize, bootnodes: u32, peers: u32, share: f64) -> Vec<u32> {
    use crate::sim::rng::{stream, Purpose};
    (bootnodes..peers)
        .filter(|slot| {
            let mut rng = stream(seed, Purpose::Schedule, *slot as u64, 1 + index as u64);
            rand::RngExt::random::<f64>(&mut rng) < share
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_toml() {
        let s = Scenario::default();
        let text = s.to_toml();
        let back = Scenario::from_toml_str(&text, "x").unwrap();
        assert_eq!(back, s);
        let cfg = back.to_config().unwrap();
        assert_eq!(cfg.protocol, ProtocolConfig::default());
        assert_eq!(cfg.nodedb, NodeDbConfig::default());
        assert_eq!(cfg.network, NetworkConfig::default());
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_named() {
        let e = Scenario::from_toml_str("peerz = 3\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.toml:") && e.contains("peerz"), "{e}");
        let e = Scenario::from_toml_str("[protocol.table]\nbucket_sise = 3\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bucket_sise") && e.contains("bucket_size"),
            "{e}"
        );
        let e = Scenario::from_toml_str("peers = \"many\"\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("peers") || e.contains("line 1"), "{e}");
        let e = Scenario::from_toml_str("duration = \"soon\"\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a duration") && e.contains("30s"), "{e}");
        let e = Scenario::from_toml_str("[network.latency]\nmodel = \"fast\"\n", "a.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("constant") && e.contains("log-normal"), "{e}");
    }

    #[test]
    fn out_of_range_values_are_named() {
        for (text, key) in [
            ("[network]\nloss = 2.0\n", "loss"),
            ("peers = 0\n", "peers"),
            ("[convergence]\nrecall = 1.5\n", "convergence.recall"),
            (
                "[nodedb.tuning]\nwrite_buffer_size = 10\n",
                "nodedb.tuning.write_buffer_size",
            ),
            ("bootnodes = 500\npeers = 10\n", "bootnodes"),
        ] {
            let s = Scenario::from_toml_str(text, "r.toml").unwrap();
            let e = s.to_config().unwrap_err();
            assert!(e.contains(key), "{text}: {e}");
        }
    }

    #[test]
    fn sweep_plans_every_combination_times_replicates() {
        let s = Scenario::from_toml_str(
            "seed = 10\nreplicates = 2\n[sweep]\n\"protocol.alpha\" = [1, 3]\n\"nodedb.node_expiration\" = [\"1h\", \"1day\"]\n",
            "s",
        )
        .unwrap();
        let plan = s.sweep_plan();
        assert_eq!(plan.len(), 8);
        assert_eq!(
            plan[0].variant,
            "nodedb.node_expiration=1h,protocol.alpha=1"
        );
        assert_eq!(
            plan[0].sets,
            vec![
                "nodedb.node_expiration=\"1h\"".to_string(),
                "protocol.alpha=1".to_string()
            ]
        );
        assert_eq!((plan[0].seed, plan[1].seed), (10, 11));
        assert_eq!(
            plan[7].variant,
            "nodedb.node_expiration=1day,protocol.alpha=3"
        );
        assert_eq!(Scenario::default().sweep_plan().len(), 1);
        let bad = Scenario::from_toml_str("[sweep]\nseed = [1, 2]\n", "s").unwrap();
        assert!(bad.to_config().unwrap_err().contains("sweep.seed"));
    }

    #[test]
    fn overrides_set_any_key() {
        let mut t: toml::Table = toml::from_str("peers = 10\n").unwrap();
        apply_override(&mut t, "network.loss=0.25").unwrap();
        apply_override(&mut t, "duration=5m").unwrap();
        apply_override(&mut t, "protocol.table.ip_limits=false").unwrap();
        let s = Scenario::from_toml_str(&toml::to_string(&t).unwrap(), "o").unwrap();
        assert_eq!(s.network.loss, 0.25);
        assert_eq!(s.duration, Duration::from_secs(300));
        assert!(!s.protocol.table.ip_limits);
        assert!(apply_override(&mut t, "noequals").is_err());
        assert!(apply_override(&mut t, "peers.x=1").is_err());
    }
}
