//! The charts: what each shows, and the layout they share (title, note, plot, legend beside it).
//!
//! Legends sit beside the plot, never on it, so that no curve is ever hidden whatever the data;
//! notes under the title say how replicates were combined, so a chart read alone is not
//! misread.

use std::collections::BTreeMap;
use std::error::Error;
use std::ops::Range;
use std::path::Path;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Group, Results, Sweep, Value};
use super::text::CrispText;
use super::PlotError;

/// The family the embedded font is registered under.
pub(crate) const FONT: &str = "DejaVu Sans";
const TITLE: f64 = 28.0;
const DESC: f64 = 22.0;
const TICK: f64 = 18.0;
const LEGEND: f64 = 18.0;
const NOTE: f64 = 17.0;

type DResult<T = ()> = Result<T, Box<dyn Error>>;

/// Tableau 10: distinguishable, and still distinct in greyscale print for the first few.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0xba, 0xb0, 0xac),
];
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Episode kinds in the order a peer's life has them, each with a fixed colour so that every
/// chart uses the same colour for a kind.
const KINDS: [&str; 5] = ["join", "return", "restart", "fresh", "upgrade"];

fn kind_rank(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len())
}

fn sorted_kinds<'a>(kinds: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out.sort_by(|a, b| kind_rank(a).cmp(&kind_rank(b)).then_with(|| a.cmp(b)));
    out
}

fn kind_colour(kind: &str, all: &[String]) -> RGBColor {
    match KINDS.iter().position(|k| *k == kind) {
        Some(i) => colour(i),
        None => colour(KINDS.len() + all.iter().position(|k| k == kind).unwrap_or(0)),
    }
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Tick labels without float noise (0.30000000000000004) and with k/M for large counts.
pub(crate) fn fmt_num(v: f64) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    let a = v.abs();
    if a < 1e-9 {
        "0".into()
    } else if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        trim(format!("{v:.3}"))
    }
}

fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p == 0.0 || p >= 9.95 {
        format!("{p:.0} %")
    } else {
        format!("{p:.1} %")
    }
}

/// A sweep variant's folder name for a legend: without the sections of its keys, one knob a
/// line (`nodedb.node_expiration=1h,protocol.alpha=3` → `node_expiration=1h,` `alpha=3`), so
/// legends stay narrow; the values are what tells the variants apart.
fn short_variant(label: &str) -> String {
    label
        .split(',')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{}={v}", k.rsplit('.').next().unwrap_or(k)),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Line,
    Dashed,
    Dotted,
    /// A line with its min..max band.
    Band,
    Dot,
    Bar,
    /// A heading inside the legend, no swatch.
    Heading,
}

const LINE_MARKS: [Mark; 3] = [Mark::Line, Mark::Dashed, Mark::Dotted];

struct Entry {
    label: String,
    color: RGBColor,
    mark: Mark,
}

impl Entry {
    fn new(label: impl Into<String>, color: RGBColor, mark: Mark) -> Entry {
        Entry {
            label: label.into(),
            color,
            mark,
        }
    }
}

/// One chart, with what it needs from the results.
pub(crate) enum Chart<'r> {
    Convergence(&'r Results, TimeUnit),
    BootstrapCdf(&'r Results),
    Db(&'r Results, TimeUnit),
    SeedLiveness(&'r Results),
    Sweep(&'r Results, &'r Sweep, String),
}

/// The charts the results have data for, named as their files will be.
pub(crate) fn charts(results: &Results) -> Vec<(String, Chart<'_>)> {
    let runs = || results.groups.iter().flat_map(|g| &g.runs);
    let timed = |columns: &[&str]| {
        runs().any(|r| {
            r.metrics.t.as_ref().is_some_and(|t| !t.is_empty())
                && columns.iter().any(|c| r.metrics.columns.contains_key(c))
        })
    };
    let unit = TimeUnit::for_results(results);
    let mut out = Vec::new();
    if timed(&["mean_recall", "converged_share"]) {
        out.push(("convergence".into(), Chart::Convergence(results, unit)));
    }
    let episodes = runs().any(|r| {
        r.peers.as_ref().is_some_and(|p| {
            !p.kind.is_empty()
                && ["recall_seconds", "fill_seconds", "init_seconds"]
                    .iter()
                    .any(|c| p.columns.contains_key(c))
        })
    });
    if episodes {
        out.push(("bootstrap-cdf".into(), Chart::BootstrapCdf(results)));
    }
    if timed(&["mean_db_records", "db_stale_share", "records_expired"]) {
        out.push(("db".into(), Chart::Db(results, unit)));
    }
    if results
        .groups
        .iter()
        .any(|g| !liveness_points(g).is_empty())
    {
        out.push(("seed-liveness".into(), Chart::SeedLiveness(results)));
    }
    if let Some(sweep) = &results.sweep {
        for m in &sweep.metrics {
            out.push((
                format!("sweep-{m}"),
                Chart::Sweep(results, sweep, m.clone()),
            ));
        }
    }
    out
}

/// Draws a chart as `<name>.svg` and `<name>.png` in `dir`; returns the file names.
pub(crate) fn render(
    dir: &Path,
    name: &str,
    chart: &Chart,
    size: (u32, u32),
) -> Result<Vec<String>, PlotError> {
    let svg = format!("{name}.svg");
    let png = format!("{name}.png");
    let fail = |file: &str| {
        let path = dir.join(file);
        move |e: Box<dyn Error>| PlotError::Draw {
            path,
            message: e.to_string(),
        }
    };
    {
        let path = dir.join(&svg);
        let root = SVGBackend::new(&path, size).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|()| Ok(root.present()?))
            .map_err(fail(&svg))?;
    }
    {
        let path = dir.join(&png);
        let root = CrispText(BitMapBackend::new(&path, size)).into_drawing_area();
        chart
            .draw(&root)
            .and_then(|()| Ok(root.present()?))
            .map_err(fail(&png))?;
    }
    Ok(vec![svg, png])
}

impl Chart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult
    where
        DB::ErrorType: 'static,
    {
        match self {
            Chart::Convergence(r, unit) => convergence(root, r, *unit),
            Chart::BootstrapCdf(r) => bootstrap_cdf(root, r),
            Chart::Db(r, unit) => db(root, r, *unit),
            Chart::SeedLiveness(r) => seed_liveness(root, r),
            Chart::Sweep(r, s, m) => sweep(root, r, s, m),
        }
    }
}

/// Virtual time is shown in minutes, or in hours for runs longer than 3 h.
#[derive(Clone, Copy)]
pub(crate) struct TimeUnit {
    seconds: f64,
    name: &'static str,
}

impl TimeUnit {
    fn for_results(results: &Results) -> TimeUnit {
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
}

/// A column over time combined over a group's replicates.
struct Band {
    x: Vec<f64>,
    mean: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    runs: usize,
}

impl Band {
    /// Samples are matched by time when every replicate sampled at the same times, and
    /// otherwise by row, up to the shortest replicate.
    fn of(group: &Group, column: &str, unit: TimeUnit) -> Option<Band> {
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

    fn scaled(mut self, k: f64) -> Band {
        for v in [&mut self.mean, &mut self.lo, &mut self.hi] {
            v.iter_mut().for_each(|y| *y *= k);
        }
        self
    }

    fn x_max(&self) -> f64 {
        self.x.iter().copied().fold(0.0, f64::max)
    }

    fn y_max(&self) -> f64 {
        self.hi.iter().copied().fold(0.0, f64::max)
    }
}

type Ctx<'a, DB, X> = ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>;

/// Draws a band (when there is more than one replicate) and its mean line.
fn draw_band<DB: DrawingBackend>(
    chart: &mut Ctx<'_, DB, RangedCoordf64>,
    band: &Band,
    color: RGBColor,
    mark: Mark,
    shade: f64,
) -> DResult
where
    DB::ErrorType: 'static,
{
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

fn draw_line<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut Ctx<'_, DB, X>,
    points: Vec<(f64, f64)>,
    color: RGBColor,
    mark: Mark,
) -> DResult
where
    DB::ErrorType: 'static,
{
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

/// Title, a note under it, and the legend at the right; returns the area left for the plot.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    note: &str,
    legend: &[Entry],
) -> DResult<DrawingArea<DB, Shift>>
where
    DB::ErrorType: 'static,
{
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
    let swatch = 44;
    let legend_w = (text_w + swatch + 24).min(w as i32 * 2 / 5);
    let (plot, area) = body.split_horizontally(w as i32 - legend_w);
    let text_room = legend_w - swatch - 12;
    let line_h = LEGEND as i32 + 6;
    let mut y = 16;
    for e in legend {
        let lines: Vec<&str> = e.label.lines().collect();
        let mid = y + line_h / 2;
        let c = e.color;
        match e.mark {
            Mark::Heading => {}
            Mark::Line | Mark::Dashed | Mark::Dotted | Mark::Band => {
                if e.mark == Mark::Band {
                    area.draw(&Rectangle::new(
                        [(4, mid - 9), (swatch - 4, mid + 9)],
                        c.mix(0.25).filled(),
                    ))?;
                }
                let (dash, gap) = match e.mark {
                    Mark::Dashed => (10, 5),
                    Mark::Dotted => (3, 5),
                    _ => (swatch, 0),
                };
                let mut x = 4;
                while x < swatch - 4 {
                    let end = (x + dash).min(swatch - 4);
                    area.draw(&PathElement::new(
                        vec![(x, mid), (end, mid)],
                        c.stroke_width(3),
                    ))?;
                    x = end + gap;
                }
            }
            Mark::Dot => {
                area.draw(&Circle::new((swatch / 2, mid), 6, c.filled()))?;
            }
            Mark::Bar => {
                area.draw(&Rectangle::new(
                    [(10, mid - 9), (swatch - 10, mid + 9)],
                    c.mix(0.7).filled(),
                ))?;
            }
        }
        let (x, style) = if e.mark == Mark::Heading {
            (4, style.color(&GREY))
        } else {
            (swatch + 6, style.clone())
        };
        for (i, line) in lines.iter().enumerate() {
            let line = fit(root, line, &style, text_room + swatch + 6 - x)?;
            area.draw(&Text::new(
                line,
                (x, mid + i as i32 * line_h),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        y += line_h * lines.len().max(1) as i32 + 6;
    }
    Ok(plot)
}

/// Shortens text that would not fit, with an ellipsis, rather than letting it run off.
fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: i32,
) -> DResult<String>
where
    DB::ErrorType: 'static,
{
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
enum Right {
    None,
    /// A secondary y axis.
    Axis,
    /// As much room as an axis takes, so that panels stacked under one with an axis align.
    Room,
}

/// Axis descriptions and tick formats of a panel.
struct Axes<'f> {
    x_desc: String,
    y_desc: String,
    x_fmt: &'f dyn Fn(&f64) -> String,
    y_fmt: &'f dyn Fn(&f64) -> String,
    x_labels: usize,
    right: Right,
    /// A title above the panel, for one of several panels.
    caption: Option<String>,
}

impl<'f> Axes<'f> {
    fn new(x_desc: impl Into<String>, y_desc: impl Into<String>) -> Axes<'f> {
        Axes {
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            x_fmt: &|v| fmt_num(*v),
            y_fmt: &|v| fmt_num(*v),
            x_labels: 8,
            right: Right::None,
            caption: None,
        }
    }
}

/// A plot with the common look: light grid, no minor lines, ticks and descriptions legible.
fn panel<'a, DB, X>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Range<f64>,
    axes: &Axes,
) -> DResult<Ctx<'a, DB, X::CoordDescType>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = build(area, x, y, axes)?;
    mesh(&mut chart, axes)?;
    Ok(chart)
}

/// The width of a y axis's tick labels and description.
const Y_AXIS_ROOM: i32 = 96;

/// A panel without its mesh: a secondary axis must be set before the mesh is drawn, or the
/// primary axis's labels are drawn at the right too.
fn build<'a, DB, X>(
    area: &'a DrawingArea<DB, Shift>,
    x: X,
    y: Range<f64>,
    axes: &Axes,
) -> DResult<Ctx<'a, DB, X::CoordDescType>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
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

fn mesh<DB, X>(chart: &mut Ctx<'_, DB, X>, axes: &Axes) -> DResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(axes.x_desc.clone())
        .y_desc(axes.y_desc.clone())
        .label_style(font(TICK))
        .axis_desc_style(font(DESC))
        .x_labels(axes.x_labels)
        .y_labels(6)
        .x_label_formatter(axes.x_fmt)
        .y_label_formatter(axes.y_fmt)
        .bold_line_style(BLACK.mix(0.08))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.mix(0.7))
        .draw()?;
    Ok(())
}

fn replicates_note(results: &Results) -> Option<String> {
    let counts: Vec<usize> = results.groups.iter().map(|g| g.runs.len()).collect();
    let (lo, hi) = (counts.iter().min()?, counts.iter().max()?);
    if *hi <= 1 {
        return None;
    }
    let seeds = if lo == hi {
        format!("{hi} seeds")
    } else {
        format!("{lo}–{hi} seeds")
    };
    Some(seeds)
}

/// Label of a group in a legend: the variant, or for runs straight under the plotted folder,
/// the scenario.
fn group_label(group: &Group, results: &Results) -> String {
    group
        .label
        .as_deref()
        .map(short_variant)
        .unwrap_or_else(|| results.scenario.clone())
}

/// With more variants than this, the convergence chart shows mean recall only, and bands are
/// fainter, or the lines could not be told apart.
const MANY_VARIANTS: usize = 8;

fn convergence<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    unit: TimeUnit,
) -> DResult
where
    DB::ErrorType: 'static,
{
    let title = format!("{}: convergence", results.scenario);
    let x_desc = format!("virtual time ({})", unit.name);
    let spread = replicates_note(results)
        .map(|s| format!("lines: mean over {s}; bands: min–max over seeds"))
        .unwrap_or_default();
    let groups = &results.groups;
    let x_max = |bands: &[&Band]| bands.iter().map(|b| b.x_max()).fold(0.0, f64::max);

    if groups.len() == 1 {
        let series: Vec<(Band, &str)> = [
            ("mean_recall", "mean recall"),
            ("converged_share", "converged share of peers"),
        ]
        .into_iter()
        .filter_map(|(c, label)| Some((Band::of(&groups[0], c, unit)?, label)))
        .collect();
        let legend: Vec<Entry> = series
            .iter()
            .enumerate()
            .map(|(i, (_, label))| Entry::new(*label, colour(i), Mark::Band))
            .collect();
        let plot = frame(root, &title, &spread, &legend)?;
        let bands: Vec<&Band> = series.iter().map(|(b, _)| b).collect();
        let mut chart = panel(
            &plot,
            0.0..x_max(&bands).max(1e-9),
            0.0..1.02,
            &Axes::new(x_desc, "recall / share of live peers"),
        )?;
        for (i, (band, _)) in series.iter().enumerate() {
            draw_band(&mut chart, band, colour(i), Mark::Line, 0.2)?;
        }
        return Ok(());
    }

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
        .map(|(c, _)| groups.iter().map(|g| Band::of(g, c, unit)).collect())
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
    let mut note = spread;
    if many {
        note = [note, "converged share left out: too many variants".into()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    let plot = frame(root, &title, &note, &legend)?;
    let all: Vec<&Band> = bands.iter().flatten().flatten().collect();
    let x_end = x_max(&all).max(1e-9);
    let shown: Vec<usize> = (0..columns.len())
        .filter(|k| bands[*k].iter().any(Option::is_some))
        .collect();
    let panels = plot.split_evenly((shown.len().max(1), 1));
    for (p, k) in shown.iter().enumerate() {
        let last = p + 1 == shown.len();
        let axes = Axes::new(if last { x_desc.as_str() } else { "" }, columns[*k].1);
        let mut chart = panel(&panels[p], 0.0..x_end, 0.0..1.02, &axes)?;
        for (i, band) in bands[*k].iter().enumerate() {
            if let Some(band) = band {
                let mark = if i < PALETTE.len() {
                    Mark::Line
                } else {
                    Mark::Dashed
                };
                let shade = if many { 0.08 } else { 0.15 };
                draw_band(&mut chart, band, colour(i), mark, shade)?;
            }
        }
    }
    Ok(())
}

fn db<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    unit: TimeUnit,
) -> DResult
where
    DB::ErrorType: 'static,
{
    let title = format!("{}: node database", results.scenario);
    let x_desc = format!("virtual time ({})", unit.name);
    let groups = &results.groups;
    let of =
        |c: &str| -> Vec<Option<Band>> { groups.iter().map(|g| Band::of(g, c, unit)).collect() };
    let records = of("mean_db_records");
    let stale = of("db_stale_share");
    let expired = of("records_expired");
    let has = |v: &[Option<Band>]| v.iter().any(Option::is_some);
    let (has_records, has_stale, has_expired) = (has(&records), has(&stale), has(&expired));

    let single = groups.len() == 1;
    let mut legend = Vec::new();
    if single {
        if has_records {
            legend.push(Entry::new("records per peer (left)", colour(0), Mark::Band));
        }
        if has_stale {
            legend.push(Entry::new(
                "stale share of records (right)",
                colour(1),
                Mark::Band,
            ));
        }
        if has_expired {
            legend.push(Entry::new(
                "records expired per sample",
                colour(2),
                Mark::Bar,
            ));
        }
    } else {
        for (i, g) in groups.iter().enumerate() {
            legend.push(Entry::new(group_label(g, results), colour(i), Mark::Band));
        }
        if has_records && has_stale {
            legend.push(Entry::new("line styles:", GREY, Mark::Heading));
            legend.push(Entry::new("records per peer (left)", GREY, Mark::Line));
            legend.push(Entry::new("stale share (right)", GREY, Mark::Dashed));
        }
    }
    let spread = replicates_note(results)
        .map(|s| format!("lines: mean over {s}; bands: min–max over seeds"))
        .unwrap_or_default();
    let plot = frame(root, &title, &spread, &legend)?;

    let all: Vec<&Band> = [&records, &stale, &expired]
        .into_iter()
        .flatten()
        .flatten()
        .collect();
    let x_end = all.iter().map(|b| b.x_max()).fold(0.0, f64::max).max(1e-9);
    let (top, bottom) = if has_expired && (has_records || has_stale) {
        let (_, h) = plot.dim_in_pixel();
        let (a, b) = plot.split_vertically(h as i32 * 3 / 5);
        (Some(a), Some(b))
    } else if has_expired {
        (None, Some(plot))
    } else {
        (Some(plot), None)
    };

    if let Some(top) = top {
        let y_max = records
            .iter()
            .flatten()
            .map(Band::y_max)
            .fold(0.0, f64::max);
        let y_max = if has_records { nice_top(y_max) } else { 1.0 };
        let share_fmt = |v: &f64| fmt_num(v / y_max);
        let mut axes = Axes::new(
            if bottom.is_none() {
                x_desc.as_str()
            } else {
                ""
            },
            if has_records {
                "records per peer (mean)"
            } else {
                "stale share of records"
            },
        );
        if !has_records {
            axes.y_fmt = &share_fmt;
        }
        if has_records && has_stale {
            axes.right = Right::Axis;
        }
        let mut single_axis = build(&top, 0.0..x_end, 0.0..y_max, &axes)?;
        let mut dual;
        let chart: &mut Ctx<'_, DB, RangedCoordf64> = if axes.right == Right::Axis {
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
        for (i, band) in records.iter().enumerate() {
            if let Some(band) = band {
                let c = if single { colour(0) } else { colour(i) };
                draw_band(chart, band, c, Mark::Line, 0.2)?;
            }
        }
        for (i, band) in stale.into_iter().enumerate() {
            if let Some(band) = band {
                let c = if single { colour(1) } else { colour(i) };
                let mark = if single || !has_records {
                    Mark::Line
                } else {
                    Mark::Dashed
                };
                draw_band(chart, &band.scaled(y_max), c, mark, 0.2)?;
            }
        }
    }

    if let Some(bottom) = bottom {
        let y_max = nice_top(
            expired
                .iter()
                .flatten()
                .map(Band::y_max)
                .fold(0.0, f64::max),
        );
        let mut axes = Axes::new(x_desc.as_str(), "expired per sample");
        if has_records && has_stale {
            axes.right = Right::Room;
        }
        let mut chart = panel(&bottom, 0.0..x_end, 0.0..y_max, &axes)?;
        for (i, band) in expired.iter().enumerate() {
            let Some(band) = band else { continue };
            if single {
                // Bars, as each value counts what happened since the previous sample.
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
            } else {
                draw_band(&mut chart, band, colour(i), Mark::Line, 0.15)?;
            }
        }
    }
    Ok(())
}

/// A round number at or above `v`, so the top tick is labelled.
fn nice_top(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let step = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * step >= v * 1.02 {
            return m * step;
        }
    }
    10.0 * step
}

/// One empirical CDF: the reached values, sorted, over all `n` episodes of its kind.
struct Curve {
    label: String,
    color: RGBColor,
    mark: Mark,
    values: Vec<f64>,
    n: usize,
}

const EPISODE_TIMES: [(&str, &str); 3] = [
    ("recall_seconds", "recall"),
    ("fill_seconds", "fill"),
    ("init_seconds", "first refresh"),
];

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

fn bootstrap_cdf<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, results: &Results) -> DResult
where
    DB::ErrorType: 'static,
{
    let groups = &results.groups;
    let kinds = sorted_kinds(
        groups
            .iter()
            .flat_map(|g| &g.runs)
            .filter_map(|r| r.peers.as_ref())
            .flat_map(|p| &p.kind),
    );
    let title = format!("{}: time to bootstrap", results.scenario);
    if groups.len() > 1 {
        return bootstrap_cdf_by_kind(root, results, &kinds, &title);
    }
    let mut curves = Vec::new();
    for kind in &kinds {
        for (k, (column, what)) in EPISODE_TIMES.iter().enumerate() {
            let (values, n) = episode_times(&groups[0], kind, column);
            if n > 0 {
                let never = (n - values.len()) as f64 / n as f64;
                curves.push(Curve {
                    label: format!("{kind}: {what}\nn={n}, never {}", percent(never)),
                    color: kind_colour(kind, &kinds),
                    mark: LINE_MARKS[k],
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
    let note = "solid: recall reached; dashed: ideal fill reached; dotted: first refresh done; \
                never reached counts in n";
    let plot = frame(root, &title, note, &legend)?;
    let range = cdf_range(curves.iter());
    cdf_panel(
        &plot,
        &curves,
        range,
        &Axes::new("", "share of episodes"),
        true,
    )?;
    Ok(())
}

/// Several variants: a panel per episode kind, a colour per variant, recall only (with fill
/// and first refresh too, a dozen or more curves would share one plot).
fn bootstrap_cdf_by_kind<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    kinds: &[String],
    title: &str,
) -> DResult
where
    DB::ErrorType: 'static,
{
    let groups = &results.groups;
    let per_kind: Vec<Vec<Curve>> = kinds
        .iter()
        .map(|kind| {
            groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    let (values, n) = episode_times(g, kind, "recall_seconds");
                    Curve {
                        label: String::new(),
                        color: colour(i),
                        mark: c_mark(i),
                        values,
                        n,
                    }
                })
                .collect()
        })
        .collect();
    // Never-reached shares go in the legend, one per panel: inside the panels they would
    // cover curves.
    let legend: Vec<Entry> = groups
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
            Entry::new(label, colour(i), c_mark(i))
        })
        .collect();
    let note = format!(
        "time until recall reached the threshold, a panel per episode kind; \
         legend: share never reached, per panel ({})",
        kinds.join(", ")
    );
    let plot = frame(root, title, &note, &legend)?;
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

/// Solid lines, then dashed ones once the palette's colours repeat.
fn c_mark(i: usize) -> Mark {
    if i < PALETTE.len() {
        Mark::Line
    } else {
        Mark::Dashed
    }
}

/// The smallest positive and the largest time reached.
fn cdf_range<'c>(curves: impl Iterator<Item = &'c Curve> + Clone) -> (f64, f64) {
    let reached = || curves.clone().flat_map(|c| c.values.iter().copied());
    let lo = reached().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let hi = reached().fold(0.0, f64::max);
    (lo, hi)
}

/// One CDF plot: a log time axis when the times span more than two decades.
fn cdf_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    curves: &[Curve],
    (lo, hi): (f64, f64),
    axes: &Axes,
    x_desc: bool,
) -> DResult
where
    DB::ErrorType: 'static,
{
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
        for c in curves {
            draw_line(&mut chart, cdf_steps(c, a, b), c.color, c.mark)?;
        }
    } else {
        let b = nice_top(hi.max(1.0));
        let mut chart = panel(area, 0.0..b, 0.0..1.02, &axes)?;
        for c in curves {
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

fn seed_liveness<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, results: &Results) -> DResult
where
    DB::ErrorType: 'static,
{
    let groups = &results.groups;
    let points: Vec<Vec<(f64, f64, String)>> = groups.iter().map(liveness_points).collect();
    let total: usize = points.iter().map(Vec::len).sum();
    let kinds = sorted_kinds(points.iter().flatten().map(|(_, _, k)| k));
    // One group: colour by kind. Several: colour by variant, as that is what was varied.
    let mut series: Vec<ScatterSeries> = Vec::new();
    if groups.len() == 1 {
        for kind in &kinds {
            let pts: Vec<(f64, f64)> = points[0]
                .iter()
                .filter(|(_, _, k)| k == kind)
                .map(|(x, y, _)| (*x, *y))
                .collect();
            series.push((kind.clone(), kind_colour(kind, &kinds), pts));
        }
    } else {
        for (i, (g, pts)) in groups.iter().zip(&points).enumerate() {
            if !pts.is_empty() {
                let pts = pts.iter().map(|(x, y, _)| (*x, *y)).collect();
                series.push((group_label(g, results), colour(i), pts));
            }
        }
    }
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

/// How a sweep's x axis places its values.
enum XAxis {
    Numeric { hours: bool },
    Categories(Vec<String>),
}

struct SweepSeries {
    label: String,
    /// (x, mean, min, max) per x value with at least one value.
    points: Vec<(f64, f64, f64, f64)>,
    missing: usize,
    total: usize,
}

fn y_desc_of(metric: &str) -> String {
    match metric {
        "convergence_seconds" => "convergence time (s)".into(),
        "final_mean_recall" => "final mean recall".into(),
        "mean_init_seconds" => "mean time to first refresh (s)".into(),
        "packets_sent" => "packets sent".into(),
        m => match m
            .strip_prefix("median_")
            .and_then(|m| m.strip_suffix("_seconds"))
        {
            Some(what) => format!("median {} time (s)", what.replace('_', " ")),
            None => m.replace('_', " "),
        },
    }
}

fn sweep<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    results: &Results,
    sweep: &Sweep,
    metric: &str,
) -> DResult
where
    DB::ErrorType: 'static,
{
    // Knobs that take more than one value; the first, alphabetically, goes on x.
    let mut values_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in &sweep.rows {
        for k in &row.knobs {
            let v = values_of.entry(k.key.as_str()).or_default();
            if !v.contains(&k.shown.as_str()) {
                v.push(&k.shown);
            }
        }
    }
    let swept: Vec<&str> = values_of
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| *k)
        .collect();
    let x_key = swept.first().copied();
    let x_of = |row: &super::data::SweepRow| -> (String, Value) {
        match x_key.and_then(|key| row.knobs.iter().find(|k| k.key == key)) {
            Some(k) => (k.shown.clone(), k.value.clone()),
            None if x_key.is_some() => ("(unset)".into(), Value::Text),
            None => (
                row.knobs
                    .iter()
                    .map(|k| format!("{}={}", k.key, k.shown))
                    .collect::<Vec<_>>()
                    .join(", "),
                Value::Text,
            ),
        }
    };
    let xs: Vec<(String, Value)> = sweep.rows.iter().map(x_of).collect();
    let axis = if xs.iter().all(|(_, v)| matches!(v, Value::Number(_))) {
        XAxis::Numeric { hours: false }
    } else if xs.iter().all(|(_, v)| matches!(v, Value::Hours(_))) {
        XAxis::Numeric { hours: true }
    } else {
        let mut cats: Vec<String> = Vec::new();
        for (s, _) in &xs {
            if !cats.contains(s) {
                cats.push(if s.is_empty() {
                    "base".into()
                } else {
                    s.clone()
                });
            }
        }
        XAxis::Categories(cats)
    };
    let position = |(shown, value): &(String, Value)| -> f64 {
        match (&axis, value) {
            (XAxis::Numeric { .. }, Value::Number(v) | Value::Hours(v)) => *v,
            (XAxis::Categories(c), _) => {
                let s = if shown.is_empty() { "base" } else { shown };
                c.iter().position(|x| x == s).unwrap_or(0) as f64
            }
            _ => 0.0,
        }
    };

    // Series: one per combination of the other swept knobs, in order of appearance.
    let series_key = |row: &super::data::SweepRow| -> String {
        swept
            .iter()
            .skip(1)
            .filter_map(|key| row.knobs.iter().find(|k| k.key == *key))
            .map(|k| format!("{}={}", k.key.rsplit('.').next().unwrap_or(&k.key), k.shown))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut keys: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(usize, u64), Vec<f64>> = BTreeMap::new();
    let mut order: Vec<(usize, f64)> = Vec::new();
    for (row, x) in sweep.rows.iter().zip(&xs) {
        let key = series_key(row);
        let s = match keys.iter().position(|k| *k == key) {
            Some(s) => s,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        let pos = position(x);
        let value = row.values.get(metric).copied().unwrap_or(f64::NAN);
        let cell = cells.entry((s, pos.to_bits())).or_default();
        if cell.is_empty() {
            order.push((s, pos));
        }
        cell.push(value);
    }
    let mut series: Vec<SweepSeries> = keys
        .iter()
        .map(|k| SweepSeries {
            label: k.clone(),
            points: Vec::new(),
            missing: 0,
            total: 0,
        })
        .collect();
    let mut per_point = (usize::MAX, 0);
    for (s, pos) in order {
        let v = &cells[&(s, pos.to_bits())];
        let ok: Vec<f64> = v.iter().copied().filter(|v| v.is_finite()).collect();
        per_point = (per_point.0.min(v.len()), per_point.1.max(v.len()));
        let out = &mut series[s];
        out.total += v.len();
        out.missing += v.len() - ok.len();
        if !ok.is_empty() {
            let mean = ok.iter().sum::<f64>() / ok.len() as f64;
            let lo = ok.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ok.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            out.points.push((pos, mean, lo, hi));
        }
    }
    for s in &mut series {
        s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }

    let never_word = if metric.ends_with("_seconds") {
        "never"
    } else {
        "missing"
    };
    let single = series.len() == 1;
    let legend: Vec<Entry> = series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut label = if single && s.label.is_empty() {
                "mean over seeds".to_string()
            } else {
                s.label.clone()
            };
            if s.missing > 0 {
                label = format!("{label}\n{} of {} {never_word}", s.missing, s.total);
            }
            Entry::new(label, colour(i), Mark::Dot)
        })
        .collect();
    let seeds = if per_point.0 == per_point.1 {
        format!("{}", per_point.1)
    } else {
        format!("{}–{}", per_point.0, per_point.1)
    };
    let mut note = format!("points: mean over {seeds} seeds; bars: min–max over seeds");
    if never_word == "never" {
        note.push_str(
            "; runs that never got there are left out of both, and counted in the legend",
        );
    } else if series.iter().any(|s| s.missing > 0) {
        note.push_str("; runs without a value are left out of both, and counted in the legend");
    }
    let x_name = x_key.unwrap_or("variant");
    let title = format!(
        "{}: {} by {}",
        results.scenario,
        y_desc_of(metric).split(" (").next().unwrap_or(metric),
        x_name
    );
    let plot = frame(root, &title, &note, &legend)?;

    let all = || series.iter().flat_map(|s| s.points.iter());
    let (y_lo, y_hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.2), b.max(p.3))
    });
    let (y_lo, y_hi) = if y_lo.is_finite() {
        let span = (y_hi - y_lo).max(y_hi.abs() * 0.1).max(1e-9);
        let lo = if y_lo >= 0.0 && y_lo - span * 0.15 < 0.0 {
            0.0
        } else {
            y_lo - span * 0.15
        };
        (lo, y_hi + span * 0.15)
    } else {
        (0.0, 1.0)
    };
    let n_series = series.len() as f64;
    let y_desc = y_desc_of(metric);
    match &axis {
        XAxis::Categories(cats) => {
            let k = cats.len();
            let fmt = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < k {
                    cats[i as usize].clone()
                } else {
                    String::new()
                }
            };
            let mut axes = Axes::new(x_name, y_desc);
            axes.x_fmt = &fmt;
            axes.x_labels = k + 1;
            let ticks: Vec<f64> = (0..k).map(|i| i as f64).collect();
            let x = FixedTicks::new(RangedCoordf64::from(-0.5..k as f64 - 0.5), ticks);
            let mut chart = panel(&plot, x, y_lo..y_hi, &axes)?;
            let dodge = 0.12_f64.min(0.6 / n_series);
            draw_sweep_points(&mut chart, &series, dodge, false)?;
        }
        XAxis::Numeric { hours } => {
            let (lo, hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.0), b.max(p.0))
            });
            let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
            let x_desc = if *hours {
                format!("{x_name} (hours)")
            } else {
                x_name.to_string()
            };
            let axes = Axes::new(x_desc, y_desc);
            if lo > 0.0 && hi / lo > 100.0 {
                let (a, b) = (lo / 1.5, hi * 1.5);
                let dodge = 0.015 * (b / a).ln();
                let x = (a..b).log_scale();
                let mut chart = panel(&plot, x, y_lo..y_hi, &axes)?;
                draw_sweep_points(&mut chart, &series, dodge, true)?;
            } else {
                let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
                let (a, b) = (lo - span * 0.08, hi + span * 0.08);
                let dodge = span * 0.012;
                let mut chart = panel(&plot, a..b, y_lo..y_hi, &axes)?;
                draw_sweep_points(&mut chart, &series, dodge, false)?;
            }
        }
    }
    Ok(())
}

/// Means with min–max bars, series side by side around each x so their bars do not overlap;
/// `log` dodges by a factor instead of a distance.
fn draw_sweep_points<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut Ctx<'_, DB, X>,
    series: &[SweepSeries],
    dodge: f64,
    log: bool,
) -> DResult
where
    DB::ErrorType: 'static,
{
    let m = series.len() as f64;
    for (i, s) in series.iter().enumerate() {
        let off = if m > 1.0 {
            (i as f64 - (m - 1.0) / 2.0) * dodge
        } else {
            0.0
        };
        let at = |x: f64| if log { x * off.exp() } else { x + off };
        let c = colour(i);
        if s.points.len() > 1 {
            let line: Vec<(f64, f64)> = s.points.iter().map(|p| (at(p.0), p.1)).collect();
            chart.draw_series(LineSeries::new(line, c.mix(0.5).stroke_width(2)))?;
        }
        chart.draw_series(
            s.points
                .iter()
                .map(|p| ErrorBar::new_vertical(at(p.0), p.2, p.1, p.3, c.stroke_width(2), 14)),
        )?;
        chart.draw_series(
            s.points
                .iter()
                .map(|p| Circle::new((at(p.0), p.1), 6, c.filled())),
        )?;
    }
    Ok(())
}

/// An axis with ticks exactly at given values: categories at whole numbers, decades on a log
/// axis. (plotters' own `with_key_points` loses the float formatter the mesh needs.)
struct FixedTicks<R> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> FixedTicks<R> {
    fn new(inner: R, ticks: Vec<f64>) -> FixedTicks<R> {
        FixedTicks { inner, ticks }
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for FixedTicks<R> {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
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
