//! The charts, a file each. Each file says when its chart applies (the results have the data
//! it draws) and how to draw it, (`applies` and `draw`); [`KINDS`] lists them, so adding a chart
//! is a file here and a line in that list (and its `mod` line).

mod bootstrap_cdf;
mod convergence;
mod db;
mod peers_cdf;
mod seed_liveness;
mod sweep;

use super::canvas::{Canvas, DResult};
use super::data::Results;

/// A kind of chart: its file name, when it applies and how it is drawn.
pub(crate) struct Kind {
    /// The file name without extension; for a kind drawn in parts, the part follows a `-`.
    name: &'static str,
    applies: fn(&Results) -> bool,
    draw: Draw,
}

enum Draw {
    One(fn(&Canvas, &Results) -> DResult),
    /// A chart per part (a sweep chart per metric): the parts, and how one is drawn.
    Parts(
        fn(&Results) -> Vec<String>,
        fn(&Canvas, &Results, &str) -> DResult,
    ),
}

impl Kind {
    const fn one(
        name: &'static str,
        applies: fn(&Results) -> bool,
        draw: fn(&Canvas, &Results) -> DResult,
    ) -> Kind {
        Kind {
            name,
            applies,
            draw: Draw::One(draw),
        }
    }

    const fn parts(
        name: &'static str,
        applies: fn(&Results) -> bool,
        parts: fn(&Results) -> Vec<String>,
        draw: fn(&Canvas, &Results, &str) -> DResult,
    ) -> Kind {
        Kind {
            name,
            applies,
            draw: Draw::Parts(parts, draw),
        }
    }
}

/// Every kind of chart, in the order they are drawn.
const KINDS: [Kind; 6] = [
    Kind::one("convergence", convergence::applies, convergence::draw),
    Kind::one("bootstrap-cdf", bootstrap_cdf::applies, bootstrap_cdf::draw),
    Kind::one("peers-cdf", peers_cdf::applies, peers_cdf::draw),
    Kind::one("db", db::applies, db::draw),
    Kind::one("seed-liveness", seed_liveness::applies, seed_liveness::draw),
    Kind::parts("sweep", sweep::applies, sweep::parts, sweep::draw),
];

/// One chart to draw.
pub(crate) struct Chart {
    /// The file name without extension.
    pub(crate) name: String,
    kind: &'static Kind,
    /// Empty for a kind drawn as one chart.
    part: String,
}

impl Chart {
    pub(crate) fn draw(&self, root: &Canvas, results: &Results) -> DResult {
        match self.kind.draw {
            Draw::One(draw) => draw(root, results),
            Draw::Parts(_, draw) => draw(root, results, &self.part),
        }
    }
}

/// The charts the results have data for.
pub(crate) fn charts(results: &Results) -> Vec<Chart> {
    let mut out = Vec::new();
    for kind in &KINDS {
        if !(kind.applies)(results) {
            continue;
        }
        match kind.draw {
            Draw::One(_) => out.push(Chart {
                name: kind.name.to_string(),
                kind,
                part: String::new(),
            }),
            Draw::Parts(parts, _) => {
                for part in parts(results) {
                    out.push(Chart {
                        name: format!("{}-{part}", kind.name),
                        kind,
                        part,
                    })
                }
            }
        }
    }
    out
}

/// Whether a file in `charts/` is one discsim draws, which a redraw may replace or delete,
/// rather than one a user put there.
pub(crate) fn is_chart_file(file: &str) -> bool {
    let Some(stem) = file
        .strip_suffix(".svg")
        .or_else(|| file.strip_suffix(".png"))
    else {
        return false;
    };
    KINDS.iter().any(|k| match k.draw {
        Draw::One(_) => stem == k.name,
        Draw::Parts(..) => stem
            .strip_prefix(k.name)
            .is_some_and(|part| part.starts_with('-')),
    })
}

/// Whether any run has samples over time of any of `columns`: the time charts need both.
fn timed(results: &Results, columns: &[&str]) -> bool {
    results.groups.iter().flat_map(|g| &g.runs).any(|r| {
        r.metrics.t.as_ref().is_some_and(|t| !t.is_empty())
            && columns.iter().any(|c| r.metrics.columns.contains_key(c))
    })
}
