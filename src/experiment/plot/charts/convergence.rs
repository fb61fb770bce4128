//! Mean recall and the converged share of peers over time: how fast the network converges.

use super::timed;
use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::Results;
use crate::experiment::plot::frame::{
    bands_note, draw_band, frame, group_label, panel, Axes, Band, TimeUnit,
};
use crate::experiment::plot::style::{colour, series_mark, Entry, Mark, PALETTE};

pub(super) fn applies(results: &Results) -> bool {
    timed(results, &["mean_recall", "converged_share"])
}

/// With more variants than this, the chart shows mean recall only, and bands are fainter, or
/// the lines could not be told apart.
const MANY_VARIANTS: usize = 8;

pub(super) fn draw(root: &Canvas, results: &Results) -> DResult {
    let unit = TimeUnit::for_results(results);
    if results.groups.len() == 1 {
        one_group(root, results, unit)
    } else {
        variants(root, results, unit)
    }
}

fn title(results: &Results) -> String {
    format!("{}: convergence", results.scenario)
}

fn x_max(bands: &[&Band]) -> f64 {
    bands.iter().map(|b| b.x_max()).fold(0.0, f64::max)
}

/// One scenario: both columns in one plot, a colour each.
fn one_group(root: &Canvas, results: &Results, unit: TimeUnit) -> DResult {
    let series: Vec<(Band, &str)> = [
        ("mean_recall", "mean recall"),
        ("converged_share", "converged share of peers"),
    ]
    .into_iter()
    .filter_map(|(c, label)| Some((Band::of(&results.groups[0], c, unit)?, label)))
    .collect();
    let legend: Vec<Entry> = series
        .iter()
        .enumerate()
        .map(|(i, (_, label))| Entry::new(*label, colour(i), Mark::Band))
        .collect();
    let plot = frame(root, &title(results), &bands_note(results), &legend)?;
    let bands: Vec<&Band> = series.iter().map(|(b, _)| b).collect();
    let mut chart = panel(
        &plot,
        0.0..x_max(&bands).max(1e-9),
        0.0..1.02,
        &Axes::new(unit.axis(), "recall / share of live peers"),
    )?;
    for (i, (band, _)) in series.iter().enumerate() {
        draw_band(&mut chart, band, colour(i), Mark::Line, 0.2)?;
    }
    Ok(())
}

/// Several variants: a panel per column, a colour per variant.
fn variants(root: &Canvas, results: &Results, unit: TimeUnit) -> DResult {
    let groups = &results.groups;
    let many = groups.len() > MANY_VARIANTS;
    let columns: &[(&str, &str)] = if many {
        &[("mean_recall", "mean recall")]
    } else {
        &[
            ("mean_recall", "mean recall"),
            ("converged_share", "converged share"),
        ]
    };
    let bands: Vec<Vec<Option<Band>>> = columns
        .iter()
        .map(|(c, _)| Band::per_group(results, c, unit))
        .collect();
    let legend: Vec<Entry> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mark = if i < PALETTE.len() {
                Mark::Band
            } else {
                Mark::Dashed
            };
            Entry::new(group_label(g, results), colour(i), mark)
        })
        .collect();
    let mut note = bands_note(results);
    if many {
        note = [note, "converged share left out: too many variants".into()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    let plot = frame(root, &title(results), &note, &legend)?;
    let all: Vec<&Band> = bands.iter().flatten().flatten().collect();
    let x_end = x_max(&all).max(1e-9);
    let shown: Vec<usize> = (0..columns.len())
        .filter(|k| bands[*k].iter().any(Option::is_some))
        .collect();
    let panels = plot.split_evenly((shown.len().max(1), 1));
    let x_desc = unit.axis();
    for (p, k) in shown.iter().enumerate() {
        let last = p + 1 == shown.len();
        let axes = Axes::new(if last { x_desc.as_str() } else { "" }, columns[*k].1);
        let mut chart = panel(&panels[p], 0.0..x_end, 0.0..1.02, &axes)?;
        let shade = if many { 0.08 } else { 0.15 };
        for (i, band) in bands[*k].iter().enumerate() {
            if let Some(band) = band {
                draw_band(&mut chart, band, colour(i), series_mark(i), shade)?;
            }
        }
    }
    Ok(())
}
