//! The layout every chart shares (title, note, plot, legend beside it), the panels inside it,
//! and the bands that combine replicates over time.
//!
//! Legends sit beside the plot, never on it, so that no curve is ever hidden whatever the data;
//! notes under the title say how replicates were combined, so a chart read alone is not
//! misread.

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, KeyPointHint, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Backend, Canvas, DResult};
use super::data::{Group, Results};
use super::style::{
    fmt_num, font, short_variant, Entry, Mark, DESC, GREY, LEGEND, NOTE, TICK, TITLE,
};

/// A plot in a panel, with `X` as its x axis.
pub(crate) type Ctx<'a, 'b, X> = ChartContext<'a, Backend<'b>, Cartesian2d<X, RangedCoordf64>>;

/// Title, a note under it, and the legend at the right; returns the area left for the plot.
pub(crate) fn frame<'a>(
    root: &Canvas<'a>,
    title: &str,
    note: &str,
    legend: &[Entry],
) -> DResult<Canvas<'a>> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let centre = Pos::new(HPos::Center, VPos::Top);
    let title = fit(root, title, &font(TITLE), w as i32 - 20)?;
    root.draw(&Text::new(
        title,
        (w as i32 / 2, 12),
        font(TITLE).pos(centre),
    ))?;
    let mut top = 12 + TITLE as i32 + 10;
    if !note.is_empty() {
        let note = fit(root, note, &font(NOTE), w as i32 - 20)?;
        root.draw(&Text::new(
            note,
            (w as i32 / 2, top),
            font(NOTE).color(&GREY).pos(centre),
        ))?;
        top += NOTE as i32 + 10;
    }
    let body = root.margin(top, 0, 0, 0);
    if legend.is_empty() {
        return Ok(body);
    }
    let style = font(LEGEND);
    let mut text_w = 0;
    for e in legend {
        for line in e.label.lines() {
            text_w = text_w.max(root.estimate_text_size(line, &style)?.0 as i32);
        }
    }
    let legend_w = (text_w + SWATCH + 24).min(w as i32 * 2 / 5);
    let (plot, area) = body.split_horizontally(w as i32 - legend_w);
    draw_legend(root, &area, legend, legend_w - SWATCH - 12)?;
    Ok(plot)
}

/// The width of a legend's swatches.
const SWATCH: i32 = 44;

/// The legend's entries, top down, each label cut to `text_room`.
fn draw_legend(root: &Canvas, area: &Canvas, legend: &[Entry], text_room: i32) -> DResult {
    let style = font(LEGEND);
    let line_h = LEGEND as i32 + 6;
    let mut y = 16;
    for e in legend {
        let lines: Vec<&str> = e.label.lines().collect();
        let mid = y + line_h / 2;
        draw_swatch(area, e, mid)?;
        let (x, style) = if e.mark == Mark::Heading {
            (4, style.color(&GREY))
        } else {
            (SWATCH + 6, style.clone())
        };
        for (i, line) in lines.iter().enumerate() {
            let line = fit(root, line, &style, text_room + SWATCH + 6 - x)?;
            area.draw(&Text::new(
                line,
                (x, mid + i as i32 * line_h),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        y += line_h * lines.len().max(1) as i32 + 6;
    }
    Ok(())
}

/// An entry's mark, centred on the height `mid`.
fn draw_swatch(area: &Canvas, e: &Entry, mid: i32) -> DResult {
    let c = e.color;
    match e.mark {
        Mark::Heading => {}
        Mark::Line | Mark::Dashed | Mark::Dotted | Mark::Band => {
            if e.mark == Mark::Band {
                area.draw(&Rectangle::new(
                    [(4, mid - 9), (SWATCH - 4, mid + 9)],
                    c.mix(0.25).filled(),
                ))?;
            }
            let (dash, gap) = match e.mark {
                Mark::Dashed => (10, 5),
                Mark::Dotted => (3, 5),
                _ => (SWATCH, 0),
            };
            let mut x = 4;
            while x < SWATCH - 4 {
                let end = (x + dash).min(SWATCH - 4);
                area.draw(&PathElement::new(
                    vec![(x, mid), (end, mid)],
                    c.stroke_width(3),
                ))?;
                x = end + gap;
            }
        }
        Mark::Dot => {
            area.draw(&Circle::new((SWATCH / 2, mid), 6, c.filled()))?;
        }
        Mark::Bar => {
            area.draw(&Rectangle::new(
                [(10, mid - 9), (SWATCH - 10, mid + 9)],
                c.mix(0.7).filled(),
            ))?;
        }
    }
    Ok(())
}

/// Shortens text that would not fit, with an ellipsis, rather than letting it run off.
pub(crate) fn fit(area: &Canvas, text: &str, style: &TextStyle, width: i32) -> DResult<String> {
    let too_wide = |s: &str| -> DResult<bool> {
        Ok(area.estimate_text_size(s, style)?.0 as i32 > width.max(10))
    };
    if !too_wide(text)? {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let s: String = chars.iter().collect::<String>() + "…";
        if !too_wide(&s)? {
            return Ok(s);
        }
    }
    Ok(String::new())
}

/// What a panel has at its right.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Right {
    None,
    /// A secondary y axis.
    Axis,
    /// As much room as an axis takes, so that panels stacked under one with an axis align.
    Room,
}

/// Axis descriptions and tick formats of a panel.
pub(crate) struct Axes<'f> {
    pub(crate) x_desc: String,
    pub(crate) y_desc: String,
    pub(crate) x_fmt: &'f dyn Fn(&f64) -> String,
    pub(crate) y_fmt: &'f dyn Fn(&f64) -> String,
    pub(crate) x_labels: usize,
    /// At most this many y tick labels (6; fewer for a short axis of counts, see
    /// [`count_axis`](super::style::count_axis)).
    pub(crate) y_labels: usize,
    pub(crate) right: Right,
    /// A title above the panel, for one of several panels.
    pub(crate) caption: Option<String>,
}

impl<'f> Axes<'f> {
    pub(crate) fn new(x_desc: impl Into<String>, y_desc: impl Into<String>) -> Axes<'f> {
        Axes {
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            x_fmt: &|v| fmt_num(*v),
            y_fmt: &|v| fmt_num(*v),
            x_labels: 8,
            y_labels: 6,
            right: Right::None,
            caption: None,
        }
    }
}

/// What a panel's x axis can be: a range of numbers (linear, log, [`FixedTicks`]) whose ticks
/// can be labelled.
pub(crate) trait XRange: AsRangedCoord<Value = f64, CoordDescType = Self::Axis> {
    type Axis: Ranged<ValueType = f64> + ValueFormatter<f64>;
}

impl<X: AsRangedCoord<Value = f64>> XRange for X
where
    X::CoordDescType: ValueFormatter<f64>,
{
    type Axis = X::CoordDescType;
}

/// A plot with the common look: light grid, no minor lines, ticks and descriptions legible.
pub(crate) fn panel<'a, 'b, X: XRange>(
    area: &'a Canvas<'b>,
    x: X,
    y: Range<f64>,
    axes: &Axes,
) -> DResult<Ctx<'a, 'b, X::Axis>> {
    let mut chart = build(area, x, y, axes)?;
    mesh(&mut chart, axes)?;
    Ok(chart)
}

/// The width of a y axis's tick labels and description.
const Y_AXIS_ROOM: i32 = 96;

/// A panel without its mesh: a secondary axis must be set before the mesh is drawn, or the
/// primary axis's labels are drawn at the right too.
pub(crate) fn build<'a, 'b, X: XRange>(
    area: &'a Canvas<'b>,
    x: X,
    y: Range<f64>,
    axes: &Axes,
) -> DResult<Ctx<'a, 'b, X::Axis>> {
    let (right_margin, right_area) = match axes.right {
        Right::Axis => (8, Y_AXIS_ROOM),
        Right::Room => (8 + Y_AXIS_ROOM, 0),
        Right::None => (24, 0),
    };
    let mut builder = ChartBuilder::on(area);
    if let Some(caption) = &axes.caption {
        builder.caption(caption, font(DESC));
    }
    Ok(builder
        .margin_top(12)
        .margin_left(8)
        .margin_right(right_margin)
        .margin_bottom(4)
        .x_label_area_size(if axes.x_desc.is_empty() { 36 } else { 68 })
        .y_label_area_size(Y_AXIS_ROOM)
        .right_y_label_area_size(right_area)
        .build_cartesian_2d(x, RangedCoordf64::from(y))?)
}

pub(crate) fn mesh<X>(chart: &mut Ctx<'_, '_, X>, axes: &Axes) -> DResult
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(axes.x_desc.clone())
        .y_desc(axes.y_desc.clone())
        .label_style(font(TICK))
        .axis_desc_style(font(DESC))
        .x_labels(axes.x_labels)
        .y_labels(axes.y_labels)
        .x_label_formatter(axes.x_fmt)
        .y_label_formatter(axes.y_fmt)
        .bold_line_style(BLACK.mix(0.08))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.mix(0.7))
        .draw()?;
    Ok(())
}

/// An axis with ticks exactly at given values: categories at whole numbers, decades on a log
/// axis. (plotters' own `with_key_points` loses the float formatter the mesh needs.)
pub(crate) struct FixedTicks<R> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> FixedTicks<R> {
    pub(crate) fn new(inner: R, ticks: Vec<f64>) -> FixedTicks<R> {
        FixedTicks { inner, ticks }
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for FixedTicks<R> {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }

    fn axis_pixel_range(&self, limit: (i32, i32)) -> Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

/// Virtual time is shown in minutes, or in hours for runs longer than 3 h.
#[derive(Clone, Copy)]
pub(crate) struct TimeUnit {
    pub(crate) seconds: f64,
    pub(crate) name: &'static str,
}

impl TimeUnit {
    pub(crate) fn for_results(results: &Results) -> TimeUnit {
        let end = results
            .groups
            .iter()
            .flat_map(|g| &g.runs)
            .filter_map(|r| r.metrics.t.as_ref()?.iter().copied().reduce(f64::max))
            .fold(0.0, f64::max);
        if end > 3.0 * 3600.0 {
            TimeUnit {
                seconds: 3600.0,
                name: "hours",
            }
        } else {
            TimeUnit {
                seconds: 60.0,
                name: "minutes",
            }
        }
    }

    /// The time axis's description.
    pub(crate) fn axis(&self) -> String {
        format!("virtual time ({})", self.name)
    }
}

/// A column over time combined over a group's replicates.
#[derive(Clone)]
pub(crate) struct Band {
    pub(crate) x: Vec<f64>,
    pub(crate) mean: Vec<f64>,
    pub(crate) lo: Vec<f64>,
    pub(crate) hi: Vec<f64>,
    pub(crate) runs: usize,
}

impl Band {
    /// Samples are matched by time when every replicate sampled at the same times, and
    /// otherwise by row, up to the shortest replicate.
    pub(crate) fn of(group: &Group, column: &str, unit: TimeUnit) -> Option<Band> {
        let series: Vec<(&Vec<f64>, &Vec<f64>)> = group
            .runs
            .iter()
            .filter_map(|r| Some((r.metrics.t.as_ref()?, r.metrics.columns.get(column)?)))
            .collect();
        let (t0, _) = series.first()?;
        let same_times = series.iter().all(|(t, _)| t == t0);
        let n = if same_times {
            t0.len()
        } else {
            series.iter().map(|(t, _)| t.len()).min().unwrap_or(0)
        };
        let mut band = Band {
            x: Vec::new(),
            mean: Vec::new(),
            lo: Vec::new(),
            hi: Vec::new(),
            runs: series.len(),
        };
        for i in 0..n {
            let v: Vec<f64> = series
                .iter()
                .filter_map(|(_, y)| y.get(i).copied())
                .filter(|y| y.is_finite())
                .collect();
            if v.is_empty() || !t0[i].is_finite() {
                continue;
            }
            band.x.push(t0[i] / unit.seconds);
            band.mean.push(v.iter().sum::<f64>() / v.len() as f64);
            band.lo
                .push(v.iter().copied().fold(f64::INFINITY, f64::min));
            band.hi
                .push(v.iter().copied().fold(f64::NEG_INFINITY, f64::max));
        }
        (!band.x.is_empty()).then_some(band)
    }

    /// One band per group, for a column.
    pub(crate) fn per_group(results: &Results, column: &str, unit: TimeUnit) -> Vec<Option<Band>> {
        results
            .groups
            .iter()
            .map(|g| Band::of(g, column, unit))
            .collect()
    }

    pub(crate) fn scaled(mut self, k: f64) -> Band {
        for v in [&mut self.mean, &mut self.lo, &mut self.hi] {
            v.iter_mut().for_each(|y| *y *= k);
        }
        self
    }

    pub(crate) fn x_max(&self) -> f64 {
        self.x.iter().copied().fold(0.0, f64::max)
    }

    pub(crate) fn y_max(&self) -> f64 {
        self.hi.iter().copied().fold(0.0, f64::max)
    }
}

/// Draws a band (when there is more than one replicate) and its mean line.
pub(crate) fn draw_band(
    chart: &mut Ctx<'_, '_, RangedCoordf64>,
    band: &Band,
    color: RGBColor,
    mark: Mark,
    shade: f64,
) -> DResult {
    if band.runs > 1 {
        let mut outline: Vec<(f64, f64)> = band.x.iter().copied().zip(band.hi.clone()).collect();
        outline.extend(band.x.iter().copied().zip(band.lo.clone()).rev());
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            color.mix(shade).filled(),
        )))?;
    }
    let points: Vec<(f64, f64)> = band.x.iter().copied().zip(band.mean.clone()).collect();
    draw_line(chart, points, color, mark)
}

pub(crate) fn draw_line<X: Ranged<ValueType = f64>>(
    chart: &mut Ctx<'_, '_, X>,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    mark: Mark,
) -> DResult {
    let style = color.stroke_width(3);
    match mark {
        Mark::Dashed => {
            chart.draw_series(DashedLineSeries::new(points, 12, 7, style))?;
        }
        Mark::Dotted => {
            chart.draw_series(DashedLineSeries::new(points, 3, 6, style))?;
        }
        _ => {
            chart.draw_series(LineSeries::new(points, style))?;
        }
    }
    Ok(())
}

/// The note of a chart of bands: what the lines and the bands are, when there are replicates.
pub(crate) fn bands_note(results: &Results) -> String {
    let counts: Vec<usize> = results.groups.iter().map(|g| g.runs.len()).collect();
    let (Some(lo), Some(hi)) = (counts.iter().min(), counts.iter().max()) else {
        return String::new();
    };
    if *hi <= 1 {
        return String::new();
    }
    let seeds = if lo == hi {
        format!("{hi} seeds")
    } else {
        format!("{lo}–{hi} seeds")
    };
    format!("lines: mean over {seeds}; bands: min–max over seeds")
}

/// Label of a group in a legend: the variant, or for runs straight under the plotted folder,
/// the scenario.
pub(crate) fn group_label(group: &Group, results: &Results) -> String {
    group
        .label
        .as_deref()
        .map(short_variant)
        .unwrap_or_else(|| results.scenario.clone())
}
