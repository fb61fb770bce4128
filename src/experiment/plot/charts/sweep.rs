//! A sweep's key figure against the swept value, a chart per figure: a point per value with
//! the mean over seeds and a bar from min to max, a series per combination of the other knobs.

use std::collections::BTreeMap;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::experiment::plot::canvas::{Canvas, DResult};
use crate::experiment::plot::data::{knob_order, Knob, Results, Sweep, SweepPoint, Value};
use crate::experiment::plot::frame::{frame, panel, Axes, Ctx, FixedTicks};
use crate::experiment::plot::style::{colour, Entry, Mark};

pub(super) fn applies(results: &Results) -> bool {
    results.sweep.is_some()
}

/// A chart per key figure.
pub(super) fn parts(results: &Results) -> Vec<String> {
    results
        .sweep
        .as_ref()
        .map(|s| s.metrics.clone())
        .unwrap_or_default()
}

/// How a sweep's x axis places its values.
enum XAxis {
    Numeric { hours: bool },
    Categories(Vec<String>),
}

/// Which knob is on the x axis, and where each row goes on it.
struct Layout<'s> {
    /// Knobs that take more than one value, alphabetically; the first goes on x.
    swept: Vec<&'s str>,
    /// Each row's x: its value as shown, and as placed.
    xs: Vec<(String, Value)>,
    axis: XAxis,
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

pub(super) fn draw(root: &Canvas, results: &Results, metric: &str) -> DResult {
    let Some(sweep) = &results.sweep else {
        return Ok(());
    };
    let layout = Layout::of(sweep);
    let (series, per_point) = layout.series(sweep, metric);
    let never_word = if metric.ends_with("_seconds") {
        "never"
    } else {
        "missing"
    };
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
    let x_name = layout.swept.first().copied().unwrap_or("variant");
    let title = format!(
        "{}: {} by {}",
        results.scenario,
        y_desc_of(metric).split(" (").next().unwrap_or(metric),
        x_name
    );
    let plot = frame(root, &title, &note, &legend(&series, never_word))?;
    plot_series(&plot, &layout.axis, &series, x_name, &y_desc_of(metric))
}

fn legend(series: &[SweepSeries], never_word: &str) -> Vec<Entry> {
    let single = series.len() == 1;
    series
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
        .collect()
}

impl<'s> Layout<'s> {
    fn of(sweep: &'s Sweep) -> Layout<'s> {
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
        let x_of = |row: &SweepPoint| -> (String, Value) {
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
        let axis = XAxis::of(&xs);
        Layout { swept, xs, axis }
    }

    fn position(&self, (shown, value): &(String, Value)) -> f64 {
        match (&self.axis, value) {
            (XAxis::Numeric { .. }, Value::Number(v) | Value::Hours(v)) => *v,
            (XAxis::Categories(c), _) => {
                let s = if shown.is_empty() { "base" } else { shown };
                c.iter().position(|x| x == s).unwrap_or(0) as f64
            }
            _ => 0.0,
        }
    }

    /// A series per combination of the other swept knobs, in order of appearance, and the
    /// fewest and most seeds a point has.
    fn series(&self, sweep: &Sweep, metric: &str) -> (Vec<SweepSeries>, (usize, usize)) {
        let series_knobs = |row: &SweepPoint| -> Vec<Knob> {
            self.swept
                .iter()
                .skip(1)
                .filter_map(|key| row.knobs.iter().find(|k| k.key == *key).cloned())
                .collect()
        };
        let series_key = |row: &SweepPoint| -> String {
            self.swept
                .iter()
                .skip(1)
                .filter_map(|key| row.knobs.iter().find(|k| k.key == *key))
                .map(|k| format!("{}={}", k.key.rsplit('.').next().unwrap_or(&k.key), k.shown))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut keys: Vec<(String, Vec<Knob>)> = Vec::new();
        let mut cells: BTreeMap<(usize, u64), Vec<f64>> = BTreeMap::new();
        let mut order: Vec<(usize, f64)> = Vec::new();
        for (row, x) in sweep.rows.iter().zip(&self.xs) {
            let key = series_key(row);
            let s = match keys.iter().position(|k| k.0 == key) {
                Some(s) => s,
                None => {
                    keys.push((key, series_knobs(row)));
                    keys.len() - 1
                }
            };
            let pos = self.position(x);
            let value = row.values.get(metric).copied().unwrap_or(f64::NAN);
            let cell = cells.entry((s, pos.to_bits())).or_default();
            if cell.is_empty() {
                order.push((s, pos));
            }
            cell.push(value);
        }
        let mut series: Vec<(SweepSeries, Vec<Knob>)> = keys
            .into_iter()
            .map(|(label, knobs)| {
                let s = SweepSeries {
                    label,
                    points: Vec::new(),
                    missing: 0,
                    total: 0,
                };
                (s, knobs)
            })
            .collect();
        let mut per_point = (usize::MAX, 0);
        for (s, pos) in order {
            let v = &cells[&(s, pos.to_bits())];
            let ok: Vec<f64> = v.iter().copied().filter(|v| v.is_finite()).collect();
            per_point = (per_point.0.min(v.len()), per_point.1.max(v.len()));
            let out = &mut series[s].0;
            out.total += v.len();
            out.missing += v.len() - ok.len();
            if !ok.is_empty() {
                let mean = ok.iter().sum::<f64>() / ok.len() as f64;
                let lo = ok.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = ok.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                out.points.push((pos, mean, lo, hi));
            }
        }
        // The legend lists series by the values of their knobs, not in order of appearance.
        let rank = sweep.appearance();
        series.sort_by(|a, b| knob_order(&a.1, &b.1, &rank));
        let mut series: Vec<SweepSeries> = series.into_iter().map(|(s, _)| s).collect();
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        (series, per_point)
    }
}

impl XAxis {
    /// Numbers or durations on a numeric axis; anything else, or a mix, as categories in
    /// order of appearance.
    fn of(xs: &[(String, Value)]) -> XAxis {
        if xs.iter().all(|(_, v)| matches!(v, Value::Number(_))) {
            return XAxis::Numeric { hours: false };
        }
        if xs.iter().all(|(_, v)| matches!(v, Value::Hours(_))) {
            return XAxis::Numeric { hours: true };
        }
        let mut cats: Vec<String> = Vec::new();
        for (s, _) in xs {
            if !cats.contains(s) {
                cats.push(if s.is_empty() {
                    "base".into()
                } else {
                    s.clone()
                });
            }
        }
        XAxis::Categories(cats)
    }
}

/// The y range: the points' min and max with some room, from 0 when that is close.
fn y_range(series: &[SweepSeries]) -> (f64, f64) {
    let all = series.iter().flat_map(|s| s.points.iter());
    let (y_lo, y_hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
        (a.min(p.2), b.max(p.3))
    });
    if !y_lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = (y_hi - y_lo).max(y_hi.abs() * 0.1).max(1e-9);
    let lo = if y_lo >= 0.0 && y_lo - span * 0.15 < 0.0 {
        0.0
    } else {
        y_lo - span * 0.15
    };
    (lo, y_hi + span * 0.15)
}

/// The panel, on an axis of categories, a linear one, or a log one when the values span more
/// than two decades.
fn plot_series(
    plot: &Canvas,
    axis: &XAxis,
    series: &[SweepSeries],
    x_name: &str,
    y_desc: &str,
) -> DResult {
    let (y_lo, y_hi) = y_range(series);
    let n_series = series.len() as f64;
    match axis {
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
            let mut chart = panel(plot, x, y_lo..y_hi, &axes)?;
            let dodge = 0.12_f64.min(0.6 / n_series);
            draw_sweep_points(&mut chart, series, dodge, false)
        }
        XAxis::Numeric { hours } => {
            let all = || series.iter().flat_map(|s| s.points.iter());
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
                let mut chart = panel(plot, (a..b).log_scale(), y_lo..y_hi, &axes)?;
                draw_sweep_points(&mut chart, series, dodge, true)
            } else {
                let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
                let (a, b) = (lo - span * 0.08, hi + span * 0.08);
                let dodge = span * 0.012;
                let mut chart = panel(plot, a..b, y_lo..y_hi, &axes)?;
                draw_sweep_points(&mut chart, series, dodge, false)
            }
        }
    }
}

/// Means with min–max bars, series side by side around each x so their bars do not overlap;
/// `log` dodges by a factor instead of a distance.
fn draw_sweep_points<X: Ranged<ValueType = f64>>(
    chart: &mut Ctx<'_, '_, X>,
    series: &[SweepSeries],
    dodge: f64,
    log: bool,
) -> DResult {
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
