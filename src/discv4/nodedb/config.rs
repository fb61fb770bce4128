//! The node database's knobs and their checks.

use std::time::Duration;

use super::DbTuning;

/// geth's `nodeDBVersion` in the 2018 database.
pub const DEFAULT_VERSION: i64 = 5;

/// The node database's knobs, with geth's defaults.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeDbConfig {
    /// Version written under the `version` key; a database holding another one is flushed.
    pub version: i64,
    /// `nodeDBNodeExpiration`: records whose last pong is older are expired (24 h).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub node_expiration: Duration,
    /// `nodeDBCleanupCycle`: how often the expirer runs once started (1 h).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub cleanup_cycle: Duration,
    /// rusty-leveldb memory knobs.
    pub tuning: DbTuning,
    /// How long writes may wait in memory before they go to rusty-leveldb as one batch (zero:
    /// every write goes at once). Reads never see the difference: point reads are served from the
    /// in-memory mirror, and every scan, seek, delete and close writes the pending batch first.
    /// Rewrites of a key within the period reach rusty-leveldb once, which is what keeps a
    /// simulation of thousands of databases affordable. 30 minutes: every batch becomes a
    /// level-0 table and every fourth of them starts a compaction that rewrites the whole
    /// database (random keys overlap every table), so the cost of compactions grows with the
    /// database; at 10 minutes (the default until then) they took about half the CPU of a
    /// 1,000-peer run in its seventh virtual hour (perf). At 30 minutes a 1,000-peer run of 5
    /// virtual hours took 28 % less CPU and 27 % less memory (491 -> 358 KB per peer); an hour
    /// saved no more.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub write_behind: Duration,
}

/// A node-database knob out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{key}`: {allowed}")]
pub struct NodeDbConfigError {
    /// The scenario key, e.g. `nodedb.cleanup_cycle`.
    pub key: &'static str,
    /// What is allowed.
    pub allowed: &'static str,
}

impl NodeDbConfig {
    /// Checks every knob (rusty-leveldb panics on some of them, e.g. a zero cache).
    ///
    /// ```
    /// use discsim::discv4::nodedb::NodeDbConfig;
    /// assert!(NodeDbConfig::default().validate().is_ok());
    /// let mut c = NodeDbConfig::default();
    /// c.tuning.block_cache_bytes = 0;
    /// assert_eq!(c.validate().unwrap_err().key, "nodedb.tuning.block_cache_bytes");
    /// ```
    pub fn validate(&self) -> Result<(), NodeDbConfigError> {
        let t = &self.tuning;
        let checks: [(&'static str, bool, &'static str); 6] = [
            (
                "nodedb.node_expiration",
                !self.node_expiration.is_zero(),
                "more than 0",
            ),
            (
                "nodedb.cleanup_cycle",
                !self.cleanup_cycle.is_zero(),
                "more than 0",
            ),
            (
                "nodedb.tuning.write_buffer_size",
                t.write_buffer_size >= 4096,
                "at least 4096 bytes",
            ),
            (
                "nodedb.tuning.block_size",
                t.block_size >= 256,
                "at least 256 bytes",
            ),
            (
                "nodedb.tuning.block_cache_bytes",
                t.block_cache_bytes >= t.block_size,
                "at least one block (nodedb.tuning.block_size)",
            ),
            (
                "nodedb.tuning.max_open_files",
                t.max_open_files >= 11,
                "at least 11 (rusty-leveldb keeps 10 for itself)",
            ),
        ];
        match checks.into_iter().find(|(_, ok, _)| !ok) {
            Some((key, _, allowed)) => Err(NodeDbConfigError { key, allowed }),
            None => Ok(()),
        }
    }
}

impl Default for NodeDbConfig {
    fn default() -> Self {
        NodeDbConfig {
            version: DEFAULT_VERSION,
            node_expiration: Duration::from_secs(24 * 3600),
            cleanup_cycle: Duration::from_secs(3600),
            tuning: DbTuning::default(),
            write_behind: Duration::from_secs(30 * 60),
        }
    }
}
