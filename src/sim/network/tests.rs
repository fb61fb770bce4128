use super::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const MS: Duration = Duration::from_millis(1);

fn field_of(e: NetworkError) -> &'static str {
    match e {
        NetworkError::Invalid { field, .. } => field,
    }
}

#[test]
fn default_config_is_valid() {
    NetworkConfig::default().validate().unwrap();
    assert_eq!(NetworkConfig::default().latency.min_latency(), 50 * MS);
}

#[test]
fn validation_names_the_knob() {
    let bad = |f: fn(&mut NetworkConfig)| {
        let mut c = NetworkConfig::default();
        f(&mut c);
        field_of(c.validate().unwrap_err())
    };
    assert_eq!(bad(|c| c.loss = 1.5), "loss");
    assert_eq!(bad(|c| c.loss = f64::NAN), "loss");
    assert_eq!(bad(|c| c.nat_fraction = -0.1), "nat_fraction");
    assert_eq!(bad(|c| c.jitter = 2 * MAX_DELAY), "jitter");
    assert_eq!(
        bad(|c| c.nat_mapping_timeout = Duration::ZERO),
        "nat_mapping_timeout"
    );
    assert_eq!(
        bad(|c| c.latency = LatencyModel::Constant(Duration::from_micros(999))),
        "latency"
    );
    assert_eq!(
        bad(|c| c.latency = LatencyModel::Uniform {
            min: 20 * MS,
            max: 10 * MS
        }),
        "latency.max"
    );
    assert_eq!(
        bad(|c| c.latency = LatencyModel::Uniform {
            min: Duration::ZERO,
            max: 10 * MS
        }),
        "latency.min"
    );
    fn ln(median: Duration, sigma: f64, min: Duration) -> LatencyModel {
        LatencyModel::LogNormal { median, sigma, min }
    }
    assert_eq!(
        bad(|c| c.latency = ln(10 * MS, f64::INFINITY, MS)),
        "latency.sigma"
    );
    assert_eq!(bad(|c| c.latency = ln(10 * MS, -1.0, MS)), "latency.sigma");
    assert_eq!(bad(|c| c.latency = ln(MS, 0.5, 2 * MS)), "latency.median");
    assert_eq!(
        bad(|c| c.ip_layout.peers_per_subnet = 0),
        "ip_layout.peers_per_subnet"
    );
    assert_eq!(
        bad(|c| c.ip_layout.peers_per_subnet = 255),
        "ip_layout.peers_per_subnet"
    );
    assert_eq!(
        bad(|c| c.ip_layout.base = Ipv4Addr::new(11, 0, 0, 1)),
        "ip_layout.base"
    );
    // The message carries the knob, the value and what is allowed.
    let mut c = NetworkConfig {
        loss: 2.0,
        ..NetworkConfig::default()
    };
    let msg = c.validate().unwrap_err().to_string();
    assert!(
        msg.contains("`loss`") && msg.contains("2.0") && msg.contains("[0, 1]"),
        "{msg}"
    );
    // Edges are allowed.
    c.loss = 1.0;
    c.nat_fraction = 0.0;
    c.latency = ln(MS, 0.0, MS);
    c.validate().unwrap();
}

#[test]
fn min_latency_bounds_every_model() {
    let models = [
        LatencyModel::Constant(30 * MS),
        LatencyModel::Uniform {
            min: 5 * MS,
            max: 200 * MS,
        },
        LatencyModel::LogNormal {
            median: 40 * MS,
            sigma: 1.5,
            min: 10 * MS,
        },
    ];
    for m in models {
        m.validate().unwrap();
        for a in 0..200 {
            for b in [a + 1, a * 7 + 3] {
                let d = m.link_latency(11, a, b);
                assert!(d >= m.min_latency(), "{m:?} {a} {b} {d:?}");
                assert!(d <= MAX_DELAY);
            }
        }
    }
}

#[test]
fn link_latency_is_stable_symmetric_and_varied() {
    let m = LatencyModel::LogNormal {
        median: 50 * MS,
        sigma: 0.5,
        min: MS,
    };
    let mut distinct = std::collections::BTreeSet::new();
    for a in 0..50u32 {
        for b in 0..50u32 {
            let d = m.link_latency(3, a, b);
            assert_eq!(d, m.link_latency(3, b, a));
            assert_eq!(d, m.link_latency(3, a, b));
            distinct.insert(d);
        }
    }
    // 1275 unordered pairs, all but vanishingly few distinct.
    assert!(distinct.len() > 1200, "{}", distinct.len());
    // The seed matters.
    let differ = (0..100u32)
        .filter(|&a| m.link_latency(3, a, a + 1) != m.link_latency(4, a, a + 1))
        .count();
    assert!(differ > 95);
    // Constant ignores the pair.
    let c = LatencyModel::Constant(7 * MS);
    assert_eq!(c.link_latency(1, 2, 3), 7 * MS);
}

#[test]
fn uniform_latency_spreads_over_its_range() {
    let m = LatencyModel::Uniform {
        min: 10 * MS,
        max: 110 * MS,
    };
    let n = 20_000u32;
    let mut sum = 0.0;
    let mut low = 0;
    for i in 0..n {
        let d = m.link_latency(5, i, i + n);
        assert!(d >= 10 * MS && d < 110 * MS);
        sum += d.as_secs_f64();
        if d < 35 * MS {
            low += 1;
        }
    }
    let mean = sum / f64::from(n);
    assert!((mean - 0.060).abs() < 0.001, "{mean}");
    let q = f64::from(low) / f64::from(n);
    assert!((q - 0.25).abs() < 0.015, "{q}");
    // A degenerate range is its one value.
    let d = LatencyModel::Uniform {
        min: 10 * MS,
        max: 10 * MS,
    };
    assert_eq!(d.link_latency(5, 1, 2), 10 * MS);
}

#[test]
fn lognormal_latency_has_its_median_and_shape() {
    let median = 80 * MS;
    let sigma = 0.7;
    let m = LatencyModel::LogNormal {
        median,
        sigma,
        min: MS,
    };
    let n = 20_000u32;
    let mut zs: Vec<f64> = (0..n)
        .map(|i| {
            (m.link_latency(9, i, 2 * n - i).as_secs_f64() / median.as_secs_f64()).ln() / sigma
        })
        .collect();
    let mean = zs.iter().sum::<f64>() / f64::from(n);
    let var = zs.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / f64::from(n);
    assert!(mean.abs() < 0.03, "{mean}");
    assert!((var.sqrt() - 1.0).abs() < 0.03, "{var}");
    zs.sort_by(f64::total_cmp);
    assert!(zs[(n / 2) as usize].abs() < 0.03);
    // About 15.9% of a standard normal lies below -1.
    let below = zs.iter().filter(|&&z| z < -1.0).count() as f64 / f64::from(n);
    assert!((below - 0.159).abs() < 0.01, "{below}");
    // sigma 0 is the median, and min clamps.
    let flat = LatencyModel::LogNormal {
        median,
        sigma: 0.0,
        min: MS,
    };
    assert_eq!(flat.link_latency(1, 2, 3), median);
    let clamped = LatencyModel::LogNormal {
        median,
        sigma: 3.0,
        min: median,
    };
    let at_min = (0..1000u32)
        .filter(|&i| clamped.link_latency(1, i, i + 1) == median)
        .count();
    assert!((400..600).contains(&at_min), "{at_min}");
    // Huge sigma saturates instead of overflowing.
    let wild = LatencyModel::LogNormal {
        median,
        sigma: 1e6,
        min: MS,
    };
    for i in 0..100 {
        let d = wild.link_latency(1, i, i + 1);
        assert!((MS..=MAX_DELAY).contains(&d));
    }
}

#[test]
fn packet_delay_loss_and_jitter() {
    let mut cfg = NetworkConfig {
        latency: LatencyModel::Constant(20 * MS),
        jitter: 10 * MS,
        loss: 0.25,
        ..NetworkConfig::default()
    };
    cfg.validate().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let n = 20_000;
    let mut lost = 0;
    let mut jitter_sum = 0.0;
    for i in 0..n {
        match cfg.packet_delay(0, i, i + 1, &mut rng) {
            None => lost += 1,
            Some(d) => {
                assert!(d >= 20 * MS && d < 30 * MS);
                jitter_sum += (d - 20 * MS).as_secs_f64();
            }
        }
    }
    let rate = f64::from(lost) / f64::from(n);
    assert!((rate - 0.25).abs() < 0.015, "{rate}");
    let mean_jitter = jitter_sum / f64::from(n - lost);
    assert!((mean_jitter - 0.005).abs() < 0.0002, "{mean_jitter}");

    // The same sender stream gives the same packets.
    let run = |seed| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..100)
            .map(|i| cfg.packet_delay(4, 0, i, &mut rng))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(2), run(2));
    assert_ne!(run(2), run(3));

    cfg.loss = 1.0;
    assert!((0..100).all(|i| cfg.packet_delay(0, 0, i, &mut rng).is_none()));
}

#[test]
fn clean_network_draws_nothing() {
    let cfg = NetworkConfig::default();
    let mut used = ChaCha8Rng::seed_from_u64(8);
    let mut fresh = ChaCha8Rng::seed_from_u64(8);
    for i in 0..10 {
        assert_eq!(cfg.packet_delay(1, 0, i, &mut used), Some(50 * MS));
    }
    assert_eq!(used.next_u64(), fresh.next_u64());
}

#[test]
fn behind_nat_matches_the_fraction() {
    let mut cfg = NetworkConfig {
        nat_fraction: 0.3,
        ..NetworkConfig::default()
    };
    let n = 20_000u32;
    let natted = (0..n).filter(|&i| cfg.behind_nat(6, i)).count() as f64 / f64::from(n);
    assert!((natted - 0.3).abs() < 0.015, "{natted}");
    assert_eq!(cfg.behind_nat(6, 17), cfg.behind_nat(6, 17));
    cfg.nat_fraction = 0.0;
    assert!((0..1000).all(|i| !cfg.behind_nat(6, i)));
    cfg.nat_fraction = 1.0;
    assert!((0..1000).all(|i| cfg.behind_nat(6, i)));
}

#[test]
fn ip_layout_round_trips() {
    let one = IpLayout::default();
    one.validate().unwrap();
    assert_eq!(one.ip_of(0), Ipv4Addr::new(11, 0, 0, 1));
    assert_eq!(one.ip_of(1), Ipv4Addr::new(11, 0, 1, 1));
    assert_eq!(one.ip_of(256), Ipv4Addr::new(11, 1, 0, 1));
    assert_eq!(one.capacity(), (256 - 11) * 65536);
    let last = u32::try_from(one.capacity() - 1).unwrap();
    assert_eq!(one.ip_of(last), Ipv4Addr::new(255, 255, 255, 1));
    assert_eq!(one.index_of(Ipv4Addr::new(255, 255, 255, 1)), Some(last));

    for pps in [1, 2, 3, 100, 254] {
        let l = IpLayout {
            base: Ipv4Addr::new(11, 0, 0, 0),
            peers_per_subnet: pps,
        };
        l.validate().unwrap();
        for i in (0..5000).chain([u32::try_from(l.capacity() - 1).unwrap()]) {
            let ip = l.ip_of(i);
            assert_eq!(l.index_of(ip), Some(i), "pps {pps} index {i}");
            let host = ip.octets()[3];
            assert!((1..=254).contains(&host));
        }
        assert_eq!(l.capacity(), (256 - 11) * 65536 * u64::from(pps));
    }

    let l = IpLayout {
        base: Ipv4Addr::new(11, 0, 0, 0),
        peers_per_subnet: 3,
    };
    assert_eq!(l.ip_of(2), Ipv4Addr::new(11, 0, 0, 3));
    assert_eq!(l.ip_of(3), Ipv4Addr::new(11, 0, 1, 1));
    for outside in [
        Ipv4Addr::new(10, 255, 255, 255),
        Ipv4Addr::new(11, 0, 0, 0),
        Ipv4Addr::new(11, 0, 0, 4),
        Ipv4Addr::new(11, 0, 0, 255),
        Ipv4Addr::new(0, 0, 0, 1),
    ] {
        assert_eq!(l.index_of(outside), None, "{outside}");
    }
}

#[test]
#[should_panic(expected = "capacity")]
fn ip_of_beyond_capacity_panics() {
    let l = IpLayout::default();
    l.ip_of(u32::try_from(l.capacity()).unwrap());
}

#[test]
fn nat_filters_by_endpoint_and_expires() {
    let t0 = SimTime::DEFAULT_EPOCH;
    let timeout = Duration::from_secs(60);
    let mut nat = Nat::new();
    assert!(!nat.allows_inbound(1, t0, timeout));
    nat.record_outbound(1, t0);
    nat.record_outbound(2, t0 + Duration::from_secs(30));
    assert!(nat.allows_inbound(1, t0 + Duration::from_secs(59), timeout));
    assert!(!nat.allows_inbound(1, t0 + timeout, timeout));
    assert!(!nat.allows_inbound(3, t0, timeout));
    // Outbound traffic refreshes; a stale timestamp does not roll it back.
    nat.record_outbound(1, t0 + Duration::from_secs(50));
    nat.record_outbound(1, t0 + Duration::from_secs(10));
    assert!(nat.allows_inbound(1, t0 + Duration::from_secs(100), timeout));
    // Pruning keeps only live mappings.
    nat.prune(t0 + Duration::from_secs(95), timeout);
    assert_eq!(nat.len(), 1);
    assert!(nat.allows_inbound(1, t0 + Duration::from_secs(95), timeout));
    nat.prune(t0 + Duration::from_secs(200), timeout);
    assert!(nat.is_empty());
}

#[test]
fn nat_memory_stays_bounded() {
    let timeout = Duration::from_secs(60);
    let mut nat = Nat::new();
    let mut t = SimTime::DEFAULT_EPOCH;
    for i in 0..10_000u32 {
        nat.record_outbound(i, t);
        t += Duration::from_secs(1);
        if i % 100 == 0 {
            nat.prune(t, timeout);
        }
        assert!(nat.len() <= 160);
    }
}
