//! Protocol tests without actors, on the in-test network of [`super::harness`].

use std::time::Duration;

use super::harness::*;
use super::*;
use crate::discv4::packet::{self, Packet, Ping};
use crate::sim::rng::{stream, Purpose};

#[test]
fn ping_is_answered_and_bonds_both_ways() {
    let mut net = Net::new(2, discovery_only());
    let (a, b) = (node(0), node(1));
    // Peer 1 pings peer 0 out of the blue (as revalidation would).
    net.peers[1].send_ping(t0(), &a, Awaiting::PingBack(a));
    net.flush(1);
    net.run_until(t0() + Duration::from_secs(1));
    // 0 got the ping (records it), answered, and pinged back because it had no pong from 1.
    assert_eq!(net.db(0).last_ping(&b.id), t0());
    assert_eq!(net.db(1).last_pong(&a.id), t0());
    assert_eq!(net.db(0).last_pong(&b.id), t0(), "ping-back answered");
    let s0 = net.peers[0].stats().clone();
    assert_eq!(s0.sent[PacketKind::Pong.index()], 1);
    assert_eq!(s0.sent[PacketKind::Ping.index()], 1);
    // Peer 0 has not finished a refresh: nodes that ping it are not added.
    assert!(!net.peers[0].table().contains(&b.id));
}

#[test]
fn findnode_without_endpoint_proof_is_ignored() {
    let mut net = Net::new(2, discovery_only());
    let req = Packet::FindNode(packet::FindNode {
        target: node(1).id,
        expiration: packet::expiration_at(t0(), Duration::from_secs(20)),
    });
    let (bytes, _) = packet::encode(&req, &node(1).id);
    net.peers[0].handle_packet(t0(), addr(1), &bytes);
    assert_eq!(net.peers[0].stats().unbonded_findnode, 1);
    assert_eq!(net.peers[0].drain_transmits().count(), 0);
}

/// A PING from peer 1 to peer 0, sent at t0 with the default 20 s expiration.
fn ping_1_to_0() -> Packet {
    Packet::Ping(Ping {
        version: packet::PING_VERSION,
        from: packet::Endpoint {
            ip: addr(1).ip(),
            udp: 30303,
            tcp: 30303,
        },
        to: packet::Endpoint {
            ip: addr(0).ip(),
            udp: 30303,
            tcp: 0,
        },
        expiration: packet::expiration_at(t0(), Duration::from_secs(20)),
        enr_seq: None,
    })
}

#[test]
fn expired_and_malformed_packets_are_dropped_and_counted() {
    let mut net = Net::new(2, discovery_only());
    let ping = ping_1_to_0();
    let (bytes, _) = packet::encode(&ping, &node(1).id);
    net.peers[0].handle_packet(t0() + Duration::from_secs(21), addr(1), &bytes);
    assert_eq!(net.peers[0].stats().expired, 1);
    let mut bad = bytes.clone();
    bad[120] ^= 0xff;
    net.peers[0].handle_packet(t0(), addr(1), &bad);
    net.peers[0].handle_packet(t0(), addr(1), &bytes[..50]);
    assert_eq!(net.peers[0].stats().malformed, 2);
    assert_eq!(net.peers[0].drain_transmits().count(), 0);
    assert_eq!(net.db(0).last_ping(&node(1).id), SimTime::from_unix_secs(0));
}

#[test]
fn a_corrupted_hash_is_caught_when_verification_is_on() {
    let mut net = Net::new(2, discovery_only());
    let ping = ping_1_to_0();
    let (mut bytes, _) = packet::encode(&ping, &node(1).id);
    bytes[5] ^= 0x01;
    // On (a peer's default, geth's behaviour): dropped as malformed, unanswered.
    net.peers[0].handle_packet(t0(), addr(1), &bytes);
    assert_eq!(net.peers[0].stats().malformed, 1);
    assert_eq!(net.peers[0].drain_transmits().count(), 0);
    // Off (the engine's default, whose network never corrupts a packet): the body is still
    // decoded and checked, but the hash is taken as written, and the PONG quotes it.
    net.peers[0].set_hash_check(packet::HashCheck::Trust);
    net.peers[0].handle_packet(t0(), addr(1), &bytes);
    assert_eq!(net.peers[0].stats().malformed, 1);
    let sent: Vec<_> = net.peers[0].drain_transmits().collect();
    let pong = sent
        .iter()
        .map(|t| {
            packet::decode_with(&t.bytes, packet::HashCheck::Trust)
                .unwrap()
                .packet
        })
        .find_map(|p| match p {
            Packet::Pong(p) => Some(p),
            _ => None,
        })
        .expect("answered with a pong");
    assert_eq!(pong.reply_tok[..], bytes[..32]);
    // A body that is bad RLP is still rejected when hashes are trusted.
    net.peers[0].handle_packet(t0(), addr(1), &bytes[..110]);
    assert_eq!(net.peers[0].stats().malformed, 2);
}

#[test]
fn a_small_network_bootstraps_through_bonding() {
    let mut net = Net::new(8, discovery_only());
    for i in 0..8 {
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(120));
    for i in 0..8 {
        assert!(
            net.peers[i].init_done(),
            "peer {i} finished its first refresh"
        );
        assert!(
            net.peers[i].table().len() >= 6,
            "peer {i} knows {} nodes",
            net.peers[i].table().len()
        );
    }
    // The first FINDNODE to the bootnode had to bond first: ping, pong, ping back, wait.
    let first_findnode_ok = net.peers[1].stats().received[PacketKind::Neighbors.index()];
    assert!(first_findnode_ok > 0);
    assert!(net
        .events
        .iter()
        .any(|(i, e)| *i == 3 && matches!(e, PeerEvent::InitDone { .. })));
    // Entries in the table for 5 minutes are copied to the database.
    net.run_until(t0() + Duration::from_secs(400));
    for i in 0..8 {
        assert!(
            net.db(i).record_count() >= 6,
            "peer {i} wrote its live nodes"
        );
    }
}

#[test]
fn dead_nodes_are_revalidated_out_of_the_table() {
    let mut net = Net::new(6, discovery_only());
    for i in 0..6 {
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(60));
    assert!(net.peers[1].table().contains(&node(5).id));
    net.down.insert(5);
    net.run_until(t0() + Duration::from_secs(60 + 300));
    for i in 0..5 {
        assert!(
            !net.peers[i].table().contains(&node(5).id),
            "peer {i} still has the dead node"
        );
    }
    let removed: u64 = (0..5)
        .map(|i| {
            let s = net.peers[i].stats();
            s.revalidated_deleted + s.revalidated_replaced + s.dropped_findnode
        })
        .sum();
    assert!(removed >= 5);
}

#[test]
fn findnode_failures_drop_a_node_after_five() {
    let cfg = ProtocolConfig {
        // No revalidation in this test: only FINDNODE failures may remove the node.
        revalidate_interval: Duration::from_secs(1_000_000),
        ..discovery_only()
    };
    let mut net = Net::new(3, cfg);
    for i in 0..3 {
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(60));
    let victim = node(2).id;
    assert!(net.peers[1].table().contains(&victim));
    // Node 2 stays up (answers pings) but its FINDNODE requests vanish.
    net.mute_findnode_to.insert(2);
    let mut seen_fails = 0;
    for round in 0..10 {
        let at = net.now;
        net.peers[1].start_probe(
            at,
            NodeId::random(&mut stream(5, Purpose::Observer, round, 0)),
            round,
        );
        net.flush(1);
        net.run_until(at + Duration::from_secs(5));
        seen_fails = net.db(1).find_fails(&victim);
        if !net.peers[1].table().contains(&victim) {
            break;
        }
    }
    assert!(
        !net.peers[1].table().contains(&victim),
        "dropped after repeated failures"
    );
    assert!(seen_fails >= 5, "fails recorded: {seen_fails}");
    assert!(net.peers[1].stats().dropped_findnode >= 1);
}

#[test]
fn a_probe_on_an_empty_table_waits_for_a_refresh() {
    let mut net = Net::new(3, discovery_only());
    for i in 0..3 {
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(30));
    // Peer 2 loses every entry (the network kills them all), then probes.
    net.down.insert(0);
    net.down.insert(1);
    net.run_until(t0() + Duration::from_secs(600));
    assert!(net.peers[2].table().is_empty() || net.peers[2].table().len() <= 2);
    net.down.clear();
    let at = net.now;
    net.peers[2].start_probe(at, node(1).id, 77);
    net.flush(2);
    net.run_until(at + Duration::from_secs(60));
    let done = net
        .events
        .iter()
        .any(|(i, e)| *i == 2 && matches!(e, PeerEvent::ProbeDone(r) if r.id == 77));
    assert!(done, "the probe ended after the refresh it triggered");
}

/// Plants records with pongs 1, 2, ... hours old (and one 6 days old) in peer 0's database, starts
/// it with the given strategy and returns which planted nodes its table took as seeds.
fn seeds_taken(strategy: SeedStrategy, count: usize) -> Vec<usize> {
    let cfg = ProtocolConfig {
        seed_strategy: strategy,
        seed_count: count,
        ..discovery_only()
    };
    let mut net = Net::new(1, cfg);
    let now = t0() + Duration::from_secs(10 * 86400);
    net.now = now;
    for i in 1..=6 {
        let n = node(i);
        net.db(0).update_node(&n);
        let age = if i == 6 { 6 * 86400 } else { i as u64 * 3600 };
        net.db(0)
            .update_last_pong(&n.id, now - Duration::from_secs(age));
    }
    net.start(0);
    (1..=6)
        .filter(|i| net.peers[0].table().contains(&node(*i).id))
        .collect()
}

#[test]
fn seed_strategies_choose_as_documented() {
    assert_eq!(seeds_taken(SeedStrategy::None, 30), Vec::<usize>::new());
    // Most recent first: the two newest pongs.
    assert_eq!(seeds_taken(SeedStrategy::MostRecent, 2), vec![1, 2]);
    // Uniform among fresh records: never the one past the 5-day maximum age. (Seeds are loaded
    // twice at start, as in geth: by newTable and by the first refresh; two draws of 3.)
    let uniform = seeds_taken(SeedStrategy::UniformFresh, 3);
    assert!((3..=5).contains(&uniform.len()), "{uniform:?}");
    assert!(!uniform.contains(&6));
    assert_eq!(
        seeds_taken(SeedStrategy::UniformFresh, 30),
        vec![1, 2, 3, 4, 5]
    );
    // geth's: never a stale record either.
    assert!(!seeds_taken(SeedStrategy::Geth, 30).contains(&6));
}
