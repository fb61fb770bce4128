//! The engine end to end: 200 peers bootstrap from 2 bootnodes under the virtual clock.

use std::time::Duration;

use discsim::discv4::packet::PacketKind;
use discsim::discv4::protocol::Profile;
use discsim::observe::metrics::EpisodeKind;
use discsim::sim::engine::{run, Action, JoinSchedule, ScheduledAction, SimConfig};

fn bootstrap_config() -> SimConfig {
    SimConfig {
        seed: 7,
        peers: 200,
        bootnodes: 2,
        duration: Duration::from_secs(50 * 60),
        sample_interval: Duration::from_secs(60),
        probe_interval: Some(Duration::from_secs(60)),
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(10 * 60),
        },
        // Ten peers die 20 minutes in.
        actions: vec![ScheduledAction {
            at: Duration::from_secs(20 * 60),
            over: Duration::ZERO,
            peers: (190..200).collect(),
            action: Action::Leave,
        }],
        ..SimConfig::default()
    }
}

#[test]
fn two_hundred_peers_converge_and_forget_the_dead() {
    let cfg = bootstrap_config();
    let out = run(&cfg).expect("runs");
    assert_eq!(out.samples.len(), 50);

    // Convergence: 95 % of live peers reach recall 0.9, and stay there once everyone has joined.
    let conv = out.convergence.expect("the network converges");
    assert!(conv <= 10.0 * 60.0, "converged only at {conv}s");
    for s in &out.samples[12..20] {
        assert_eq!(s.live_peers, 200);
        assert_eq!(s.init_done, 200);
        assert!(s.converged_share >= 0.95, "{s:?}");
        assert!(s.mean_recall > 0.95, "{s:?}");
        assert!(s.mean_ideal_fill > 0.8, "{s:?}");
    }

    // Every live peer has written nodes to its database.
    for s in out.final_snapshots.iter().filter(|s| s.online) {
        assert!(
            s.db_records > 0,
            "peer {} has an empty node database",
            s.index
        );
    }

    // Dead peers leave the tables: a minute after the deaths some entries are dead; revalidation
    // (one ping every 5 s on average) removes them within minutes.
    let just_after = &out.samples[20];
    assert_eq!(just_after.live_peers, 190);
    assert!(just_after.dead_entry_share > 0.005, "{just_after:?}");
    let ten_min_later = &out.samples[30];
    assert!(
        ten_min_later.dead_entry_share < 0.003,
        "dead entries linger: {ten_min_later:?}"
    );
    assert!(ten_min_later.dead_entry_share < just_after.dead_entry_share / 4.0);

    // Probes find the true closest live node nearly always.
    let ok = out.probes.iter().filter(|p| p.success).count();
    assert!(out.probes.len() >= 40);
    assert!(
        ok * 10 >= out.probes.len() * 9,
        "{ok} of {} probes succeeded",
        out.probes.len()
    );

    // Traffic of every kind geth 2018 sends flowed, none of the ENR kinds (EIP-868, 2019), and
    // nothing was malformed.
    for k in PacketKind::ALL {
        let n = out.totals.sent[k.index()];
        match k {
            PacketKind::EnrRequest | PacketKind::EnrResponse => assert_eq!(n, 0, "{k:?}"),
            _ => assert!(n > 0, "no {k:?} packets"),
        }
    }
    assert_eq!(out.totals.malformed, 0);
}

/// 60 peers for 10 minutes, traced, with slots 5, 6 and 7 restarting as fresh installs at 5
/// minutes: the run the thread-invariance tests compare.
fn sixty_peers_three_fresh_restarts() -> SimConfig {
    SimConfig {
        seed: 11,
        peers: 60,
        duration: Duration::from_secs(10 * 60),
        trace: true,
        actions: vec![ScheduledAction {
            at: Duration::from_secs(300),
            over: Duration::ZERO,
            peers: vec![5, 6, 7],
            action: Action::Restart {
                fresh: true,
                db_version: None,
                profile: None,
            },
        }],
        ..SimConfig::default()
    }
}

#[test]
fn same_seed_same_run_whatever_the_threads() {
    let base = sixty_peers_three_fresh_restarts();
    let one = run(&SimConfig {
        threads: 1,
        ..base.clone()
    })
    .unwrap();
    let two = run(&SimConfig {
        threads: 2,
        ..base.clone()
    })
    .unwrap();
    let three = run(&SimConfig {
        threads: 3,
        ..base.clone()
    })
    .unwrap();
    assert!(one.digest.is_some());
    assert_eq!(one.digest, two.digest);
    assert_eq!(one.digest, three.digest);
    assert_eq!(one.samples, two.samples);
    assert_eq!(one.probes, three.probes);
    assert_eq!(one.totals, two.totals);
    // A different seed gives a different run.
    let other = run(&SimConfig { seed: 12, ..base }).unwrap();
    assert_ne!(one.digest, other.digest);
}

/// Checking packet hashes is an engine setting that cannot change a run: the network never alters
/// a packet, so every check passes (a corrupted hash is caught when it is on: see the protocol's
/// and the packet codec's tests).
#[test]
fn hash_verification_changes_nothing_but_cost() {
    let base = SimConfig {
        seed: 5,
        peers: 60,
        duration: Duration::from_secs(10 * 60),
        trace: true,
        profiles: (0..60)
            .filter(|i| i % 3 == 0)
            .map(|i| (i, Profile::Geth2019))
            .collect(),
        ..SimConfig::default()
    };
    assert!(!base.verify_packet_hashes, "off by default");
    let trusted = run(&base).unwrap();
    let verified = run(&SimConfig {
        verify_packet_hashes: true,
        ..base
    })
    .unwrap();
    assert!(trusted.digest.is_some());
    assert_eq!(trusted.digest, verified.digest);
    assert_eq!(trusted.samples, verified.samples);
    assert_eq!(trusted.probes, verified.probes);
    assert_eq!(trusted.totals, verified.totals);
    assert_eq!(verified.totals.malformed, trusted.totals.malformed);
}

#[test]
#[ignore]
fn print_series() {
    let out = run(&bootstrap_config()).unwrap();
    for s in &out.samples {
        println!("{:>6.0} live {:>3} init {:>3} table {:>5.1} dead {:.3} recall {:.3} conv {:.3} fill {:.3} db {:>5.1} pk {:?}", s.t, s.live_peers, s.init_done, s.mean_table_size, s.dead_entry_share, s.mean_recall, s.converged_share, s.mean_ideal_fill, s.mean_db_records, s.packets);
    }
    println!("{:?}", out.totals);
    let ok = out.probes.iter().filter(|p| p.success).count();
    println!("probes {ok}/{}", out.probes.len());
}

#[test]
fn a_harsher_network_still_bootstraps_and_its_model_is_exercised() {
    use discsim::sim::network::{IpLayout, LatencyModel, NetworkConfig};
    let cfg = SimConfig {
        seed: 3,
        peers: 120,
        duration: Duration::from_secs(20 * 60),
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(5 * 60),
        },
        network: NetworkConfig {
            latency: LatencyModel::LogNormal {
                median: Duration::from_millis(80),
                sigma: 0.5,
                min: Duration::from_millis(10),
            },
            jitter: Duration::from_millis(5),
            loss: 0.02,
            nat_fraction: 0.2,
            // Twenty peers per /24: geth's limits of two per bucket and ten per table bite.
            ip_layout: IpLayout {
                peers_per_subnet: 20,
                ..IpLayout::default()
            },
            ..NetworkConfig::default()
        },
        ..SimConfig::default()
    };
    let out = run(&cfg).unwrap();
    assert!(out.slot_stats.lost > 0, "loss model unused");
    assert!(out.slot_stats.dropped_nat > 0, "NAT model unused");
    let last = out.samples.last().unwrap();
    assert_eq!(last.live_peers, 120);
    assert_eq!(last.init_done, 120);
    // Peers behind NAT cannot be reached unsolicited, so nobody can know everyone; but the
    // reachable part of the network is found.
    assert!(last.mean_recall > 0.5, "{last:?}");
    assert!(last.mean_table_size > 20.0, "{last:?}");
    // The IP limits bite: without them the same network fills bigger tables.
    let mut unlimited = cfg.clone();
    unlimited.protocol.table.ip_limits = false;
    let free = run(&unlimited).unwrap();
    let free_last = free.samples.last().unwrap();
    assert!(
        free_last.mean_table_size > last.mean_table_size + 1.0,
        "limits {} vs none {}",
        last.mean_table_size,
        free_last.mean_table_size
    );
}

#[test]
fn churn_and_poisson_arrivals_keep_the_network_alive_and_deterministic() {
    use discsim::sim::churn::{ChurnConfig, DurationDist};
    let cfg = SimConfig {
        seed: 21,
        peers: 100,
        duration: Duration::from_secs(40 * 60),
        join: JoinSchedule::Poisson {
            mean_interval: Duration::from_secs(3),
        },
        churn: ChurnConfig {
            share: 0.5,
            session: DurationDist::Weibull {
                scale: Duration::from_secs(600),
                shape: 0.5,
            },
            downtime: DurationDist::Exponential {
                mean: Duration::from_secs(300),
            },
            fresh_share: 0.3,
            start_after: Duration::from_secs(5 * 60),
            ..ChurnConfig::default()
        },
        trace: true,
        ..SimConfig::default()
    };
    let one = run(&cfg).unwrap();
    let two = run(&SimConfig {
        threads: 2,
        ..cfg.clone()
    })
    .unwrap();
    assert_eq!(one.digest, two.digest);
    assert_eq!(one.samples, two.samples);
    // Peers came and went.
    let live: Vec<usize> = one.samples.iter().map(|s| s.live_peers).collect();
    assert!(live.iter().any(|l| *l < 95), "{live:?}");
    assert!(live[10..].iter().all(|l| *l >= 50), "{live:?}");
    assert_eq!(one.episodes, two.episodes);
    // Returning peers bootstrap again: more episodes than peers, of every churn kind, and the
    // returns (database kept) start from seeds of their database.
    assert!(one.episodes.len() > 100, "{}", one.episodes.len());
    let kinds: Vec<EpisodeKind> = one.episodes.iter().map(|e| e.kind).collect();
    for k in [EpisodeKind::Join, EpisodeKind::Return, EpisodeKind::Fresh] {
        assert!(kinds.contains(&k), "no {k:?} in {kinds:?}");
    }
    for e in &one.episodes {
        assert!(e.seeds_alive <= e.seeds_tried, "{e:?}");
        match e.kind {
            EpisodeKind::Join => assert!(e.downtime.is_none() && e.seeds_tried == 0, "{e:?}"),
            EpisodeKind::Fresh => assert_eq!(e.db_records, Some(0), "{e:?}"),
            _ => assert!(e.downtime.is_some_and(|d| d > 0.0), "{e:?}"),
        }
        if let (Some(r), Some(end)) = (e.recall_seconds, e.ended) {
            assert!(e.at + r <= end + 1e-6, "{e:?}");
        }
    }
    assert!(one
        .episodes
        .iter()
        .any(|e| e.kind == EpisodeKind::Return && e.seeds_tried > 0));
    // Tables keep up: most live peers know most of their true neighbours despite the churn.
    let last = one.samples.last().unwrap();
    assert!(last.mean_recall > 0.7, "{last:?}");
}

#[test]
fn a_rolling_upgrade_flushes_databases_and_peers_recover() {
    let upgraded: Vec<u32> = (50..100).collect();
    let cfg = SimConfig {
        seed: 5,
        peers: 100,
        duration: Duration::from_secs(60 * 60),
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(5 * 60),
        },
        actions: vec![ScheduledAction {
            at: Duration::from_secs(20 * 60),
            over: Duration::from_secs(10 * 60),
            peers: upgraded.clone(),
            action: Action::Restart {
                fresh: false,
                db_version: Some(6),
                profile: None,
            },
        }],
        ..SimConfig::default()
    };
    let out = run(&cfg).unwrap();
    // Every upgraded peer bootstrapped a second time, spread over the window.
    let upgrades: Vec<_> = out
        .episodes
        .iter()
        .filter(|e| e.kind == EpisodeKind::Upgrade)
        .collect();
    assert_eq!(upgrades.len(), 50);
    for e in upgrades {
        assert!(upgraded.contains(&e.slot), "{e:?}");
        assert!((20.0 * 60.0..30.0 * 60.0).contains(&e.at), "{e:?}");
        // The flush leaves only bootnodes to start from, and they bring the peer back.
        assert!(e.version_flushed && e.db_records == Some(0) && e.seeds_tried == 0);
        assert!(
            e.init_seconds.is_some() && e.recall_seconds.is_some(),
            "{e:?}"
        );
    }
    // The network stays whole, and recovers its recall after the window.
    let last = out.samples.last().unwrap();
    assert_eq!(last.live_peers, 100);
    assert!(last.mean_recall > 0.9, "{last:?}");
    // The version check flushed exactly the upgraded databases, which have filled up again.
    assert_eq!(out.slot_stats.version_flushes, 50);
    assert_eq!(out.slot_stats.db_recoveries, 0);
    for s in out
        .final_snapshots
        .iter()
        .filter(|s| upgraded.contains(&s.index))
    {
        assert!(s.db_records > 0, "peer {} has an empty database", s.index);
    }
}

/// A peer that comes back after everyone else was replaced by fresh installs finds its
/// database's seeds dead (all but the bootnodes), while one that comes back to an unchanged
/// network finds them alive; the observer tells the two apart.
#[test]
fn seeds_of_a_returning_peer_are_judged_against_who_is_alive() {
    let others: Vec<u32> = (2..40).filter(|s| *s != 10 && *s != 11).collect();
    let cfg = SimConfig {
        seed: 3,
        peers: 40,
        duration: Duration::from_secs(40 * 60),
        probe_interval: None,
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(2 * 60),
        },
        actions: vec![
            ScheduledAction {
                at: Duration::from_secs(12 * 60),
                over: Duration::ZERO,
                peers: vec![10, 11],
                action: Action::Leave,
            },
            // Everyone else is reinstalled while 10 is away (11 stays away).
            ScheduledAction {
                at: Duration::from_secs(15 * 60),
                over: Duration::ZERO,
                peers: others,
                action: Action::Restart {
                    fresh: true,
                    db_version: None,
                    profile: None,
                },
            },
            ScheduledAction {
                at: Duration::from_secs(20 * 60),
                over: Duration::ZERO,
                peers: vec![10],
                action: Action::Join,
            },
        ],
        ..SimConfig::default()
    };
    let out = run(&cfg).unwrap();
    let back = out
        .episodes
        .iter()
        .find(|e| e.slot == 10 && e.kind == EpisodeKind::Return)
        .expect("slot 10 returned");
    assert_eq!(back.downtime, Some(480.0));
    assert!(back.seeds_tried > 2, "{back:?}");
    // Only the two bootnodes kept their identities.
    assert!(back.seeds_alive <= 2, "{back:?}");
    assert!(
        back.recall_seconds.is_some(),
        "it bootstraps through the bootnodes: {back:?}"
    );

    // Control: nobody changes while 10 is away.
    let control = SimConfig {
        actions: vec![cfg.actions[0].clone(), cfg.actions[2].clone()],
        ..cfg.clone()
    };
    let out = run(&control).unwrap();
    let back = out
        .episodes
        .iter()
        .find(|e| e.slot == 10 && e.kind == EpisodeKind::Return)
        .expect("slot 10 returned");
    assert!(back.seeds_tried > 2, "{back:?}");
    // Slot 11 is still away, so at most one seed is dead.
    assert!(back.seeds_alive + 1 >= back.seeds_tried, "{back:?}");
    // Episodes that never ended are closed at the end of the run.
    assert!(out.episodes.iter().all(|e| e.ended.is_some()));
    let away = out.episodes.iter().find(|e| e.slot == 11).unwrap();
    assert_eq!(away.ended, Some(720.0));
}

/// Peers that come back after longer than a 1 h node expiry. Under geth-2019 their bonds
/// outlive the others' records (a separate 24 h `bondExpiration`): they skip bonding and the
/// others, having expired them, refuse their FINDNODEs (the asymmetric endpoint proof). Under
/// geth-2018 the bond lifetime is the node expiration itself, so they bond again first.
#[test]
fn returning_after_the_expiry_meets_refused_findnodes() {
    let away: Vec<u32> = (40..60).collect();
    let cfg = |expiry_secs: u64| {
        let mut c = SimConfig {
            seed: 11,
            peers: 60,
            duration: Duration::from_secs(100 * 60),
            probe_interval: None,
            join: JoinSchedule::Ramp {
                over: Duration::from_secs(60),
            },
            actions: vec![
                ScheduledAction {
                    at: Duration::from_secs(10 * 60),
                    over: Duration::ZERO,
                    peers: away.clone(),
                    action: Action::Leave,
                },
                ScheduledAction {
                    at: Duration::from_secs(85 * 60),
                    over: Duration::ZERO,
                    peers: away.clone(),
                    action: Action::Join,
                },
            ],
            ..SimConfig::default()
        };
        c.nodedb.node_expiration = Duration::from_secs(expiry_secs);
        c.nodedb.cleanup_cycle = Duration::from_secs(20 * 60);
        c.protocol.seed_max_age = Duration::from_secs(3600);
        c
    };
    let with = |expiry_secs: u64, profile: Profile| {
        let mut c = cfg(expiry_secs);
        c.protocol.profile = profile;
        run(&c).unwrap().totals
    };
    for profile in Profile::ALL {
        assert_eq!(with(24 * 3600, profile).unbonded_findnode, 0, "{profile}");
    }
    let (y18, y19) = (with(3600, Profile::Geth2018), with(3600, Profile::Geth2019));
    eprintln!(
        "1 h expiry: refused FINDNODEs {} (geth-2018) vs {} (geth-2019); failures {} vs {}",
        y18.unbonded_findnode, y19.unbonded_findnode, y18.findnode_failures, y19.findnode_failures
    );
    assert!(
        y19.unbonded_findnode > 3 * y18.unbonded_findnode.max(1),
        "{} vs {}",
        y19.unbonded_findnode,
        y18.unbonded_findnode
    );
}

/// With `protocol.dialer`, peers dial each other: connections form (a dial costs a few round
/// trips, bootnodes refuse TCP), the run stays a function of its seed whatever the threads, and
/// restarts close connections on both sides.
#[test]
fn the_dialer_connects_peers_deterministically() {
    for profile in Profile::ALL {
        let mut base = sixty_peers_three_fresh_restarts();
        base.protocol.profile = profile;
        base.protocol.dialer = true;
        base.protocol.dial.useless_share = 0.1;
        let one = run(&SimConfig {
            threads: 1,
            ..base.clone()
        })
        .unwrap();
        let three = run(&SimConfig {
            threads: 3,
            ..base.clone()
        })
        .unwrap();
        assert_eq!(one.digest, three.digest, "{profile}");
        assert_eq!(one.samples, three.samples);
        assert_eq!(one.totals, three.totals);
        assert!(one.totals.dials > 60, "{profile}: {:?}", one.totals);
        assert!(one.totals.dialer_lookups > 60, "{profile}");
        assert!(one.totals.dials_failed < one.totals.dials);
        // Connections are symmetric: every dynamic peer is someone's inbound peer.
        let dials: Vec<_> = one
            .final_snapshots
            .iter()
            .filter_map(|s| s.dial.clone())
            .collect();
        let dyn_: usize = dials.iter().map(|d| d.dyn_peers).sum();
        let inbound: usize = dials.iter().map(|d| d.inbound_peers).sum();
        assert_eq!(dyn_, inbound, "{profile}");
        let max_dyn = dials[10].max_dyn;
        assert!(
            dials.iter().filter(|d| d.dyn_peers >= max_dyn).count() > 40,
            "{profile}: most peers fill their dynamic slots: {:?}",
            dials.iter().map(|d| d.dyn_peers).collect::<Vec<_>>()
        );
        // The bootnodes (slots 0 and 1) accept no TCP by default.
        assert_eq!(dials[0].inbound_peers + dials[1].inbound_peers, 0);
        // Every session's dialer ends in its episode: the restarted peers' first episodes
        // kept what their dialer did before the restart, and no dial or lookup is lost.
        assert_eq!(one.episodes.len(), 63, "{profile}");
        let ep_dials: Vec<_> = one
            .episodes
            .iter()
            .map(|e| e.dial.clone().unwrap())
            .collect();
        assert_eq!(
            ep_dials.iter().map(|d| d.dials).sum::<u64>(),
            one.totals.dials
        );
        assert_eq!(
            ep_dials.iter().map(|d| d.lookups).sum::<u64>(),
            one.totals.dialer_lookups
        );
        for e in one.episodes.iter().filter(|e| e.slot == 5) {
            let d = e.dial.as_ref().unwrap();
            assert!(
                d.dials > 0 && d.first_peer_seconds.is_some(),
                "{profile}: {e:?}"
            );
        }
        for d in &ep_dials {
            assert!(d.dials_failed <= d.dials);
            let [first, half, full] = [
                d.first_peer_seconds,
                d.half_peers_seconds,
                d.full_peers_seconds,
            ];
            // A milestone implies the earlier ones, reached no later.
            assert!(
                full.is_none() || half.is_some_and(|h| h <= full.unwrap()),
                "{d:?}"
            );
            assert!(
                half.is_none() || first.is_some_and(|f| f <= half.unwrap()),
                "{d:?}"
            );
        }
        assert!(
            ep_dials
                .iter()
                .filter(|d| d.full_peers_seconds.is_some())
                .count()
                > 40,
            "{profile}"
        );
        // The samples cover the run: their dialer lookups add up to the total.
        assert_eq!(
            one.samples.iter().map(|s| s.dial.lookups).sum::<u64>(),
            one.totals.dialer_lookups
        );
        // The last sample is taken at the end, when the final snapshots are.
        let last = one.samples.last().unwrap();
        let peers: Vec<usize> = dials
            .iter()
            .map(|d| d.dyn_peers + d.inbound_peers)
            .collect();
        let mean = peers.iter().sum::<usize>() as f64 / peers.len() as f64;
        let none = peers.iter().filter(|p| **p == 0).count() as f64 / peers.len() as f64;
        assert!(mean > 5.0, "{profile}: {last:?}");
        assert_eq!(
            (last.dial.mean_peers, last.dial.no_peer_share),
            (mean, none)
        );
    }
}

/// Without the dialer, no episode, sample or summary carries dialer figures.
#[test]
fn without_the_dialer_nothing_reports_one() {
    let mut cfg = SimConfig {
        seed: 4,
        peers: 30,
        duration: Duration::from_secs(120),
        ..SimConfig::default()
    };
    assert!(cfg.protocol.dialer, "on by default");
    cfg.protocol.dialer = false;
    let out = run(&cfg).unwrap();
    assert!(out.episodes.iter().all(|e| e.dial.is_none()));
    assert!(out.samples.iter().all(|s| s.dial == Default::default()));
    assert_eq!(out.totals.dials + out.totals.dialer_lookups, 0);
}

/// The coordinator's windows are cut short by samples and checks; a lone shard stepped window by
/// window (the benchmark's hook) is not, and has no observer. Neither may change a run: the peers
/// receive the same inputs in the same order either way, with restarts and with churn.
#[test]
fn a_shard_stepped_alone_runs_as_the_coordinator_does() {
    use discsim::sim::churn::{ChurnConfig, DurationDist};
    use discsim::sim::engine::ShardStepper;
    let churn = SimConfig {
        seed: 3,
        peers: 80,
        duration: Duration::from_secs(20 * 60),
        churn: ChurnConfig {
            share: 0.5,
            session: DurationDist::Exponential {
                mean: Duration::from_secs(300),
            },
            downtime: DurationDist::Exponential {
                mean: Duration::from_secs(120),
            },
            fresh_share: 0.3,
            start_after: Duration::from_secs(120),
            ..ChurnConfig::default()
        },
        trace: true,
        ..SimConfig::default()
    };
    for cfg in [sixty_peers_three_fresh_restarts(), churn] {
        let cfg = SimConfig {
            probe_interval: None,
            threads: 2,
            ..cfg
        };
        let want = run(&cfg).unwrap();
        let mut stepper = ShardStepper::new(&cfg).unwrap();
        let mut windows = 0;
        let mut packets = 0;
        while let Some(w) = stepper.step() {
            windows += 1;
            packets += w.packets;
        }
        assert_eq!(stepper.now(), cfg.start + cfg.duration);
        assert!(want.digest.is_some());
        assert_eq!(stepper.digest(), want.digest);
        assert_eq!(packets, want.counters.packets_sent);
        // Never more windows than the coordinator: it cuts some at samples and checks.
        assert!(
            windows <= want.counters.windows,
            "{windows} vs {}",
            want.counters.windows
        );
        assert!(stepper.step().is_none());
    }
}
