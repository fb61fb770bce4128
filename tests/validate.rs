//! `discsim validate` through the library: discsim's per-minute means over 5 seeds against the
//! figures of real geth (scenarios/validation/).

use discsim::discv4::protocol::Profile;
use discsim::experiment::validate::{run, ProfileReport, ValidateOptions, FIGURES};

fn validate(profile: Profile) -> ProfileReport {
    let opts = ValidateOptions {
        profiles: vec![profile],
        seeds: 5,
        ..ValidateOptions::default()
    };
    let mut reports = run(&opts).expect("validation runs");
    assert_eq!(reports.len(), 1);
    reports.remove(0)
}

#[test]
fn geth_2018_is_within_tolerance_minute_by_minute() {
    let r = validate(Profile::Geth2018);
    assert_eq!(
        (r.profile, r.seeds, r.tolerance),
        (Profile::Geth2018, 5, 0.15)
    );
    let minutes: Vec<u64> = r.rows.iter().map(|row| row.t).collect();
    assert_eq!(minutes, (1..=15).map(|m| m * 60).collect::<Vec<_>>());
    // The eight figures both sides have, every minute; the 2018 reference has no ENR packets.
    let eight: Vec<&str> = FIGURES[..8].iter().map(|f| f.name).collect();
    for row in &r.rows {
        let names: Vec<&str> = row.checks.iter().map(|c| c.figure.name).collect();
        assert_eq!(names, eight, "minute {}", row.t / 60);
    }
    assert_eq!(r.compared(), 15 * 8);
    let not: Vec<&str> = r.not_compared.iter().map(|n| n.figure.name).collect();
    assert_eq!(not, ["enrrequest", "enrresponse"]);
    // geth's side is the reference file as it is.
    let first = &r.rows[0].checks;
    assert_eq!(first[0].geth, 47.293);
    assert_eq!(first[4].geth, 4702.0);
    // discsim bootstraps: mean recall above 0.9 at minute 15.
    let last = &r.rows[14];
    let recall = last
        .checks
        .iter()
        .find(|c| c.figure.name == "mean_recall")
        .expect("recall compared");
    assert!(recall.discsim > 0.9, "{recall:?}");
    // Failures are exactly the checks beyond the tolerance, and the verdict counts them.
    for c in r.rows.iter().flat_map(|row| &row.checks) {
        assert_eq!(c.ok, c.diff <= r.tolerance + 1e-9, "{c:?}");
    }
    let verdict = r.verdict();
    assert_eq!(verdict, "geth-2018: 120 figures compared, all within 15 %");
    let table = r.render_table();
    assert_eq!(table.lines().count(), 3 + 15 + 1, "{table}");
    assert_eq!(
        // Below the title, the legend and the header: one line per minute.
        table
            .lines()
            .skip(3)
            .take(15)
            .filter(|l| l.contains('!'))
            .count(),
        r.rows
            .iter()
            .filter(|row| row.checks.iter().any(|c| !c.ok))
            .count(),
        "{table}"
    );
}

/// geth-2019 within 15 % on every figure but the converged share at minute 1, which counts a
/// handful of peers (4 of 82 in geth's reference run, 3 to 7 over 10 more runs of real geth):
/// that one may pass only within the run-to-run noise, and nothing else may.
#[test]
fn geth_2019_is_within_tolerance_or_within_noise_minute_by_minute() {
    let r = validate(Profile::Geth2019);
    assert_eq!(r.compared(), 15 * 10, "ENR packets compared too");
    assert!(r.passed(), "{}", r.verdict());
    for row in &r.rows {
        for c in &row.checks {
            if c.within_noise_only(r.tolerance) {
                assert_eq!((row.t, c.figure.name), (60, "converged_share"), "{c:?}");
                assert!((c.discsim - c.geth).abs() <= c.noise, "{c:?}");
            }
        }
    }
}
