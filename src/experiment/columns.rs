//! The column schema of the results CSVs: for each file, its columns in order, each a header
//! and the cell it writes for a row. Writing (`report`) and reading (`plot`) take the names
//! from here, so adding a metric is one line in one list.
//!
//! Cells are written with Rust's shortest round-trip formatting (`f64::to_string`), an empty
//! cell for a value never reached.
//!
//! ```
//! use discsim::experiment::columns::{peer_columns, probe_columns};
//! let peers = peer_columns(false);
//! let names: Vec<&str> = peers.iter().map(|c| c.name()).collect();
//! assert_eq!(&names[..3], ["scenario", "seed", "slot"]);
//! assert!(names.contains(&"seeds_kept"));
//! // The dialer's columns only when the scenario runs it.
//! assert!(!names.contains(&"first_peer_seconds"));
//! assert!(peer_columns(true).iter().any(|c| c.name() == "first_peer_seconds"));
//! assert_eq!(probe_columns()[0].name(), "id");
//! ```

use crate::discv4::packet::PacketKind;
use crate::experiment::scenario::Scenario;
use crate::observe::metrics::{DialEpisode, Episode, ProbeOutcome, Sample};

/// A row of a results CSV: a value of the run (`item`) and the scenario it came from.
pub struct Row<'a, T> {
    /// The scenario of the run (its name and seed head some files).
    pub scenario: &'a Scenario,
    /// A sample, a probe or an episode.
    pub item: &'a T,
}

type Cell<T> = Box<dyn Fn(&Row<'_, T>) -> String + Send + Sync>;

/// One column: its header and how it renders a row.
pub struct Column<T> {
    name: String,
    cell: Cell<T>,
}

impl<T> Column<T> {
    fn new(
        name: impl Into<String>,
        cell: impl Fn(&Row<'_, T>) -> String + Send + Sync + 'static,
    ) -> Self {
        Column {
            name: name.into(),
            cell: Box::new(cell),
        }
    }

    /// The header.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cell of `row`.
    pub fn cell(&self, row: &Row<'_, T>) -> String {
        (self.cell)(row)
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

fn opt_n(v: Option<u64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The two columns that head `metrics.csv` and `peers.csv`.
fn run_columns<T>() -> Vec<Column<T>> {
    vec![
        Column::new("scenario", |r: &Row<'_, T>| r.scenario.name.clone()),
        Column::new("seed", |r: &Row<'_, T>| r.scenario.seed.to_string()),
    ]
}

/// `metrics.csv`: one row per sample; packets and bytes sent since the previous sample, by kind;
/// with `dialer` (the scenario runs `protocol.dialer`) the dialers' columns, which a run without
/// it does not write, so that its files stay as they were before the dialer existed.
pub fn metric_columns(dialer: bool) -> Vec<Column<Sample>> {
    let mut c = run_columns();
    c.extend([
        Column::new("t", |r: &Row<'_, Sample>| r.item.t.to_string()),
        Column::new("live_peers", |r: &Row<'_, Sample>| {
            r.item.live_peers.to_string()
        }),
        Column::new("init_done", |r: &Row<'_, Sample>| {
            r.item.init_done.to_string()
        }),
        Column::new("mean_table_size", |r: &Row<'_, Sample>| {
            r.item.mean_table_size.to_string()
        }),
        Column::new("dead_entry_share", |r: &Row<'_, Sample>| {
            r.item.dead_entry_share.to_string()
        }),
        Column::new("mean_recall", |r: &Row<'_, Sample>| {
            r.item.mean_recall.to_string()
        }),
        Column::new("converged_share", |r: &Row<'_, Sample>| {
            r.item.converged_share.to_string()
        }),
        Column::new("mean_ideal_fill", |r: &Row<'_, Sample>| {
            r.item.mean_ideal_fill.to_string()
        }),
        Column::new("mean_db_records", |r: &Row<'_, Sample>| {
            r.item.mean_db_records.to_string()
        }),
        Column::new("db_stale_share", |r: &Row<'_, Sample>| {
            r.item.db_stale_share.to_string()
        }),
        Column::new("records_expired", |r: &Row<'_, Sample>| {
            r.item.records_expired.to_string()
        }),
    ]);
    for k in PacketKind::ALL {
        let i = k.index();
        c.push(Column::new(
            format!("packets_{}", k.name()),
            move |r: &Row<'_, Sample>| r.item.packets[i].to_string(),
        ));
    }
    for k in PacketKind::ALL {
        let i = k.index();
        c.push(Column::new(
            format!("bytes_{}", k.name()),
            move |r: &Row<'_, Sample>| r.item.bytes[i].to_string(),
        ));
    }
    if dialer {
        type R<'a> = Row<'a, Sample>;
        c.extend([
            Column::new("mean_peers", |r: &R<'_>| r.item.dial.mean_peers.to_string()),
            Column::new("no_peer_share", |r: &R<'_>| {
                r.item.dial.no_peer_share.to_string()
            }),
            Column::new("dialer_lookups", |r: &R<'_>| {
                r.item.dial.lookups.to_string()
            }),
        ]);
    }
    c
}

/// `probes.csv`: one row per probe lookup.
pub fn probe_columns() -> Vec<Column<ProbeOutcome>> {
    type R<'a> = Row<'a, ProbeOutcome>;
    vec![
        Column::new("id", |r: &R<'_>| r.item.id.to_string()),
        Column::new("origin", |r: &R<'_>| r.item.origin.to_string()),
        Column::new("started", |r: &R<'_>| r.item.started.to_string()),
        Column::new("duration", |r: &R<'_>| {
            r.item.duration.as_secs_f64().to_string()
        }),
        Column::new("success", |r: &R<'_>| r.item.success.to_string()),
        Column::new("hops", |r: &R<'_>| opt_n(r.item.hops.map(u64::from))),
        Column::new("queries", |r: &R<'_>| r.item.queries.to_string()),
    ]
}

/// `peers.csv`: one row per bootstrap episode (a join, return, restart, fresh install or
/// upgrade); with `dialer`, the dialer's columns (empty cells for an episode without one).
pub fn peer_columns(dialer: bool) -> Vec<Column<Episode>> {
    type R<'a> = Row<'a, Episode>;
    let mut c = run_columns();
    c.extend([
        Column::new("slot", |r: &R<'_>| r.item.slot.to_string()),
        Column::new("kind", |r: &R<'_>| r.item.kind.name().to_string()),
        Column::new("at", |r: &R<'_>| r.item.at.to_string()),
        Column::new("downtime", |r: &R<'_>| opt(r.item.downtime)),
        Column::new("db_records", |r: &R<'_>| {
            opt_n(r.item.db_records.map(|n| n as u64))
        }),
        Column::new("version_flushed", |r: &R<'_>| {
            r.item.version_flushed.to_string()
        }),
        Column::new("seeds_tried", |r: &R<'_>| r.item.seeds_tried.to_string()),
        Column::new("seeds_alive", |r: &R<'_>| r.item.seeds_alive.to_string()),
        Column::new("seeds_kept", |r: &R<'_>| r.item.seeds_kept.to_string()),
        Column::new("init_seconds", |r: &R<'_>| opt(r.item.init_seconds)),
        Column::new("recall_seconds", |r: &R<'_>| opt(r.item.recall_seconds)),
        Column::new("fill_seconds", |r: &R<'_>| opt(r.item.fill_seconds)),
        Column::new("packets_to_recall", |r: &R<'_>| {
            opt_n(r.item.packets_to_recall)
        }),
        Column::new("packets_to_fill", |r: &R<'_>| opt_n(r.item.packets_to_fill)),
        Column::new("ended", |r: &R<'_>| opt(r.item.ended)),
        Column::new("records_expired", |r: &R<'_>| {
            r.item.records_expired.to_string()
        }),
        Column::new("packets_sent", |r: &R<'_>| r.item.packets_sent.to_string()),
    ]);
    if dialer {
        let dial = |f: fn(&DialEpisode) -> String| {
            move |r: &R<'_>| r.item.dial.as_ref().map(f).unwrap_or_default()
        };
        c.extend([
            Column::new("first_peer_seconds", dial(|d| opt(d.first_peer_seconds))),
            Column::new("half_peers_seconds", dial(|d| opt(d.half_peers_seconds))),
            Column::new("full_peers_seconds", dial(|d| opt(d.full_peers_seconds))),
            Column::new("dialer_lookups", dial(|d| d.lookups.to_string())),
            Column::new("dials", dial(|d| d.dials.to_string())),
            Column::new("dials_failed", dial(|d| d.dials_failed.to_string())),
        ]);
    }
    c
}

/// Writes `items` as a CSV with `columns`.
pub(crate) fn write_rows<T>(
    w: &mut csv::Writer<std::fs::File>,
    columns: &[Column<T>],
    scenario: &Scenario,
    items: &[T],
) -> csv::Result<()> {
    w.write_record(columns.iter().map(Column::name))?;
    for item in items {
        let row = Row { scenario, item };
        w.write_record(columns.iter().map(|c| c.cell(&row)))?;
    }
    Ok(())
}
