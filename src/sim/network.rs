//! The network model: how long a packet takes, whether it arrives, which address a peer has,
//! and which packets a NAT lets in.
//!
//! Everything here is sans-IO and cheap to call per packet. A simulated network has O(n²) links,
//! so no per-link state is ever stored: a link's latency is a pure function of the run seed and
//! the two peer indices. The only per-packet randomness (loss and jitter) comes from the
//! *sender's* own random stream, so a run stays reproducible however peers are spread over
//! threads.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::time::Duration;

use rand::{Rng, RngExt};

use crate::sim::clock::SimTime;
use crate::sim::rng::{self, derive, unit, unit_open0};

/// The shortest latency a model may produce. The engine uses [`LatencyModel::min_latency`] as
/// its lookahead window, and a zero-width window would stall it.
pub const MIN_LATENCY: Duration = Duration::from_millis(1);

/// The longest delay any setting may ask for, and the cap on log-normal tails. Any delay this
/// long exceeds every discv4 timeout, so capping changes no outcome; it keeps the arithmetic in
/// `u64` nanoseconds and the virtual clock far from overflow.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// A network setting that cannot be simulated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// `field` names the setting as a user spells it; `allowed` says what it may be.
    #[error("invalid network setting `{field}` = {got}: {allowed}")]
    Invalid {
        /// The setting, e.g. `latency.median` or `ip_layout.base`.
        field: &'static str,
        /// The value given, in `Debug` form.
        got: String,
        /// What it may be.
        allowed: String,
    },
}

fn invalid(field: &'static str, got: impl fmt::Debug, allowed: impl Into<String>) -> NetworkError {
    NetworkError::Invalid {
        field,
        got: format!("{got:?}"),
        allowed: allowed.into(),
    }
}

fn check_delay(field: &'static str, d: Duration) -> Result<(), NetworkError> {
    if d < MIN_LATENCY || d > MAX_DELAY {
        return Err(invalid(
            field,
            d,
            format!("must lie between {MIN_LATENCY:?} and {MAX_DELAY:?}"),
        ));
    }
    Ok(())
}

fn check_probability(field: &'static str, p: f64) -> Result<(), NetworkError> {
    // The negated form also rejects NaN.
    if !(0.0..=1.0).contains(&p) {
        return Err(invalid(field, p, "must be a fraction in [0, 1]"));
    }
    Ok(())
}

/// `d` as whole nanoseconds; every validated delay fits.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The one-way latency of a link, before per-packet jitter.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "LatencySpec", into = "LatencySpec")]
pub enum LatencyModel {
    /// Every link has the same latency.
    Constant(Duration),
    /// Link latencies spread evenly over `[min, max)`.
    Uniform {
        /// The shortest link latency, and the engine's lookahead window.
        min: Duration,
        /// The bound no link reaches; at least `min`.
        max: Duration,
    },
    /// Link latencies spread like measured internet RTTs: a log-normal around `median` with
    /// shape `sigma`, never below `min` (the speed of light does not negotiate).
    LogNormal {
        /// The median link latency, `exp(μ)`; at least `min`.
        median: Duration,
        /// σ of `ln(latency)`, at least 0; 0 gives every link `median`.
        sigma: f64,
        /// The floor every link latency is raised to, and the engine's lookahead window.
        min: Duration,
    },
}

/// How a latency model is written in a scenario file: `model = "constant" | "uniform" |
/// "log-normal"` beside its parameters.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
enum LatencySpec {
    Constant {
        #[serde(with = "crate::sim::clock::human_duration")]
        value: Duration,
    },
    Uniform {
        #[serde(with = "crate::sim::clock::human_duration")]
        min: Duration,
        #[serde(with = "crate::sim::clock::human_duration")]
        max: Duration,
    },
    LogNormal {
        #[serde(with = "crate::sim::clock::human_duration")]
        median: Duration,
        sigma: f64,
        #[serde(with = "crate::sim::clock::human_duration")]
        min: Duration,
    },
}

impl From<LatencySpec> for LatencyModel {
    fn from(s: LatencySpec) -> Self {
        match s {
            LatencySpec::Constant { value } => LatencyModel::Constant(value),
            LatencySpec::Uniform { min, max } => LatencyModel::Uniform { min, max },
            LatencySpec::LogNormal { median, sigma, min } => {
                LatencyModel::LogNormal { median, sigma, min }
            }
        }
    }
}

impl From<LatencyModel> for LatencySpec {
    fn from(m: LatencyModel) -> Self {
        match m {
            LatencyModel::Constant(value) => LatencySpec::Constant { value },
            LatencyModel::Uniform { min, max } => LatencySpec::Uniform { min, max },
            LatencyModel::LogNormal { median, sigma, min } => {
                LatencySpec::LogNormal { median, sigma, min }
            }
        }
    }
}

impl LatencyModel {
    /// A lower bound on every latency this model produces: no packet can arrive sooner, which is
    /// what lets the engine advance peers independently within that window.
    pub fn min_latency(&self) -> Duration {
        match *self {
            LatencyModel::Constant(d) => d,
            LatencyModel::Uniform { min, .. } => min,
            LatencyModel::LogNormal { min, .. } => min,
        }
    }

    /// Checks that the model can be simulated; the error names the offending knob.
    pub fn validate(&self) -> Result<(), NetworkError> {
        match *self {
            LatencyModel::Constant(d) => check_delay("latency", d),
            LatencyModel::Uniform { min, max } => {
                check_delay("latency.min", min)?;
                check_delay("latency.max", max)?;
                if min > max {
                    return Err(invalid(
                        "latency.max",
                        max,
                        format!("must be at least latency.min ({min:?})"),
                    ));
                }
                Ok(())
            }
            LatencyModel::LogNormal { median, sigma, min } => {
                check_delay("latency.min", min)?;
                check_delay("latency.median", median)?;
                if median < min {
                    return Err(invalid(
                        "latency.median",
                        median,
                        format!("must be at least latency.min ({min:?})"),
                    ));
                }
                if !sigma.is_finite() || sigma < 0.0 {
                    return Err(invalid(
                        "latency.sigma",
                        sigma,
                        "must be a finite number >= 0",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The latency of the link between peers `a` and `b`: the same in both directions and for
    /// the whole run, yet computed afresh each time, because storing O(n²) links is out of the
    /// question.
    ///
    /// ```
    /// use discsim::sim::network::LatencyModel;
    /// use std::time::Duration;
    /// let m = LatencyModel::Uniform { min: Duration::from_millis(10), max: Duration::from_millis(90) };
    /// let d = m.link_latency(7, 3, 12);
    /// assert_eq!(d, m.link_latency(7, 12, 3));
    /// assert!(d >= Duration::from_millis(10) && d < Duration::from_millis(90));
    /// ```
    ///
    /// Log-normal latencies go through `exp`, `ln` and `cos`, which are deterministic on one
    /// platform but may differ in the last bit between math libraries.
    pub fn link_latency(&self, seed: u64, a: u32, b: u32) -> Duration {
        let key = || rng::link_key(seed, a, b);
        match *self {
            LatencyModel::Constant(d) => d,
            LatencyModel::Uniform { min, max } => {
                let span = nanos(max.saturating_sub(min));
                // min + u*(max-min), with u taken as a 64-bit fixed-point fraction: exact, and
                // never reaches max.
                let off = (u128::from(derive(key(), 0)) * u128::from(span)) >> 64;
                min + Duration::from_nanos(off as u64)
            }
            LatencyModel::LogNormal { median, sigma, min } => {
                let k = key();
                // Box–Muller: one standard normal from two uniforms.
                let (u1, u2) = (unit_open0(derive(k, 0)), unit(derive(k, 1)));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let secs = median.as_secs_f64() * (sigma * z).exp();
                let d = if secs.is_finite() && secs < MAX_DELAY.as_secs_f64() {
                    Duration::from_secs_f64(secs)
                } else {
                    MAX_DELAY
                };
                d.max(min)
            }
        }
    }
}

/// Where peers live in IPv4 space: peer `i` gets a fixed address, computed rather than stored.
///
/// The layout decides which of geth's IP limits bite: with one peer per /24 they never do; with
/// many, the table's per-/24 limits start turning peers away.
///
/// ```
/// use discsim::sim::network::IpLayout;
/// use std::net::Ipv4Addr;
/// let l = IpLayout { base: Ipv4Addr::new(11, 0, 0, 0), peers_per_subnet: 3 };
/// assert_eq!(l.ip_of(0), Ipv4Addr::new(11, 0, 0, 1));
/// assert_eq!(l.ip_of(4), Ipv4Addr::new(11, 0, 1, 2));
/// assert_eq!(l.index_of(Ipv4Addr::new(11, 0, 1, 2)), Some(4));
/// assert_eq!(l.index_of(Ipv4Addr::new(11, 0, 1, 4)), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IpLayout {
    /// The first /24; its last octet must be 0. The default, 11.0.0.0, is public, so geth's IP
    /// limits apply (LAN addresses are exempt from them). Counting from 11.0.0.0 with one peer
    /// per /24, addresses reach loopback (127/8) only past 7.6 million peers.
    pub base: Ipv4Addr,
    /// How many peers share one /24, 1..=254 (hosts .1 to .254).
    pub peers_per_subnet: u32,
}

impl Default for IpLayout {
    fn default() -> Self {
        IpLayout {
            base: Ipv4Addr::new(11, 0, 0, 0),
            peers_per_subnet: 1,
        }
    }
}

impl IpLayout {
    /// The base as a number, rounded down to its /24 so the arithmetic holds even unvalidated.
    fn base_u32(&self) -> u32 {
        u32::from(self.base) & !0xff
    }

    /// Checks that the layout is well formed; the error names the offending knob.
    pub fn validate(&self) -> Result<(), NetworkError> {
        if !(1..=254).contains(&self.peers_per_subnet) {
            return Err(invalid(
                "ip_layout.peers_per_subnet",
                self.peers_per_subnet,
                "must lie in 1..=254 (hosts .1 to .254 of a /24)",
            ));
        }
        if self.base.octets()[3] != 0 {
            return Err(invalid(
                "ip_layout.base",
                self.base,
                "must start a /24 (end in .0)",
            ));
        }
        Ok(())
    }

    /// Peer `index`'s address: /24 number `index / peers_per_subnet` counted from `base`, host
    /// `index % peers_per_subnet + 1`.
    ///
    /// # Panics
    /// If `index >= self.capacity()`, or `peers_per_subnet` is 0.
    pub fn ip_of(&self, index: u32) -> Ipv4Addr {
        let pps = self.peers_per_subnet;
        let ip =
            u64::from(self.base_u32()) + u64::from(index / pps) * 256 + u64::from(index % pps + 1);
        let ip = u32::try_from(ip).expect("peer index beyond the IP layout's capacity");
        Ipv4Addr::from(ip)
    }

    /// The peer at `ip`: the exact inverse of [`IpLayout::ip_of`], `None` for addresses the
    /// layout never hands out.
    pub fn index_of(&self, ip: Ipv4Addr) -> Option<u32> {
        let off = u32::from(ip).checked_sub(self.base_u32())?;
        let (subnet, host) = (off >> 8, off & 0xff);
        if host == 0 || host > self.peers_per_subnet {
            return None;
        }
        let index = u64::from(subnet) * u64::from(self.peers_per_subnet) + u64::from(host - 1);
        u32::try_from(index).ok()
    }

    /// How many peers fit before the IPv4 space above `base` runs out.
    pub fn capacity(&self) -> u64 {
        let subnets = ((1u64 << 32) - u64::from(self.base_u32())) / 256;
        subnets * u64::from(self.peers_per_subnet.min(254))
    }
}

/// Everything about the simulated network that is not protocol.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Per-link latency.
    pub latency: LatencyModel,
    /// Extra per-packet delay, uniform in `[0, jitter)`; reorders packets on one link.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub jitter: Duration,
    /// The chance that any one packet is dropped.
    pub loss: f64,
    /// The share of peers behind a NAT (see [`NetworkConfig::behind_nat`]).
    pub nat_fraction: f64,
    /// How long a NAT keeps a mapping open after the last outbound packet on it.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub nat_mapping_timeout: Duration,
    /// Which address each peer has.
    pub ip_layout: IpLayout,
    /// How long each received packet occupies its peer (none by default).
    pub handling: HandlingTime,
}

/// The time a peer spends on each received packet (in geth: recovering the sender's key from the
/// signature, signing a reply), as a serial queue: a packet is handled, and its replies sent,
/// only once the packets before it are done. It spreads peers that would otherwise act in
/// lock-step, and it makes a peer that many address at once (a bootnode) answer late.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandlingTime {
    /// Each packet takes a time drawn uniformly from `[min, max]`.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub min: Duration,
    /// The longest handling time, at least `min` and at most [`MAX_DELAY`]; zero turns the
    /// model off.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub max: Duration,
}

impl HandlingTime {
    /// Whether packets take any time at all.
    pub fn is_zero(&self) -> bool {
        self.max.is_zero()
    }

    /// One packet's handling time.
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        use rand::RngExt;
        let (lo, hi) = (self.min.as_micros() as u64, self.max.as_micros() as u64);
        Duration::from_micros(if hi > lo {
            rng.random_range(lo..=hi)
        } else {
            hi
        })
    }
}

impl Default for NetworkConfig {
    /// A clean network: 50 ms everywhere, nothing lost, nobody behind NAT.
    fn default() -> Self {
        NetworkConfig {
            latency: LatencyModel::Constant(Duration::from_millis(50)),
            jitter: Duration::ZERO,
            loss: 0.0,
            nat_fraction: 0.0,
            nat_mapping_timeout: Duration::from_secs(60),
            ip_layout: IpLayout::default(),
            handling: HandlingTime::default(),
        }
    }
}

impl NetworkConfig {
    /// Checks every knob; the error names the first offending one and what it may be.
    pub fn validate(&self) -> Result<(), NetworkError> {
        self.latency.validate()?;
        if self.handling.min > self.handling.max || self.handling.max > MAX_DELAY {
            return Err(invalid(
                "handling.max",
                self.handling.max,
                format!("must be at least handling.min and at most {MAX_DELAY:?}"),
            ));
        }
        if self.jitter > MAX_DELAY {
            return Err(invalid(
                "jitter",
                self.jitter,
                format!("must be at most {MAX_DELAY:?}"),
            ));
        }
        check_probability("loss", self.loss)?;
        check_probability("nat_fraction", self.nat_fraction)?;
        if self.nat_mapping_timeout.is_zero() || self.nat_mapping_timeout > MAX_DELAY {
            return Err(invalid(
                "nat_mapping_timeout",
                self.nat_mapping_timeout,
                format!("must be positive and at most {MAX_DELAY:?}"),
            ));
        }
        self.ip_layout.validate()
    }

    /// The delay of one packet from `from` to `to`, or `None` if it is lost.
    ///
    /// `rng` must be the sender's own stream: loss is drawn first, then jitter. A knob at zero
    /// draws nothing, so a clean network leaves the sender's stream to the protocol.
    ///
    /// ```
    /// use discsim::sim::network::NetworkConfig;
    /// use rand::SeedableRng;
    /// use std::time::Duration;
    /// let cfg = NetworkConfig::default();
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// assert_eq!(cfg.packet_delay(9, 0, 1, &mut rng), Some(Duration::from_millis(50)));
    /// ```
    pub fn packet_delay<R: Rng + ?Sized>(
        &self,
        seed: u64,
        from: u32,
        to: u32,
        rng: &mut R,
    ) -> Option<Duration> {
        if self.loss > 0.0 && rng.random_bool(self.loss.min(1.0)) {
            return None;
        }
        let mut d = self.latency.link_latency(seed, from, to);
        let jitter = nanos(self.jitter);
        if jitter > 0 {
            d += Duration::from_nanos(rng.random_range(0..jitter));
        }
        Some(d)
    }

    /// Whether peer `index` sits behind a NAT: a fixed draw per peer from the run seed, so a
    /// share of about `nat_fraction` of peers is, with no stored per-peer flag.
    pub fn behind_nat(&self, seed: u64, index: u32) -> bool {
        unit(rng::nat_key(seed, index)) < self.nat_fraction
    }
}

/// A NAT with endpoint-dependent filtering: an inbound packet passes only if the peer behind it
/// sent to that same remote within the mapping timeout. This is what keeps NATed peers out of
/// others' tables: they can ping out, but nobody can ping them back unprompted.
///
/// Mappings are keyed by remote peer, since each simulated peer has exactly one endpoint.
///
/// ```
/// use discsim::sim::clock::SimTime;
/// use discsim::sim::network::Nat;
/// use std::time::Duration;
/// let t = SimTime::DEFAULT_EPOCH;
/// let timeout = Duration::from_secs(60);
/// let mut nat = Nat::new();
/// nat.record_outbound(7, t);
/// assert!(nat.allows_inbound(7, t + Duration::from_secs(30), timeout));
/// assert!(!nat.allows_inbound(8, t, timeout));
/// assert!(!nat.allows_inbound(7, t + timeout, timeout));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nat {
    mappings: BTreeMap<u32, SimTime>,
}

impl Nat {
    /// A NAT with no open mappings.
    pub fn new() -> Self {
        Nat::default()
    }

    /// Opens or refreshes the mapping to `to`.
    pub fn record_outbound(&mut self, to: u32, now: SimTime) {
        let last = self.mappings.entry(to).or_insert(now);
        *last = (*last).max(now);
    }

    /// Whether a packet from `from` gets in: true iff we sent to `from` less than `timeout` ago.
    pub fn allows_inbound(&self, from: u32, now: SimTime, timeout: Duration) -> bool {
        self.mappings
            .get(&from)
            .is_some_and(|&last| now.saturating_since(last) < timeout)
    }

    /// Drops expired mappings, so memory tracks recent traffic rather than all traffic ever.
    pub fn prune(&mut self, now: SimTime, timeout: Duration) {
        self.mappings
            .retain(|_, &mut last| now.saturating_since(last) < timeout);
    }

    /// How many mappings are held, expired or not.
    pub fn len(&self) -> usize {
        self.mappings.len()
    }

    /// Whether no mapping is held.
    pub fn is_empty(&self) -> bool {
        self.mappings.is_empty()
    }
}

#[cfg(test)]
mod tests;
