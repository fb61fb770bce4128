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
    /// The path is no folder, or holds no run: no `metrics.csv` in it or in the folders below.
    #[error("no discsim results under {}: expected folders containing metrics.csv", dir.display())]
    NoResults {
        /// The folder given to plot.
        dir: PathBuf,
    },
    /// A cell of a CSV that should hold a number does not (or is empty where one is required).
    #[error("{} line {line}: column {column}: {value:?} is not a number", path.display())]
    NotANumber {
        /// The CSV file.
        path: PathBuf,
        /// Its line (1 is the header).
        line: u64,
        /// The column's name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A CSV the charts cannot use: a required column missing from the header, a number out of
    /// its range, an unknown episode kind.
    #[error("{} line {line}: column {column}: {problem}", path.display())]
    Invalid {
        /// The CSV file.
        path: PathBuf,
        /// Its line (1 is the header).
        line: u64,
        /// The column's name.
        column: String,
        /// What is wrong, and what is allowed.
        problem: String,
    },
    /// A run's `scenario.toml` or `summary.json` that does not read, or holds a figure out of
    /// range.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A CSV with a header and no rows (an empty or cut-short file).
    #[error("{}: no rows below the header (an empty or cut-short file)", path.display())]
    Empty {
        /// The CSV file.
        path: PathBuf,
    },
    /// A CSV that the CSV reader refuses (a garbled row, a row of the wrong length).
    #[error("{}: malformed CSV: {source}", path.display())]
    Csv {
        /// The CSV file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// A results file that could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A chart or the charts folder that could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why it could not be written.
        #[source]
        source: std::io::Error,
    },
    /// A chart that the drawing library failed to draw.
    #[error("cannot draw {}: {message}", path.display())]
    Draw {
        /// The image being drawn (SVG or PNG).
        path: PathBuf,
        /// The drawing library's message.
        message: String,
    },
}

impl PlotError {
    /// Whether the results read were at fault (exit code 2) rather than drawing or writing.
    pub fn is_bad_input(&self) -> bool {
        match self {
            PlotError::NoResults { .. }
            | PlotError::NotANumber { .. }
            | PlotError::Invalid { .. }
            | PlotError::Malformed { .. }
            | PlotError::Empty { .. }
            | PlotError::Csv { .. }
            | PlotError::Read { .. } => true,
            PlotError::Write { .. } | PlotError::Draw { .. } => false,
        }
    }
}

/// Legible on a screen and in print at a column's width.
const DEFAULT_SIZE: (u32, u32) = (1200, 800);

/// Redraws every chart under `dir` from the CSVs found there; returns the files written.
///
/// `dir` may be one run folder (`seed-1`), a scenario folder holding replicates (`seed-1`,
/// `seed-2`, ...), or a sweep folder (`sweep.csv` and `<variant>/seed-<N>`). The charts go to
/// `<dir>/charts/` only once every chart is drawn, so a failure leaves the previous charts in
/// place; files there that discsim did not draw are left alone.
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

    let tmp = Scratch::new(dir.join(".tmp-charts"))?;
    let mut names = Vec::new();
    for chart in &charts {
        names.extend(canvas::render(&tmp.0, &chart.name, size, |root| {
            chart.draw(root, &results)
        })?);
    }
    let out = dir.join("charts");
    install(&tmp.0, &out, &names)?;
    names.sort();
    Ok(names.into_iter().map(|n| out.join(n)).collect())
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> PlotError {
    let path = path.to_path_buf();
    move |source| PlotError::Write { path, source }
}

/// A folder the charts are drawn into first, deleted however drawing ends.
struct Scratch(PathBuf);

impl Scratch {
    /// Starts afresh: a folder left by a plot that was killed holds nothing worth keeping.
    fn new(path: PathBuf) -> Result<Scratch, PlotError> {
        if path.exists() {
            fs::remove_dir_all(&path).map_err(write_err(&path))?;
        }
        fs::create_dir_all(&path).map_err(write_err(&path))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Moves the new charts from `tmp` into `out`, a rename each, so that every file is at all
/// times its old or its new self; then deletes the charts discsim drew before and had no data
/// for now. Anything else in `out` is the user's, and stays.
fn install(tmp: &Path, out: &Path, names: &[String]) -> Result<(), PlotError> {
    fs::create_dir_all(out).map_err(write_err(out))?;
    for name in names {
        let to = out.join(name);
        fs::rename(tmp.join(name), &to).map_err(write_err(&to))?;
    }
    for entry in fs::read_dir(out).map_err(write_err(out))? {
        let entry = entry.map_err(write_err(out))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale =
            entry.path().is_file() && charts::is_chart_file(&name) && !names.contains(&name);
        if stale {
            fs::remove_file(entry.path()).map_err(write_err(&entry.path()))?;
        }
    }
    Ok(())
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
