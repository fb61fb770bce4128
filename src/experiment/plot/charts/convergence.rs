//! Mean recall and the converged share of peers over time: how fast the network converges.

use super::timed;
use crate::experiment::plot::canvas::{Canvas, DResult};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::RGBColor;

use crate::experiment::plot::data::{Group, Results};
use crate::experiment::plot::frame::{
    bands_note, draw_band, draw_line, frame, group_label, panel, Axes, Band, Ctx, TimeUnit,
};
use crate::experiment::plot::style::{colour, fmt_num, series_mark, Entry, Mark, GREY, PALETTE};

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

/// What the share of converged peers counts, with the threshold when the runs say it.
fn converged_label(results: &Results, label: &str) -> String {
    match results.criteria() {
        Some(c) => format!("{label}\n(recall ≥ {})", fmt_num(c.recall)),
        None => label.to_string(),
    }
}

/// The share of converged peers at which the network counts as converged, when the runs say.
fn share_threshold(results: &Results) -> Option<f64> {
    results.criteria().map(|c| c.share)
}

/// A group's mean convergence time on the time axis, for a legend and a vertical line.
fn convergence_mark(group: &Group, unit: TimeUnit) -> Option<(String, Option<f64>)> {
    let (mean, never, n) = group.convergence()?;
    let Some(mean) = mean else {
        return Some(("never converged".into(), None));
    };
    let x = mean / unit.seconds;
    let mut label = format!("converged at {} {}", fmt_num(x), unit.name);
    if n > 1 {
        label.push_str(&format!("\n(mean of {} seeds", n - never));
        if never > 0 {
            label.push_str(&format!("; {never} of {n} never"));
        }
        label.push(')');
    }
    Some((label, Some(x)))
}

/// The share threshold as a horizontal dotted line, and convergence times as vertical ones.
fn draw_marks(
    chart: &mut Ctx<'_, '_, RangedCoordf64>,
    share: Option<f64>,
    times: &[(f64, RGBColor)],
    x_end: f64,
) -> DResult {
    if let Some(share) = share {
        draw_line(
            chart,
            vec![(0.0, share), (x_end, share)],
            GREY,
            Mark::Dotted,
        )?;
    }
    for (x, c) in times {
        draw_line(chart, vec![(*x, 0.0), (*x, 1.02)], *c, Mark::Dashed)?;
    }
    Ok(())
}

/// One scenario: both columns in one plot, a colour each.
fn one_group(root: &Canvas, results: &Results, unit: TimeUnit) -> DResult {
    let share_label = converged_label(results, "converged share of peers");
    let series: Vec<(Band, &str)> = [
        ("mean_recall", "mean recall"),
        ("converged_share", share_label.as_str()),
    ]
    .into_iter()
    .filter_map(|(c, label)| Some((Band::of(&results.groups[0], c, unit)?, label)))
    .collect();
    let mut legend: Vec<Entry> = series
        .iter()
        .enumerate()
        .map(|(i, (_, label))| Entry::new(*label, colour(i), Mark::Band))
        .collect();
    let share = share_threshold(results);
    if let Some(share) = share {
        let label = format!("network converged:\nshare ≥ {}", fmt_num(share));
        legend.push(Entry::new(label, GREY, Mark::Dotted));
    }
    let mark = convergence_mark(&results.groups[0], unit);
    if let Some((label, _)) = &mark {
        legend.push(Entry::new(label.clone(), GREY, Mark::Dashed));
    }
    let plot = frame(root, &title(results), &bands_note(results), &legend)?;
    let bands: Vec<&Band> = series.iter().map(|(b, _)| b).collect();
    let mut chart = panel(
        &plot,
        0.0..x_max(&bands).max(1e-9),
        0.0..1.02,
        &Axes::new(unit.axis(), "recall / share of live peers"),
    )?;
    let x_end = x_max(&bands).max(1e-9);
    let times: Vec<(f64, RGBColor)> = mark
        .and_then(|(_, x)| x)
        .map(|x| (x, GREY))
        .into_iter()
        .collect();
    draw_marks(&mut chart, share, &times, x_end)?;
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
    let share_label = converged_label(results, "converged share");
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
    let share = share_threshold(results);
    let times: Vec<(f64, RGBColor)> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| Some((convergence_mark(g, unit)?.1?, colour(i))))
        .collect();
    let mut notes = vec![bands_note(results)];
    if !times.is_empty() {
        notes.push("dashed verticals: mean convergence time".into());
    }
    match share {
        _ if many => notes.push("converged share left out: too many variants".into()),
        Some(share) => notes.push(format!("dotted: converged at share ≥ {}", fmt_num(share))),
        None => {}
    }
    notes.retain(|s| !s.is_empty());
    let note = notes.join("; ");
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
        let (column, label) = columns[*k];
        let label = if column == "converged_share" {
            share_label.as_str()
        } else {
            label
        };
        let axes = Axes::new(
            if last { x_desc.as_str() } else { "" },
            label.replace('\n', " "),
        );
        let mut chart = panel(&panels[p], 0.0..x_end, 0.0..1.02, &axes)?;
        let share = share.filter(|_| column == "converged_share");
        draw_marks(&mut chart, share, &times, x_end)?;
        let shade = if many { 0.08 } else { 0.15 };
        for (i, band) in bands[*k].iter().enumerate() {
            if let Some(band) = band {
                draw_band(&mut chart, band, colour(i), series_mark(i), shade)?;
            }
        }
    }
    Ok(())
}
