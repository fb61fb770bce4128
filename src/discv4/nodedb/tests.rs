use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn node(i: u8) -> Node {
    let mut id = [0u8; 64];
    id[0] = i;
    id[63] = i;
    Node::new(
        format!("10.0.0.{i}").parse().unwrap(),
        30303,
        30303,
        NodeId(id),
    )
}

fn self_id() -> NodeId {
    NodeId([0xee; 64])
}

fn open(storage: &Storage) -> NodeDb {
    NodeDb::open(storage.clone(), self_id(), NodeDbConfig::default()).unwrap()
}

fn t0() -> SimTime {
    SimTime::DEFAULT_EPOCH
}

#[test]
fn fresh_database_gets_the_version() {
    let s = Storage::memory();
    let mut db = open(&s);
    assert_eq!(
        db.db.get(VERSION_KEY).unwrap().as_ref(),
        encode_int(5).as_slice()
    );
    assert_eq!(db.record_count(), 0);
}

#[test]
fn reopening_keeps_records_and_a_new_version_flushes_them() {
    let s = Storage::memory();
    let mut db = open(&s);
    db.update_node(&node(1));
    db.update_last_pong(&node(1).id, t0());
    let s = db.close();

    let mut db = open(&s);
    assert_eq!(db.node(&node(1).id), Some(node(1)));
    assert_eq!(db.stats().version_flushes, 0);
    let s = db.close();

    let cfg = NodeDbConfig {
        version: 6,
        ..NodeDbConfig::default()
    };
    let mut db = NodeDb::open(s, self_id(), cfg.clone()).unwrap();
    assert_eq!(db.stats().version_flushes, 1);
    assert_eq!(db.node(&node(1).id), None);
    assert_eq!(db.last_pong(&node(1).id), SimTime::from_unix_secs(0));
    let s = db.close();
    // Reopening at the new version flushes nothing more.
    let db = NodeDb::open(s, self_id(), cfg).unwrap();
    assert_eq!(db.stats().version_flushes, 0);
}

#[test]
fn node_update_and_delete_touch_only_that_node() {
    let mut db = open(&Storage::memory());
    for i in 1..=3 {
        db.update_node(&node(i));
        db.update_last_ping(&node(i).id, t0());
        db.update_last_pong(&node(i).id, t0());
        db.update_find_fails(&node(i).id, 2);
    }
    db.delete_node(&node(2).id);
    assert_eq!(db.node(&node(2).id), None);
    assert_eq!(db.last_ping(&node(2).id), SimTime::from_unix_secs(0));
    assert_eq!(db.last_pong(&node(2).id), SimTime::from_unix_secs(0));
    assert_eq!(db.find_fails(&node(2).id), 0);
    for i in [1, 3] {
        assert_eq!(db.node(&node(i).id), Some(node(i)));
        assert_eq!(db.last_pong(&node(i).id), t0());
        assert_eq!(db.find_fails(&node(i).id), 2);
    }
    // Overwrite.
    let mut moved = node(1);
    moved.udp = 40404;
    db.update_node(&moved);
    assert_eq!(db.node(&moved.id).unwrap().udp, 40404);
    assert_eq!(db.record_count(), 2);
}

#[test]
fn rewriting_an_unchanged_record_writes_nothing_but_a_change_is_written() {
    let s = Storage::memory();
    let mut db = open(&s);
    db.update_node(&node(1));
    db.update_node(&node(1));
    assert_eq!(db.stats().unchanged_writes, 1);
    let mut moved = node(1);
    moved.tcp = 1;
    db.update_node(&moved);
    assert_eq!(db.stats().unchanged_writes, 1);
    assert_eq!(db.node(&moved.id), Some(moved));
    // After a delete the same record is written again.
    db.delete_node(&moved.id);
    db.update_node(&moved);
    assert_eq!(db.node(&moved.id), Some(moved));
    assert_eq!(db.record_count(), 1);
    // The index is rebuilt on reopen.
    let s = db.close();
    let mut db = open(&s);
    assert_eq!(db.record_count(), 1);
    db.update_node(&moved);
    assert_eq!(db.stats().unchanged_writes, 1);
}

/// `copyLiveNodes`' shortcut: a remembered epoch skips the lookup only while no stored record
/// of the database has changed; a record overwritten, planted over, deleted or expired, or
/// another database, makes the next call look again, so what it writes is what `update_node`
/// would write. A new record changes nothing stored before.
#[test]
fn a_remembered_record_is_trusted_only_while_no_record_changes() {
    let s = Storage::memory();
    let mut db = open(&s);
    let (a, b) = (node(1), node(2));
    let (mut ea, mut eb) = (0, 0);
    db.update_node_remembered(&a, &mut ea);
    db.update_node_remembered(&b, &mut eb);
    assert_eq!(db.record_count(), 2);
    // b's new record left a's claim standing.
    assert_eq!((ea, eb), (db.records_epoch(), db.records_epoch()));
    // A moved endpoint overwrites a's record: every claim is stale, a's own included.
    let mut moved = a;
    moved.tcp = 1;
    let mut em = 0; // another entry object, as a bumped or new one would be
    db.update_node_remembered(&moved, &mut em);
    assert_eq!(db.node(&a.id), Some(moved));
    assert_ne!(ea, db.records_epoch());
    db.update_node_remembered(&a, &mut ea);
    assert_eq!(db.node(&a.id), Some(a));
    db.update_node_remembered(&b, &mut eb);
    let unchanged = db.stats().unchanged_writes;
    db.update_node_remembered(&a, &mut ea);
    db.update_node_remembered(&b, &mut eb);
    assert_eq!(db.stats().unchanged_writes, unchanged + 2);
    // Field writes change no record.
    let epoch = db.records_epoch();
    db.update_last_pong(&a.id, t0());
    assert_eq!(db.records_epoch(), epoch);
    // A delete: b's remembered epoch is stale and its record is written again.
    db.delete_node(&b.id);
    assert_ne!(db.records_epoch(), epoch);
    db.update_node_remembered(&b, &mut eb);
    assert_eq!(db.node(&b.id), Some(b));
    // A planted record for a.
    let epoch = db.records_epoch();
    db.put_raw(&make_key(Some(&a.id), DISCOVER_ROOT), b"garbage");
    assert_ne!(db.records_epoch(), epoch);
    db.update_node_remembered(&a, &mut ea);
    assert_eq!(db.node(&a.id), Some(a));
    // Two days on, a's pong is too old: the expirer deletes it.
    let epoch = db.records_epoch();
    assert!(db.expire_nodes(t0() + 2 * DAY) >= 1);
    assert_ne!(db.records_epoch(), epoch);
    db.update_node_remembered(&a, &mut ea);
    assert_eq!(db.node(&a.id), Some(a));
    // A reopened database never matches an epoch remembered from before.
    let before = db.records_epoch();
    let s = db.close();
    let db = open(&s);
    assert_ne!(db.records_epoch(), before);
}

#[test]
fn times_are_whole_seconds_and_missing_or_garbled_values_read_zero() {
    let mut db = open(&Storage::memory());
    let id = node(1).id;
    assert_eq!(db.last_ping(&id), SimTime::from_unix_secs(0));
    assert_eq!(db.find_fails(&id), 0);
    db.update_last_ping(&id, t0() + Duration::from_millis(2_900));
    assert_eq!(db.last_ping(&id), t0() + Duration::from_secs(2));
    db.put_raw(&make_key(Some(&id), DISCOVER_PONG), &[0xff, 0xff]);
    assert_eq!(db.last_pong(&id), SimTime::from_unix_secs(0));
    db.put_raw(&make_key(Some(&id), DISCOVER_FIND_FAILS), b"");
    assert_eq!(db.find_fails(&id), 0);
    db.update_find_fails(&id, 7);
    assert_eq!(db.find_fails(&id), 7);
}

#[test]
fn garbled_record_reads_absent_and_is_counted() {
    let mut db = open(&Storage::memory());
    let id = node(4).id;
    db.put_raw(&make_key(Some(&id), DISCOVER_ROOT), b"\xc3junk");
    assert_eq!(db.node(&id), None);
    assert_eq!(db.stats().bad_records, 1);
}

#[test]
fn expiry_deletes_old_never_ponged_and_self() {
    let mut db = open(&Storage::memory());
    let now = t0() + 2 * DAY;
    let stale = node(1); // pong exactly at the threshold: not after it, so expired
    let fresh = node(2); // one second newer: kept
    let never = node(3); // never ponged: reads as Unix 0, expired
    for n in [stale, fresh, never] {
        db.update_node(&n);
    }
    db.update_last_pong(&stale.id, now - DAY);
    db.update_last_pong(&fresh.id, now - DAY + Duration::from_secs(1));
    db.update_last_ping(&never.id, now);
    let me = Node::new("10.0.0.99".parse().unwrap(), 1, 1, self_id());
    db.update_node(&me);
    db.update_last_pong(&me.id, now);

    assert_eq!(db.expire_nodes(now), 3);
    assert_eq!(db.all_nodes(), vec![fresh]);
    // Expiry removes every field, not only the record.
    assert_eq!(db.last_ping(&never.id), SimTime::from_unix_secs(0));
    assert_eq!(db.stats().expired_nodes, 3);
    // Fields without a record are not records and are left alone (as in geth).
    db.update_last_ping(&node(9).id, t0());
    assert_eq!(db.expire_nodes(now), 0);
    assert_eq!(db.last_ping(&node(9).id), t0());
}

#[test]
fn expirer_runs_once_per_cycle_after_it_is_started() {
    let mut db = open(&Storage::memory());
    let hour = Duration::from_secs(3600);
    assert_eq!(db.next_expiry(), None);
    db.update_node(&node(1)); // never ponged: goes at the first run
    assert_eq!(db.poll_expirer(t0() + 10 * hour), 0, "not started");
    db.ensure_expirer(t0());
    db.ensure_expirer(t0() + hour / 2); // a second start changes nothing
    assert_eq!(db.next_expiry(), Some(t0() + hour));
    assert_eq!(db.poll_expirer(t0() + hour - Duration::from_secs(1)), 0);
    assert_eq!(db.stats().expiry_runs, 0);
    assert_eq!(db.poll_expirer(t0() + hour), 1);
    assert_eq!(db.next_expiry(), Some(t0() + 2 * hour));
    // A late poll runs once and skips the missed ticks.
    db.poll_expirer(t0() + 5 * hour + Duration::from_secs(1));
    assert_eq!(db.stats().expiry_runs, 2);
    assert_eq!(db.next_expiry(), Some(t0() + 6 * hour));
}

fn seeded_db(count: u8, now: SimTime) -> NodeDb {
    let mut db = open(&Storage::memory());
    for i in 1..=count {
        db.update_node(&node(i));
        db.update_last_pong(&node(i).id, now);
    }
    db
}

#[test]
fn query_seeds_skips_self_old_and_duplicates() {
    let now = t0() + 10 * DAY;
    let mut db = seeded_db(20, now);
    let me = Node::new("10.0.0.99".parse().unwrap(), 1, 1, self_id());
    db.update_node(&me);
    db.update_last_pong(&me.id, now);
    // Five nodes too old for a 5-day max age.
    for i in 1..=5 {
        db.update_last_pong(&node(i).id, now - 6 * DAY);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for _ in 0..20 {
        let seeds = db.query_seeds(30, 5 * DAY, now, &mut rng);
        assert!(seeds.len() <= 15);
        let mut ids: Vec<_> = seeds.iter().map(|n| n.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), seeds.len(), "duplicate seed");
        for s in &seeds {
            assert_ne!(s.id, self_id());
            assert!(s.id.0[0] > 5, "old node {:?} returned", s.id);
        }
    }
}

#[test]
fn query_seeds_may_return_fewer_than_eligible_and_is_reproducible() {
    let now = t0();
    let mut db = seeded_db(100, now);
    let a = db.query_seeds(30, 5 * DAY, now, &mut ChaCha8Rng::seed_from_u64(42));
    let b = db.query_seeds(30, 5 * DAY, now, &mut ChaCha8Rng::seed_from_u64(42));
    let c = db.query_seeds(30, 5 * DAY, now, &mut ChaCha8Rng::seed_from_u64(43));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(!a.is_empty() && a.len() <= 30);
}

#[test]
fn query_seeds_on_empty_or_pongless_database_is_empty() {
    let mut db = open(&Storage::memory());
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(db.query_seeds(30, 5 * DAY, t0(), &mut rng).is_empty());
    db.update_node(&node(1));
    assert!(db
        .query_seeds(30, 5 * DAY, t0() + 6 * DAY, &mut rng)
        .is_empty());
}

/// A database without records skips the seeks but leaves the random stream where geth's loop
/// leaves it: where a database whose records are all too old (every seek runs, none qualifies).
#[test]
fn query_seeds_on_an_empty_database_draws_as_the_full_loop_does() {
    let now = t0() + 10 * DAY;
    let mut stale = seeded_db(20, now - 6 * DAY);
    let mut empty = open(&Storage::memory());
    assert_eq!(empty.record_count(), 0);
    let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(7));
    assert!(stale.query_seeds(30, 5 * DAY, now, &mut a).is_empty());
    assert!(empty.query_seeds(30, 5 * DAY, now, &mut b).is_empty());
    assert_eq!(a.next_u64(), b.next_u64());
}

#[test]
fn query_seeds_skips_undecodable_records_and_counts_them() {
    let now = t0();
    let mut db = open(&Storage::memory());
    for i in 1..=3u8 {
        let mut id = [0u8; 64];
        id[0] = i * 60;
        db.put_raw(&make_key(Some(&NodeId(id)), DISCOVER_ROOT), b"garbage");
    }
    db.update_node(&node(250));
    db.update_last_pong(&node(250).id, now);
    let seeds = db.query_seeds(5, DAY, now, &mut ChaCha8Rng::seed_from_u64(3));
    assert_eq!(seeds, vec![node(250)]);
    assert!(db.stats().bad_records > 0);
}

#[test]
fn corrupted_in_memory_log_is_recovered() {
    let s = Storage::memory();
    let mut db = open(&s);
    for i in 1..=10 {
        db.update_node(&node(i));
    }
    let s = db.close();
    let log = s
        .file_names()
        .unwrap()
        .into_iter()
        .find(|n| n.ends_with(".log"))
        .unwrap();
    s.write_file(&log, &vec![0xab; 5000]).unwrap();
    let mut db = open(&s);
    assert_eq!(db.stats().recoveries, 1);
    assert_eq!(db.record_count(), 0);
    // The rebuilt database is usable and versioned.
    db.update_node(&node(1));
    assert_eq!(db.node(&node(1).id), Some(node(1)));
    let s = db.close();
    assert_eq!(open(&s).stats().recoveries, 0);
}

#[test]
fn write_behind_coalesces_writes_and_reads_never_notice() {
    let s = Storage::memory();
    let mut db = open(&s);
    assert_eq!(db.config().write_behind, Duration::from_secs(1800));
    let id = node(1).id;
    db.update_node(&node(1));
    db.update_last_pong(&id, t0());
    db.update_last_pong(&id, t0() + Duration::from_secs(1));
    assert_eq!(db.last_pong(&id), t0() + Duration::from_secs(1));
    assert_eq!(db.stats().db_writes, 0, "nothing reached rusty-leveldb yet");
    // The clock starts the wait at the first poll; the batch goes once it has waited enough.
    db.maybe_flush(t0());
    db.maybe_flush(t0() + Duration::from_secs(1799));
    assert_eq!(db.stats().db_batches, 0);
    db.maybe_flush(t0() + Duration::from_secs(1800));
    assert_eq!(
        (db.stats().db_writes, db.stats().db_batches),
        (2, 1),
        "two keys, one batch"
    );
    // A scan sees pending writes: query_seeds flushes first.
    db.update_node(&node(2));
    db.update_last_pong(&node(2).id, t0());
    let seeds = db.query_seeds(10, DAY, t0(), &mut ChaCha8Rng::seed_from_u64(1));
    assert_eq!(seeds.len(), 2);
    // Close flushes what is pending; the values survive a reopen.
    db.update_find_fails(&id, 3);
    let s = db.close();
    let mut db = open(&s);
    assert_eq!(db.find_fails(&id), 3);
    assert_eq!(db.last_pong(&id), t0() + Duration::from_secs(1));
}

#[test]
fn write_through_when_write_behind_is_zero() {
    let cfg = NodeDbConfig {
        write_behind: Duration::ZERO,
        ..NodeDbConfig::default()
    };
    let mut db = NodeDb::open(Storage::memory(), self_id(), cfg).unwrap();
    db.update_last_ping(&node(1).id, t0());
    db.update_last_ping(&node(1).id, t0());
    assert_eq!((db.stats().db_writes, db.stats().db_batches), (2, 2));
}

/// The mirror keys nodes by handles that number IDs in the order a thread first met them; a
/// database's files must not depend on that order (nor on what else the thread holds).
#[test]
fn the_files_do_not_depend_on_the_threads_interning_order() {
    let files = |pre_intern: bool| {
        std::thread::spawn(move || {
            if pre_intern {
                for i in (1..=40u8).rev() {
                    crate::discv4::intern::IdHandle::intern(&node(i).id);
                }
            }
            let s = Storage::memory();
            let mut db = open(&s);
            for round in 0..3u64 {
                for i in 1..=40u8 {
                    let t = t0() + Duration::from_secs(round * 60 + u64::from(i));
                    db.update_last_ping(&node(i).id, t);
                    if i % 3 != 0 {
                        db.update_last_pong(&node(i).id, t);
                        db.update_node(&node(i));
                    }
                    if i % 7 == 0 {
                        db.update_find_fails(&node(i).id, round as i64);
                    }
                }
                db.flush();
            }
            let s = db.close();
            s.file_names()
                .unwrap()
                .into_iter()
                .map(|f| (s.read_file(&f).unwrap(), f))
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap()
    };
    let plain = files(false);
    assert!(plain
        .iter()
        .any(|(_, f)| f.ends_with(".ldb") || f.ends_with(".log")));
    assert_eq!(plain, files(true));
}

#[test]
fn the_manifest_stays_small_however_long_the_database_is_open() {
    // Every flush of a full batch writes a table and a version edit, every fourth one a
    // compaction too; rusty-leveldb alone appends them all to one manifest for as long as the
    // database is open (87 KB here). The vendored patch starts a new one past 8 KiB.
    let s = Storage::memory();
    let mut db = open(&s);
    let ids: Vec<NodeId> = (0..120u8).map(|i| node(i).id).collect();
    let last = |round: u64| t0() + Duration::from_secs(60 * round);
    for round in 0..300 {
        for id in &ids {
            db.update_last_pong(id, last(round));
        }
        db.flush();
    }
    let manifests: Vec<String> = s
        .file_names()
        .unwrap()
        .into_iter()
        .filter(|f| f.starts_with("MANIFEST"))
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    let size = s.read_file(&manifests[0]).unwrap().len();
    assert!(size <= 12 * 1024, "manifest of {size} bytes");
    // The rotated manifest describes the database completely.
    let s = db.close();
    let mut db = open(&s);
    for id in &ids {
        assert_eq!(db.last_pong(id), last(299));
    }
}

#[test]
fn rewriting_the_same_keys_does_not_grow_the_database() {
    // Compactions must drop the versions a newer write replaced. rusty-leveldb 4.0.2 kept them
    // all once any iterator had existed (its snapshot list never became empty again): a
    // database of a fixed set of nodes grew by every batch (683 KB after these 64 batches of 200
    // nodes, against 176 KB after the first eight). The vendored patch fixes it.
    let s = Storage::memory();
    let mut db = open(&s);
    let ids: Vec<NodeId> = (0..200u8).map(|i| node(i).id).collect();
    for i in 0..200u8 {
        db.update_node(&node(i));
    }
    // The expirer and the seed query scan with iterators; one scan is enough to matter.
    db.query_seeds(30, DAY, t0(), &mut ChaCha8Rng::seed_from_u64(1));
    let bytes = |s: &Storage| -> usize {
        let names = s.file_names().unwrap();
        names.iter().map(|f| s.read_file(f).unwrap().len()).sum()
    };
    let mut early = 0;
    for batch in 0..64u64 {
        let t = t0() + Duration::from_secs(1800 * batch);
        for id in &ids {
            db.update_last_ping(id, t);
            db.update_last_pong(id, t + Duration::from_secs(1));
        }
        db.flush();
        if batch == 7 {
            early = bytes(&s);
        }
    }
    let late = bytes(&s);
    assert!(
        late < early * 3 / 2,
        "{early} bytes after 8 batches, {late} after 64"
    );
    assert_eq!(
        db.last_pong(&ids[0]),
        t0() + Duration::from_secs(1800 * 63 + 1)
    );
}
