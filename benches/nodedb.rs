//! Node database operations on a database of 1,000 nodes (in memory, tuned as in simulation),
//! both write-through (every update reaches rusty-leveldb) and with the default write-behind.
//! Run: `cargo bench --bench nodedb`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use discsim::discv4::node::{Node, NodeId};
use discsim::discv4::nodedb::{NodeDb, NodeDbConfig, Storage};
use discsim::sim::clock::SimTime;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn filled(n: usize, cfg: &NodeDbConfig) -> (NodeDb, Vec<Node>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let now = SimTime::DEFAULT_EPOCH;
    let mut db = NodeDb::open(Storage::memory(), NodeId::random(&mut rng), cfg.clone()).unwrap();
    let nodes: Vec<Node> = (0..n)
        .map(|i| {
            let ip = [10, 0, (i >> 8) as u8, i as u8].into();
            Node::new(ip, 30303, 30303, NodeId::random(&mut rng))
        })
        .collect();
    for n in &nodes {
        db.update_node(n);
        db.update_last_pong(&n.id, now);
        db.update_last_ping(&n.id, now);
    }
    db.flush();
    (db, nodes)
}

fn bench(c: &mut Criterion) {
    let through = NodeDbConfig {
        write_behind: Duration::ZERO,
        ..NodeDbConfig::default()
    };
    for (name, cfg) in [
        ("write-through", through),
        ("write-behind", NodeDbConfig::default()),
    ] {
        let (mut db, nodes) = filled(1000, &cfg);
        let now = SimTime::DEFAULT_EPOCH;
        let mut i = 0usize;
        let mut t = 0u64;
        c.bench_function(
            &format!("{name}: update_node, changed record (1k db)"),
            |b| {
                b.iter(|| {
                    i = (i + 1) % nodes.len();
                    t += 1;
                    let mut n = nodes[i];
                    n.tcp = (t % 60000) as u16 + 1;
                    db.update_node(&n);
                })
            },
        );
        c.bench_function(&format!("{name}: update_last_pong (1k db)"), |b| {
            b.iter(|| {
                i = (i + 1) % nodes.len();
                t += 1;
                db.update_last_pong(&nodes[i].id, now + Duration::from_secs(t));
            })
        });
        c.bench_function(&format!("{name}: last_pong (1k db)"), |b| {
            b.iter(|| {
                i = (i + 1) % nodes.len();
                db.last_pong(&nodes[i].id)
            })
        });
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        c.bench_function(&format!("{name}: query_seeds(30) (1k db)"), |b| {
            b.iter(|| db.query_seeds(30, Duration::from_secs(5 * 86400), now, &mut rng))
        });
    }
    c.bench_function("open memory db", |b| {
        b.iter_batched(
            Storage::memory,
            |s| NodeDb::open(s, NodeId([1; 64]), NodeDbConfig::default()).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
