//! The look every chart shares: font sizes, colours, legend marks and number formats, kept in
//! one place so that a kind of episode or a variant looks the same on every chart.

use plotters::prelude::*;

use super::data::EPISODE_KINDS;

/// The family the embedded font is registered under.
pub(crate) const FONT: &str = "DejaVu Sans";
pub(crate) const TITLE: f64 = 28.0;
pub(crate) const DESC: f64 = 22.0;
pub(crate) const TICK: f64 = 18.0;
pub(crate) const LEGEND: f64 = 18.0;
pub(crate) const NOTE: f64 = 17.0;

/// Tableau 10: distinguishable, and still distinct in greyscale print for the first few.
pub(crate) const PALETTE: [RGBColor; 10] = [
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
pub(crate) const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Solid lines, then dashed ones once the palette's colours repeat, so that no two series look
/// the same.
pub(crate) fn series_mark(i: usize) -> Mark {
    if i < PALETTE.len() {
        Mark::Line
    } else {
        Mark::Dashed
    }
}

/// Episode kinds in the order a peer's life has them, each with a fixed colour so that every
/// chart uses the same colour for a kind.
const KINDS: [&str; 5] = EPISODE_KINDS;

fn kind_rank(kind: &str) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len())
}

pub(crate) fn sorted_kinds<'a>(kinds: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in kinds {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out.sort_by(|a, b| kind_rank(a).cmp(&kind_rank(b)).then_with(|| a.cmp(b)));
    out
}

pub(crate) fn kind_colour(kind: &str, all: &[String]) -> RGBColor {
    match KINDS.iter().position(|k| *k == kind) {
        Some(i) => colour(i),
        None => colour(KINDS.len() + all.iter().position(|k| k == kind).unwrap_or(0)),
    }
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
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

pub(crate) fn percent(share: f64) -> String {
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
pub(crate) fn short_variant(label: &str) -> String {
    label
        .split(',')
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{}={v}", k.rsplit('.').next().unwrap_or(k)),
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

/// A round number at or above `v`, so the top tick is labelled.
pub(crate) fn nice_top(v: f64) -> f64 {
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

/// The top of an axis of whole counts (records expired, packets) and how many tick labels it
/// takes: a whole number at least 1, and at most one label per whole number, so that no tick
/// reads 0.5 of a record.
pub(crate) fn count_axis(max: f64) -> (f64, usize) {
    let top = nice_top(max).ceil().max(1.0);
    (top, (top as usize + 1).min(6))
}

/// How a series is drawn, in the plot and as its legend swatch.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Mark {
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

/// One legend line (or several, for a label with line breaks).
pub(crate) struct Entry {
    pub(crate) label: String,
    pub(crate) color: RGBColor,
    pub(crate) mark: Mark,
}

impl Entry {
    pub(crate) fn new(label: impl Into<String>, color: RGBColor, mark: Mark) -> Entry {
        Entry {
            label: label.into(),
            color,
            mark,
        }
    }
}
