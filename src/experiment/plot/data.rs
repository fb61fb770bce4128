//! Reading results folders: which run folders there are, and the columns the charts need.
//!
//! Columns are looked up by name in each file's header, so files with extra columns (a newer
//! discsim) or without the columns later versions added (an older discsim) both plot. Anything
//! else is an error named by file, line and column: a missing column, a row-less file, a cell
//! that is not a number, or one no discsim writes (NaN, infinite, negative, a share above 1, an
//! unknown episode kind), since a chart drawn from it would mislead without a word.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::PlotError;
use crate::observe::metrics::ConvergenceCriteria;

/// What a charted column may hold.
#[derive(Clone, Copy)]
pub(crate) enum Bound {
    /// A share or a mean recall.
    Share,
    /// A time, a count or a mean of counts.
    Amount,
}

/// No run discsim can make comes near it (31 million years in seconds, or packets), and axes
/// far beyond it lose their arithmetic.
const MAX_AMOUNT: f64 = 1e15;

impl Bound {
    /// None when `v` is in range, or what the range is.
    fn refuses(self, v: f64) -> Option<&'static str> {
        let (hi, range) = match self {
            Bound::Share => (1.0, "a share from 0 to 1"),
            Bound::Amount => (MAX_AMOUNT, "a number from 0 to 1e15"),
        };
        (!(0.0..=hi).contains(&v)).then_some(range)
    }
}

/// Columns of `metrics.csv` the charts use besides `t`, in the order discsim versions added
/// them: a file has the first [`METRIC_CORE`] and may lack only a tail of the rest.
const METRIC_COLUMNS: [(&str, Bound); 5] = [
    ("mean_recall", Bound::Share),
    ("converged_share", Bound::Share),
    ("mean_db_records", Bound::Amount),
    ("db_stale_share", Bound::Share),
    ("records_expired", Bound::Amount),
];
const METRIC_CORE: usize = 2;

/// Columns of `peers.csv` the charts use, all written since the file lists episodes (has a
/// `kind` column).
const PEER_COLUMNS: [&str; 6] = [
    "downtime",
    "seeds_tried",
    "seeds_alive",
    "init_seconds",
    "recall_seconds",
    "fill_seconds",
];

/// Columns of `peers.csv` only runs with `protocol.dialer` have.
const DIALER_PEER_COLUMNS: [&str; 3] = [
    "first_peer_seconds",
    "half_peers_seconds",
    "full_peers_seconds",
];

/// Episode kinds as `peers.csv` names them, in the order a peer's life has them.
pub(crate) const EPISODE_KINDS: [&str; 5] = ["join", "return", "restart", "fresh", "upgrade"];

/// Key figures of `sweep.csv` that get a chart, in chart order; `median_*_seconds` columns
/// follow in header order.
const SWEEP_METRICS: [(&str, Bound); 4] = [
    ("convergence_seconds", Bound::Amount),
    ("final_mean_recall", Bound::Share),
    ("mean_init_seconds", Bound::Amount),
    ("packets_sent", Bound::Amount),
];

/// A CSV file held as text records with their line numbers, so that a bad cell found later,
/// when a column is read, can still be reported by line.
pub(crate) struct CsvFile {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl CsvFile {
    pub(crate) fn read(path: &Path) -> Result<CsvFile, PlotError> {
        let csv_err = |source| PlotError::Csv {
            path: path.to_path_buf(),
            source,
        };
        let text = fs::read(path).map_err(|source| PlotError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_slice());
        let header = reader
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let line = record.position().map_or(0, |p| p.line());
            rows.push((line, record));
        }
        // A file cut short by a crash or a full disk would otherwise chart as "no data".
        if rows.is_empty() {
            return Err(PlotError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(CsvFile {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    pub(crate) fn has(&self, column: &str) -> bool {
        self.index(column).is_some()
    }

    fn index(&self, column: &str) -> Option<usize> {
        self.header.iter().position(|h| h == column)
    }

    /// An error unless the header has every one of `columns`.
    fn require<'c>(&self, columns: impl IntoIterator<Item = &'c str>) -> Result<(), PlotError> {
        match columns.into_iter().find(|c| !self.has(c)) {
            Some(c) => Err(self.invalid(1, c, "missing from the header".into())),
            None => Ok(()),
        }
    }

    /// A column's cells with their line numbers; empty when there is no such column.
    fn cells<'t>(&'t self, column: &str) -> impl Iterator<Item = (u64, &'t str)> + 't {
        let i = self.index(column);
        self.rows
            .iter()
            .filter_map(move |(line, r)| Some((*line, r.get(i?)?.trim())))
    }

    /// A column's cells as text, or None when the file has no such column.
    pub(crate) fn strings(&self, column: &str) -> Option<Vec<String>> {
        let i = self.index(column)?;
        Some(
            self.rows
                .iter()
                .map(|(_, r)| r.get(i).unwrap_or("").trim().to_string())
                .collect(),
        )
    }

    /// A column's numbers within `bound`, NaN for an empty cell ("never" or "not measured"),
    /// or None when the file has no such column.
    pub(crate) fn numbers(
        &self,
        column: &str,
        bound: Bound,
    ) -> Result<Option<Vec<f64>>, PlotError> {
        if !self.has(column) {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(self.rows.len());
        for (line, cell) in self.cells(column) {
            if cell.is_empty() {
                out.push(f64::NAN);
                continue;
            }
            let Ok(value) = cell.parse::<f64>() else {
                return Err(self.not_a_number(line, column, cell));
            };
            let range = if value.is_finite() {
                bound.refuses(value)
            } else {
                Some("a finite number")
            };
            if let Some(range) = range {
                let problem = format!("{cell} is out of range: {range}");
                return Err(self.invalid(line, column, problem));
            }
            out.push(value);
        }
        Ok(Some(out))
    }

    /// Like [`CsvFile::numbers`], but an empty cell is an error: for columns such as `t` that
    /// every row must have.
    pub(crate) fn required_numbers(
        &self,
        column: &str,
        bound: Bound,
    ) -> Result<Option<Vec<f64>>, PlotError> {
        let numbers = self.numbers(column, bound)?;
        if let Some(i) = numbers.iter().flatten().position(|v| v.is_nan()) {
            return Err(self.not_a_number(self.rows[i].0, column, ""));
        }
        Ok(numbers)
    }

    fn not_a_number(&self, line: u64, column: &str, value: &str) -> PlotError {
        PlotError::NotANumber {
            path: self.path.clone(),
            line,
            column: column.to_string(),
            value: value.to_string(),
        }
    }

    fn invalid(&self, line: u64, column: &str, problem: String) -> PlotError {
        PlotError::Invalid {
            path: self.path.clone(),
            line,
            column: column.to_string(),
            problem,
        }
    }
}

/// What the charts use of one run's `metrics.csv`.
pub(crate) struct Metrics {
    pub(crate) scenario: Option<String>,
    /// Virtual seconds, or None when the file has no `t` column (no time charts then).
    pub(crate) t: Option<Vec<f64>>,
    pub(crate) columns: BTreeMap<&'static str, Vec<f64>>,
}

impl Metrics {
    fn read(path: &Path) -> Result<Metrics, PlotError> {
        let table = CsvFile::read(path)?;
        let present = METRIC_COLUMNS
            .iter()
            .rposition(|(c, _)| table.has(c))
            .map_or(0, |last| last + 1);
        let names = METRIC_COLUMNS.iter().map(|(c, _)| *c);
        table.require(std::iter::once("t").chain(names.take(present.max(METRIC_CORE))))?;
        let mut columns = BTreeMap::new();
        for (c, bound) in METRIC_COLUMNS {
            if let Some(v) = table.numbers(c, bound)? {
                columns.insert(c, v);
            }
        }
        Ok(Metrics {
            scenario: table
                .strings("scenario")
                .and_then(|s| s.into_iter().find(|s| !s.is_empty())),
            t: table.required_numbers("t", Bound::Amount)?,
            columns,
        })
    }
}

/// One run's bootstrap episodes from `peers.csv`.
pub(crate) struct Peers {
    pub(crate) kind: Vec<String>,
    pub(crate) columns: BTreeMap<&'static str, Vec<f64>>,
}

impl Peers {
    /// None when the file is absent or in the old format (no `kind` column), which has nothing
    /// the peer charts can use.
    fn read(path: &Path) -> Result<Option<Peers>, PlotError> {
        if !path.is_file() {
            return Ok(None);
        }
        let table = CsvFile::read(path)?;
        let Some(kind) = table.strings("kind") else {
            return Ok(None);
        };
        table.require(PEER_COLUMNS)?;
        if let Some((line, k)) = table
            .cells("kind")
            .find(|(_, k)| !EPISODE_KINDS.contains(k))
        {
            let known = EPISODE_KINDS.join(", ");
            let problem = format!("{k:?} is not an episode kind ({known})");
            return Err(table.invalid(line, "kind", problem));
        }
        let mut columns = BTreeMap::new();
        for c in PEER_COLUMNS.into_iter().chain(DIALER_PEER_COLUMNS) {
            if let Some(v) = table.numbers(c, Bound::Amount)? {
                columns.insert(c, v);
            }
        }
        Ok(Some(Peers { kind, columns }))
    }
}

/// One run folder (`seed-<N>`).
pub(crate) struct Run {
    pub(crate) metrics: Metrics,
    pub(crate) peers: Option<Peers>,
    /// The thresholds the run was judged by, or None without a `scenario.toml` (an older
    /// discsim, or a folder of CSVs only): charts then print none.
    pub(crate) criteria: Option<ConvergenceCriteria>,
    /// When the network converged (None: never), or None when no `summary.json` says.
    pub(crate) converged_at: Option<Option<f64>>,
}

impl Run {
    fn read(dir: &Path) -> Result<Run, PlotError> {
        Ok(Run {
            metrics: Metrics::read(&dir.join("metrics.csv"))?,
            peers: Peers::read(&dir.join("peers.csv"))?,
            criteria: read_criteria(&dir.join("scenario.toml"))?,
            converged_at: read_converged_at(&dir.join("summary.json"))?,
        })
    }
}

/// The text of an optional file: None when it is absent.
fn read_optional(path: &Path) -> Result<Option<String>, PlotError> {
    if !path.is_file() {
        return Ok(None);
    }
    fs::read_to_string(path)
        .map(Some)
        .map_err(|source| PlotError::Read {
            path: path.to_path_buf(),
            source,
        })
}

fn malformed(path: &Path, message: impl std::fmt::Display) -> PlotError {
    PlotError::Malformed {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The `[convergence]` table of a run's saved scenario, with discsim's defaults for what it
/// leaves out, as the run had them.
fn read_criteria(path: &Path) -> Result<Option<ConvergenceCriteria>, PlotError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| malformed(path, e))?;
    let criteria = match table.remove("convergence") {
        Some(value) => value
            .try_into::<ConvergenceCriteria>()
            .map_err(|e| malformed(path, format!("[convergence]: {e}")))?,
        None => ConvergenceCriteria::default(),
    };
    for (key, v) in [
        ("recall", criteria.recall),
        ("share", criteria.share),
        ("fill", criteria.fill),
    ] {
        if Bound::Share.refuses(v).is_some() {
            return Err(malformed(
                path,
                format!("convergence.{key} = {v} is not in [0, 1]"),
            ));
        }
    }
    Ok(Some(criteria))
}

/// `convergence_seconds` of a run's `summary.json`.
fn read_converged_at(path: &Path) -> Result<Option<Option<f64>>, PlotError> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let summary: serde_json::Value = serde_json::from_str(&text).map_err(|e| malformed(path, e))?;
    match summary.get("convergence_seconds") {
        None => Ok(None),
        Some(serde_json::Value::Null) => Ok(Some(None)),
        Some(v) => match v.as_f64().filter(|t| Bound::Amount.refuses(*t).is_none()) {
            Some(t) => Ok(Some(Some(t))),
            None => Err(malformed(
                path,
                format!("convergence_seconds = {v} is not a time"),
            )),
        },
    }
}

/// Run folders with one parent: the replicates of one scenario or sweep variant.
pub(crate) struct Group {
    /// The parent's path below the plotted folder ("nodedb.node_expiration=1h"), or None when
    /// the runs sit directly in (or are) the plotted folder.
    pub(crate) label: Option<String>,
    pub(crate) runs: Vec<Run>,
}

/// How a swept value is placed on an axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Number(f64),
    /// A duration such as "1h", in hours.
    Hours(f64),
    Text,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Knob {
    pub(crate) key: String,
    /// The value as a person would write it ("1h", "3", "random").
    pub(crate) shown: String,
    pub(crate) value: Value,
}

/// One run of a sweep as read back from `sweep.csv` (which `sweep_csv::SweepRow` wrote): its knobs
/// and key figures.
pub(crate) struct SweepPoint {
    pub(crate) knobs: Vec<Knob>,
    /// Metric column to value; NaN when the cell was empty (never reached).
    pub(crate) values: BTreeMap<String, f64>,
}

/// The rows of `sweep.csv` (or of its shards taken together).
pub(crate) struct Sweep {
    pub(crate) rows: Vec<SweepPoint>,
    /// Metric columns present, in chart order.
    pub(crate) metrics: Vec<String>,
    /// Variants in order of first appearance, the order `discsim sweep` ran them in.
    pub(crate) variants: Vec<String>,
}

impl Group {
    /// The mean time the runs that converged took, how many never did, and of how many
    /// runs that say; None when none says.
    pub(crate) fn convergence(&self) -> Option<(Option<f64>, usize, usize)> {
        let said: Vec<Option<f64>> = self.runs.iter().filter_map(|r| r.converged_at).collect();
        if said.is_empty() {
            return None;
        }
        let times: Vec<f64> = said.iter().flatten().copied().collect();
        let mean = (!times.is_empty()).then(|| times.iter().sum::<f64>() / times.len() as f64);
        Some((mean, said.len() - times.len(), said.len()))
    }
}

/// Everything under a plotted folder.
pub(crate) struct Results {
    pub(crate) scenario: String,
    pub(crate) groups: Vec<Group>,
    pub(crate) sweep: Option<Sweep>,
}

impl Results {
    /// The thresholds every run was judged by, or None when they differ (a sweep over them)
    /// or a run does not say.
    pub(crate) fn criteria(&self) -> Option<ConvergenceCriteria> {
        let mut runs = self.groups.iter().flat_map(|g| &g.runs);
        let first = runs.next()?.criteria.clone()?;
        runs.all(|r| r.criteria.as_ref() == Some(&first))
            .then_some(first)
    }
}

pub(crate) fn load(dir: &Path) -> Result<Results, PlotError> {
    let none = || PlotError::NoResults {
        dir: dir.to_path_buf(),
    };
    if !dir.is_dir() {
        return Err(none());
    }
    let runs = find_runs(dir)?;
    if runs.is_empty() {
        return Err(none());
    }
    let sweep = read_sweep(dir)?;

    let mut by_parent: BTreeMap<Option<String>, Vec<PathBuf>> = BTreeMap::new();
    for run in runs {
        let parent = run.parent().filter(|p| *p != dir && run != dir);
        let label = parent.map(|p| {
            p.strip_prefix(dir)
                .unwrap_or(p)
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        });
        by_parent.entry(label).or_default().push(run);
    }
    let mut labels: Vec<Option<String>> = by_parent.keys().cloned().collect();
    let rank = |l: &Option<String>| {
        sweep.as_ref().and_then(|s| {
            let l = l.as_ref()?;
            s.variants.iter().position(|v| v == l)
        })
    };
    labels.sort_by(|a, b| match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => natural(
            a.as_deref().unwrap_or_default(),
            b.as_deref().unwrap_or_default(),
        ),
    });

    let mut groups = Vec::new();
    for label in labels {
        let mut folders = by_parent.remove(&label).unwrap_or_default();
        folders.sort_by(|a, b| natural(&name_of(a), &name_of(b)));
        let mut runs = Vec::new();
        for f in folders {
            runs.push(Run::read(&f)?);
        }
        groups.push(Group { label, runs });
    }
    let scenario = groups
        .iter()
        .flat_map(|g| &g.runs)
        .find_map(|r| r.metrics.scenario.clone())
        .unwrap_or_else(|| name_of(dir));
    Ok(Results {
        scenario,
        groups,
        sweep,
    })
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Run folders (those with a metrics.csv) at depth 0, 1 or 2, sorted.
fn find_runs(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    if dir.join("metrics.csv").is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut runs = Vec::new();
    for child in subfolders(dir)? {
        if child.join("metrics.csv").is_file() {
            runs.push(child);
            continue;
        }
        for grandchild in subfolders(&child)? {
            if grandchild.join("metrics.csv").is_file() {
                runs.push(grandchild);
            }
        }
    }
    Ok(runs)
}

/// Visible subfolders, sorted; `charts` and hidden folders (`.tmp-*`) hold no runs.
fn subfolders(dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let err = |source| PlotError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "charts" || !entry.path().is_dir() {
            continue;
        }
        out.push(entry.path());
    }
    out.sort();
    Ok(out)
}

/// Orders "seed-2" before "seed-10": digit runs compare as numbers.
pub(crate) fn natural(a: &str, b: &str) -> Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let o = match (x, y) {
            ((true, x), (true, y)) => {
                let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                x.len().cmp(&y.len()).then_with(|| x.cmp(y))
            }
            ((_, x), (_, y)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

/// Orders two knob lists by value, knob by knob: numbers and durations as numbers, other values
/// (a strategy, a profile) by `rank`, their order of first appearance in the sweep, which is
/// the order the sweep file lists them in: the author's.
pub(crate) fn knob_order(a: &[Knob], b: &[Knob], rank: &dyn Fn(&Knob) -> usize) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = x.key.cmp(&y.key).then_with(|| match (&x.value, &y.value) {
            (Value::Number(p), Value::Number(q)) | (Value::Hours(p), Value::Hours(q)) => {
                p.total_cmp(q)
            }
            _ => rank(x).cmp(&rank(y)),
        });
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

impl Sweep {
    /// A knob's rank for [`knob_order`]: where its value first appears among the rows.
    pub(crate) fn appearance(&self) -> impl Fn(&Knob) -> usize + '_ {
        move |k: &Knob| {
            self.rows
                .iter()
                .flat_map(|r| &r.knobs)
                .position(|x| x.key == k.key && x.shown == k.shown)
                .unwrap_or(usize::MAX)
        }
    }
}

/// `sweep.csv`, or when only shards were written (`sweep-I-of-N.csv`), all of them.
fn read_sweep(dir: &Path) -> Result<Option<Sweep>, PlotError> {
    let whole = dir.join("sweep.csv");
    let files = if whole.is_file() {
        vec![whole]
    } else {
        let mut shards = Vec::new();
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("sweep-") && name.ends_with(".csv") && name.contains("-of-") {
                    shards.push(e.path());
                }
            }
        }
        shards.sort_by(|a, b| natural(&name_of(a), &name_of(b)));
        shards
    };
    if files.is_empty() {
        return Ok(None);
    }
    let mut rows = Vec::new();
    let mut metrics: Vec<String> = Vec::new();
    let mut variants: Vec<(String, Vec<Knob>)> = Vec::new();
    for file in files {
        let table = CsvFile::read(&file)?;
        table.require(std::iter::once("variant").chain(SWEEP_METRICS.map(|(m, _)| m)))?;
        let names = table.strings("variant").unwrap_or_default();
        let assignments = table.strings("assignments");
        let mut columns: Vec<String> = SWEEP_METRICS.map(|(m, _)| m.to_string()).to_vec();
        columns.extend(
            table
                .header
                .iter()
                .filter(|h| h.starts_with("median_") && h.ends_with("_seconds"))
                .cloned(),
        );
        let mut values: Vec<(String, Vec<f64>)> = Vec::new();
        for c in &columns {
            let bound = SWEEP_METRICS
                .iter()
                .find(|(m, _)| m == c)
                .map_or(Bound::Amount, |(_, b)| *b);
            let v = table.numbers(c, bound)?.unwrap_or_default();
            values.push((c.clone(), v));
            if !metrics.contains(c) {
                metrics.push(c.clone());
            }
        }
        for (i, variant) in names.iter().enumerate() {
            let knobs = match &assignments {
                Some(a) => parse_assignments(&a[i]),
                None => parse_variant(variant),
            };
            if !variants.iter().any(|(v, _)| v == variant) {
                variants.push((variant.clone(), knobs.clone()));
            }
            rows.push(SweepPoint {
                knobs,
                values: values.iter().map(|(c, v)| (c.clone(), v[i])).collect(),
            });
        }
    }
    // Legends list variants by their values (0.0, 0.05, 0.2; 1h before 1day), not as text.
    let mut sweep = Sweep {
        rows,
        metrics,
        variants: Vec::new(),
    };
    {
        let rank = sweep.appearance();
        variants.sort_by(|a, b| knob_order(&a.1, &b.1, &rank));
    }
    sweep.variants = variants.into_iter().map(|(v, _)| v).collect();
    Ok(Some(sweep))
}

/// Splits `a.b="1h" c=3` into knobs. Values are TOML, so a quoted string may hold spaces
/// ("6h 30m") and arrays hold commas and spaces: split only outside quotes and brackets.
pub(crate) fn parse_assignments(s: &str) -> Vec<Knob> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let (mut quote, mut depth, mut escaped) = (None::<char>, 0i32, false);
    for c in s.chars() {
        if let Some(q) = quote {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            c if c.is_whitespace() && depth <= 0 => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
        .iter()
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| knob(k.trim(), v.trim()))
        .collect()
}

/// Knobs from a variant folder name (`a=1,b=1h`), for a sweep.csv without `assignments`.
fn parse_variant(variant: &str) -> Vec<Knob> {
    variant
        .split(',')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| knob(k, v))
        .collect()
}

fn knob(key: &str, raw: &str) -> Knob {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"));
    let (shown, value) = match parsed {
        Some(toml::Value::Integer(i)) => (i.to_string(), Value::Number(i as f64)),
        Some(toml::Value::Float(f)) => (raw.to_string(), Value::Number(f)),
        Some(toml::Value::String(s)) => {
            let value = duration_hours(&s).map_or(Value::Text, Value::Hours);
            (s, value)
        }
        Some(_) => (raw.to_string(), Value::Text),
        None => {
            let value = match raw.parse::<f64>() {
                Ok(f) if f.is_finite() => Value::Number(f),
                _ => duration_hours(raw).map_or(Value::Text, Value::Hours),
            };
            (raw.to_string(), value)
        }
    };
    Knob {
        key: key.to_string(),
        shown,
        value,
    }
}

fn duration_hours(s: &str) -> Option<f64> {
    humantime::parse_duration(s)
        .ok()
        .map(|d| d.as_secs_f64() / 3600.0)
}
