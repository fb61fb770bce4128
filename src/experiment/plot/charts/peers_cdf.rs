//! Time to peers (runs with `protocol.dialer`): how long episodes took to their first peer, to
//! half and to all of `maxDynDials` dialed peers, as empirical CDFs like `bootstrap-cdf`.

use super::bootstrap_cdf::{applies_to, draw_spec, Spec};
use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::Results;
use crate::experiment::plot::style::Mark;

const PEERS: Spec = Spec {
    title: "time to peers",
    times: &[
        ("first_peer_seconds", "first peer", Mark::Line),
        ("half_peers_seconds", "half of maxDynDials", Mark::Dashed),
        ("full_peers_seconds", "all maxDynDials", Mark::Dotted),
    ],
    note: |_| {
        "solid: first peer; dashed: half of maxDynDials dialed peers; dotted: all of them; \
         never reached counts in n"
            .to_string()
    },
    first: |_| "the first peer connected".to_string(),
};

pub(super) fn applies(results: &Results) -> bool {
    applies_to(results, &PEERS)
}

pub(super) fn draw(root: &Canvas, results: &Results) -> DResult {
    draw_spec(root, results, &PEERS)
}
