//! The node database over time: records per peer, the stale share of them (right axis), and
//! records expired per sample in a panel below.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::timed;
use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::Results;
use crate::experiment::plot::frame::{
    bands_note, build, draw_band, frame, group_label, mesh, panel, Axes, Band, Ctx, Right, TimeUnit,
};
use crate::experiment::plot::style::{
    colour, count_axis, fmt_num, font, nice_top, Entry, Mark, DESC, GREY, TICK,
};

pub(super) fn applies(results: &Results) -> bool {
    timed(
        results,
        &["mean_db_records", "db_stale_share", "records_expired"],
    )
}

/// The three columns, a band per group each.
struct Columns {
    records: Vec<Option<Band>>,
    stale: Vec<Option<Band>>,
    expired: Vec<Option<Band>>,
    has_records: bool,
    has_stale: bool,
    has_expired: bool,
    /// One group: a colour per column. Several: a colour per group.
    single: bool,
    x_desc: String,
}

pub(super) fn draw(root: &Canvas, results: &Results) -> DResult {
    let unit = TimeUnit::for_results(results);
    let of = |c: &str| Band::per_group(results, c, unit);
    let has = |v: &[Option<Band>]| v.iter().any(Option::is_some);
    let (records, stale, expired) = (
        of("mean_db_records"),
        of("db_stale_share"),
        of("records_expired"),
    );
    let cols = Columns {
        has_records: has(&records),
        has_stale: has(&stale),
        has_expired: has(&expired),
        records,
        stale,
        expired,
        single: results.groups.len() == 1,
        x_desc: unit.axis(),
    };
    let title = format!("{}: node database", results.scenario);
    let plot = frame(root, &title, &bands_note(results), &legend(results, &cols))?;

    let all: Vec<&Band> = [&cols.records, &cols.stale, &cols.expired]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    let x_end = all.iter().map(|b| b.x_max()).fold(0.0, f64::max).max(1e-9);
    let (top, bottom) = if cols.has_expired && (cols.has_records || cols.has_stale) {
        let (_, h) = plot.dim_in_pixel();
        let (a, b) = plot.split_vertically(h as i32 * 3 / 5);
        (Some(a), Some(b))
    } else if cols.has_expired {
        (None, Some(plot))
    } else {
        (Some(plot), None)
    };
    if let Some(top) = top {
        records_panel(&top, &cols, x_end, bottom.is_none())?;
    }
    if let Some(bottom) = bottom {
        expired_panel(&bottom, &cols, x_end)?;
    }
    Ok(())
}

fn legend(results: &Results, cols: &Columns) -> Vec<Entry> {
    let mut legend = Vec::new();
    if cols.single {
        if cols.has_records {
            legend.push(Entry::new("records per peer (left)", colour(0), Mark::Band));
        }
        if cols.has_stale {
            legend.push(Entry::new(
                "stale share of records (right)",
                colour(1),
                Mark::Band,
            ));
        }
        if cols.has_expired {
            legend.push(Entry::new(
                "records expired per sample",
                colour(2),
                Mark::Bar,
            ));
        }
    } else {
        for (i, g) in results.groups.iter().enumerate() {
            legend.push(Entry::new(group_label(g, results), colour(i), Mark::Band));
        }
        if cols.has_records && cols.has_stale {
            legend.push(Entry::new("line styles:", GREY, Mark::Heading));
            legend.push(Entry::new("records per peer (left)", GREY, Mark::Line));
            legend.push(Entry::new("stale share (right)", GREY, Mark::Dashed));
        }
    }
    legend
}

/// Records per peer, and the stale share on a right axis (or alone, on the left).
fn records_panel(area: &Canvas, cols: &Columns, x_end: f64, x_desc: bool) -> DResult {
    let y_max = cols
        .records
        .iter()
        .flatten()
        .map(Band::y_max)
        .fold(0.0, f64::max);
    let y_max = if cols.has_records {
        nice_top(y_max)
    } else {
        1.0
    };
    let share_fmt = |v: &f64| fmt_num(v / y_max);
    let mut axes = Axes::new(
        if x_desc { cols.x_desc.as_str() } else { "" },
        if cols.has_records {
            "records per peer (mean)"
        } else {
            "stale share of records"
        },
    );
    if !cols.has_records {
        axes.y_fmt = &share_fmt;
    }
    if cols.has_records && cols.has_stale {
        axes.right = Right::Axis;
    }
    let mut single_axis = build(area, 0.0..x_end, 0.0..y_max, &axes)?;
    let mut dual;
    let chart: &mut Ctx<'_, '_, RangedCoordf64> = if axes.right == Right::Axis {
        // The share is drawn in the left axis's units, scaled so that 1 is the top: one
        // coordinate system for both, and the right axis only labels it.
        dual = single_axis.set_secondary_coord(0.0..x_end, 0.0..1.0);
        mesh(&mut dual, &axes)?;
        dual.configure_secondary_axes()
            .y_desc("stale share of records")
            .label_style(font(TICK))
            .axis_desc_style(font(DESC))
            .y_labels(6)
            .y_label_formatter(&|v| fmt_num(*v))
            .axis_style(BLACK.mix(0.7))
            .draw()?;
        &mut dual
    } else {
        mesh(&mut single_axis, &axes)?;
        &mut single_axis
    };
    let pick = |i: usize, own: usize| if cols.single { colour(own) } else { colour(i) };
    for (i, band) in cols.records.iter().enumerate() {
        if let Some(band) = band {
            draw_band(chart, band, pick(i, 0), Mark::Line, 0.2)?;
        }
    }
    for (i, band) in cols.stale.iter().enumerate() {
        if let Some(band) = band {
            let mark = if cols.single || !cols.has_records {
                Mark::Line
            } else {
                Mark::Dashed
            };
            draw_band(chart, &band.clone().scaled(y_max), pick(i, 1), mark, 0.2)?;
        }
    }
    Ok(())
}

/// Records expired per sample: bars for one group, as each value counts what happened since
/// the previous sample; lines for several, as bars side by side would be unreadable.
fn expired_panel(area: &Canvas, cols: &Columns, x_end: f64) -> DResult {
    let (y_max, y_labels) = count_axis(
        cols.expired
            .iter()
            .flatten()
            .map(Band::y_max)
            .fold(0.0, f64::max),
    );
    let mut axes = Axes::new(cols.x_desc.as_str(), "expired per sample");
    axes.y_labels = y_labels;
    if cols.has_records && cols.has_stale {
        axes.right = Right::Room;
    }
    let mut chart = panel(area, 0.0..x_end, 0.0..y_max, &axes)?;
    for (i, band) in cols.expired.iter().enumerate() {
        let Some(band) = band else { continue };
        if cols.single {
            draw_bars(&mut chart, band, x_end)?;
        } else {
            draw_band(&mut chart, band, colour(i), Mark::Line, 0.15)?;
        }
    }
    Ok(())
}

fn draw_bars(chart: &mut Ctx<'_, '_, RangedCoordf64>, band: &Band, x_end: f64) -> DResult {
    let step = band
        .x
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(f64::INFINITY, f64::min);
    let half = if step.is_finite() {
        step * 0.4
    } else {
        x_end * 0.01
    };
    chart.draw_series(band.x.iter().zip(&band.mean).map(|(x, y)| {
        Rectangle::new(
            [(x - half, 0.0), (x + half, *y)],
            colour(2).mix(0.7).filled(),
        )
    }))?;
    if band.runs > 1 {
        chart.draw_series(band.x.iter().enumerate().map(|(k, x)| {
            PathElement::new(
                vec![(*x, band.lo[k]), (*x, band.hi[k])],
                BLACK.mix(0.6).stroke_width(1),
            )
        }))?;
    }
    Ok(())
}
