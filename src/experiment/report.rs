//! Results on disk: a run's folder, written whole or not at all.
//!
//! A run writes into `<out>/.tmp-<run-id>` and renames it to `<out>/<run-id>` only when every file
//! is complete, so an interrupted run leaves no half-written results (at most a hidden temporary
//! folder, replaced by the next run). Every file is a function of the scenario and its seed:
//! nothing here records the wall clock, so two runs of one scenario give byte-identical folders.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::discv4::packet::PacketKind;
use crate::experiment::columns::{metric_columns, peer_columns, probe_columns, write_rows};
use crate::experiment::results_dir::{self, TempPath};
use crate::experiment::scenario::Scenario;
use crate::observe::metrics::{DialEpisode, Episode, EpisodeKind};
use crate::sim::engine::SimOutput;

/// Results that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write results to {path}: {source}")]
pub struct ReportError {
    /// The file or folder that could not be written.
    pub path: String,
    /// Why not.
    #[source]
    pub source: std::io::Error,
}

/// The key figures of a run (`summary.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    /// The scenario's `name`.
    pub scenario: String,
    /// The run's seed.
    pub seed: u64,
    /// The version of discsim that wrote the file (the crate's).
    pub discsim_version: String,
    /// Peer slots, bootnodes included (the scenario's `peers`).
    pub peers: u32,
    /// The run's virtual length in seconds (`duration`).
    pub virtual_seconds: f64,
    /// Seconds until 95 % of live peers reached recall 0.9 (the thresholds are in the scenario).
    pub convergence_seconds: Option<f64>,
    /// Mean recall over the live peers at the last sample (0 without samples).
    pub final_mean_recall: f64,
    /// Mean table entries per live peer at the last sample, dead entries included.
    pub final_mean_table_size: f64,
    /// Share of all table entries that point at a dead peer or a stale identity, at the last
    /// sample.
    pub final_dead_entry_share: f64,
    /// Mean node-database records per live peer at the last sample.
    pub final_mean_db_records: f64,
    /// Probe lookups that finished (the rows of `probes.csv`).
    pub probes: usize,
    /// Share of those probes that found the true closest live node to their target (0 without
    /// probes).
    pub probe_success_share: f64,
    /// Mean seconds from an episode's start to the end of its first refresh, over the episodes
    /// that got there (`None` when none did).
    pub mean_init_seconds: Option<f64>,
    /// Packets sent by all peers over the run, every kind.
    pub packets_sent: u64,
    /// Bytes of those packets (whole datagrams).
    pub bytes_sent: u64,
    /// Packets sent by all peers over the run, by kind.
    pub packets_by_kind: PacketCounts,
    /// Packets received that failed to decode, over all peers.
    pub malformed_packets: u64,
    /// Sent packets lost by the loss model (`network.loss`).
    pub lost_packets: u64,
    /// Node databases flushed at a join because their version differed (an upgrade).
    #[serde(default)]
    pub version_flushes: u64,
    /// Node databases found damaged at a join and rebuilt from what was readable.
    #[serde(default)]
    pub db_recoveries: u64,
    /// Bootstrap episodes: first joins, returns, restarts, fresh installs and upgrades (the rows
    /// of `peers.csv`).
    #[serde(default)]
    pub bootstrap_episodes: usize,
    /// Median seconds from a first join until the peer's recall reached `convergence.recall`.
    /// An episode that never got there counts as infinitely slow, so the median is `None` when
    /// most never did.
    #[serde(default)]
    pub median_recall_seconds: Option<f64>,
    /// The same median over every later (re)start: returns, restarts, fresh installs, upgrades.
    #[serde(default)]
    pub median_rebootstrap_seconds: Option<f64>,
    /// Share of episodes that never reached the recall threshold before they ended.
    #[serde(default)]
    pub never_bootstrapped_share: f64,
    /// Median packets a peer sent from its (re)start until it reached the recall threshold.
    #[serde(default)]
    pub median_packets_to_recall: Option<f64>,
    /// Mean share of database seeds alive at the (re)starts that had any.
    #[serde(default)]
    pub mean_seed_alive_share: Option<f64>,
    /// Records deleted by every expirer over the run.
    #[serde(default)]
    pub records_expired: u64,
    /// FINDNODE queries that failed (timeout or empty answer), over all peers.
    #[serde(default)]
    pub findnode_failures: u64,
    /// FINDNODE requests refused for lack of an endpoint proof; with `findnode_failures`, the
    /// signs of asymmetric bonds after expiry.
    #[serde(default)]
    pub unbonded_findnode: u64,
    /// FINDNODEs sent after a bonding PING, by the gap from that PING (under 250 ms, 250-550,
    /// 550-800, over 800 ms): the bins in which real geth's bond timing was measured.
    #[serde(default)]
    pub bond_gaps: [u64; 4],
    /// FINDNODEs sent without a bonding PING before them.
    #[serde(default)]
    pub unbonded_findnodes_sent: u64,
    /// The dialers' figures, in runs with `protocol.dialer` (absent otherwise, so a run without
    /// it writes what it wrote before the dialer existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialer: Option<DialerSummary>,
}

/// The dialers' key figures (`summary.json`'s `dialer`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DialerSummary {
    /// Per episode kind, by name: how fast peers arrived.
    pub by_kind: BTreeMap<String, PeerTimes>,
    /// Lookups the dialers started, over every episode.
    pub lookups: u64,
    /// Dials they tried.
    pub dials: u64,
    /// Of those, the dials that gave no peer.
    pub dials_failed: u64,
}

/// How fast the episodes of one kind got peers: medians where an episode that never got there
/// counts as infinitely slow (`None` when most never did).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct PeerTimes {
    /// Episodes of this kind that ran a dialer.
    pub episodes: usize,
    /// Median seconds from an episode's start until its first peer connected (dialed or
    /// inbound).
    pub median_first_peer_seconds: Option<f64>,
    /// Median seconds until all `maxDynDials` dialed peers were connected.
    pub median_full_peers_seconds: Option<f64>,
}

impl DialerSummary {
    /// The figures of `episodes` (those without a dialer are left out).
    pub fn new(episodes: &[Episode]) -> DialerSummary {
        let mut out = DialerSummary::default();
        let mut times: BTreeMap<&str, Vec<&DialEpisode>> = BTreeMap::new();
        for e in episodes {
            let Some(d) = &e.dial else { continue };
            times.entry(e.kind.name()).or_default().push(d);
            out.lookups += d.lookups;
            out.dials += d.dials;
            out.dials_failed += d.dials_failed;
        }
        for (kind, ds) in times {
            let median =
                |f: fn(&DialEpisode) -> Option<f64>| median_or_never(ds.iter().map(|d| f(d)));
            out.by_kind.insert(
                kind.to_string(),
                PeerTimes {
                    episodes: ds.len(),
                    median_first_peer_seconds: median(|d| d.first_peer_seconds),
                    median_full_peers_seconds: median(|d| d.full_peers_seconds),
                },
            );
        }
        out
    }
}

/// Packets by kind, indexed by [`PacketKind::index`].
///
/// `summary.json` holds them as a map from kind name to count, every kind in type order
/// (`{"ping": 3, "pong": 3, "findnode": 1, ..., "enrresponse": 0}`), so a reader sees which count
/// is which and a new kind is one more key. Reading takes that map (a kind it lacks counts 0; an
/// unknown name is an error) and also the array of counts in type order that summaries held
/// before (four, without the ENR kinds), so older baselines still load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketCounts(pub [u64; PacketKind::COUNT]);

impl PacketCounts {
    /// Packets of `kind`.
    pub fn get(&self, kind: PacketKind) -> u64 {
        self.0[kind.index()]
    }
}

impl Serialize for PacketCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(PacketKind::COUNT))?;
        for k in PacketKind::ALL {
            map.serialize_entry(k.name(), &self.get(k))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for PacketCounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PacketCountsVisitor)
    }
}

struct PacketCountsVisitor;

impl<'de> Visitor<'de> for PacketCountsVisitor {
    type Value = PacketCounts;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = PacketKind::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "a map from packet kind ({}) to count, or an array of at most {} counts in that order",
            names.join(", "),
            PacketKind::COUNT
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PacketCounts, A::Error> {
        let mut counts = PacketCounts::default();
        let mut seen = [false; PacketKind::COUNT];
        while let Some(name) = map.next_key::<String>()? {
            let kind = PacketKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&name), &self))?;
            if std::mem::replace(&mut seen[kind.index()], true) {
                return Err(de::Error::custom(format_args!(
                    "packet kind `{name}` given twice"
                )));
            }
            counts.0[kind.index()] = map.next_value()?;
        }
        Ok(counts)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PacketCounts, A::Error> {
        let mut counts = PacketCounts::default();
        let mut n = 0;
        while let Some(count) = seq.next_element::<u64>()? {
            if n == PacketKind::COUNT {
                return Err(de::Error::invalid_length(n + 1, &self));
            }
            counts.0[n] = count;
            n += 1;
        }
        Ok(counts)
    }
}

/// The median of values where `None` means "never" (infinitely large): `None` when more than
/// half never happened, or there are no values.
pub fn median_or_never(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values
        .into_iter()
        .map(|x| x.unwrap_or(f64::INFINITY))
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    m.is_finite().then_some(m)
}

impl Summary {
    /// The summary of a real 8-peer, one-minute run, for tests that edit its figures.
    #[cfg(test)]
    pub(crate) fn of_a_tiny_run() -> Summary {
        let cfg = crate::sim::engine::SimConfig {
            peers: 8,
            duration: std::time::Duration::from_secs(60),
            ..crate::sim::engine::SimConfig::default()
        };
        let scenario = Scenario::from_config("tiny", "", &cfg);
        Summary::new(&scenario, &crate::sim::engine::run(&cfg).unwrap())
    }

    /// The key figures of `out`, a run of `s`.
    pub fn new(s: &Scenario, out: &SimOutput) -> Summary {
        let last = out.samples.last();
        let ok = out.probes.iter().filter(|p| p.success).count();
        let inits: Vec<f64> = out.episodes.iter().filter_map(|e| e.init_seconds).collect();
        let ep = &out.episodes;
        let first = |e: &&Episode| e.kind == EpisodeKind::Join;
        let seeded: Vec<f64> = ep
            .iter()
            .filter(|e| e.seeds_tried > 0)
            .map(|e| e.seeds_alive as f64 / e.seeds_tried as f64)
            .collect();

        Summary {
            scenario: s.name.clone(),
            seed: s.seed,
            discsim_version: env!("CARGO_PKG_VERSION").to_string(),
            peers: s.peers,
            virtual_seconds: s.duration.as_secs_f64(),
            convergence_seconds: out.convergence,
            final_mean_recall: last.map_or(0.0, |l| l.mean_recall),
            final_mean_table_size: last.map_or(0.0, |l| l.mean_table_size),
            final_dead_entry_share: last.map_or(0.0, |l| l.dead_entry_share),
            final_mean_db_records: last.map_or(0.0, |l| l.mean_db_records),
            probes: out.probes.len(),
            probe_success_share: if out.probes.is_empty() {
                0.0
            } else {
                ok as f64 / out.probes.len() as f64
            },
            mean_init_seconds: (!inits.is_empty())
                .then(|| inits.iter().sum::<f64>() / inits.len() as f64),
            packets_sent: out.counters.packets_sent,
            bytes_sent: out.counters.bytes_sent,
            packets_by_kind: PacketCounts(out.totals.sent),
            malformed_packets: out.totals.malformed,
            lost_packets: out.slot_stats.lost,
            version_flushes: out.slot_stats.version_flushes,
            db_recoveries: out.slot_stats.db_recoveries,
            bootstrap_episodes: ep.len(),
            median_recall_seconds: median_or_never(
                ep.iter().filter(first).map(|e| e.recall_seconds),
            ),
            median_rebootstrap_seconds: median_or_never(
                ep.iter().filter(|e| !first(e)).map(|e| e.recall_seconds),
            ),
            never_bootstrapped_share: if ep.is_empty() {
                0.0
            } else {
                ep.iter().filter(|e| e.recall_seconds.is_none()).count() as f64 / ep.len() as f64
            },
            median_packets_to_recall: median_or_never(
                ep.iter()
                    .filter(|e| e.recall_seconds.is_some())
                    .map(|e| e.packets_to_recall.map(|p| p as f64)),
            ),
            mean_seed_alive_share: (!seeded.is_empty())
                .then(|| seeded.iter().sum::<f64>() / seeded.len() as f64),
            records_expired: out.episodes.iter().map(|e| e.records_expired).sum(),
            findnode_failures: out.totals.findnode_failures,
            unbonded_findnode: out.totals.unbonded_findnode,
            bond_gaps: out.totals.bond_gaps,
            unbonded_findnodes_sent: out.totals.unbonded_findnodes_sent,
            dialer: s.protocol.dialer.then(|| DialerSummary::new(&out.episodes)),
        }
    }
}

/// How long a run took on this machine: kept apart from the results (in `timing.json`) because
/// it is the one thing that differs between two runs of one scenario and seed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds the run took.
    pub wall_seconds: f64,
    /// Shard threads it ran on.
    pub threads: usize,
    /// Packets delivered, scenario actions and timer wake-ups per wall second.
    pub events_per_second: f64,
    /// Packets sent by all peers per wall second.
    pub packets_per_second: f64,
}

impl Timing {
    /// The timing of `out`, a run that took `wall` on `threads` shard threads.
    pub fn new(wall: std::time::Duration, threads: usize, out: &SimOutput) -> Timing {
        let secs = wall.as_secs_f64().max(1e-9);
        Timing {
            wall_seconds: wall.as_secs_f64(),
            threads,
            events_per_second: (out.slot_stats.inputs + out.slot_stats.timer_wakes) as f64 / secs,
            packets_per_second: out.counters.packets_sent as f64 / secs,
        }
    }
}

/// Writes `scenario.toml`, `metrics.csv`, `probes.csv`, `peers.csv`, `summary.json` and, given a
/// timing, `timing.json` into `out/run_id`, atomically. Returns the folder.
pub fn write_run(
    out: &Path,
    run_id: &str,
    scenario: &Scenario,
    result: &SimOutput,
    timing: Option<&Timing>,
) -> Result<PathBuf, ReportError> {
    let err = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError { path, source }
    };
    // A signal waits for this write to end; every error on the way deletes the temporary folder.
    let _writing = results_dir::write_guard();
    fs::create_dir_all(out).map_err(err(out))?;
    let done = out.join(run_id);
    let temp = TempPath::new(results_dir::temp_sibling(&done, "tmp"));
    let tmp = temp.path().to_path_buf();
    fs::create_dir(&tmp).map_err(err(&tmp))?;

    // A traced scenario saves its trace beside it, so that the folder reruns as it is.
    let file = tmp.join("scenario.toml");
    if scenario.churn.trace.is_some() {
        let mut saved = scenario.clone();
        saved.churn.trace = Some(PathBuf::from(SAVED_TRACE));
        fs::write(&file, saved.to_toml()).map_err(err(&file))?;
        let file = tmp.join(SAVED_TRACE);
        fs::write(&file, trace_csv(&scenario.churn.sessions)).map_err(err(&file))?;
    } else {
        fs::write(&file, scenario.to_toml()).map_err(err(&file))?;
    }

    let file = tmp.join("metrics.csv");
    write_csv(&file, |w| {
        write_rows(
            w,
            &metric_columns(scenario.protocol.dialer),
            scenario,
            &result.samples,
        )
    })
    .map_err(err(&file))?;
    let file = tmp.join("probes.csv");
    write_csv(&file, |w| {
        write_rows(w, &probe_columns(), scenario, &result.probes)
    })
    .map_err(err(&file))?;
    let file = tmp.join("peers.csv");
    write_csv(&file, |w| {
        write_rows(
            w,
            &peer_columns(scenario.protocol.dialer),
            scenario,
            &result.episodes,
        )
    })
    .map_err(err(&file))?;

    let file = tmp.join("summary.json");
    let json = serde_json::to_string_pretty(&Summary::new(scenario, result)).expect("serialises");
    fs::write(&file, json + "\n").map_err(err(&file))?;

    if let Some(t) = timing {
        let file = tmp.join("timing.json");
        let json = serde_json::to_string_pretty(t).expect("serialises");
        fs::write(&file, json + "\n").map_err(err(&file))?;
    }

    // The old folder stays whole until the new one is in place; `temp` then names nothing, or
    // the old folder if deleting it failed, and goes.
    results_dir::replace_dir(&tmp, &done).map_err(err(&done))?;
    drop(temp);
    Ok(done)
}

/// The name of the copy of a scenario's churn trace in its run folder.
pub const SAVED_TRACE: &str = "trace.csv";

/// A trace that [`crate::sim::churn::read_trace`] reads back as exactly these sessions.
pub fn trace_csv(sessions: &[crate::sim::churn::TraceSession]) -> String {
    let t = |d: std::time::Duration| humantime::format_duration(d).to_string();
    let mut s = String::from("peer,join,leave,fresh\n");
    for x in sessions {
        s.push_str(&format!(
            "{},{},{},{}\n",
            x.peer,
            t(x.join),
            x.leave.map(t).unwrap_or_default(),
            x.fresh
        ));
    }
    s
}

fn write_csv(
    path: &Path,
    body: impl FnOnce(&mut csv::Writer<fs::File>) -> csv::Result<()>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    body(&mut w).map_err(std::io::Error::other)?;
    w.flush()?;
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .flush()
}

/// Writes a CSV file whole or not at all: into a hidden `.tmp-<name>` beside it, then renamed.
pub fn write_csv_atomic(
    path: &Path,
    body: impl FnOnce(&mut csv::Writer<fs::File>) -> csv::Result<()>,
) -> Result<(), ReportError> {
    let _writing = results_dir::write_guard();
    let tmp = TempPath::new(results_dir::temp_sibling(path, "tmp"));
    write_csv(tmp.path(), body)
        .and_then(|()| fs::rename(tmp.path(), path))
        .map_err(|source| ReportError {
            path: path.display().to_string(),
            source,
        })?;
    tmp.keep();
    Ok(())
}

/// Refuses to write a run of `scenario` into `dir` when `dir` already holds runs (`seed-N`) of
/// another configuration: a folder's replicates differ only in their seed and thread count
/// (and, for a run, its `replicates` and `[sweep]`, which are not part of one run), or the
/// charts would average different experiments. The error is bad input (exit code 2) and says
/// how to choose another folder.
pub fn check_same_configuration(dir: &Path, scenario: &Scenario) -> Result<(), crate::Error> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let mut runs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with("seed-")
                && e.file_type().is_ok_and(|t| t.is_dir())
        })
        .map(|e| e.path())
        .collect();
    runs.sort();
    let refuse = |run: &Path, why: String| {
        crate::Error::BadInput(format!(
            "{} holds a run of another configuration ({why}): the runs in one folder must differ only in their seed and threads. Choose another folder with --out (for example --out {}-2), or delete {} first",
            run.display(),
            dir.display(),
            run.display()
        ))
    };
    for run in runs {
        let file = run.join("scenario.toml");
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let mut theirs = match Scenario::load(&file, &[]) {
            Ok(s) => s,
            Err(_) => match Scenario::from_toml_str(&text, &file.display().to_string()) {
                Ok(s) => s,
                Err(_) => return Err(refuse(&run, "its scenario.toml cannot be read".into())),
            },
        };
        let mut mine = scenario.clone();
        if theirs.churn.sessions.is_empty() || mine.churn.sessions.is_empty() {
            theirs.churn.sessions.clear();
            mine.churn.sessions.clear();
        }
        let (a, b) = (comparable(&theirs), comparable(&mine));
        if a != b {
            let diffs = differences(&a, &b);
            let shown: Vec<String> = diffs
                .iter()
                .take(3)
                .map(|(k, x, y)| format!("`{k}` is {x} there, {y} here"))
                .collect();
            let more = if diffs.len() > 3 {
                format!(", and {} more", diffs.len() - 3)
            } else {
                String::new()
            };
            let why = if shown.is_empty() {
                "the churn traces differ".to_string()
            } else {
                shown.join("; ") + &more
            };
            return Err(refuse(&run, why));
        }
    }
    Ok(())
}

/// A scenario as a flat map from dotted key to value, without what may differ between runs of
/// one folder.
fn comparable(s: &Scenario) -> BTreeMap<String, String> {
    let mut s = s.clone();
    s.seed = 0;
    s.threads = 0;
    s.replicates = 0;
    s.sweep.clear();
    if s.churn.trace.is_some() {
        s.churn.trace = Some(PathBuf::from(SAVED_TRACE));
    }
    let mut out = BTreeMap::new();
    if let Ok(toml::Value::Table(t)) = toml::Value::try_from(&s) {
        flatten("", &toml::Value::Table(t), &mut out);
    }
    // The trace's sessions are not in the TOML.
    out.insert(
        "churn.trace (sessions)".into(),
        format!("{:?}", s.churn.sessions),
    );
    out
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

fn differences(
    a: &BTreeMap<String, String>,
    b: &BTreeMap<String, String>,
) -> Vec<(String, String, String)> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .filter(|k| k.as_str() != "churn.trace (sessions)")
        .map(|k| {
            let show = |m: &BTreeMap<String, String>| {
                m.get(k).cloned().unwrap_or_else(|| "unset".to_string())
            };
            (k.clone(), show(a), show(b))
        })
        .collect()
}

/// A quiet `Write` check that the folder is writable before a long run starts.
pub fn check_writable(out: &Path) -> Result<(), ReportError> {
    let err = |source| ReportError {
        path: out.display().to_string(),
        source,
    };
    fs::create_dir_all(out).map_err(err)?;
    let probe = out.join(".write-check");
    fs::File::create(&probe)
        .and_then(|mut f| f.write_all(b"ok"))
        .map_err(err)?;
    fs::remove_file(&probe).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::{median_or_never, PacketCounts};
    use crate::discv4::packet::PacketKind;

    #[test]
    fn packet_counts_are_a_map_in_type_order_and_old_arrays_still_read() {
        let counts = PacketCounts([1, 2, 3, 4, 5, 6]);
        let json = serde_json::to_string(&counts).unwrap();
        assert_eq!(
            json,
            r#"{"ping":1,"pong":2,"findnode":3,"neighbors":4,"enrrequest":5,"enrresponse":6}"#
        );
        let back: PacketCounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, counts);
        assert_eq!(back.get(PacketKind::EnrRequest), 5);
        // Summaries before the ENR kinds: an array of four.
        let old: PacketCounts = serde_json::from_str("[871971, 871966, 129188, 258205]").unwrap();
        assert_eq!(old, PacketCounts([871971, 871966, 129188, 258205, 0, 0]));
        // A map may lack kinds (zero), in any order.
        let partial: PacketCounts = serde_json::from_str(r#"{"pong":2,"ping":1}"#).unwrap();
        assert_eq!(partial, PacketCounts([1, 2, 0, 0, 0, 0]));
        for (bad, why) in [
            (r#"{"pingg":1}"#, "pingg"),
            (r#"{"ping":1,"ping":2}"#, "twice"),
            ("[1,2,3,4,5,6,7]", "at most 6"),
            (r#"{"ping":-1}"#, "-1"),
            (
                "7",
                "a map from packet kind (ping, pong, findnode, neighbors, enrrequest",
            ),
        ] {
            let e = serde_json::from_str::<PacketCounts>(bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn a_median_counts_never_as_infinitely_slow() {
        assert_eq!(
            median_or_never([Some(3.0), Some(1.0), Some(2.0)]),
            Some(2.0)
        );
        assert_eq!(median_or_never([Some(1.0), Some(2.0), None, None]), None);
        assert_eq!(
            median_or_never([Some(1.0), Some(4.0), Some(2.0), None]),
            Some(3.0)
        );
        assert_eq!(median_or_never([Some(1.0), None, Some(5.0)]), Some(5.0));
        assert_eq!(median_or_never(std::iter::empty()), None);
    }
}

#[cfg(test)]
mod dialer_tests {
    use super::{DialerSummary, PeerTimes};
    use crate::observe::metrics::{DialEpisode, Episode, EpisodeKind};

    fn episode(kind: EpisodeKind, first: Option<f64>, full: Option<f64>, dials: u64) -> Episode {
        Episode {
            dial: Some(DialEpisode {
                first_peer_seconds: first,
                half_peers_seconds: None,
                full_peers_seconds: full,
                lookups: 1,
                dials,
                dials_failed: 1,
            }),
            ..Episode::begun(0, kind, 0.0, None)
        }
    }

    #[test]
    fn medians_per_kind_count_never_as_slowest_and_skip_episodes_without_a_dialer() {
        let mut no_dialer = episode(EpisodeKind::Join, Some(0.1), Some(0.1), 100);
        no_dialer.dial = None;
        let s = DialerSummary::new(&[
            episode(EpisodeKind::Join, Some(2.0), Some(30.0), 5),
            episode(EpisodeKind::Return, Some(9.0), None, 7),
            episode(EpisodeKind::Join, Some(4.0), None, 3),
            episode(EpisodeKind::Join, None, None, 2),
            no_dialer,
        ]);
        assert_eq!((s.lookups, s.dials, s.dials_failed), (4, 17, 4));
        assert_eq!(
            s.by_kind.keys().collect::<Vec<_>>(),
            ["join", "return"],
            "by name"
        );
        assert_eq!(
            s.by_kind["join"],
            PeerTimes {
                episodes: 3,
                median_first_peer_seconds: Some(4.0),
                median_full_peers_seconds: None,
            }
        );
        assert_eq!(s.by_kind["return"].median_first_peer_seconds, Some(9.0));
    }
}
