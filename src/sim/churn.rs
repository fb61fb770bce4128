//! Churn: when peers leave and come back, drawn from session and downtime distributions.
//!
//! Measured peer-to-peer sessions are heavy-tailed (Weibull shapes of 0.34–0.59 in BitTorrent,
//! Weibull in Kad), so the lifetime models of OverSim are offered: exponential, Weibull, Pareto,
//! log-normal, plus a constant for controlled experiments. A churning peer alternates a session
//! (online) and a downtime (offline); when it comes back it either restarts with its node database
//! kept (the default) or is replaced by a fresh install (empty database, new identity), in the
//! configured share. Every draw comes from the peer's own schedule stream, so a peer's churn does
//! not depend on how many other peers there are.

use std::time::Duration;

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Pareto, Weibull};
use serde::{Deserialize, Serialize};

use crate::sim::clock::human_duration as dur;

/// A distribution of durations (in a scenario file: `kind = "exponential"` with `mean`, and so
/// on).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DurationDist {
    /// Always `value`: for controlled experiments.
    Constant {
        /// The duration every draw returns.
        #[serde(with = "dur")]
        value: Duration,
    },
    /// Exponential (memoryless) with mean `mean`: the classic, light-tailed model.
    Exponential {
        /// The mean; the rate is its inverse.
        #[serde(with = "dur")]
        mean: Duration,
    },
    /// Weibull with scale `scale` and shape `shape` (below 1: heavy-tailed).
    Weibull {
        /// λ: about 63% of draws fall below it, whatever the shape.
        #[serde(with = "dur")]
        scale: Duration,
        /// k, positive; 1 is the exponential, measured P2P sessions are 0.34–0.59.
        shape: f64,
    },
    /// Pareto with minimum `scale` and tail index `shape`.
    Pareto {
        /// The smallest duration drawn.
        #[serde(with = "dur")]
        scale: Duration,
        /// α, positive; at or below 1 the mean is infinite (draws are capped at a year).
        shape: f64,
    },
    /// Log-normal: `ln` of a draw is normal with mean `ln(median)` and deviation `sigma`.
    LogNormal {
        /// The median draw, `exp(μ)`.
        #[serde(with = "dur")]
        median: Duration,
        /// σ of the underlying normal, at least 0 (0: always `median`).
        sigma: f64,
    },
}

impl DurationDist {
    /// Checks the parameters; the message says what is allowed.
    pub fn validate(&self) -> Result<(), String> {
        let positive = |d: Duration, what: &str| {
            if d.is_zero() {
                Err(format!("{what} must be more than 0"))
            } else {
                Ok(())
            }
        };
        let shape = |s: f64| {
            if s.is_finite() && s > 0.0 {
                Ok(())
            } else {
                Err(format!("shape must be a positive number (got {s})"))
            }
        };
        match *self {
            DurationDist::Constant { value } => positive(value, "value"),
            DurationDist::Exponential { mean } => positive(mean, "mean"),
            DurationDist::Weibull { scale, shape: s }
            | DurationDist::Pareto { scale, shape: s } => {
                positive(scale, "scale")?;
                shape(s)
            }
            DurationDist::LogNormal { median, sigma } => {
                positive(median, "median")?;
                if sigma.is_finite() && sigma >= 0.0 {
                    Ok(())
                } else {
                    Err(format!("sigma must be a number at least 0 (got {sigma})"))
                }
            }
        }
    }

    /// One draw, at least a millisecond and at most a year (a heavy tail must not overflow the
    /// clock).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        let secs = match *self {
            DurationDist::Constant { value } => value.as_secs_f64(),
            DurationDist::Exponential { mean } => Exp::new(1.0 / mean.as_secs_f64())
                .map(|d| d.sample(rng))
                .unwrap_or(0.0),
            DurationDist::Weibull { scale, shape } => Weibull::new(scale.as_secs_f64(), shape)
                .map(|d| d.sample(rng))
                .unwrap_or(0.0),
            DurationDist::Pareto { scale, shape } => Pareto::new(scale.as_secs_f64(), shape)
                .map(|d| d.sample(rng))
                .unwrap_or(0.0),
            DurationDist::LogNormal { median, sigma } => {
                LogNormal::new(median.as_secs_f64().ln(), sigma)
                    .map(|d| d.sample(rng))
                    .unwrap_or(0.0)
            }
        };
        Duration::from_secs_f64(secs.clamp(0.001, 365.0 * 86400.0))
    }
}

/// Who churns, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChurnConfig {
    /// Share of non-bootnode peers that churn (0: no churn).
    pub share: f64,
    /// Time online before leaving.
    pub session: DurationDist,
    /// Time offline before coming back.
    pub downtime: DurationDist,
    /// Share of returns that are fresh installs (empty database, new identity).
    pub fresh_share: f64,
    /// No peer leaves before this offset from the start (a warm-up).
    #[serde(with = "dur")]
    pub start_after: Duration,
    /// A CSV trace of sessions (see [`read_trace`]), relative to the scenario file: the peers it
    /// names join and leave as it says instead of by the join schedule and the distributions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<std::path::PathBuf>,
    /// The sessions read from `trace` (filled in by [`crate::experiment::scenario::Scenario::load`]).
    #[serde(skip)]
    pub sessions: Vec<TraceSession>,
}

/// One session of a traced peer: online from `join` until `leave` (or the end of the run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSession {
    /// The slot, below the scenario's `peers`.
    pub peer: u32,
    /// When the session starts, as an offset from the start of the run.
    pub join: Duration,
    /// When it ends, as an offset from the start; `None` runs to the end of the run.
    pub leave: Option<Duration>,
    /// Come back as a fresh install (empty database, new identity); ignored for a peer's first
    /// session.
    pub fresh: bool,
}

/// A trace that cannot be used: the line (1 is the header) and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TraceError {
    /// The CSV line, 1-based; line 1 is the header.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

/// Reads a churn trace: CSV with a header `peer,join,leave` and optionally `fresh`, one row per
/// session. `peer` is a slot below `peers`; `join` and `leave` are offsets from the start, in
/// seconds (`90`, `12.5`) or as durations (`"1h 30m"`); an empty `leave` means until the end.
/// A peer's sessions must not overlap (their order in the file does not matter). A peer the
/// trace names is offline until its first session.
///
/// ```
/// let csv = "peer,join,leave,fresh\n5,0,1h,\n5,2h,,true\n7,30,600,\n";
/// let s = discsim::sim::churn::read_trace(csv.as_bytes(), 10).unwrap();
/// assert_eq!(s.len(), 3);
/// assert_eq!(s[1].join.as_secs(), 7200);
/// assert!(s[1].fresh && s[1].leave.is_none());
/// assert!(discsim::sim::churn::read_trace("peer,join,leave\n12,0,5\n".as_bytes(), 10).is_err());
/// ```
pub fn read_trace(input: impl std::io::Read, peers: u32) -> Result<Vec<TraceSession>, TraceError> {
    let err = |line: u64, message: String| TraceError { line, message };
    let line_now = std::rc::Rc::new(std::cell::Cell::new(1u64));
    let bounded = BoundedLines {
        inner: input,
        in_line: 0,
        line: line_now.clone(),
    };
    // An I/O error (a line past the bound among them) at the line being read.
    let io_err = |e: &csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) => Some(err(line_now.get(), io.to_string())),
        _ => None,
    };
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bounded);
    let header = r
        .headers()
        .map_err(|e| io_err(&e).unwrap_or_else(|| err(1, format!("cannot read the header: {e}"))))?
        .clone();
    let cols = TraceColumns::of(&header)?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            io_err(&e).unwrap_or_else(|| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, e.to_string())
            })
        })?;
        if out.len() >= MAX_TRACE_SESSIONS {
            return Err(err(
                line_now.get(),
                format!("more than {MAX_TRACE_SESSIONS} sessions: split the experiment"),
            ));
        }
        let line = rec.position().map_or(0, |p| p.line());
        out.push((line, cols.session(&rec, line, peers)?));
    }
    if out.is_empty() {
        return Err(err(1, "the trace has no sessions".into()));
    }
    // Stable by peer then join, so overlaps are neighbours.
    out.sort_by_key(|(_, s)| (s.peer, s.join));
    for w in out.windows(2) {
        let ((_, a), (line, b)) = (&w[0], &w[1]);
        if a.peer == b.peer && a.leave.is_none_or(|l| l > b.join) {
            return Err(err(
                *line,
                format!(
                    "peer {} is already online at {:?} (sessions overlap)",
                    b.peer, b.join
                ),
            ));
        }
    }
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// Where a trace's columns are: `peer`, `join` and `leave` required, `fresh` optional, nothing
/// else.
struct TraceColumns {
    peer: usize,
    join: usize,
    leave: usize,
    fresh: Option<usize>,
}

impl TraceColumns {
    fn of(header: &csv::StringRecord) -> Result<TraceColumns, TraceError> {
        let err = |message: String| TraceError { line: 1, message };
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(peer), Some(join), Some(leave)) = (col("peer"), col("join"), col("leave")) else {
            return Err(err(format!(
                "the header must name the columns peer, join, leave (and optionally fresh); found {:?}",
                header.iter().collect::<Vec<_>>()
            )));
        };
        if let Some(other) = header
            .iter()
            .find(|h| !["peer", "join", "leave", "fresh"].contains(h))
        {
            return Err(err(format!(
                "unknown column `{other}`: allowed are peer, join, leave, fresh"
            )));
        }
        Ok(TraceColumns {
            peer,
            join,
            leave,
            fresh: col("fresh"),
        })
    }

    /// The session a row at `line` describes, for a network of `peers` slots.
    fn session(
        &self,
        rec: &csv::StringRecord,
        line: u64,
        peers: u32,
    ) -> Result<TraceSession, TraceError> {
        let err = |message: String| TraceError { line, message };
        let field = |c: usize| rec.get(c).unwrap_or("");
        let peer = field(self.peer)
            .parse::<u32>()
            .ok()
            .filter(|p| *p < peers)
            .ok_or_else(|| {
                err(format!(
                    "`peer` = {:?}: expected a peer slot from 0 to {}",
                    field(self.peer),
                    peers.saturating_sub(1)
                ))
            })?;
        let join = trace_time(line, "join", field(self.join))?;
        let leave = match field(self.leave) {
            "" => None,
            v => Some(trace_time(line, "leave", v)?),
        };
        if leave.is_some_and(|l| l <= join) {
            return Err(err("`leave` must come after `join`".into()));
        }
        let fresh = match self.fresh.map(field).unwrap_or("") {
            "" | "false" => false,
            "true" => true,
            v => {
                return Err(err(format!(
                    "`fresh` = {v:?}: expected true, false or nothing"
                )))
            }
        };
        Ok(TraceSession {
            peer,
            join,
            leave,
            fresh,
        })
    }
}

/// A trace time: seconds (`90`, `12.5`) or a duration (`1h 30m`).
fn trace_time(line: u64, what: &str, v: &str) -> Result<Duration, TraceError> {
    let parsed = match v.parse::<f64>() {
        // `try_from` refuses what a Duration cannot hold (1e30 s) instead of panicking.
        Ok(x) if x.is_finite() && x >= 0.0 => Duration::try_from_secs_f64(x).ok(),
        Ok(_) => None,
        Err(_) => humantime::parse_duration(v).ok(),
    };
    parsed.ok_or_else(|| TraceError {
        line,
        message: format!(
            "`{what}` = {v:?}: expected seconds (like 90 or 12.5) or a duration (like 1h 30m)"
        ),
    })
}

/// The longest line a trace may have, in bytes (a header or row is a few dozen).
pub const MAX_TRACE_LINE: usize = 4096;

/// The most sessions a trace may list.
pub const MAX_TRACE_SESSIONS: usize = 10_000_000;

/// A reader that fails on a line longer than [`MAX_TRACE_LINE`] (a binary file, `/dev/zero`)
/// instead of buffering it whole, and counts lines for the error.
struct BoundedLines<R> {
    inner: R,
    in_line: usize,
    line: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for BoundedLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            if b == b'\n' {
                self.in_line = 0;
                self.line.set(self.line.get() + 1);
            } else {
                self.in_line += 1;
                if self.in_line > MAX_TRACE_LINE {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a line longer than {MAX_TRACE_LINE} bytes: not a churn trace (CSV with a header peer,join,leave)"),
                    ));
                }
            }
        }
        Ok(n)
    }
}

impl Default for ChurnConfig {
    /// No churn; when switched on, OverSim's default means of 10,000 s online and offline.
    fn default() -> Self {
        ChurnConfig {
            share: 0.0,
            session: DurationDist::Exponential {
                mean: Duration::from_secs(10_000),
            },
            downtime: DurationDist::Exponential {
                mean: Duration::from_secs(10_000),
            },
            fresh_share: 0.0,
            start_after: Duration::ZERO,
            trace: None,
            sessions: Vec::new(),
        }
    }
}

/// One change of a churning peer, at an offset from the start of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChurnEvent {
    /// The peer goes offline; queued packets are lost and its database stays on disk.
    Leave,
    /// Back with its database kept.
    Return,
    /// Back as a fresh install.
    FreshReturn,
}

impl ChurnConfig {
    /// Checks the knobs; errors name the key under `churn`.
    pub fn validate(&self) -> Result<(), String> {
        for (key, v) in [("share", self.share), ("fresh_share", self.fresh_share)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "invalid `churn.{key}`: a fraction in [0, 1] (got {v})"
                ));
            }
        }
        if self.trace.is_some() && self.sessions.is_empty() {
            return Err(
                "`churn.trace` is set but was not read: load the scenario with Scenario::load, or fill `churn.sessions` with churn::read_trace".into(),
            );
        }
        self.session
            .validate()
            .map_err(|e| format!("invalid `churn.session`: {e}"))?;
        self.downtime
            .validate()
            .map_err(|e| format!("invalid `churn.downtime`: {e}"))
    }

    /// The churn of one peer that joined at `joined` (offsets from the start), up to `end`:
    /// `None` if the peer does not churn. `rng` must be the peer's own schedule stream.
    pub fn schedule<R: Rng + ?Sized>(
        &self,
        joined: Duration,
        end: Duration,
        rng: &mut R,
    ) -> Vec<(Duration, ChurnEvent)> {
        let mut out = Vec::new();
        if self.share <= 0.0 || rand::RngExt::random::<f64>(rng) >= self.share {
            return out;
        }
        let mut t = joined.max(self.start_after);
        loop {
            t += self.session.sample(rng);
            if t >= end {
                break;
            }
            out.push((t, ChurnEvent::Leave));
            t += self.downtime.sample(rng);
            if t >= end {
                break;
            }
            let fresh = rand::RngExt::random::<f64>(rng) < self.fresh_share;
            out.push((
                t,
                if fresh {
                    ChurnEvent::FreshReturn
                } else {
                    ChurnEvent::Return
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn mean_secs(d: DurationDist, n: usize) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        (0..n)
            .map(|_| d.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / n as f64
    }

    #[test]
    fn distributions_have_their_means() {
        let s = Duration::from_secs;
        let m = mean_secs(DurationDist::Exponential { mean: s(100) }, 20_000);
        assert!((m - 100.0).abs() < 3.0, "{m}");
        // Weibull mean = scale * Γ(1 + 1/shape); shape 1 is exponential.
        let m = mean_secs(
            DurationDist::Weibull {
                scale: s(100),
                shape: 1.0,
            },
            20_000,
        );
        assert!((m - 100.0).abs() < 3.0, "{m}");
        // Pareto mean = scale * shape / (shape - 1) = 150 for shape 3.
        let m = mean_secs(
            DurationDist::Pareto {
                scale: s(100),
                shape: 3.0,
            },
            20_000,
        );
        assert!((m - 150.0).abs() < 5.0, "{m}");
        // Log-normal median.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut v: Vec<f64> = (0..10_001)
            .map(|_| {
                DurationDist::LogNormal {
                    median: s(60),
                    sigma: 1.0,
                }
                .sample(&mut rng)
                .as_secs_f64()
            })
            .collect();
        v.sort_by(f64::total_cmp);
        assert!((v[5000] - 60.0).abs() < 3.0, "{}", v[5000]);
        assert_eq!(mean_secs(DurationDist::Constant { value: s(7) }, 10), 7.0);
    }

    #[test]
    fn schedules_alternate_and_respect_share_and_warmup() {
        let cfg = ChurnConfig {
            share: 0.5,
            session: DurationDist::Constant {
                value: Duration::from_secs(100),
            },
            downtime: DurationDist::Constant {
                value: Duration::from_secs(50),
            },
            fresh_share: 0.5,
            start_after: Duration::from_secs(1000),
            ..ChurnConfig::default()
        };
        let end = Duration::from_secs(2000);
        let mut churning = 0;
        let mut fresh = 0;
        for peer in 0..400u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(peer);
            let s = cfg.schedule(Duration::from_secs(10), end, &mut rng);
            if s.is_empty() {
                continue;
            }
            churning += 1;
            assert_eq!(s[0], (Duration::from_secs(1100), ChurnEvent::Leave));
            for (i, (t, e)) in s.iter().enumerate() {
                assert!(*t < end);
                assert_eq!(*e == ChurnEvent::Leave, i % 2 == 0);
                fresh += (*e == ChurnEvent::FreshReturn) as usize;
            }
            // Leaves at 1100, 1250, ..., 1850; returns at 1150, ..., 1900; the next leave would
            // fall on the end.
            assert_eq!(s.len(), 12);
        }
        assert!((160..240).contains(&churning), "{churning}");
        assert!(fresh > churning); // about half of six returns each
                                   // Same stream, same schedule.
        let a = cfg.schedule(Duration::ZERO, end, &mut ChaCha8Rng::seed_from_u64(5));
        let b = cfg.schedule(Duration::ZERO, end, &mut ChaCha8Rng::seed_from_u64(5));
        assert_eq!(a, b);
    }

    #[test]
    fn invalid_parameters_are_named() {
        let mut cfg = ChurnConfig {
            share: 1.5,
            ..ChurnConfig::default()
        };
        assert!(cfg.validate().unwrap_err().contains("churn.share"));
        cfg.share = 0.5;
        cfg.session = DurationDist::Weibull {
            scale: Duration::from_secs(1),
            shape: -1.0,
        };
        assert!(cfg.validate().unwrap_err().contains("churn.session"));
    }
}
