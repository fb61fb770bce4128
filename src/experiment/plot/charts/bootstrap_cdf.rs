//! How long episodes (a join, a return, a restart, ...) took to reach recall, ideal fill and
//! their first refresh, as empirical CDFs: the share of episodes done by each time. The same
//! drawing serves every chart of episode times ([`Spec`]): `peers_cdf` draws time to peers.

use plotters::prelude::*;

use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::{Group, Results};
use crate::experiment::plot::frame::{draw_line, frame, group_label, panel, Axes, FixedTicks};
use crate::experiment::plot::style::{
    colour, fmt_num, kind_colour, nice_top, percent, series_mark, sorted_kinds, Entry, Mark,
};

/// A chart of episode times: which `peers.csv` columns, and the words around them.
pub(super) struct Spec {
    /// After the scenario's name in the title.
    pub(super) title: &'static str,
    /// The times: column, legend word, line style. With several variants only the first is
    /// drawn (with all of them, a dozen or more curves would share one plot).
    pub(super) times: &'static [(&'static str, &'static str, Mark)],
    /// The note under the title with one variant (what the line styles mean), and what the
    /// first time is, for the note with several.
    pub(super) note: fn(&Results) -> String,
    pub(super) first: fn(&Results) -> String,
}

/// Bootstrap: recall, ideal fill and the first refresh.
const BOOTSTRAP: Spec = Spec {
    title: "time to bootstrap",
    times: &EPISODE_TIMES,
    note: |results| {
        let (recall, fill) = thresholds(results);
        format!(
            "solid: recall{recall} reached; dashed: ideal fill{fill} reached; dotted: first \
             refresh done; never reached counts in n"
        )
    },
    first: |results| {
        let (recall, _) = thresholds(results);
        if recall.is_empty() {
            "recall reached the threshold".to_string()
        } else {
            format!("recall reached{recall}")
        }
    },
};

pub(super) fn applies(results: &Results) -> bool {
    applies_to(results, &BOOTSTRAP)
}

pub(super) fn draw(root: &Canvas, results: &Results) -> DResult {
    draw_spec(root, results, &BOOTSTRAP)
}

/// Whether some run has episodes with one of the spec's times.
pub(super) fn applies_to(results: &Results, spec: &Spec) -> bool {
    results.groups.iter().flat_map(|g| &g.runs).any(|r| {
        r.peers.as_ref().is_some_and(|p| {
            !p.kind.is_empty() && spec.times.iter().any(|(c, _, _)| p.columns.contains_key(c))
        })
    })
}

/// One empirical CDF: the reached values, sorted, over all `n` episodes of its kind.
struct Curve {
    label: String,
    color: RGBColor,
    mark: Mark,
    values: Vec<f64>,
    n: usize,
}

/// The times charted, each with its line style when one plot shows them all.
const EPISODE_TIMES: [(&str, &str, Mark); 3] = [
    ("recall_seconds", "recall", Mark::Line),
    ("fill_seconds", "fill", Mark::Dashed),
    ("init_seconds", "first refresh", Mark::Dotted),
];

/// The recall and fill thresholds as " ≥ 0.9", when every run was judged by the same.
fn thresholds(results: &Results) -> (String, String) {
    match results.criteria() {
        Some(c) => (
            format!(" ≥ {}", fmt_num(c.recall)),
            format!(" ≥ {}", fmt_num(c.fill)),
        ),
        None => (String::new(), String::new()),
    }
}

/// Times of one column for episodes of `kind`, pooled over the runs that have the column, and
/// how many episodes there were.
fn episode_times(group: &Group, kind: &str, column: &str) -> (Vec<f64>, usize) {
    let mut values = Vec::new();
    let mut n = 0;
    for run in &group.runs {
        let Some(p) = &run.peers else { continue };
        let Some(col) = p.columns.get(column) else {
            continue;
        };
        for (k, v) in p.kind.iter().zip(col) {
            if k == kind {
                n += 1;
                if v.is_finite() {
                    values.push(v.max(0.0));
                }
            }
        }
    }
    values.sort_by(f64::total_cmp);
    (values, n)
}

/// Draws the chart of `spec`.
pub(super) fn draw_spec(root: &Canvas, results: &Results, spec: &Spec) -> DResult {
    let groups = &results.groups;
    let kinds = sorted_kinds(
        groups
            .iter()
            .flat_map(|g| &g.runs)
            .filter_map(|r| r.peers.as_ref())
            .flat_map(|p| &p.kind),
    );
    let title = format!("{}: {}", results.scenario, spec.title);
    if groups.len() > 1 {
        return by_kind(root, results, &kinds, &title, spec);
    }
    let mut curves = Vec::new();
    for kind in &kinds {
        for &(column, what, mark) in spec.times {
            let (values, n) = episode_times(&groups[0], kind, column);
            if n > 0 {
                let never = (n - values.len()) as f64 / n as f64;
                curves.push(Curve {
                    label: format!("{kind}: {what}\nn={n}, never {}", percent(never)),
                    color: kind_colour(kind, &kinds),
                    mark,
                    values,
                    n,
                });
            }
        }
    }
    let legend: Vec<Entry> = curves
        .iter()
        .map(|c| Entry::new(c.label.clone(), c.color, c.mark))
        .collect();
    let plot = frame(root, &title, &(spec.note)(results), &legend)?;
    let range = cdf_range(curves.iter());
    cdf_panel(
        &plot,
        &curves,
        range,
        &Axes::new("", "share of episodes"),
        true,
    )
}

/// Several variants: a panel per episode kind, a colour per variant, the spec's first time only.
fn by_kind(
    root: &Canvas,
    results: &Results,
    kinds: &[String],
    title: &str,
    spec: &Spec,
) -> DResult {
    let first = spec.times[0].0;
    let groups = &results.groups;
    let per_kind: Vec<Vec<Curve>> = kinds
        .iter()
        .map(|kind| {
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let (values, n) = episode_times(g, kind, first);
                    Curve {
                        label: String::new(),
                        color: colour(i),
                        mark: series_mark(i),
                        values,
                        n,
                    }
                })
                .collect()
        })
        .collect();
    let note = format!(
        "time until {}, a panel per episode kind; legend: share never reached, per panel ({})",
        (spec.first)(results),
        kinds.join(", ")
    );
    let plot = frame(root, title, &note, &never_legend(results, &per_kind))?;
    let cols = if kinds.len() <= 2 {
        kinds.len().max(1)
    } else {
        kinds.len().div_ceil(2).min(3)
    };
    let rows = kinds.len().div_ceil(cols).max(1);
    let panels = plot.split_evenly((rows, cols));
    // One time axis for all panels, so that kinds compare at a glance.
    let range = cdf_range(per_kind.iter().flatten());
    for (p, (kind, curves)) in kinds.iter().zip(&per_kind).enumerate() {
        let n: Vec<usize> = curves.iter().map(|c| c.n).filter(|n| *n > 0).collect();
        let (lo, hi) = (
            n.iter().min().copied().unwrap_or(0),
            n.iter().max().copied().unwrap_or(0),
        );
        let counts = if lo == hi {
            format!("n={hi}")
        } else {
            format!("n={lo}–{hi}")
        };
        let mut axes = Axes::new(
            "",
            if p % cols == 0 {
                "share of episodes"
            } else {
                ""
            },
        );
        axes.caption = Some(format!("{kind} ({counts} per variant)"));
        let last_row = p / cols + 1 == rows || p + cols >= kinds.len();
        cdf_panel(&panels[p], curves, range, &axes, last_row)?;
    }
    Ok(())
}

/// A legend entry per variant with its never-reached shares, one per panel: inside the
/// panels they would cover curves.
fn never_legend(results: &Results, per_kind: &[Vec<Curve>]) -> Vec<Entry> {
    results
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let never: Vec<String> = per_kind
                .iter()
                .map(|curves| {
                    let c = &curves[i];
                    if c.n == 0 {
                        "–".to_string()
                    } else {
                        percent((c.n - c.values.len()) as f64 / c.n as f64)
                    }
                })
                .collect();
            let label = format!("{}\nnever: {}", group_label(g, results), never.join(", "));
            Entry::new(label, colour(i), series_mark(i))
        })
        .collect()
}

/// The smallest positive and the largest time reached.
fn cdf_range<'c>(curves: impl Iterator<Item = &'c Curve> + Clone) -> (f64, f64) {
    let reached = || curves.clone().flat_map(|c| c.values.iter().copied());
    let lo = reached().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let hi = reached().fold(0.0, f64::max);
    (lo, hi)
}

/// One CDF plot: a log time axis when the times span more than two decades.
fn cdf_panel(
    area: &Canvas,
    curves: &[Curve],
    (lo, hi): (f64, f64),
    axes: &Axes,
    x_desc: bool,
) -> DResult {
    let mut axes = Axes {
        x_desc: String::new(),
        y_desc: axes.y_desc.clone(),
        caption: axes.caption.clone(),
        ..Axes::new("", "")
    };
    let log = lo.is_finite() && hi / lo > 100.0;
    if x_desc {
        axes.x_desc = if log {
            "seconds after the episode began (log scale)".into()
        } else {
            "seconds after the episode began".into()
        };
    }
    if log {
        let (a, b) = (
            10f64.powf(lo.log10().floor()),
            10f64.powf(hi.log10().ceil()),
        );
        let mut ticks = Vec::new();
        let mut d = a;
        while d <= b * 1.0001 {
            ticks.push(d);
            d *= 10.0;
        }
        let log: plotters::coord::combinators::LogCoord<f64> = (a..b).log_scale().into();
        let mut chart = panel(area, FixedTicks::new(log, ticks), 0.0..1.02, &axes)?;
        // A variant without the column (a run without the dialer) has no curve, not a flat one.
        for c in curves.iter().filter(|c| c.n > 0) {
            draw_line(&mut chart, cdf_steps(c, a, b), c.color, c.mark)?;
        }
    } else {
        let b = nice_top(hi.max(1.0));
        let mut chart = panel(area, 0.0..b, 0.0..1.02, &axes)?;
        // A variant without the column (a run without the dialer) has no curve, not a flat one.
        for c in curves.iter().filter(|c| c.n > 0) {
            draw_line(&mut chart, cdf_steps(c, 0.0, b), c.color, c.mark)?;
        }
    }
    Ok(())
}

/// The CDF as a staircase from the axis's start to its end, where it stays at the share
/// reached (below 1 when some episodes never got there).
fn cdf_steps(c: &Curve, start: f64, end: f64) -> Vec<(f64, f64)> {
    let n = c.n.max(1) as f64;
    let mut points = vec![(start, 0.0)];
    for (i, v) in c.values.iter().enumerate() {
        let v = v.max(start);
        points.push((v, i as f64 / n));
        points.push((v, (i + 1) as f64 / n));
    }
    points.push((end, c.values.len() as f64 / n));
    points
}
