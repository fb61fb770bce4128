//! The per-packet hot paths of a simulation, one by one: encoding and decoding a packet (with
//! and without the hash work), filing nodes into a Kademlia table and finding the closest, one
//! window of a shard in a warmed network, and a whole short run of the engine (every layer at
//! once, per packet sent).
//! Run: `cargo bench --bench hot_paths`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use discsim::discv4::node::{Node, NodeId};
use discsim::discv4::packet::{
    decode_with, encode_for, Endpoint, FindNode, HashCheck, Neighbors, Packet, Ping,
};
use discsim::discv4::table::{AddOutcome, Table, TableConfig};
use discsim::sim::clock::SimTime;
use discsim::sim::engine::{run, JoinSchedule, ShardStepper, SimConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn nodes(n: usize, seed: u64) -> Vec<Node> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let ip = [11, (i >> 16) as u8, (i >> 8) as u8, 1].into();
            Node::new(ip, 30303, 30303, NodeId::random(&mut rng))
        })
        .collect()
}

fn packets(c: &mut Criterion) {
    let me = nodes(1, 1)[0];
    let endpoint = Endpoint::new(me.ip, 30303, 30303);
    let ping = Packet::Ping(Ping {
        version: 4,
        from: endpoint.clone(),
        to: endpoint,
        expiration: 1_530_576_020,
        enr_seq: Some(1),
    });
    let findnode = Packet::FindNode(FindNode {
        target: me.id,
        expiration: 1_530_576_020,
    });
    let neighbors = Packet::Neighbors(Neighbors {
        nodes: nodes(12, 2),
        expiration: 1_530_576_020,
    });
    let mut g = c.benchmark_group("packet");
    for (name, p) in [
        ("ping", &ping),
        ("findnode", &findnode),
        ("neighbors12", &neighbors),
    ] {
        for (mode, check) in [("verify", HashCheck::Verify), ("trust", HashCheck::Trust)] {
            g.bench_function(format!("encode {name} ({mode})"), |b| {
                b.iter(|| encode_for(p, &me.id, check))
            });
            let bytes = encode_for(p, &me.id, HashCheck::Verify).0;
            g.bench_function(format!("decode {name} ({mode})"), |b| {
                b.iter(|| decode_with(&bytes, check).unwrap())
            });
        }
    }
    g.finish();
}

fn table(c: &mut Criterion) {
    let me = nodes(1, 3)[0];
    let others = nodes(1000, 4);
    let now = SimTime::DEFAULT_EPOCH;
    let mut g = c.benchmark_group("table");
    g.throughput(Throughput::Elements(others.len() as u64));
    type Add = fn(&mut Table, Node, SimTime) -> AddOutcome;
    for (name, add) in [
        ("add 1000 (2018 add)", Table::add as Add),
        ("add_seen 1000 (2019)", Table::add_seen as Add),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || Table::new(&me, TableConfig::default()),
                |mut t| {
                    for n in &others {
                        add(&mut t, *n, now);
                    }
                    t
                },
                BatchSize::SmallInput,
            )
        });
    }
    let mut full = Table::new(&me, TableConfig::default());
    for n in &others {
        full.add(*n, now);
    }
    g.throughput(Throughput::Elements(1));
    g.bench_function("closest 16", |b| {
        b.iter(|| full.closest(others[7].hash(), 16))
    });
    g.finish();
}

/// One window of a shard: 2,000 peers on one shard, stepped window after window; each iteration
/// is the next window (the state moves on, as in a run). The peers join over 30 virtual minutes
/// and the measurement starts after 40, so that their periodic work (refreshes, write-behind
/// flushes, copies to the database every 30 s) is spread over the windows: joined all at once,
/// every peer flushes its database in the same window, one window in thousands that takes
/// seconds. Per packet sent, from the mean packets per window of the 2,000 windows before.
fn shard_window(c: &mut Criterion) {
    let cfg = SimConfig {
        peers: 2000,
        bootnodes: 2,
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(1800),
        },
        // Long enough that the measurement never reaches the end.
        duration: Duration::from_secs(24 * 3600),
        probe_interval: None,
        ..SimConfig::default()
    };
    let mut stepper = ShardStepper::new(&cfg).unwrap();
    stepper.run_until(cfg.start + Duration::from_secs(2400));
    let (mut windows, mut packets) = (0u64, 0u64);
    while windows < 2000 {
        packets += stepper.step().expect("before the end").packets;
        windows += 1;
    }
    let mut g = c.benchmark_group("shard");
    g.sample_size(20);
    g.throughput(Throughput::Elements((packets / windows).max(1)));
    g.bench_function("one window, 2000 warm peers (per packet)", |b| {
        b.iter(|| stepper.step().expect("before the end"))
    });
    g.finish();
}

/// The engine end to end: 100 peers for 10 virtual minutes, two shard threads.
fn engine(c: &mut Criterion) {
    let cfg = SimConfig {
        peers: 100,
        duration: Duration::from_secs(600),
        threads: 2,
        ..SimConfig::default()
    };
    let packets = run(&cfg).unwrap().counters.packets_sent;
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(packets));
    g.bench_function("100 peers x 10 min (per packet)", |b| {
        b.iter(|| run(&cfg).unwrap())
    });
    g.finish();
}

criterion_group!(benches, packets, table, shard_window, engine);
criterion_main!(benches);
