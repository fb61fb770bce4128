//! The binary's commands, behind `main.rs`'s argument parser. Each reads its arguments, calls the
//! library, and prints; what a test needs to reach lives in the library, not here.

pub(crate) mod bench;
pub(crate) mod results;
pub(crate) mod runs;

/// The binary's errors are the library's: each knows its exit code.
pub(crate) type Result<T> = std::result::Result<T, discsim::Error>;
