//! The node database on disk: persistence, version flushes and recovery from damaged files.

use std::time::Duration;

use discsim::discv4::node::{Node, NodeId};
use discsim::discv4::nodedb::{DbTuning, NodeDb, NodeDbConfig, Storage};
use discsim::sim::clock::SimTime;

fn node(i: u16) -> Node {
    let mut id = [0u8; 64];
    id[..2].copy_from_slice(&i.to_be_bytes());
    id[63] = 1;
    Node::new(
        format!("10.1.{}.{}", i / 256, i % 256).parse().unwrap(),
        30303,
        30303,
        NodeId(id),
    )
}

fn me() -> NodeId {
    NodeId([0xee; 64])
}

/// Every write goes to rusty-leveldb at once, so that the files hold many records and batches
/// for the damage below to hit.
fn write_through() -> NodeDbConfig {
    NodeDbConfig {
        write_behind: Duration::ZERO,
        ..NodeDbConfig::default()
    }
}

/// A configuration whose tiny write buffer pushes records out of the log into table files.
fn small_buffers() -> NodeDbConfig {
    NodeDbConfig {
        tuning: DbTuning {
            write_buffer_size: 4 * 1024,
            ..DbTuning::default()
        },
        ..write_through()
    }
}

/// A configuration whose large write buffer keeps every record in the write-ahead log.
fn log_only() -> NodeDbConfig {
    NodeDbConfig {
        tuning: DbTuning {
            write_buffer_size: 4 << 20,
            ..DbTuning::default()
        },
        ..write_through()
    }
}

fn fill(storage: &Storage, cfg: &NodeDbConfig, count: u16) {
    let now = SimTime::DEFAULT_EPOCH;
    let mut db = NodeDb::open(storage.clone(), me(), cfg.clone()).unwrap();
    for i in 0..count {
        db.update_node(&node(i));
        db.update_last_pong(&node(i).id, now);
    }
    db.close();
}

fn open(storage: &Storage, cfg: &NodeDbConfig) -> NodeDb {
    NodeDb::open(storage.clone(), me(), cfg.clone()).expect("recovery never fails to open")
}

fn files_with(storage: &Storage, suffix: &str) -> Vec<String> {
    storage
        .file_names()
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(suffix))
        .collect()
}

#[test]
fn write_close_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = write_through();
    fill(&s, &cfg, 50);
    let mut db = open(&s, &cfg);
    assert_eq!(db.record_count(), 50);
    assert_eq!(db.node(&node(7).id), Some(node(7)));
    assert_eq!(db.last_pong(&node(7).id), SimTime::DEFAULT_EPOCH);
    assert_eq!(db.stats().recoveries, 0);
}

#[test]
fn a_second_handle_is_refused_not_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = write_through();
    fill(&s, &cfg, 5);
    let first = open(&s, &cfg);
    assert!(NodeDb::open(s.clone(), me(), cfg.clone()).is_err());
    assert_eq!(first.record_count(), 5);
}

#[test]
fn version_bump_flushes_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = small_buffers();
    fill(&s, &cfg, 300);
    assert!(!files_with(&s, ".ldb").is_empty(), "tables expected");
    let v6 = NodeDbConfig {
        version: 6,
        ..cfg.clone()
    };
    let db = open(&s, &v6);
    assert_eq!(db.stats().version_flushes, 1);
    assert_eq!(db.record_count(), 0);
    db.close();
    assert!(files_with(&s, ".ldb").is_empty(), "old tables removed");
    assert_eq!(open(&s, &v6).stats().version_flushes, 0);
}

fn damage(storage: &Storage, suffix: &str, f: impl Fn(Vec<u8>) -> Vec<u8>) -> usize {
    let names = files_with(storage, suffix);
    assert!(!names.is_empty(), "no {suffix} file to damage");
    for name in &names {
        let bytes = storage.read_file(name).unwrap();
        storage.write_file(name, &f(bytes)).unwrap();
    }
    names.len()
}

fn truncate_half(b: Vec<u8>) -> Vec<u8> {
    b[..b.len() / 2].to_vec()
}

fn garbage(b: Vec<u8>) -> Vec<u8> {
    (0..b.len()).map(|i| (i * 131 % 251) as u8).collect()
}

#[test]
fn truncated_log_keeps_its_readable_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = log_only();
    fill(&s, &cfg, 200);
    damage(&s, ".log", truncate_half);
    let mut db = open(&s, &cfg);
    assert_eq!(db.stats().recoveries, 1);
    let kept = db.record_count();
    assert!(kept > 50 && kept < 200, "kept {kept}");
    assert_eq!(db.stats().salvaged_records, kept as u64);
    // The salvaged prefix is intact: the first records are there with their pongs.
    assert_eq!(db.node(&node(0).id), Some(node(0)));
    assert_eq!(db.last_pong(&node(0).id), SimTime::DEFAULT_EPOCH);
}

#[test]
fn garbage_log_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = log_only();
    fill(&s, &cfg, 100);
    damage(&s, ".log", garbage);
    let mut db = open(&s, &cfg);
    assert_eq!(db.stats().recoveries, 1);
    assert_eq!(db.record_count(), 0);
    assert_eq!(db.stats().salvaged_records, 0);
    db.update_node(&node(1));
    db.close();
    let db = open(&s, &cfg);
    assert_eq!(db.stats().recoveries, 0);
    assert_eq!(db.record_count(), 1);
}

#[test]
fn garbage_manifest_and_current_are_recovered_from_data_files() {
    for victim in ["MANIFEST", "CURRENT"] {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::disk(dir.path().join("nodes"));
        let cfg = small_buffers();
        fill(&s, &cfg, 300);
        let names: Vec<_> = s
            .file_names()
            .unwrap()
            .into_iter()
            .filter(|n| n.starts_with(victim))
            .collect();
        for n in names {
            s.write_file(&n, b"\x01\x02garbage that is no manifest")
                .unwrap();
        }
        let mut db = open(&s, &cfg);
        assert_eq!(db.stats().recoveries, 1, "{victim}");
        assert_eq!(
            db.record_count(),
            300,
            "{victim}: every record is in a readable data file"
        );
        assert_eq!(db.last_pong(&node(299).id), SimTime::DEFAULT_EPOCH);
    }
}

#[test]
fn damaged_tables_lose_only_their_own_records() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = small_buffers();
    fill(&s, &cfg, 400);
    damage(&s, ".ldb", garbage);
    let mut db = open(&s, &cfg);
    assert_eq!(db.stats().recoveries, 1);
    assert!(db.stats().damaged_parts > 0);
    // What was still in the log survives; what lived only in the damaged tables is gone.
    let kept = db.record_count();
    assert!(kept < 400, "kept {kept}");
    for n in db.all_nodes() {
        assert_eq!(n, node(u16::from_be_bytes([n.id.0[0], n.id.0[1]])));
    }
}

#[test]
fn truncated_tables_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let s = Storage::disk(dir.path().join("nodes"));
    let cfg = small_buffers();
    fill(&s, &cfg, 400);
    damage(&s, ".ldb", truncate_half);
    let mut db = open(&s, &cfg);
    assert_eq!(db.stats().recoveries, 1);
    assert!(db.record_count() < 400);
    // Still a working database afterwards.
    let later = SimTime::DEFAULT_EPOCH + Duration::from_secs(60);
    db.update_last_pong(&node(1).id, later);
    assert_eq!(db.last_pong(&node(1).id), later);
}
