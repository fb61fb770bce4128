use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn t0() -> SimTime {
    SimTime::DEFAULT_EPOCH
}

/// A hash at log distance `d` from the zero hash, with `salt` in the low bytes to make it unique.
fn hash_at(d: u32, salt: u16) -> NodeHash {
    let mut h = [0u8; 32];
    let bit = d - 1;
    h[31 - (bit / 8) as usize] |= 1 << (bit % 8);
    let s = salt.to_be_bytes();
    // Salt below the distance bit (distances used here are >= 200).
    h[30] ^= s[0];
    h[31] ^= s[1];
    NodeHash(h)
}

/// A node at distance `d`, with a public IP in its own /24 unless `ip` is given.
fn node_at(d: u32, salt: u16) -> Node {
    let mut id = [0u8; 64];
    id[0..4].copy_from_slice(&d.to_be_bytes());
    id[4..6].copy_from_slice(&salt.to_be_bytes());
    let ip: IpAddr = format!("11.{}.{}.1", d % 256, salt % 256).parse().unwrap();
    Node::with_hash(ip, 30303, 30303, NodeId(id), hash_at(d, salt))
}

fn with_ip(n: Node, ip: &str) -> Node {
    Node::with_hash(ip.parse().unwrap(), n.udp, n.tcp, n.id, *n.hash())
}

/// The entry of `id` in bucket `bi`, revalidated successfully (as the protocol does it).
fn reval(t: &mut Table, bi: usize, id: &NodeId, seq: Option<u64>) -> bool {
    let last = (bi < t.config().n_buckets)
        .then(|| t.bucket(bi).0.iter().find(|e| e.node.id == *id).cloned())
        .flatten();
    match last {
        Some(last) => t.revalidated(bi, &last, seq),
        None => false,
    }
}

fn table() -> Table {
    let me = Node::with_hash(
        "11.255.255.1".parse().unwrap(),
        30303,
        30303,
        NodeId([0xff; 64]),
        NodeHash([0; 32]),
    );
    Table::new(&me, TableConfig::default())
}

#[test]
fn buckets_by_distance() {
    let t = table();
    assert_eq!(t.bucket_index(&hash_at(200, 1)), 0);
    assert_eq!(t.bucket_index(&hash_at(239, 1)), 0);
    assert_eq!(t.bucket_index(&hash_at(240, 1)), 0);
    assert_eq!(t.bucket_index(&hash_at(241, 1)), 1);
    assert_eq!(t.bucket_index(&hash_at(256, 1)), 16);
    assert_eq!(t.bucket_index(&NodeHash([0; 32])), 0);
}

#[test]
fn add_puts_new_nodes_in_front_and_bump_moves_them() {
    let mut t = table();
    let (a, b, c) = (node_at(250, 1), node_at(250, 2), node_at(250, 3));
    for n in [a, b, c] {
        assert_eq!(t.add(n, t0()), AddOutcome::Added);
    }
    let ids = |t: &Table| t.bucket(10).0.iter().map(|e| e.node.id).collect::<Vec<_>>();
    assert_eq!(ids(&t), vec![c.id, b.id, a.id]);
    assert!(reval(&mut t, 10, &a.id, None));
    assert!(
        !reval(&mut t, 9, &a.id, None),
        "revalidation bumps in the bucket it drew"
    );
    assert_eq!(ids(&t), vec![a.id, c.id, b.id]);
    // A revalidation bump keeps the entry's time; an add of a fresh object clears it.
    assert_eq!(t.bucket(10).0[0].added_at, Some(t0()));
    assert_eq!(t.add(b, t0()), AddOutcome::Bumped);
    assert_eq!(ids(&t), vec![b.id, a.id, c.id]);
    assert_eq!(t.bucket(10).0[0].added_at, None);
}

#[test]
fn self_is_added_as_in_geth_2018_unless_guarded() {
    let me = Node::with_hash(
        "11.1.1.1".parse().unwrap(),
        1,
        1,
        NodeId([0xff; 64]),
        NodeHash([0; 32]),
    );
    let mut t = table();
    assert_eq!(t.add(me, t0()), AddOutcome::Added);
    assert_eq!(t.bucket(0).0[0].node.id, me.id);
    let cfg = TableConfig {
        guard_self: true,
        ..TableConfig::default()
    };
    let mut t = Table::new(&me, cfg);
    assert_eq!(t.add(me, t0()), AddOutcome::Ignored);
    assert!(t.is_empty());
}

#[test]
fn full_bucket_fills_replacements_which_keep_the_newest_ten() {
    let mut t = table();
    for s in 0..16 {
        assert_eq!(t.add(node_at(256, s), t0()), AddOutcome::Added);
    }
    for s in 16..30 {
        assert_eq!(t.add(node_at(256, s), t0()), AddOutcome::Replacement);
    }
    // Already a replacement.
    assert_eq!(t.add(node_at(256, 29), t0()), AddOutcome::Ignored);
    let (entries, repl) = t.bucket(16);
    assert_eq!(entries.len(), 16);
    assert_eq!(repl.len(), 10);
    assert_eq!(repl[0].id, node_at(256, 29).id);
    assert_eq!(repl[9].id, node_at(256, 20).id);
    assert_eq!(t.len(), 16);
}

#[test]
fn ip_limits_per_bucket_and_table() {
    let mut t = table();
    // Three nodes of one /24 in one bucket: the third is refused even as a replacement.
    let a = with_ip(node_at(250, 1), "12.0.0.1");
    let b = with_ip(node_at(250, 2), "12.0.0.2");
    let c = with_ip(node_at(250, 3), "12.0.0.3");
    assert_eq!(t.add(a, t0()), AddOutcome::Added);
    assert_eq!(t.add(b, t0()), AddOutcome::Added);
    assert_eq!(t.add(c, t0()), AddOutcome::Ignored);
    // Table-wide: ten per /24 across buckets (two per bucket here).
    let mut added = 2;
    for d in 245..256 {
        for s in 0..2 {
            let n = with_ip(
                node_at(d, 10 + s),
                &format!("12.0.0.{}", 10 + d as u16 * 2 + s - 245 * 2),
            );
            if t.add(n, t0()) == AddOutcome::Added {
                added += 1;
            }
        }
    }
    assert_eq!(added, 10);
    // Deleting frees the address.
    assert!(t.delete(&a));
    assert_eq!(t.add(c, t0()), AddOutcome::Added);
    // LAN addresses are exempt.
    for s in 0..5 {
        let n = with_ip(node_at(241, s), &format!("10.0.0.{}", s + 1));
        assert_eq!(t.add(n, t0()), AddOutcome::Added);
    }
}

#[test]
fn ip_limits_can_be_switched_off() {
    let me = Node::with_hash(
        "11.0.0.1".parse().unwrap(),
        1,
        1,
        NodeId([0xff; 64]),
        NodeHash([0; 32]),
    );
    let cfg = TableConfig {
        ip_limits: false,
        ..TableConfig::default()
    };
    let mut t = Table::new(&me, cfg);
    for s in 0..5 {
        let n = with_ip(node_at(250, s), &format!("12.0.0.{}", s + 1));
        assert_eq!(t.add(n, t0()), AddOutcome::Added);
    }
}

#[test]
fn replace_promotes_a_replacement_only_if_the_node_is_still_last() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut t = table();
    for s in 0..18 {
        t.add(node_at(256, s), t0());
    }
    let last = t.bucket(16).0.last().unwrap().node;
    assert_eq!(last.id, node_at(256, 0).id);
    // Moved meanwhile: nothing happens.
    reval(&mut t, 16, &last.id, None);
    assert_eq!(t.replace(16, &last.id, &mut rng), None);
    assert_eq!(t.len(), 16);
    // Still last: a replacement takes its place.
    let last = t.bucket(16).0.last().unwrap().node;
    let r = t.replace(16, &last.id, &mut rng).unwrap();
    assert!(r.id == node_at(256, 16).id || r.id == node_at(256, 17).id);
    assert_eq!(t.bucket(16).0.last().unwrap().node.id, r.id);
    assert_eq!(t.bucket(16).1.len(), 1);
    assert!(!t.contains(&last.id));
    // With no replacements the failed node is deleted.
    let mut t2 = table();
    t2.add(node_at(250, 1), t0());
    assert_eq!(t2.replace(10, &node_at(250, 1).id, &mut rng), None);
    assert!(t2.is_empty());
}

#[test]
fn revalidation_picks_the_last_entry_of_a_random_nonempty_bucket() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut t = table();
    assert_eq!(t.node_to_revalidate(&mut rng), None);
    t.add(node_at(250, 1), t0());
    t.add(node_at(250, 2), t0());
    t.add(node_at(256, 1), t0());
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..50 {
        let (bi, n) = t.node_to_revalidate(&mut rng).unwrap();
        assert_eq!(t.bucket(bi).0.last().unwrap().node.id, n.node.id);
        seen.insert(bi);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![10, 16]);
}

#[test]
fn closest_matches_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let me = Node::new("11.0.0.1".parse().unwrap(), 1, 1, NodeId::random(&mut rng));
    let cfg = TableConfig {
        ip_limits: false,
        ..TableConfig::default()
    };
    let mut t = Table::new(&me, cfg);
    for i in 0..300u32 {
        let ip: IpAddr = format!("11.1.{}.{}", i / 256, i % 256).parse().unwrap();
        t.add(Node::new(ip, 30303, 30303, NodeId::random(&mut rng)), t0());
    }
    let target = NodeId::random(&mut rng).hash();
    let mut all: Vec<Node> = t.entries().map(|e| e.node).collect();
    all.sort_by(|a, b| target.cmp_distance(a.hash(), b.hash()));
    let got = t.closest(&target, 16);
    assert_eq!(got, all[..16].to_vec());
}

/// `closest` skips buckets by their lowest distance: it must be the lowest distance that lands
/// in the bucket, for any layout of buckets.
#[test]
fn min_distance_of_bucket_is_where_the_bucket_starts() {
    for (n_buckets, bucket_min_distance) in
        [(17, 239), (8, 242), (3, 200), (1, 0), (257, 0), (20, 250)]
    {
        let c = TableConfig {
            n_buckets,
            bucket_min_distance,
            ..TableConfig::default()
        };
        for d in 0..=HASH_BITS {
            let b = c.bucket_for_distance(d);
            assert!(
                c.min_distance_of_bucket(b) <= d,
                "{n_buckets}/{bucket_min_distance}: {d}"
            );
            if d > 0 && c.bucket_for_distance(d - 1) != b {
                assert_eq!(
                    c.min_distance_of_bucket(b),
                    d,
                    "{n_buckets}/{bucket_min_distance}"
                );
            }
        }
        for b in 0..n_buckets {
            let lo = c.min_distance_of_bucket(b);
            if lo > HASH_BITS {
                assert!((0..=HASH_BITS).all(|d| c.bucket_for_distance(d) != b));
            }
        }
    }
}

#[test]
fn closest_list_is_bounded_and_sorted() {
    let target = NodeHash([0; 32]);
    let mut c = Closest::new(target, 3);
    for (d, s) in [(250, 1), (240, 1), (256, 1), (245, 1), (230, 1)] {
        c.push(node_at(d, s));
    }
    let ds: Vec<u32> = c
        .nodes()
        .iter()
        .map(|n| target.log_distance(n.hash()))
        .collect();
    assert_eq!(ds, vec![230, 240, 245]);
}

#[test]
fn live_nodes_need_five_minutes_unless_bumped_by_a_fresh_object() {
    let mut t = table();
    let five = Duration::from_secs(300);
    t.add(node_at(250, 1), t0());
    t.add(node_at(250, 2), t0() + Duration::from_secs(200));
    let at = t0() + five;
    assert_eq!(
        t.live_nodes(at, five, false).copied().collect::<Vec<_>>(),
        vec![node_at(250, 1)]
    );
    t.add(node_at(250, 2), at); // a fresh object bumps it: Go's zero addedAt
    assert_eq!(t.live_nodes(at, five, false).count(), 2);
}

/// D5: geth 2018's `delete` releases the node's IP from the limits even when the node is not in
/// its bucket (table.go:697-700: `deleteInBucket` = `deleteNode` + `removeIP`, unconditionally).
#[test]
fn delete_of_an_absent_node_still_releases_its_ip() {
    let mut t = table();
    let subnet = |s: u16| format!("12.0.0.{}", s + 1);
    // Two nodes of one /24 fill bucket 10's subnet allowance (2)...
    let (a, b) = (
        with_ip(node_at(250, 1), &subnet(1)),
        with_ip(node_at(250, 2), &subnet(2)),
    );
    assert_eq!(t.add(a, t0()), AddOutcome::Added);
    assert_eq!(t.add(b, t0()), AddOutcome::Added);
    let c = with_ip(node_at(250, 3), &subnet(3));
    assert_eq!(
        t.add(c, t0()),
        AddOutcome::Ignored,
        "subnet full, even as a replacement"
    );
    // ...until a FINDNODE failure deletes a node of that subnet that was never in the table.
    let stranger = with_ip(node_at(250, 9), &subnet(9));
    assert!(!t.delete(&stranger));
    assert_eq!(t.len(), 2);
    assert_eq!(
        t.add(c, t0()),
        AddOutcome::Added,
        "the stranger's delete freed a slot"
    );
    assert_eq!(t.len(), 3);
}

/// D6: bootnodes are long-lived objects in geth (`tab.nursery`); a refresh bumps the entry with
/// the same object, so its `addedAt` survives and copyLiveNodes writes it only after
/// seedMinTableTime (table.go:205-219, 690). A fresh object's bump clears it.
#[test]
fn a_long_lived_object_keeps_its_added_time_across_bumps() {
    let mut t = table();
    let boot = node_at(250, 1);
    let mut boot_added = None;
    assert_eq!(t.add_object(boot, t0(), &mut boot_added), AddOutcome::Added);
    assert_eq!(boot_added, Some(t0()));
    let later = t0() + Duration::from_secs(60);
    assert_eq!(
        t.add_object(boot, later, &mut boot_added),
        AddOutcome::Bumped
    );
    let min = Duration::from_secs(300);
    assert!(
        t.live_nodes(later, min, false).next().is_none(),
        "in the table for 1 min only"
    );
    assert_eq!(t.live_nodes(t0() + min, min, false).count(), 1);
    // The same node decoded from a packet is a new object: zero addedAt, copied at once.
    assert_eq!(t.add(boot, later), AddOutcome::Bumped);
    assert_eq!(t.live_nodes(later, min, false).count(), 1);
}

/// D7: a seed read from geth 2018's database has a zero hash, so it lands in the bucket of
/// `logdist(self.sha, 0)` whatever its ID (table.go:543-547), and a second copy with its real
/// hash goes to its real bucket.
#[test]
fn zero_hash_nodes_share_the_bucket_of_the_zero_distance() {
    let mut t = table();
    let zero_bucket = t.bucket_index(&NodeHash([0; 32]));
    for s in 0..30u16 {
        let real = node_at(241 + (s % 10) as u32, s);
        let seed = Node::with_hash(real.ip, real.udp, real.tcp, real.id, NodeHash([0; 32]));
        t.add(seed, t0());
    }
    let (entries, replacements) = t.bucket(zero_bucket);
    assert_eq!(
        (entries.len(), replacements.len()),
        (16, 10),
        "26 of 30 seeds kept"
    );
    assert_eq!(t.len(), 16);
    let real = node_at(245, 4); // seed 4, with its real hash
    assert_ne!(t.bucket_index(real.hash()), zero_bucket);
    assert_eq!(
        t.add(real, t0()),
        AddOutcome::Added,
        "the hashed copy is another entry"
    );
    assert_eq!(t.len(), 17);
}

/// geth 2019 (a89170cfb2): a "seen" add appends and never moves an entry; a "verified" add
/// moves it to the front as a fresh object whose liveness count is 0 (table.go:438-508, 593).
#[test]
fn seen_adds_append_and_verified_adds_reset_the_entry() {
    let mut t = table();
    let (a, b, c) = (node_at(250, 1), node_at(250, 2), node_at(250, 3));
    for n in [a, b, c] {
        assert_eq!(t.add_seen(n, t0()), AddOutcome::Added);
    }
    let ids = |t: &Table| t.bucket(10).0.iter().map(|e| e.node.id).collect::<Vec<_>>();
    assert_eq!(ids(&t), vec![a.id, b.id, c.id], "appended at the back");
    assert_eq!(
        t.add_seen(c, t0()),
        AddOutcome::Ignored,
        "present: not moved"
    );
    assert_eq!(ids(&t), vec![a.id, b.id, c.id]);
    assert!(reval(&mut t, 10, &c.id, Some(1)));
    assert_eq!(ids(&t), vec![c.id, a.id, b.id]);
    let e = &t.bucket(10).0[0];
    assert_eq!(
        (e.liveness_checks, e.enr_seq, e.added_at),
        (1, 1, Some(t0()))
    );
    assert_eq!(
        t.add_verified(c, t0() + Duration::from_secs(9)),
        AddOutcome::Bumped
    );
    let e = &t.bucket(10).0[0];
    assert_eq!(
        (e.liveness_checks, e.enr_seq, e.added_at),
        (0, 0, None),
        "a fresh object"
    );
    // Self is refused by both.
    let me = Node::with_hash(
        "11.255.255.1".parse().unwrap(),
        30303,
        30303,
        NodeId([0xff; 64]),
        NodeHash([0; 32]),
    );
    assert_eq!(t.add_seen(me, t0()), AddOutcome::Ignored);
    assert_eq!(t.add_verified(me, t0()), AddOutcome::Ignored);
}

/// geth 2019 (f0c6f92140): FINDNODE answers and the database copy take only entries that passed
/// a revalidation (v4_udp.go:893, table.go:388); the lookup's start takes every entry.
#[test]
fn only_revalidated_entries_answer_findnode_and_reach_the_database() {
    let mut t = table();
    let (a, b) = (node_at(250, 1), node_at(251, 2));
    t.add_seen(a, t0());
    t.add_seen(b, t0());
    let target = hash_at(250, 7);
    assert_eq!(t.closest(&target, 16).len(), 2);
    assert!(t.closest_checked(&target, 16).is_empty());
    let bi = t.bucket_index(b.hash());
    assert!(reval(&mut t, bi, &b.id, None));
    assert_eq!(t.closest_checked(&target, 16), vec![b]);
    let later = t0() + Duration::from_secs(300);
    let five = Duration::from_secs(300);
    assert_eq!(
        t.live_nodes(later, five, true).copied().collect::<Vec<_>>(),
        vec![b]
    );
    assert_eq!(t.live_nodes(later, five, false).count(), 2);
}

/// A revalidation stores back the object it pinged, with one more liveness check, even if a
/// PING replaced the entry with a fresh object meanwhile (2019: `bumpInBucket(b, last)`,
/// table.go:345; 2018: `b.bump(last)`, table.go:470).
#[test]
fn a_revalidation_restores_the_object_it_pinged() {
    let mut t = table();
    let a = node_at(250, 1);
    t.add_seen(a, t0());
    let last = t.bucket(10).0[0].clone();
    assert_eq!(
        t.add_verified(a, t0() + Duration::from_secs(1)),
        AddOutcome::Bumped
    );
    assert_eq!(t.bucket(10).0[0].added_at, None, "the PING's fresh object");
    assert!(t.revalidated(10, &last, Some(1)));
    let e = &t.bucket(10).0[0];
    assert_eq!(
        (e.added_at, e.liveness_checks, e.enr_seq),
        (Some(t0()), 1, 1)
    );
}

proptest::proptest! {
    /// `Closest` is a stable sort by distance cut at `max`: a node as far as one already kept goes
    /// after it (ties from a small pool of IDs, the same ID at several ports), whether offered by
    /// reference or pushed.
    #[test]
    fn closest_is_a_stable_sort_cut_at_max(picks in proptest::collection::vec((0usize..6, 0u16..1000), 0..40), max in 0usize..10, by_ref: bool) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let ids: Vec<NodeId> = (0..6).map(|_| NodeId::random(&mut rng)).collect();
        let target = NodeId::random(&mut rng).hash();
        let nodes: Vec<Node> = picks
            .iter()
            .map(|&(i, port)| Node::new("11.0.0.1".parse().unwrap(), port, port, ids[i]))
            .collect();
        let mut c = Closest::new(target, max);
        for n in &nodes {
            if by_ref {
                c.offer(n);
            } else {
                c.push(*n);
            }
        }
        let mut want = nodes.clone();
        want.sort_by(|a, b| target.cmp_distance(a.hash(), b.hash()));
        want.truncate(max);
        proptest::prop_assert_eq!(c.into_nodes(), want);
    }

    /// A bump is geth's remove-then-push-at-the-front, done as one rotation.
    #[test]
    fn move_to_front_is_remove_then_insert_at_front(len in 1usize..17, pick in 0usize..16, salt in 0u16..100) {
        let i = pick % len;
        let entries: Vec<Entry> = (0..len as u16).map(|k| Entry::fresh(node_at(250, k), None)).collect();
        let entry = Entry::fresh(node_at(250, 1000 + salt), Some(t0()));
        let mut want = entries.clone();
        want.remove(i);
        want.insert(0, entry.clone());
        let mut got = entries;
        move_to_front(&mut got, i, entry);
        proptest::prop_assert_eq!(got, want);
    }

    /// `closest` visits the buckets nearest first and stops early; it must give exactly what
    /// geth's full scan gives (every entry in bucket order, stably sorted by distance, cut at
    /// `n`): for targets at every distance from self, bucket layouts with ranged first and last
    /// buckets, the liveness filter, and ties (nodes sharing a hash, which share a bucket).
    #[test]
    fn closest_is_geths_full_scan(
        picks in proptest::collection::vec((0u32..=256, proptest::prelude::any::<[u8; 32]>(), 0usize..4), 0..120),
        target_d in 0u32..=256,
        target_bits in proptest::prelude::any::<[u8; 32]>(),
        n in 0usize..20,
        layout in 0usize..3,
        checked: bool,
    ) {
        let cfg = match layout {
            0 => TableConfig::default(),
            // A ranged last bucket (distances 250 to 256) and a wide first one.
            1 => TableConfig { n_buckets: 8, bucket_min_distance: 242, ..TableConfig::default() },
            _ => TableConfig { n_buckets: 3, bucket_min_distance: 200, bucket_size: 40, ..TableConfig::default() },
        };
        let cfg = TableConfig { ip_limits: false, ..cfg };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let me = Node::new("11.0.0.1".parse().unwrap(), 1, 1, NodeId::random(&mut rng));
        // A hash at log distance `d` from `base`, its lower bits from `bits`.
        let at = |base: &NodeHash, d: u32, bits: &[u8; 32]| {
            let mut h = base.0;
            for bit in 0..d {
                let (byte, mask) = (31 - (bit / 8) as usize, 1u8 << (bit % 8));
                let flip = if bit + 1 == d { true } else { bits[byte] & mask != 0 };
                if flip {
                    h[byte] ^= mask;
                }
            }
            NodeHash(h)
        };
        let mut t = Table::new(&me, cfg);
        let mut shared = Vec::new();
        for (i, (d, bits, dup)) in picks.iter().enumerate() {
            // Some nodes reuse an earlier node's hash under a new ID: a tie at any target.
            let hash = match shared.get(*dup) {
                Some(h) if i % 3 == 0 => *h,
                _ => at(me.hash(), *d, bits),
            };
            shared.push(hash);
            let mut id = [0u8; 64];
            id[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let ip: IpAddr = format!("11.{}.{}.1", i / 256, i % 256).parse().unwrap();
            t.add(Node::with_hash(ip, 1, 1, NodeId(id), hash), t0());
            if i % 2 == 0 {
                // Half the entries pass a revalidation (geth 2019's live check).
                let bi = t.bucket_index(&hash);
                if let Some(e) = t.bucket(bi).0.iter().find(|e| e.node.id == NodeId(id)).cloned() {
                    t.revalidated(bi, &e, None);
                }
            }
        }
        let target = at(me.hash(), target_d, &target_bits);
        let mut want: Vec<Node> = t
            .entries()
            .filter(|e| !checked || e.liveness_checks > 0)
            .map(|e| e.node)
            .collect();
        want.sort_by(|a, b| target.cmp_distance(a.hash(), b.hash()));
        want.truncate(n);
        let got = if checked { t.closest_checked(&target, n) } else { t.closest(&target, n) };
        proptest::prop_assert_eq!(got, want);
    }
}
