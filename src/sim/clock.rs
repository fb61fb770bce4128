//! Virtual time.
//!
//! Every instant in discsim is a [`SimTime`]: microseconds since the Unix epoch on a *virtual* clock
//! that only the engine advances. Nothing reads the wall clock, so a run is a pure function of its
//! scenario and seed. Absolute Unix time (rather than "time since start") matters because the node
//! database stores Unix seconds and treats a missing timestamp as the Unix epoch: a simulation that
//! started at Unix 0 would see every never-ponged record as fresh.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// An instant on the virtual clock, in microseconds since the Unix epoch.
///
/// ```
/// use discsim::sim::clock::SimTime;
/// use std::time::Duration;
/// let t = SimTime::from_unix_secs(1_530_576_000);
/// assert_eq!((t + Duration::from_millis(1500)).unix_secs(), 1_530_576_001);
/// assert_eq!((t + Duration::from_secs(5)) - t, Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The default start of a simulation: 2018-07-03 00:00:00 UTC, the day of the geth
    /// version ("2018b") whose node database discsim models.
    pub const DEFAULT_EPOCH: SimTime = SimTime(1_530_576_000 * 1_000_000);

    /// An instant from whole Unix seconds.
    pub const fn from_unix_secs(secs: u64) -> Self {
        SimTime(secs * 1_000_000)
    }

    /// An instant from Unix microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        SimTime(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole Unix seconds, truncated, as geth's `time.Time.Unix()` gives them.
    pub const fn unix_secs(self) -> i64 {
        (self.0 / 1_000_000) as i64
    }

    /// `self - d`, saturating at the Unix epoch.
    pub fn saturating_sub(self, d: Duration) -> SimTime {
        SimTime(self.0.saturating_sub(d.as_micros() as u64))
    }

    /// The time elapsed since `earlier`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    /// Seconds elapsed since `earlier` (zero if later), as the double nearest the exact
    /// microsecond count, so that results print as `1.853708` rather than `1.8537080000000001`.
    ///
    /// ```
    /// use discsim::sim::clock::SimTime;
    /// use std::time::Duration;
    /// let t = SimTime::DEFAULT_EPOCH;
    /// assert_eq!((t + Duration::from_micros(1_853_708)).secs_since(t), 1.853708);
    /// ```
    pub fn secs_since(self, earlier: SimTime) -> f64 {
        self.0.saturating_sub(earlier.0) as f64 / 1e6
    }
}

impl Add<Duration> for SimTime {
    type Output = SimTime;
    fn add(self, d: Duration) -> SimTime {
        SimTime(self.0 + d.as_micros() as u64)
    }
}

impl AddAssign<Duration> for SimTime {
    fn add_assign(&mut self, d: Duration) {
        self.0 += d.as_micros() as u64;
    }
}

impl Sub<Duration> for SimTime {
    type Output = SimTime;
    /// Saturates at the Unix epoch.
    fn sub(self, d: Duration) -> SimTime {
        self.saturating_sub(d)
    }
}

impl Sub for SimTime {
    type Output = Duration;
    /// Panics in debug builds if `rhs` is later; use [`SimTime::saturating_since`] when unsure.
    fn sub(self, rhs: SimTime) -> Duration {
        Duration::from_micros(self.0 - rhs.0)
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Serde for [`Duration`]s as people write them in scenario files: `"500ms"`, `"30s"`, `"5m"`,
/// `"1h"`, `"5days"` (use with `#[serde(with = "crate::sim::clock::human_duration")]`).
pub mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `d` as humantime does, largest unit first (`"1h 30m"`), so it reads back exactly.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    /// Parses a humantime string; an error quotes it and shows the accepted forms.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{s}` is not a duration ({e}); write one like \"500ms\", \"30s\", \"5m\", \"1h\""
            ))
        })
    }
}

/// Serde for an optional [`Duration`] written like [`human_duration`]; `None` is left out of the
/// file (use with `#[serde(default, skip_serializing_if = "Option::is_none", with = ...)]`).
pub mod human_duration_opt {
    use std::time::Duration;

    use serde::{Deserializer, Serializer};

    /// Writes `Some` as [`human_duration`](super::human_duration) does, `None` as serde's none
    /// (normally skipped).
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::human_duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// A present key is always `Some`; an absent one takes the field's `#[serde(default)]`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::human_duration::deserialize(d).map(Some)
    }
}
