//! The share of seeds alive against the downtime before the episode that took them from the
//! database: how quickly a node database goes stale.

use plotters::prelude::*;

use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::{Group, Results};
use crate::experiment::plot::frame::{frame, group_label, panel, Axes};
use crate::experiment::plot::style::{colour, kind_colour, sorted_kinds, Entry, Mark};

pub(super) fn applies(results: &Results) -> bool {
    results
        .groups
        .iter()
        .any(|g| !liveness_points(g).is_empty())
}

/// (downtime in hours, share of seeds alive, kind) for episodes that took seeds from the
/// database. Episodes without a downtime (restarts) are placed at 0 h.
fn liveness_points(group: &Group) -> Vec<(f64, f64, String)> {
    let mut out = Vec::new();
    for run in &group.runs {
        let Some(p) = &run.peers else { continue };
        let (Some(tried), Some(alive)) =
            (p.columns.get("seeds_tried"), p.columns.get("seeds_alive"))
        else {
            continue;
        };
        let down = p.columns.get("downtime");
        for (i, kind) in p.kind.iter().enumerate() {
            if tried[i] > 0.0 && alive[i].is_finite() {
                let d = down.map_or(0.0, |d| if d[i].is_finite() { d[i] } else { 0.0 });
                out.push((d / 3600.0, alive[i] / tried[i], kind.clone()));
            }
        }
    }
    out
}

/// A legend label, a colour and its points.
type ScatterSeries = (String, RGBColor, Vec<(f64, f64)>);

/// Fewer points than this get a note, as shares of so few are no evidence.
const FEW_POINTS: usize = 20;

pub(super) fn draw(root: &Canvas, results: &Results) -> DResult {
    let points: Vec<Vec<(f64, f64, String)>> = results.groups.iter().map(liveness_points).collect();
    let total: usize = points.iter().map(Vec::len).sum();
    let series = scatter_series(results, &points);
    let legend: Vec<Entry> = series
        .iter()
        .map(|(l, c, p)| Entry::new(format!("{l} (n={})", p.len()), *c, Mark::Dot))
        .collect();
    let mut note =
        "episodes that took seeds from their database; restarts (no downtime) at 0 h".to_string();
    if total < FEW_POINTS {
        note.push_str(&format!("; only {total} such episodes"));
    }
    let title = format!("{}: seeds alive after downtime", results.scenario);
    let plot = frame(root, &title, &note, &legend)?;
    let x_max = points
        .iter()
        .flatten()
        .map(|(x, _, _)| *x)
        .fold(0.0, f64::max);
    let x_end = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
    let axes = Axes::new(
        "downtime before the episode (hours)",
        "share of seeds alive",
    );
    let mut chart = panel(&plot, -x_end * 0.02..x_end, -0.02..1.04, &axes)?;
    // Translucent, so that piles of equal shares show as darker points.
    let alpha = if total > 500 { 0.25 } else { 0.6 };
    for (_, c, pts) in &series {
        chart.draw_series(
            pts.iter()
                .map(|p| Circle::new(*p, 4, c.mix(alpha).filled())),
        )?;
    }
    Ok(())
}

/// One group: a series per kind. Several: a series per variant, as that is what was varied.
fn scatter_series(results: &Results, points: &[Vec<(f64, f64, String)>]) -> Vec<ScatterSeries> {
    let kinds = sorted_kinds(points.iter().flatten().map(|(_, _, k)| k));
    let mut series: Vec<ScatterSeries> = Vec::new();
    if results.groups.len() == 1 {
        for kind in &kinds {
            let pts: Vec<(f64, f64)> = points[0]
                .iter()
                .filter(|(_, _, k)| k == kind)
                .map(|(x, y, _)| (*x, *y))
                .collect();
            series.push((kind.clone(), kind_colour(kind, &kinds), pts));
        }
    } else {
        for (i, (g, pts)) in results.groups.iter().zip(points).enumerate() {
            if !pts.is_empty() {
                let pts = pts.iter().map(|(x, y, _)| (*x, *y)).collect();
                series.push((group_label(g, results), colour(i), pts));
            }
        }
    }
    series
}
