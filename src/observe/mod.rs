//! The observer: what is true of the network at an instant, and what the peers' tables and
//! databases know of it. It reads peers' state between events and never changes it.
//!
//! - [`truth`]: the ground truth (who is online, each node's true closest set).
//! - [`snapshot`]: what the observer reads of a slot between windows.
//! - [`metrics`]: recall, fill, convergence, episodes, measured against the truth.

pub mod metrics;
pub mod snapshot;
pub mod truth;
