//! The dialer wired into the peer: its lookups are the peer's own (a purpose of their own), and
//! geth-2019's iterator queries only while the dialer reads. Dials are never answered here (the
//! harness has no TCP), so every dial stays in flight.

use std::time::Duration;

use crate::discv4::packet::PacketKind;
use crate::discv4::protocol::harness::*;
use crate::discv4::protocol::{Profile, ProtocolConfig};

fn cfg(profile: Profile, dialer: bool) -> ProtocolConfig {
    ProtocolConfig {
        profile,
        dialer,
        ..ProtocolConfig::default()
    }
}

fn run(profile: Profile, dialer: bool, n: usize, secs: u64) -> Net {
    let mut net = Net::new(n, cfg(profile, dialer));
    // Staggered joins, 3 s apart (all at once, geth-2019's tables stay lock-stepped at the
    // bootnode, README).
    for i in 0..n {
        net.run_until(t0() + Duration::from_secs(3 * i as u64));
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(secs));
    net
}

/// Off, the peer does exactly what it did before the dialer existed: no dialer lookups, no dials.
#[test]
fn without_the_dialer_nothing_changes() {
    for p in Profile::ALL {
        let net = run(p, false, 6, 60);
        for peer in &net.peers {
            assert_eq!(peer.stats().dialer_lookups, 0);
            assert_eq!(peer.stats().dials, 0);
            assert!(peer.dialer().is_none());
        }
    }
}

/// geth-2018: the first dialer lookup starts with the server; with 5 other nodes, all dialed at
/// once and never answered (need stays 8 − 5 = 3 > 0 and the buffer runs dry), lookups follow no
/// more often than one per 4 s (dial.go:39, 365-369).
#[test]
fn geth2018_dialer_lookups_are_real_lookups_at_most_every_4s() {
    let net = run(Profile::Geth2018, true, 6, 60);
    for (i, peer) in net.peers.iter().enumerate() {
        let s = peer.stats();
        assert!(s.dialer_lookups >= 2, "peer {i}: {s:?}");
        assert!(
            s.dialer_lookups <= 60 / 4 + 1,
            "peer {i}: {}",
            s.dialer_lookups
        );
        assert_eq!(s.dials, 5, "peer {i}: every other node dialed once");
        // Dialer lookups are counted among all lookups.
        assert!(s.lookups >= s.dialer_lookups + 4);
    }
}

/// geth-2019: with 2 dyn slots (`MaxPeers` 6) and dials never answered, the slots fill with
/// dials, nobody reads the iterator any more, and it stops: no lookup starts and no FINDNODE
/// goes out (lookup.go:181-204: queries are sent only inside `advance`).
#[test]
fn geth2019_iterator_stops_when_not_read() {
    let mut c = cfg(Profile::Geth2019, true);
    c.dial.max_peers = Some(6);
    let mut net = Net::new(6, c);
    for i in 0..6 {
        net.run_until(t0() + Duration::from_secs(3 * i as u64));
        net.start(i);
    }
    net.run_until(t0() + Duration::from_secs(600));
    let s = net.peers[5].stats().clone();
    assert_eq!(s.dials, 2, "{s:?}");
    assert!(s.dialer_lookups >= 1);
    let findnodes = s.sent[PacketKind::FindNode.index()];
    net.run_until(t0() + Duration::from_secs(1500));
    let later = net.peers[5].stats();
    assert_eq!(
        later.dialer_lookups, s.dialer_lookups,
        "paused while nobody reads"
    );
    assert_eq!(later.dials, 2);
    assert_eq!(
        later.sent[PacketKind::FindNode.index()],
        findnodes,
        "no query while paused (no refresh before 30 min)"
    );
}
