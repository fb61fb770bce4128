//! The comparison with real geth's figures, on hand-made tables.

use super::render::{format_minute, percent};
use super::*;
use std::path::Path;

fn table(rows: &[(u64, &[(&str, f64)])]) -> Table {
    rows.iter()
        .map(|(t, cells)| (*t, cells.iter().map(|(k, v)| (k.to_string(), *v)).collect()))
        .collect()
}

fn check<'a>(r: &'a ProfileReport, t: u64, figure: &str) -> &'a Check {
    r.rows
        .iter()
        .find(|row| row.t == t)
        .and_then(|row| row.checks.iter().find(|c| c.figure.name == figure))
        .unwrap_or_else(|| panic!("no {figure} at {t}"))
}

#[test]
fn a_figure_at_the_tolerance_passes_and_beyond_it_fails() {
    let geth = table(&[
        (60, &[("mean_table_size", 100.0), ("mean_recall", 0.2)]),
        (120, &[("mean_table_size", 100.0), ("mean_recall", 0.2)]),
    ]);
    let ours = table(&[
        (60, &[("mean_table_size", 115.0), ("mean_recall", 0.23)]),
        (120, &[("mean_table_size", 84.9), ("mean_recall", 0.2301)]),
    ]);
    let r = compare(Profile::Geth2018, &geth, &ours, 1, 0.15).unwrap();
    assert!(check(&r, 60, "mean_table_size").ok);
    assert!(check(&r, 60, "mean_recall").ok, "0.23 against 0.2 is 15 %");
    assert!(!check(&r, 120, "mean_table_size").ok);
    assert!(!check(&r, 120, "mean_recall").ok);
    assert_eq!(r.compared(), 4);
    assert_eq!(r.failures().len(), 2);
    assert!(!r.passed());
    assert!((check(&r, 120, "mean_table_size").diff - 0.151).abs() < 1e-12);
}

#[test]
fn small_denominators_use_the_floors() {
    let geth = table(&[(
        60,
        &[
            ("mean_recall", 0.01),
            ("converged_share", 0.0),
            ("mean_db_records", 0.159),
            ("mean_table_size", 0.5),
            ("findnode", 0.0),
            ("ping", 10.0),
        ],
    )]);
    let ours = table(&[(
        60,
        &[
            ("mean_recall", 0.015),
            ("converged_share", 0.0075),
            ("mean_db_records", 0.3),
            ("mean_table_size", 0.6),
            ("packets_findnode", 7.0),
            ("packets_ping", 50.0),
        ],
    )]);
    let r = compare(Profile::Geth2019, &geth, &ours, 1, 0.15).unwrap();
    // 0.005 / max(0.01, 0.05) = 0.1, not 0.5.
    assert!((check(&r, 60, "mean_recall").diff - 0.1).abs() < 1e-12);
    assert!(check(&r, 60, "converged_share").ok);
    assert!((check(&r, 60, "mean_db_records").diff - 0.141).abs() < 1e-12);
    assert!((check(&r, 60, "mean_table_size").diff - 0.1).abs() < 1e-12);
    assert!((check(&r, 60, "findnode").diff - 0.14).abs() < 1e-12);
    // 40 / max(10, 50) = 0.8: a floor only caps small denominators.
    assert!(!check(&r, 60, "ping").ok);
    assert_eq!(relative_difference(200.0, 100.0, 50.0), 0.5);
    assert_eq!(relative_difference(-2.0, 0.0, 1.0), 1.0);
}

#[test]
fn minute_zero_is_ignored_and_extra_discsim_samples_do_not_matter() {
    let geth = table(&[(0, &[("ping", 0.0)]), (60, &[("ping", 1000.0)])]);
    let ours = table(&[
        (0, &[("packets_ping", 9999.0)]),
        (60, &[("packets_ping", 1000.0)]),
        (120, &[("packets_ping", 5.0)]),
    ]);
    let r = compare(Profile::Geth2018, &geth, &ours, 1, 0.15).unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].t, 60);
    assert!(r.passed());
    // A reference sample discsim lacks is an error, not a silent skip.
    let sparse = table(&[(0, &[("packets_ping", 1.0)])]);
    let e = compare(Profile::Geth2018, &geth, &sparse, 1, 0.15).unwrap_err();
    assert!(e.to_string().contains("t = 60 s"), "{e}");
}

#[test]
fn figures_either_side_lacks_are_listed_not_compared() {
    let geth = table(&[(
        60,
        &[
            ("ping", 100.0),
            ("enrrequest", 300.0),
            ("enrresponse", 300.0),
        ],
    )]);
    let ours = table(&[(
        60,
        &[
            ("packets_ping", 100.0),
            ("packets_enrresponse", 300.0),
            ("mean_recall", 0.5),
        ],
    )]);
    let r = compare(Profile::Geth2019, &geth, &ours, 1, 0.15).unwrap();
    let compared: Vec<&str> = r.rows[0].checks.iter().map(|c| c.figure.name).collect();
    assert_eq!(compared, ["ping", "enrresponse"]);
    let reason = |name: &str| {
        r.not_compared
            .iter()
            .find(|n| n.figure.name == name)
            .map(|n| n.reason.clone())
            .unwrap_or_else(|| panic!("{name} should be listed"))
    };
    assert_eq!(
        reason("enrrequest"),
        "discsim's metrics have no packets_enrrequest"
    );
    assert_eq!(reason("mean_recall"), "not in the geth-2019 reference");
    assert_eq!(
        reason("mean_table_size"),
        "not in the geth-2019 reference; discsim's metrics have no mean_table_size"
    );
    assert_eq!(r.not_compared.len(), FIGURES.len() - 2);
    let text = r.render_table();
    assert!(
        text.contains("not compared: mean_table_size (")
            && text.contains("enrrequest (discsim's metrics have no packets_enrrequest)"),
        "{text}"
    );
}

#[test]
fn the_table_marks_failures_and_the_verdict_names_the_worst() {
    let geth = table(&[
        (60, &[("mean_recall", 0.9291), ("ping", 4702.0)]),
        (120, &[("mean_recall", 0.9495), ("ping", 8913.0)]),
    ]);
    let ours = table(&[
        (60, &[("mean_recall", 0.92), ("packets_ping", 6000.0)]),
        (120, &[("mean_recall", 0.5), ("packets_ping", 8900.0)]),
    ]);
    let r = compare(Profile::Geth2018, &geth, &ours, 5, 0.15).unwrap();
    let text = r.render_table();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("geth-2018 (real geth c73b654fd1)"),
        "{text}"
    );
    assert!(lines[0].contains("mean of 5 seeds"), "{text}");
    assert!(lines[2].starts_with("minute") && lines[2].contains("mean_recall"));
    assert!(lines[3].contains("4702 / 6000 (+27.6%)!"), "{text}");
    assert!(lines[4].contains("0.950 / 0.500 (-47.3%)!"), "{text}");
    assert!(lines[4].contains("8913 / 8900 (-0.1%)"), "{text}");
    // Aligned: a column's cells (and its name) end at the same place, the marks after it.
    let end = lines[2].rfind("ping").unwrap() + "ping".len();
    assert_eq!(lines[3].rfind(')').unwrap() + 1, end, "{text}");
    assert_eq!(lines[4].rfind(')').unwrap() + 1, end, "{text}");
    assert_eq!(
        r.verdict(),
        "geth-2018: 4 figures compared, 2 beyond 15 %: mean_recall at minute 2 (0.950 / 0.500, -47.3%), ping at minute 1 (4702 / 6000, +27.6%)"
    );
    let ok = compare(Profile::Geth2018, &geth, &geth_as_discsim(&geth), 1, 0.15).unwrap();
    assert_eq!(
        ok.verdict(),
        "geth-2018: 4 figures compared, all within 15 %"
    );
}

fn geth_as_discsim(geth: &Table) -> Table {
    geth.iter()
        .map(|(t, row)| {
            let row = row
                .iter()
                .map(|(k, v)| {
                    let f = FIGURES.iter().find(|f| f.name == k).unwrap();
                    (f.discsim.to_string(), *v)
                })
                .collect();
            (*t, row)
        })
        .collect()
}

#[test]
fn the_csv_lists_every_check() {
    let geth = table(&[(60, &[("ping", 100.0), ("pong", 100.0)])]);
    let ours = table(&[(60, &[("packets_ping", 100.0), ("packets_pong", 200.0)])]);
    let r = compare(Profile::Geth2019, &geth, &ours, 1, 0.15).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = r.write_csv(dir.path()).unwrap();
    assert_eq!(path, dir.path().join("validation-geth-2019.csv"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "t,figure,geth,discsim,diff,noise,ok\n60,ping,100,100,0,0,true\n60,pong,100,200,1,0,false\n"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left");
}

#[test]
fn the_references_are_compiled_in_and_parse() {
    for p in Profile::ALL {
        let t = p.reference().unwrap();
        let minutes: Vec<u64> = t.keys().copied().collect();
        assert_eq!(
            minutes,
            (1..=15).map(|m| m * 60).collect::<Vec<_>>(),
            "{p:?}"
        );
        for f in &FIGURES[..8] {
            assert!(t[&60].contains_key(f.name), "{p:?} {}", f.name);
        }
        assert_eq!(
            t[&60].contains_key("enrrequest"),
            p == Profile::Geth2019,
            "{p:?}"
        );
    }
    assert_eq!(Profile::Geth2018.reference().unwrap()[&60]["ping"], 4702.0);
    let e = parse_csv("t,ping\n60,many\n", "r.csv")
        .unwrap_err()
        .to_string();
    assert_eq!(e, "r.csv: line 2: `ping` is not a number (\"many\")");
    let e = parse_csv("x,ping\n60,1\n", "r.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no `t` column"), "{e}");
}

/// A sample of discsim's metrics at `t` with a mean table size and PINGs sent, and 7
/// packets sent of each other kind.
fn sample(t: f64, table: f64, ping: u64) -> Sample {
    let mut packets = [7; PacketKind::COUNT];
    packets[PacketKind::Ping.index()] = ping;
    Sample {
        t,
        live_peers: 10,
        init_done: 10,
        mean_table_size: table,
        dead_entry_share: 0.0,
        mean_recall: 1.0,
        converged_share: 1.0,
        mean_ideal_fill: 1.0,
        mean_db_records: 3.0,
        mean_db_nodes: 3.0,
        db_stale_share: 0.0,
        records_expired: 0,
        packets,
        bytes: [0; PacketKind::COUNT],
        dial: Default::default(),
    }
}

#[test]
fn discsim_tables_use_the_metrics_columns_and_average_over_seeds() {
    let a = discsim_table(&[sample(60.0, 10.0, 100), sample(120.0, 20.0, 50)]);
    let b = discsim_table(&[sample(60.0, 20.0, 300), sample(120.0, 30.0, 50)]);
    assert_eq!(a[&60]["packets_ping"], 100.0);
    // Every figure, the ENR packets included.
    for f in &FIGURES {
        assert!(a[&60].contains_key(f.discsim), "{}", f.discsim);
    }
    assert_eq!(a[&60]["packets_enrresponse"], 7.0);
    let m = mean_tables(&[a, b]);
    assert_eq!(m[&60]["mean_table_size"], 15.0);
    assert_eq!(m[&60]["packets_ping"], 200.0);
    assert_eq!(m[&120]["mean_table_size"], 25.0);
}

/// discsim's metrics have the ENR packet columns, so the ENR figures are compared wherever
/// the reference has them (geth-2019), and the geth-2018 reference alone leaves them out.
#[test]
fn the_enr_figures_are_compared_where_the_reference_has_them() {
    let samples: Vec<Sample> = (1..=15)
        .map(|m| sample(60.0 * m as f64, 30.0, 1000))
        .collect();
    let ours = discsim_table(&samples);
    let names = |r: &ProfileReport| -> Vec<&str> {
        r.rows[0].checks.iter().map(|c| c.figure.name).collect()
    };
    let geth19 = Profile::Geth2019.reference().unwrap();
    let r = compare(Profile::Geth2019, &geth19, &ours, 1, 0.15).unwrap();
    let all: Vec<&str> = FIGURES.iter().map(|f| f.name).collect();
    assert_eq!(names(&r), all);
    assert!(r.not_compared.is_empty(), "{:?}", r.not_compared);
    assert_eq!(r.compared(), 15 * FIGURES.len());
    let enr = &r.rows[0].checks[8];
    assert_eq!((enr.figure.name, enr.discsim), ("enrrequest", 7.0));
    assert_eq!(enr.geth, geth19[&60]["enrrequest"]);

    let geth18 = Profile::Geth2018.reference().unwrap();
    let r = compare(Profile::Geth2018, &geth18, &ours, 1, 0.15).unwrap();
    assert_eq!(names(&r), all[..8]);
    let not: Vec<(&str, &str)> = r
        .not_compared
        .iter()
        .map(|n| (n.figure.name, n.reason.as_str()))
        .collect();
    assert_eq!(
        not,
        [
            ("enrrequest", "not in the geth-2018 reference"),
            ("enrresponse", "not in the geth-2018 reference"),
        ]
    );
}

#[test]
fn bad_options_name_the_flag_and_what_is_allowed() {
    let e = |o: ValidateOptions| o.check().unwrap_err().to_string();
    let base = ValidateOptions::default();
    assert!(base.check().is_ok());
    assert_eq!(
        e(ValidateOptions {
            seeds: 0,
            ..base.clone()
        }),
        "invalid --seeds 0: at least 1"
    );
    for t in [0.0, -0.1, 1.5, f64::NAN] {
        let m = e(ValidateOptions {
            tolerance: t,
            ..base.clone()
        });
        assert!(
            m.starts_with("invalid --tolerance") && m.contains("(0, 1]"),
            "{m}"
        );
    }
    assert_eq!(
        e(ValidateOptions {
            threads: Some(0),
            ..base.clone()
        }),
        "invalid --threads 0: at least 1"
    );
    assert!(ValidateOptions {
        tolerance: 1.0,
        ..base.clone()
    }
    .check()
    .is_ok());
    assert_eq!(parse_profiles("all").unwrap(), Profile::ALL.to_vec());
    assert_eq!(
        parse_profiles("geth-2019").unwrap(),
        vec![Profile::Geth2019]
    );
    let err = parse_profiles("geth-2020").unwrap_err();
    assert!(err.is_bad_input());
    assert_eq!(
        err.to_string(),
        "invalid --profile geth-2020: one of geth-2018, geth-2019, all"
    );
}

#[test]
fn the_compiled_in_scenario_is_the_reference_set_up() {
    let (s, cfg) = scenario(Profile::Geth2018, 3, Some(1)).unwrap();
    assert_eq!(s.name, "validate-ramp-400");
    assert_eq!(
        (cfg.peers, cfg.bootnodes, cfg.seed, cfg.threads),
        (400, 2, 3, 1)
    );
    assert_eq!(cfg.duration.as_secs(), 900);
    assert_eq!(cfg.sample_interval.as_secs(), 60);
    assert_eq!(cfg.probe_interval, None);
    assert_eq!(
        cfg.join,
        crate::sim::engine::JoinSchedule::Ramp {
            over: std::time::Duration::from_secs(300)
        }
    );
    assert_eq!(
        cfg.network.latency,
        crate::sim::network::LatencyModel::Constant(std::time::Duration::from_millis(50))
    );
    // The file in the repository is the one compiled in.
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SCENARIO_FILE)).unwrap();
    assert_eq!(on_disk, SCENARIO);
}

#[test]
fn percentages_print_without_float_noise() {
    assert_eq!(percent(0.15), "15");
    assert_eq!(percent(0.125), "12.5");
    assert_eq!(percent(1.0), "100");
    assert_eq!(format_minute(900), "15");
    let c = |geth: f64, discsim: f64| Check {
        figure: FIGURES[0],
        geth,
        discsim,
        diff: relative_difference(geth, discsim, 1.0),
        noise: 0.0,
        ok: true,
    };
    assert_eq!(c(100.0, 99.99).signed_percent(), "+0.0%");
    assert_eq!(c(100.0, 99.9).signed_percent(), "-0.1%");
    assert_eq!(c(100.0, 127.6).signed_percent(), "+27.6%");
}

/// A difference beyond the tolerance passes when discsim's own seeds vary enough to explain it,
/// `NOISE_Z` standard errors of the difference, and is marked; without spread it fails.
#[test]
fn noise_explains_a_difference_only_as_far_as_the_seeds_vary() {
    let share = |v: f64| table(&[(60, &[("converged_share", v)])]);
    let geth = share(0.0488);
    let ours = share(0.0366);
    // Five seeds of 2 to 5 converged peers of 82.
    let seeds: Vec<Table> = [4.0, 4.0, 2.0, 3.0, 2.0]
        .iter()
        .map(|n| share(n / 82.0))
        .collect();
    let spread = spread_tables(&seeds);
    let sd = spread[&60]["converged_share"];
    assert!((sd - 1.0 / 82.0).abs() < 1e-12, "{sd}");
    let strict = compare(Profile::Geth2019, &geth, &ours, 5, 0.15).unwrap();
    assert!(!strict.passed(), "24 % is beyond 15 % without noise");
    let r = compare_with_spread(Profile::Geth2019, &geth, &ours, &spread, 5, 0.15).unwrap();
    let c = &r.rows[0].checks[0];
    assert!((c.noise - NOISE_Z * sd * (1.0f64 / 5.0 + 1.0).sqrt()).abs() < 1e-12);
    assert!(c.ok && c.within_noise_only(0.15), "{c:?}");
    let verdict = r.verdict();
    assert!(
        verdict.contains("1 only within run-to-run noise: converged_share at minute 1"),
        "{verdict}"
    );
    assert!(r.render_table().contains(")~"), "{}", r.render_table());
    // A difference past the noise still fails.
    let far = compare_with_spread(Profile::Geth2019, &geth, &share(0.0), &spread, 5, 0.15).unwrap();
    assert!(!far.passed(), "{:?}", far.rows[0].checks[0]);
    // No spread without two seeds.
    assert_eq!(spread_tables(&seeds[..1])[&60]["converged_share"], 0.0);
}
