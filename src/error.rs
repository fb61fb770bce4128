//! One error type for everything the library can refuse or fail at, and the one question the
//! command line asks of it: is this the user's input (exit code 2, nothing written) or a
//! failure of the run (exit code 1)?
//!
//! Each layer keeps its own precise error type (a scenario error names the file and key, a
//! merge error the slice); [`Error`] gathers them so that the binary classifies an error by
//! asking it, never by guessing its type.
//!
//! ```
//! use discsim::Error;
//! let e = Error::BadInput("invalid --hours 0: a positive number".into());
//! assert!(e.is_bad_input());
//! assert_eq!(e.exit_code(), 2);
//! ```

use crate::experiment::plot::PlotError;
use crate::experiment::report::ReportError;
use crate::experiment::scenario::ScenarioError;
use crate::experiment::sweep_csv::MergeError;
use crate::experiment::validate::ValidateError;
use crate::sim::engine::SimError;

/// Anything a discsim command can stop on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file or `--set` override that cannot be used: always bad input.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A configuration the engine refuses (bad input) or a simulation thread that failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// A result file that could not be written: never bad input.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Sweep slices that cannot be merged; missing or inconsistent slices are bad input.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// Results that are missing or malformed (bad input), or files that cannot be read or
    /// written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A validation that could not be done; a bad option or scenario is bad input.
    #[error(transparent)]
    Validate(#[from] ValidateError),
    /// A command-line value out of range, or a folder that is not what the command needs.
    #[error("{0}")]
    BadInput(String),
    /// The run worked and found something wrong: a regression (`check`) or figures beyond the
    /// tolerance of real geth (`validate`).
    #[error("{0}")]
    Finding(String),
    /// Something that is neither the user's input nor a finding (a database that fails to open
    /// in `demo`, say).
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// Whether the user's input is at fault: a scenario, trace, baseline, slice, results folder or
    /// command-line value that cannot be used. The command then exits with 2 and writes nothing.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Scenario(_) | Error::BadInput(_) => true,
            Error::Sim(e) => matches!(e, SimError::Invalid { .. }),
            Error::Merge(e) => e.is_bad_input(),
            Error::Plot(e) => e.is_bad_input(),
            Error::Validate(e) => e.is_bad_input(),
            Error::Report(_) | Error::Finding(_) | Error::Failed(_) => false,
        }
    }

    /// The process exit code: 2 for bad input, 1 for anything else (0 is success).
    pub fn exit_code(&self) -> u8 {
        if self.is_bad_input() {
            2
        } else {
            1
        }
    }
}
