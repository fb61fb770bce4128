//! Experiments: scenario files, results on disk, charts, benchmarks and validation against
//! real geth. This is the layer the command line drives.
//!
//! - [`scenario`]: scenario files (TOML), overrides and sweeps.
//! - [`columns`]: the column schema of the results CSVs, shared by writing and reading.
//! - [`report`]: results folders (CSV, JSON), replaced atomically.
//! - [`sweep_csv`]: `sweep.csv`, a sweep's table of runs: written, merged from slices, read back.
//! - [`baseline`]: `discsim check`'s baseline summary and tolerances.
//! - [`results_dir`]: one writer per results folder, atomic replacement, cleanup on signals.
//! - [`sweep`]: a scenario's grid of variants run on a pool of threads, sliced over machines.
//! - [`plot`]: charts drawn from those folders.
//! - [`budget`]: the memory and events a run will need, checked before it starts.
//! - [`benchmark`]: wall-clock and memory measurement for `bench`.
//! - [`validate`]: discsim against figures measured by running real geth.

pub mod baseline;
pub mod benchmark;
pub mod budget;
pub mod columns;
pub mod plot;
pub mod report;
pub mod results_dir;
pub mod scenario;
pub mod sweep;
pub mod sweep_csv;
pub mod validate;
