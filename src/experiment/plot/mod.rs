//! Charts of discsim results, drawn from the CSV files a run or sweep leaves on disk.
//!
//! Charts are redrawn from the files rather than from a run in memory, so that results from any
//! discsim version, or merged from shards run on several machines, can be plotted again later.
//! Every chart is written as SVG (for papers) and PNG (for a quick look), from an embedded font
//! so that nothing on the machine (fontconfig, system fonts) changes a pixel: the same CSVs
//! always give byte-identical files.

mod canvas;
mod charts;
mod data;
mod frame;
mod style;
#[cfg(test)]
mod tests;
mod text;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Results that could not be read or charts that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("no discsim results under {}: expected folders containing metrics.csv", dir.display())]
    NoResults { dir: PathBuf },
    #[error("{} line {line}: column {column}: {value:?} is not a number", path.display())]
    NotANumber {
        path: PathBuf,
        line: u64,
        column: String,
        value: String,
    },
    #[error("{}: malformed CSV: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw {}: {message}", path.display())]
    Draw { path: PathBuf, message: String },
}

/// Legible on a screen and in print at a column's width.
const DEFAULT_SIZE: (u32, u32) = (1200, 800);

/// Redraws every chart under `dir` from the CSVs found there; returns the files written.
///
/// `dir` may be one run folder (`seed-1`), a scenario folder holding replicates (`seed-1`,
/// `seed-2`, ...), or a sweep folder (`sweep.csv` and `<variant>/seed-<N>`). The charts go to
/// `<dir>/charts/`, which is replaced whole only once every chart is drawn, so a failure
/// leaves the previous charts in place.
///
/// ```no_run
/// let files = discsim::experiment::plot::plot_dir(std::path::Path::new("results/bootstrap"))?;
/// for f in files {
///     println!("{}", f.display());
/// }
/// # Ok::<(), discsim::experiment::plot::PlotError>(())
/// ```
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    plot_dir_sized(dir, DEFAULT_SIZE)
}

/// [`plot_dir`] at another image size, so that tests need not rasterise full-size images.
pub(crate) fn plot_dir_sized(dir: &Path, size: (u32, u32)) -> Result<Vec<PathBuf>, PlotError> {
    register_font();
    let results = data::load(dir)?;
    let charts = charts::charts(&results);

    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PlotError::Write { path, source }
    };
    let tmp = dir.join(".tmp-charts");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(write_err(&tmp))?;
    }
    fs::create_dir_all(&tmp).map_err(write_err(&tmp))?;
    let mut names = Vec::new();
    for chart in &charts {
        names.extend(canvas::render(&tmp, &chart.name, size, |root| {
            chart.draw(root, &results)
        })?);
    }
    let out = dir.join("charts");
    if out.exists() {
        fs::remove_dir_all(&out).map_err(write_err(&out))?;
    }
    fs::rename(&tmp, &out).map_err(write_err(&out))?;
    names.sort();
    Ok(names.into_iter().map(|n| out.join(n)).collect())
}

/// The embedded font, so that text looks the same on every machine and in every file.
static FONT_BYTES: &[u8] = include_bytes!("DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // "sans-serif" too: plotters falls back to it for any text given no family.
        for family in [style::FONT, "sans-serif"] {
            let ok = plotters::style::register_font(
                family,
                plotters::style::FontStyle::Normal,
                FONT_BYTES,
            )
            .is_ok();
            debug_assert!(ok, "the embedded font parses");
        }
    });
}
