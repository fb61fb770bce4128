//! The library API a regression test uses: a scenario built in code, run, judged on its summary.
//! The README shows this file's first test.

use std::time::Duration;

use discsim::discv4::protocol::SeedStrategy;
use discsim::experiment::report::Summary;
use discsim::experiment::scenario::Scenario;
use discsim::sim::engine::{run, JoinSchedule};

/// 100 peers joining over two minutes, for twenty minutes.
fn small() -> Scenario {
    Scenario {
        name: "regression".into(),
        peers: 100,
        duration: Duration::from_secs(20 * 60),
        join: JoinSchedule::Ramp {
            over: Duration::from_secs(120),
        },
        ..Scenario::default()
    }
}

#[test]
fn a_small_network_bootstraps_quickly_and_cheaply() {
    let mut s = small();
    s.protocol.seed_strategy = SeedStrategy::Geth;
    let out = run(&s.to_config().expect("a valid scenario")).expect("runs");
    let summary = Summary::new(&s, &out);
    assert!(
        summary.convergence_seconds.is_some_and(|t| t <= 600.0),
        "{summary:?}"
    );
    assert!(summary.final_mean_recall > 0.95, "{summary:?}");
    assert!(
        summary.median_recall_seconds.is_some_and(|t| t < 60.0),
        "{summary:?}"
    );
    assert_eq!(summary.bootstrap_episodes, 100);
    assert_eq!(summary.never_bootstrapped_share, 0.0);
}

#[test]
fn scenario_text_and_code_are_the_same_scenario() {
    let from_text = Scenario::from_toml_str(
        "name = \"regression\"\npeers = 100\nduration = \"20m\"\n[join]\nkind = \"ramp\"\nover = \"2m\"\n",
        "inline",
    )
    .unwrap();
    assert_eq!(from_text, small());
}
