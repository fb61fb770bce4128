//! One test per rule that differs between the profiles, each with geth's expected behaviour and
//! the line of geth's source it comes from.

use std::time::Duration;

use crate::discv4::node::NodeId;
use crate::discv4::nodedb::NodeDbConfig;
use crate::discv4::packet::PacketKind;
use crate::discv4::protocol::harness::*;
use crate::discv4::protocol::{PeerEvent, Profile, ProtocolConfig};
use crate::sim::rng::{stream, Purpose};

fn cfg(profile: Profile) -> ProtocolConfig {
    ProtocolConfig {
        profile,
        // Quiet tables: only what a test does moves them.
        revalidate_interval: Duration::from_secs(1_000_000),
        ..discovery_only()
    }
}

/// Peers 0 and 1 bonded both ways, peer 1's table holding peer 0; then peer 1 records `fails`
/// FINDNODE failures of peer 0, probes once, and we count what it sent to peer 0.
fn probe_after_bond(net: &mut Net, fails: i64) -> (u64, u64) {
    for i in 0..2 {
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(30));
    net.db(1).update_find_fails(&node(0).id, fails);
    let before = net.peers[1].stats().sent;
    let at = net.now;
    let target = NodeId::random(&mut stream(3, Purpose::Observer, 0, 0));
    net.peers[1].start_probe(at, target, 1);
    net.flush(1);
    net.run_until(at + Duration::from_secs(5));
    let after = net.peers[1].stats().sent;
    let d = |k: PacketKind| after[k.index()] - before[k.index()];
    (d(PacketKind::Ping), d(PacketKind::FindNode))
}

/// D1: geth-2018 pings before FINDNODE only when the target's last PING is older than the bond
/// lifetime (udp.go:311); failure counts play no part. geth-2019 also re-bonds after more than
/// `maxFindnodeFailures` failures (ensureBond, 350a87dd3c).
#[test]
fn d1_findnode_failures_do_not_trigger_a_bond_in_2018() {
    for (profile, pings) in [(Profile::Geth2018, 0), (Profile::Geth2019, 1)] {
        let mut net = Net::new(2, cfg(profile));
        // Peer 1 has a fresh PING from the bootnode, and 7 recorded failures.
        let (ping, findnode) = probe_after_bond(&mut net, 7);
        assert_eq!(findnode, 1, "{profile}");
        assert_eq!(ping, pings, "{profile}: bonding pings before the FINDNODE");
    }
}

/// D2: geth-2018's bond lifetime is `nodeDBNodeExpiration` (hasBond, database.go:288; udp.go:311
/// and 611): a node expiry of 1 h also ends bonds after 1 h, on both sides. geth-2019 keeps its
/// own 24 h `bondExpiration`.
#[test]
fn d2_the_2018_bond_lifetime_is_the_node_expiration() {
    let db = NodeDbConfig {
        node_expiration: Duration::from_secs(3600),
        ..NodeDbConfig::default()
    };
    for (profile, bonded) in [(Profile::Geth2018, false), (Profile::Geth2019, true)] {
        let mut net = Net::with_db(2, cfg(profile), db.clone());
        let (a, b) = (node(0).id, node(1).id);
        // Each side last heard from the other two hours ago.
        let old = t0() - Duration::from_secs(7200);
        net.db(0).update_last_pong(&b, old);
        net.db(0).update_last_ping(&b, old);
        net.db(1).update_last_pong(&a, old);
        net.db(1).update_last_ping(&a, old);
        let mut lifetime = net.peers[0].bond_lifetime();
        assert_eq!(
            lifetime == Duration::from_secs(3600),
            profile == Profile::Geth2018
        );
        // Peer 1 sends FINDNODE straight away if it thinks it is bonded.
        net.peers[1].start(t0());
        net.flush(1);
        let ping = net.peers[1].stats().sent[PacketKind::Ping.index()];
        let findnode = net.peers[1].stats().sent[PacketKind::FindNode.index()];
        assert_eq!(
            (ping, findnode),
            if bonded { (0, 1) } else { (1, 0) },
            "{profile}"
        );
        lifetime = net.peers[1].bond_lifetime();
        assert!(lifetime >= Duration::from_secs(3600));
    }
}

/// D3: after the bonding PING's answer, geth-2018 registers `waitping` from another goroutine
/// than the read loop (udp.go:302-314), so the target's ping-back, queued right behind its PONG,
/// is caught only sometimes; otherwise the wait runs to its 500 ms timeout. The gap from the
/// bonding PING to the FINDNODE is then either about one round trip or one round trip plus
/// 500 ms: real geth measured 6,911 under 250 ms and 13,208 at 550-800 ms on the 400-peer ramp.
/// geth-2019 sleeps 500 ms, always.
#[test]
fn d3_the_bond_gap_has_two_modes_in_2018_and_one_in_2019() {
    let gaps = |profile: Profile, catch: f64| {
        let c = ProtocolConfig {
            waitping_catch: catch,
            ..cfg(profile)
        };
        let mut net = Net::new(60, c);
        for i in 0..60 {
            net.start(i);
        }
        net.run_until(t0() + Duration::from_secs(60));
        let mut bins = [0u64; 4];
        for p in &net.peers {
            for (b, n) in bins.iter_mut().zip(p.stats().bond_gaps) {
                *b += n;
            }
        }
        bins
    };
    let g = gaps(Profile::Geth2018, discovery_only().waitping_catch);
    let total: u64 = g.iter().sum();
    assert!(total > 100, "{g:?}");
    let fast = g[0] as f64 / total as f64;
    assert!((0.2..0.5).contains(&fast), "share caught {fast:.2}: {g:?}");
    assert!(g[2] as f64 / total as f64 > 0.5, "the timeout mode: {g:?}");
    assert_eq!(g[1] + g[3], 0, "{g:?}");
    assert_eq!(
        gaps(Profile::Geth2018, 1.0)[2],
        0,
        "always caught: one mode"
    );
    assert_eq!(
        gaps(Profile::Geth2018, 0.0)[0],
        0,
        "never caught: the other"
    );
    let g19 = gaps(Profile::Geth2019, 0.34);
    assert_eq!(g19[0] + g19[1] + g19[3], 0, "geth-2019 sleeps: {g19:?}");
}

/// D6: bootnodes are long-lived objects (`tab.nursery`, table.go:205-219); a refresh bumps their
/// entry with the same object, so they reach the database after seedMinTableTime (5 min) like
/// any node, not at the first copy.
#[test]
fn d6_bootnodes_reach_the_database_after_five_minutes() {
    let mut net = Net::new(2, cfg(Profile::Geth2018));
    net.start(0);
    net.start(1);
    let boot = node(0).id;
    net.run_until(t0() + Duration::from_secs(240));
    assert!(net.db(1).node(&boot).is_none(), "not after 4 minutes");
    net.run_until(t0() + Duration::from_secs(331));
    assert!(
        net.db(1).node(&boot).is_some(),
        "after 5 minutes and a copy"
    );
}

/// D7: geth-2018's seeds have a zero hash (database.go:350-364 never sets `Node.sha`), so all of
/// them go to the bucket of `logdist(self.sha, 0)`: 16 entries and 10 replacements, the rest
/// dropped. Reproduced with geth's own newTable: 30 seeds in, 26 in the table, one bucket.
#[test]
fn d7_seeds_from_the_2018_database_share_one_bucket() {
    let run = |hash_seeds: Option<bool>| {
        let c = ProtocolConfig {
            hash_seeds,
            seed_min_table_time: Duration::ZERO,
            ..cfg(Profile::Geth2018)
        };
        let mut net = Net::new(1, c);
        let now = t0() + Duration::from_secs(86400);
        net.now = now;
        for i in 1..=40 {
            let n = node(i);
            net.db(0).update_node(&n);
            net.db(0)
                .update_last_pong(&n.id, now - Duration::from_secs(60));
        }
        net.start(0);
        let t = net.peers[0].table();
        let buckets: std::collections::BTreeSet<usize> =
            t.entries().map(|e| t.bucket_index(e.node.hash())).collect();
        let started = net.events.iter().find_map(|(_, e)| match e {
            PeerEvent::Started {
                seeds, seeds_kept, ..
            } => Some((seeds.len(), *seeds_kept)),
            _ => None,
        });
        (t.len(), buckets.len(), started.unwrap())
    };
    let (entries, buckets, (seeds, kept)) = run(None);
    assert_eq!(seeds, 30);
    assert_eq!((entries, buckets), (16, 1), "16 entries, one bucket");
    assert_eq!(
        kept, 16,
        "the start report says how many seeds the table kept"
    );
    let (entries, buckets, (seeds, kept)) = run(Some(true));
    assert!(
        entries > 16 && buckets > 1,
        "{entries} entries in {buckets} buckets"
    );
    assert_eq!(
        kept, seeds,
        "hashed, the 30 seeds spread over buckets and all fit"
    );
}

/// A PONG that does not quote our PING: geth 2018 still records the endpoint proof while a ping
/// to its sender is pending (udp.go:412-430: "matched" is set before the token is compared);
/// geth 2019 rejects it as unsolicited (v4_udp.go:369-375, 853-866).
#[test]
fn a_pong_with_a_wrong_token_proves_the_endpoint_only_in_2018() {
    use crate::discv4::packet::{self, Endpoint, Packet, Pong};
    for (profile, proves) in [(Profile::Geth2018, true), (Profile::Geth2019, false)] {
        let mut net = Net::new(2, cfg(profile));
        let (a, b) = (node(0), node(1));
        net.peers[1].send_ping(t0(), &a, crate::discv4::protocol::Awaiting::PingBack(a));
        let _ = net.peers[1].drain_transmits().count();
        let pong = Packet::Pong(Pong {
            to: Endpoint::new(b.ip, b.udp, b.tcp),
            reply_tok: [7; 32],
            expiration: packet::expiration_at(t0(), Duration::from_secs(20)),
            enr_seq: None,
        });
        let (bytes, _) = packet::encode(&pong, &a.id);
        let at = t0() + Duration::from_secs(1);
        net.peers[1].handle_packet(at, addr(0), &bytes);
        let proved = net.db(1).last_pong(&a.id)
            == crate::sim::clock::SimTime::from_unix_secs(at.unix_secs() as u64);
        assert_eq!(proved, proves, "{profile}");
        assert_eq!(
            net.peers[1].stats().unsolicited,
            u64::from(!proves),
            "{profile}"
        );
    }
}

/// EIP-868 under geth-2019: PING and PONG announce seq 1; a revalidation whose PONG names a
/// newer seq than the entry's (0 for a node known from a packet) fetches the record with
/// ENRREQUEST, and the entry then holds seq 1 (table.go:329-336). geth-2018 sends no ENR packet.
#[test]
fn revalidation_fetches_newer_records_only_in_2019() {
    for profile in Profile::ALL {
        let c = ProtocolConfig {
            profile,
            ..discovery_only()
        };
        let mut net = Net::new(6, c);
        for i in 0..6 {
            net.start(i);
        }
        net.run_until(t0() + Duration::from_secs(120));
        let sent =
            |k: PacketKind| -> u64 { net.peers.iter().map(|p| p.stats().sent[k.index()]).sum() };
        let (req, resp) = (sent(PacketKind::EnrRequest), sent(PacketKind::EnrResponse));
        let with_seq = net
            .peers
            .iter()
            .flat_map(|p| p.table().entries())
            .filter(|e| e.enr_seq == 1)
            .count();
        if profile == Profile::Geth2019 {
            assert!(req > 0 && resp > 0, "{req} requests, {resp} responses");
            assert!(resp <= req);
            assert!(with_seq > 0, "records fetched into the table");
            let answered: u64 = net.peers.iter().map(|p| p.stats().enr_responses).sum();
            assert_eq!(answered, resp, "every response sent was matched");
        } else {
            assert_eq!((req, resp, with_seq), (0, 0, 0), "{profile}");
        }
    }
}
