//! One test per rule of the dial scheduler, each with geth's expected behaviour and the line of
//! geth's source it comes from (c73b654fd1 for 2018, 3a4a3d080b for 2019, `p2p/dial.go` unless
//! said otherwise).

use std::net::IpAddr;
use std::time::Duration;

use super::*;
use crate::discv4::table::TableConfig;
use crate::sim::rng::{stream, Purpose};

fn t0() -> SimTime {
    SimTime::DEFAULT_EPOCH
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn node(i: usize) -> Node {
    let id = NodeId::random(&mut stream(5, Purpose::Identity, i as u64, 0));
    Node::new(
        IpAddr::from([11, (i / 250) as u8, (i % 250) as u8, 1]),
        30303,
        30303,
        id,
    )
}

/// A scheduler for node 0 with an empty table, driven by hand.
struct Rig {
    s: Scheduler,
    table: Table,
    init_done: bool,
    rng: ChaCha8Rng,
}

impl Rig {
    fn new(profile: Profile, bootnodes: Vec<Node>) -> Rig {
        Rig::with(profile, &DialConfig::default(), bootnodes)
    }

    fn with(profile: Profile, cfg: &DialConfig, bootnodes: Vec<Node>) -> Rig {
        Rig {
            s: Scheduler::new(profile, cfg, node(0).id, bootnodes),
            table: Table::new(&node(0), TableConfig::default()),
            init_done: false,
            rng: stream(1, Purpose::Protocol, 0, 0),
        }
    }

    fn ctx(&mut self) -> (&mut Scheduler, Ctx<'_>) {
        (
            &mut self.s,
            Ctx {
                table: &self.table,
                init_done: self.init_done,
                rng: &mut self.rng,
            },
        )
    }

    fn start(&mut self, now: SimTime) -> Vec<Command> {
        let (s, mut c) = self.ctx();
        s.start(now, &mut c);
        self.cmds()
    }

    fn cmds(&mut self) -> Vec<Command> {
        self.s.drain_commands().collect()
    }

    fn discover_done(&mut self, now: SimTime, nodes: Vec<Node>) -> Vec<Command> {
        let (s, mut c) = self.ctx();
        s.discover_done(now, nodes, &mut c);
        self.cmds()
    }

    fn dial_done(&mut self, now: SimTime, id: NodeId, ok: bool) -> Vec<Command> {
        let (s, mut c) = self.ctx();
        s.dial_done(now, id, ok, false, &mut c);
        self.cmds()
    }

    fn timers(&mut self, now: SimTime) -> Vec<Command> {
        let (s, mut c) = self.ctx();
        s.handle_timers(now, &mut c);
        self.cmds()
    }

    fn inbound(&mut self, now: SimTime, n: &Node, stage: u8) -> Result<(), Refusal> {
        let (s, mut c) = self.ctx();
        s.admit_inbound(now, &n.id, n.ip, stage, &mut c)
    }
}

fn dials(cmds: &[Command]) -> Vec<NodeId> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Dial(n) => Some(n.id),
            _ => None,
        })
        .collect()
}

fn nodes(r: std::ops::Range<usize>) -> Vec<Node> {
    r.map(node).collect()
}

/// Slots and ratio: MaxPeers 25 / 50 (node/defaults.go:46 in 2018, :52 in 2019), DialRatio 3
/// (server.go:44), so maxDynDials 8 / 16 and inbound caps 17 / 34 (server.go:719-732).
#[test]
fn slots_and_ratio_follow_geths_defaults() {
    let c = DialConfig::default();
    assert_eq!(c.max_peers(Profile::Geth2018), 25);
    assert_eq!(c.max_dyn_dials(Profile::Geth2018), 8);
    assert_eq!(c.max_peers(Profile::Geth2019), 50);
    assert_eq!(c.max_dyn_dials(Profile::Geth2019), 16);
    // The inbound cap: 17 inbound peers pass, the 18th is refused (server.go:711-712).
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    r.start(t0());
    for i in 1..=17 {
        assert_eq!(r.inbound(t0(), &node(i), 1), Ok(()));
        assert_eq!(r.inbound(t0(), &node(i), 2), Ok(()));
    }
    assert_eq!(r.inbound(t0(), &node(18), 1), Err(Refusal::TooManyPeers));
    assert_eq!(r.s.peer_counts(), (0, 17));
    assert_eq!(
        r.inbound(t0(), &node(1), 1),
        Err(Refusal::TooManyPeers),
        "the cap is checked before the duplicate"
    );
}

/// The first iteration emits a discover task whose lookup starts at once (`lastLookup` starts at
/// zero, dial.go:361-373); the next starts no earlier than 4 s after the previous one started
/// (`lookupInterval`, dial.go:39, 365-369), and only one runs at a time (`lookupRunning`).
#[test]
fn geth2018_lookups_are_throttled_to_one_every_4s() {
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    assert_eq!(r.start(t0()), vec![Command::Lookup]);
    // The lookup ends after 1 s with nothing: the next discover task sleeps until t0 + 4 s.
    assert_eq!(r.discover_done(t0() + secs(1), vec![]), vec![]);
    assert_eq!(r.s.next_timer(), Some(t0() + secs(4)));
    assert_eq!(r.timers(t0() + secs(4)), vec![Command::Lookup]);
    // A lookup that takes longer than 4 s is followed at once.
    assert_eq!(
        r.discover_done(t0() + secs(10), vec![]),
        vec![Command::Lookup]
    );
    assert_eq!(r.s.stats().discover_tasks, 3);
}

/// geth-2019 has no `lookupInterval`: a discover task reads `want = need - len(lookupBuf)` nodes
/// (dial.go:184-187) and the next follows as soon as one ends.
#[test]
fn geth2019_pulls_want_nodes_back_to_back() {
    let mut r = Rig::new(Profile::Geth2019, vec![]);
    assert_eq!(r.start(t0()), vec![Command::Pull { want: 16 }]);
    // 3 nodes came back: 3 dials, and a new pull for the 13 still needed at once.
    let c = r.discover_done(t0() + Duration::from_millis(10), nodes(1..4));
    assert_eq!(dials(&c).len(), 3);
    assert_eq!(c.last(), Some(&Command::Pull { want: 13 }));
}

/// Half of `needDynDials` (integer division) comes from `ReadRandomNodes` (dial.go:220-228), the
/// rest from the lookup buffer (231-237); a skipped random candidate is not replaced. Before the
/// first refresh ended `ReadRandomNodes` gives nothing (table.go:155-157).
#[test]
fn geth2018_takes_half_the_need_from_random_table_nodes() {
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    for n in nodes(1..40) {
        r.table.add_seen(n, t0());
    }
    // Not init: no random dials at all.
    assert_eq!(r.start(t0()), vec![Command::Lookup]);
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    for n in nodes(1..40) {
        r.table.add_seen(n, t0());
    }
    r.init_done = true;
    let c = r.start(t0());
    // need = 8: 4 random candidates (the buffer has maxDyn/2 = 4 slots), then a lookup.
    assert_eq!(dials(&c).len(), 4);
    assert_eq!(c.last(), Some(&Command::Lookup));
    // The lookup brings 10 nodes: the 4 still needed come from it, in order.
    let found = nodes(100..110);
    let c = r.discover_done(t0() + secs(1), found.clone());
    let ids: Vec<NodeId> = found[..4].iter().map(|n| n.id).collect();
    assert_eq!(dials(&c), ids);
}

/// `ReadRandomNodes`' round robin over shuffled buckets takes heads, and after a bucket runs
/// empty it skips the bucket that shifted into its place (table.go:177-188): with buckets of
/// sizes [2, 1, 2, 2] (after the shuffle) the first four are A1, B1, D1, A2.
#[test]
fn read_random_nodes_replicates_geths_index_arithmetic() {
    // Build a table whose non-empty buckets we know, and check the outputs against a direct
    // replay of geth's loop with the same shuffle draws.
    let me = node(0);
    let mut table = Table::new(&me, TableConfig::default());
    for n in nodes(1..200) {
        table.add_seen(n, t0());
    }
    let buckets: Vec<Vec<Node>> = (0..table.config().n_buckets)
        .map(|bi| {
            table
                .bucket(bi)
                .0
                .iter()
                .map(|e| e.node)
                .collect::<Vec<_>>()
        })
        .filter(|b: &Vec<Node>| !b.is_empty())
        .collect();
    assert!(buckets.len() >= 2, "the test needs several buckets");
    let mut rng = stream(4, Purpose::Protocol, 0, 0);
    let got = geth2018::read_random_nodes(&table, true, 6, &mut rng);
    // Replay: same draws, geth's loop written out.
    let mut rng = stream(4, Purpose::Protocol, 0, 0);
    let mut b = buckets.clone();
    for i in (1..b.len()).rev() {
        let j = rand::RngExt::random_range(&mut rng, 0..b.len());
        b.swap(i, j);
    }
    let mut want = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        if i >= 6 {
            break;
        }
        want.push(b[j][0]);
        b[j].remove(0);
        if b[j].is_empty() {
            b.remove(j);
        }
        if b.is_empty() {
            break;
        }
        i += 1;
        j = (j + 1) % b.len();
    }
    assert_eq!(got, want);
    // The heads first: the first output is the head of some bucket.
    assert!(buckets.iter().any(|b| b[0] == got[0]));
}

/// The skip after an emptied bucket, on a hand-made shape: the same loop as
/// [`geth2018::read_random_nodes`] but on plain lists, sizes [2, 1, 2, 2].
#[test]
fn round_robin_skips_the_bucket_shifted_into_an_emptied_one() {
    // Directly check the arithmetic on labels: A=0, B=1, C=2, D=3.
    let mut b: Vec<Vec<(u8, u8)>> = vec![
        vec![(0, 1), (0, 2)],
        vec![(1, 1)],
        vec![(2, 1), (2, 2)],
        vec![(3, 1), (3, 2)],
    ];
    let mut out = Vec::new();
    let mut j = 0;
    while out.len() < 4 {
        out.push(b[j].remove(0));
        if b[j].is_empty() {
            b.remove(j);
        }
        j = (j + 1) % b.len();
    }
    assert_eq!(out, vec![(0, 1), (1, 1), (3, 1), (0, 2)]);
}

/// `checkDial` (dial.go:263-278): an ID dialed within `dialHistoryExpiration` (30 s, dial.go:35)
/// of the end of its dial is not dialed again, whatever the outcome; `expire` is strict
/// (415-419), so the entry lasts until exactly 30 s and the wait task wakes 1 µs later.
#[test]
fn geth2018_redials_wait_30s_after_the_dial_ended() {
    let cfg = DialConfig {
        max_peers: Some(3), // maxDyn 1: one dial at a time
        ..DialConfig::default()
    };
    let mut r = Rig::with(Profile::Geth2018, &cfg, vec![]);
    assert_eq!(r.start(t0()), vec![Command::Lookup]);
    let target = node(7);
    let c = r.discover_done(t0() + secs(1), vec![target]);
    assert_eq!(dials(&c), vec![target.id]);
    // Connected, then dropped: the history keeps it.
    r.dial_done(t0() + secs(2), target.id, true);
    assert!(r.s.is_peer(&target.id));
    let (s, mut c) = r.ctx();
    s.peer_dropped(t0() + secs(3), &target.id, &mut c);
    let end = t0() + secs(2) + secs(30);
    // Offered again at the expiry itself: skipped (consumed), a lookup follows.
    let _ = r.timers(t0() + secs(5));
    let c = r.discover_done(end, vec![target]);
    assert!(dials(&c).is_empty(), "{c:?}");
    // 1 µs later (the first instant at which the expiry is strictly before now) it is dialed.
    let _ = r.timers(end);
    let c = r.discover_done(end + Duration::from_micros(1), vec![target]);
    assert_eq!(dials(&c), vec![target.id]);
}

/// geth-2019's history lasts 35 s (`inboundThrottleTime + 5 s`, dial.go:34).
#[test]
fn geth2019_history_is_35s() {
    let c = DialConfig::default();
    assert_eq!(c.history_expiration(Profile::Geth2018), secs(30));
    assert_eq!(c.history_expiration(Profile::Geth2019), secs(35));
    let cfg = DialConfig {
        max_peers: Some(3),
        ..DialConfig::default()
    };
    let mut r = Rig::with(Profile::Geth2019, &cfg, vec![]);
    r.start(t0());
    let target = node(7);
    let c = r.discover_done(t0(), vec![target]);
    assert_eq!(dials(&c), vec![target.id]);
    let c = r.dial_done(t0() + secs(1), target.id, false);
    assert_eq!(c, vec![Command::Pull { want: 1 }]);
    let c = r.discover_done(t0() + secs(36), vec![target]);
    assert!(dials(&c).is_empty(), "at exactly 35 s it is still recent");
    let c = r.discover_done(t0() + secs(37), vec![target]);
    assert_eq!(dials(&c), vec![target.id]);
}

/// With the dynamic slots full and the history not empty, nothing runs: the wait task sleeps
/// until the first expiry and wakes 1 µs after it (dial.go:248-251, 383-385; the strict
/// `Before` of 415-419 is the spec's pitfall).
#[test]
fn the_wait_task_wakes_just_after_the_first_expiry() {
    let cfg = DialConfig {
        max_peers: Some(3),
        ..DialConfig::default()
    };
    let mut r = Rig::with(Profile::Geth2018, &cfg, vec![]);
    r.start(t0());
    let target = node(7);
    r.discover_done(t0() + secs(1), vec![target]);
    let c = r.dial_done(t0() + secs(2), target.id, true);
    assert!(c.is_empty(), "need 0: no lookup, {c:?}");
    let exp = t0() + secs(32);
    assert_eq!(r.s.next_timer(), Some(exp + Duration::from_micros(1)));
    assert!(r.timers(exp + Duration::from_micros(1)).is_empty());
    assert_eq!(r.s.next_timer(), None, "history empty: no more waits");
}

/// The bootnode fallback (dial.go:209-217 in 2018, 165-172 in 2019): with no peer at all, more
/// than 20 s after the first iteration, each iteration rotates the bootnodes and dials the head
/// (subject to `checkDial`).
#[test]
fn bootnode_fallback_after_20s_round_robin() {
    for profile in Profile::ALL {
        let boots = nodes(200..202);
        let mut r = Rig::new(profile, boots.clone());
        r.start(t0());
        // At exactly 20 s: not yet (strictly more than the interval).
        let c = r.discover_done(t0() + secs(20), vec![]);
        assert!(dials(&c).is_empty(), "{profile}: {c:?}");
        let c = r.discover_done(t0() + secs(21), vec![]);
        assert_eq!(dials(&c), vec![boots[0].id], "{profile}");
        // The next iteration (the dial failing) rotates to the second bootnode.
        let c = r.dial_done(t0() + secs(22), boots[0].id, false);
        assert_eq!(dials(&c), vec![boots[1].id], "{profile}");
        assert_eq!(r.s.stats().bootnode_dials, 2);
        // Then the first again, but it is in the history: rotated past, not dialed.
        let c = r.dial_done(t0() + secs(23), boots[1].id, false);
        assert!(dials(&c).is_empty(), "{profile}: {c:?}");
    }
}

/// Any peer, inbound included, stops the fallback (`len(peers) == 0`, dial.go:209).
#[test]
fn an_inbound_peer_stops_the_fallback() {
    let boots = nodes(200..201);
    let mut r = Rig::new(Profile::Geth2018, boots);
    r.start(t0());
    r.inbound(t0() + secs(1), &node(5), 2).unwrap();
    let c = r.discover_done(t0() + secs(30), vec![]);
    assert!(dials(&c).is_empty());
}

/// `needDynDials` counts dynamic peers and dynamic dials in flight (dial.go:179-189), not
/// inbound peers: with 8 inbound peers a 2018 node still wants 8 dials.
#[test]
fn need_counts_dyn_peers_and_dials_only() {
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    r.start(t0());
    for i in 1..=8 {
        r.inbound(t0(), &node(i), 2).unwrap();
    }
    let c = r.discover_done(t0() + secs(1), nodes(100..120));
    assert_eq!(dials(&c).len(), 8);
    // All 8 dial: need 0, no lookup.
    assert!(!c.contains(&Command::Lookup));
    // One connects, one fails: one more dial from the buffer.
    let d = dials(&c);
    r.dial_done(t0() + secs(2), d[0], true);
    let c = r.dial_done(t0() + secs(2), d[1], false);
    assert_eq!(dials(&c).len(), 1);
    assert_eq!(r.s.peer_counts(), (1, 8));
}

/// Self and connected nodes are skipped by `checkDial` and consumed from the buffer.
#[test]
fn check_dial_skips_self_connected_and_dialing() {
    let mut r = Rig::new(Profile::Geth2019, vec![]);
    r.start(t0());
    r.inbound(t0(), &node(3), 2).unwrap();
    let c = r.discover_done(t0(), vec![node(0), node(3), node(4), node(4)]);
    assert_eq!(dials(&c), vec![node(4).id]);
    assert_eq!(c.last(), Some(&Command::Pull { want: 15 }));
}

/// geth-2019's listener refuses a non-LAN IP that connected within 30 s (server.go:921-935);
/// geth-2018 has no such throttle.
#[test]
fn geth2019_throttles_inbound_per_ip() {
    let mut r = Rig::new(Profile::Geth2019, vec![]);
    r.start(t0());
    assert_eq!(r.inbound(t0(), &node(3), 0), Ok(()));
    assert_eq!(
        r.inbound(t0() + secs(30), &node(3), 0),
        Err(Refusal::Throttled)
    );
    assert_eq!(r.inbound(t0() + secs(31), &node(3), 0), Ok(()));
    let mut r = Rig::new(Profile::Geth2018, vec![]);
    r.start(t0());
    assert_eq!(r.inbound(t0(), &node(3), 0), Ok(()));
    assert_eq!(r.inbound(t0(), &node(3), 0), Ok(()));
}

/// Tasks beyond `maxActiveDialTasks` (16, server.go:42) queue and start as others end.
#[test]
fn at_most_16_tasks_run() {
    let cfg = DialConfig {
        max_peers: Some(60), // maxDyn 20
        ..DialConfig::default()
    };
    let mut r = Rig::with(Profile::Geth2019, &cfg, vec![]);
    assert_eq!(r.start(t0()), vec![Command::Pull { want: 20 }]);
    let c = r.discover_done(t0(), nodes(1..21));
    assert_eq!(dials(&c).len(), 16);
    let c = r.dial_done(t0() + secs(1), dials(&c)[0], false);
    assert_eq!(dials(&c).len(), 1, "a queued dial starts");
}

/// Milestones: the first peer, half of maxDyn dyn peers (rounded up) and all of them; useless
/// peers count for none.
#[test]
fn milestones_count_useful_peers() {
    let cfg = DialConfig {
        max_peers: Some(9), // maxDyn 3
        ..DialConfig::default()
    };
    let mut r = Rig::with(Profile::Geth2019, &cfg, vec![]);
    r.start(t0());
    let c = r.discover_done(t0(), nodes(1..4));
    let d = dials(&c);
    let (s, mut cx) = r.ctx();
    s.dial_done(t0() + secs(1), d[0], true, true, &mut cx);
    assert_eq!(r.s.milestones(), [None, None, None]);
    r.dial_done(t0() + secs(2), d[1], true);
    r.dial_done(t0() + secs(3), d[2], true);
    assert_eq!(
        r.s.milestones(),
        [Some(t0() + secs(2)), Some(t0() + secs(3)), None]
    );
}
