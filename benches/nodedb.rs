//! Node database operations on a database of 1,000 nodes (in memory, tuned as in simulation).
//! Run: `cargo bench --bench nodedb`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use discsim::clock::SimTime;
use discsim::node::{Node, NodeId};
use discsim::nodedb::{NodeDb, NodeDbConfig, Storage};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn filled(n: usize) -> (NodeDb, Vec<Node>) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let now = SimTime::DEFAULT_EPOCH;
    let mut db = NodeDb::open(
        Storage::memory(),
        NodeId::random(&mut rng),
        NodeDbConfig::default(),
    )
    .unwrap();
    let nodes: Vec<Node> = (0..n)
        .map(|i| {
            Node::new(
                [10, 0, (i >> 8) as u8, i as u8].into(),
                30303,
                30303,
                NodeId::random(&mut rng),
            )
        })
        .collect();
    for n in &nodes {
        db.update_node(n);
        db.update_last_pong(&n.id, now);
        db.update_last_ping(&n.id, now);
    }
    (db, nodes)
}

fn bench(c: &mut Criterion) {
    let (mut db, nodes) = filled(1000);
    let now = SimTime::DEFAULT_EPOCH;
    let mut i = 0usize;
    c.bench_function("update_node (1k db)", |b| {
        b.iter(|| {
            i = (i + 1) % nodes.len();
            db.update_node(&nodes[i]);
        })
    });
    c.bench_function("update_last_pong (1k db)", |b| {
        b.iter(|| {
            i = (i + 1) % nodes.len();
            db.update_last_pong(&nodes[i].id, now);
        })
    });
    c.bench_function("last_pong (1k db)", |b| {
        b.iter(|| {
            i = (i + 1) % nodes.len();
            db.last_pong(&nodes[i].id)
        })
    });
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    c.bench_function("query_seeds(30) (1k db)", |b| {
        b.iter(|| db.query_seeds(30, Duration::from_secs(5 * 86400), now, &mut rng))
    });
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
