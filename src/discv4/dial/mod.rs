//! geth's p2p dial scheduler (`p2p/dial.go` and the task loop of `p2p.Server.run`) as a sans-IO
//! state machine, one file per profile like [`crate::discv4::protocol::profile`].
//!
//! A [`Scheduler`] is driven with `(now, input)` calls — a dial ended ([`Scheduler::dial_done`]),
//! a dialer lookup delivered its nodes ([`Scheduler::discover_done`]), a connection passed a
//! handshake checkpoint ([`Scheduler::admit_inbound`]), a peer dropped
//! ([`Scheduler::peer_dropped`]), a timer ([`Scheduler::handle_timers`]) — and after each one it
//! runs one iteration of geth's `scheduleTasks` (geth runs one after every `select` case of
//! `Server.run`). It answers with [`Command`]s (dials and lookups to start) and the time it next
//! wants to be woken ([`Scheduler::next_timer`]). It never reads a clock; its only random draws
//! (geth-2018's `ReadRandomNodes` shuffle, geth-2019's `ReadNodes` order) come from the stream the
//! caller passes, the peer's seeded protocol stream.
//!
//! Which scheduler a peer runs is its profile's:
//! - `geth-2018` ([`geth2018`], go-ethereum c73b654fd1 `p2p/dial.go:162-253`): candidates from
//!   `Table.ReadRandomNodes` (half of the need) and from the results of a full random lookup,
//!   one dialer lookup at a time, started at most every `lookupInterval` (4 s).
//! - `geth-2019` ([`geth2019`], 3a4a3d080b `p2p/dial.go:119-198`): every candidate comes from the
//!   discovery iterator (`enode.ReadNodes(discmix, want)`), with no throttle.
//!
//! Not modelled: static and trusted nodes, `NetRestrict`, `MaxPendingPeers`, external `Peers()`
//! calls (extra iterations).

pub mod geth2018;
pub mod geth2019;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::discv4::node::{Node, NodeId};
use crate::discv4::protocol::{ConfigError, Profile};
use crate::discv4::table::Table;
use crate::sim::clock::SimTime;

/// What happens to a dial whose target is offline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OfflineConnect {
    /// The SYN is lost: the dial fails at the TCP connect timeout (`dial_timeout`).
    #[default]
    Timeout,
    /// The host answers with a reset: the dial fails after one round trip.
    Refused,
}

/// The dialer's knobs, each with geth's default (`None`: the profile's default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialConfig {
    /// `MaxPeers` (geth-2018: 25, node/defaults.go:46; geth-2019: 50, node/defaults.go:52).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_peers: Option<usize>,
    /// `DialRatio` (3, server.go:44): `maxDynDials = max_peers / dial_ratio`.
    pub dial_ratio: usize,
    /// `maxActiveDialTasks` (16, server.go:42): tasks running at once.
    pub max_active_tasks: usize,
    /// `dialHistoryExpiration` (geth-2018: 30 s, dial.go:35; geth-2019: 35 s, dial.go:34).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::sim::clock::human_duration_opt"
    )]
    pub history_expiration: Option<Duration>,
    /// geth-2018's `lookupInterval` (4 s, dial.go:39); geth-2019 has none.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub lookup_interval: Duration,
    /// `fallbackInterval` (20 s, dial.go:43 / 37): bootnode fallback after this long with no peer.
    #[serde(with = "crate::sim::clock::human_duration")]
    pub fallback_interval: Duration,
    /// geth-2019's per-IP inbound throttle (`inboundThrottleTime`, 30 s, server.go:59).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub inbound_throttle: Duration,
    /// TCP connect timeout (`defaultDialTimeout`, 15 s, server.go:39): what a dial to an
    /// unreachable host costs (engine).
    #[serde(with = "crate::sim::clock::human_duration")]
    pub dial_timeout: Duration,
    /// A dial to an offline target: `timeout` (15 s) or `refused` (1 RTT) (engine).
    pub offline_connect: OfflineConnect,
    /// Whether bootnodes accept TCP connections (`cmd/bootnode` runs discovery only: false).
    pub bootnodes_accept_tcp: bool,
    /// Whether a peer behind NAT accepts inbound TCP (a UPnP mapping; by default the SYN is
    /// dropped and the dial times out).
    pub nat_accepts_tcp: bool,
    /// Share of successful connections whose eth handshake fails (another chain): the peer is
    /// dropped about one round trip after it was added.
    pub useless_share: f64,
}

impl Default for DialConfig {
    fn default() -> Self {
        DialConfig {
            max_peers: None,
            dial_ratio: 3,
            max_active_tasks: 16,
            history_expiration: None,
            lookup_interval: Duration::from_secs(4),
            fallback_interval: Duration::from_secs(20),
            inbound_throttle: Duration::from_secs(30),
            dial_timeout: Duration::from_secs(15),
            offline_connect: OfflineConnect::Timeout,
            bootnodes_accept_tcp: false,
            nat_accepts_tcp: false,
            useless_share: 0.0,
        }
    }
}

fn bad(key: &str, allowed: &str) -> ConfigError {
    ConfigError {
        key: format!("protocol.dial.{key}"),
        allowed: allowed.to_string(),
    }
}

impl DialConfig {
    /// Whether every knob has its default (then the scenario file does not show the table).
    pub fn is_default(&self) -> bool {
        *self == DialConfig::default()
    }

    /// Checks every knob.
    ///
    /// ```
    /// use discsim::discv4::dial::DialConfig;
    /// assert!(DialConfig::default().validate().is_ok());
    /// let c = DialConfig { dial_ratio: 0, ..DialConfig::default() };
    /// assert_eq!(c.validate().unwrap_err().key, "protocol.dial.dial_ratio");
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_peers == Some(0) {
            return Err(bad("max_peers", "at least 1"));
        }
        if self.dial_ratio == 0 {
            return Err(bad("dial_ratio", "at least 1"));
        }
        if self.max_active_tasks < 2 {
            return Err(bad(
                "max_active_tasks",
                "at least 2 (a dial and a lookup at once)",
            ));
        }
        if self.history_expiration.is_some_and(|d| d.is_zero()) {
            return Err(bad("history_expiration", "more than 0"));
        }
        if self.dial_timeout.is_zero() {
            return Err(bad("dial_timeout", "more than 0"));
        }
        if !(0.0..=1.0).contains(&self.useless_share) {
            return Err(bad("useless_share", "a probability from 0 to 1"));
        }
        Ok(())
    }

    /// `MaxPeers` under `profile`.
    pub fn max_peers(&self, profile: Profile) -> usize {
        self.max_peers.unwrap_or(match profile {
            Profile::Geth2018 => 25,
            Profile::Geth2019 => 50,
        })
    }

    /// `maxDynDials` (server.go:723-732 in 2018, 853-862 in 2019).
    pub fn max_dyn_dials(&self, profile: Profile) -> usize {
        self.max_peers(profile) / self.dial_ratio
    }

    /// `dialHistoryExpiration` under `profile`.
    pub fn history_expiration(&self, profile: Profile) -> Duration {
        self.history_expiration
            .unwrap_or(Duration::from_secs(match profile {
                Profile::Geth2018 => 30,
                Profile::Geth2019 => 35,
            }))
    }
}

/// How a connection came about (geth's `connFlag`, server.go:190-195; static and trusted
/// connections are not modelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnFlag {
    /// A dynamic dial of ours: counts toward `maxDynDials`.
    DynDialed,
    /// Dialed by the other side: counts toward the inbound slots, `MaxPeers - maxDynDials`.
    Inbound,
}

/// Why a handshake checkpoint refused a connection (geth's `Disc*` reasons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `MaxPeers` connections already, or, for an inbound one, every inbound slot
    /// (`MaxPeers - maxDynDials`) taken.
    TooManyPeers,
    /// The node is a connected peer already.
    AlreadyConnected,
    /// The node is this peer itself.
    SelfConnection,
    /// geth-2019's inbound throttle: the source IP connected within `inbound_throttle`.
    Throttled,
}

/// What the scheduler asks its host to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start a dynamic dial (a `dialTask` was launched).
    Dial(Node),
    /// geth-2018: start a lookup of a random target; report its result with
    /// [`Scheduler::discover_done`].
    Lookup,
    /// geth-2019: read `want` nodes from the discovery iterator; report them with
    /// [`Scheduler::discover_done`].
    Pull {
        /// How many nodes the dialer wants.
        want: usize,
    },
}

/// What the scheduler reads from its peer at each iteration.
pub struct Ctx<'a> {
    /// The peer's table, which geth-2018 reads candidates from (`ReadRandomNodes`).
    pub table: &'a Table,
    /// Whether the table's first refresh has ended (`ReadRandomNodes` gives nothing before).
    pub init_done: bool,
    /// The peer's seeded protocol stream, which geth-2018's `ReadRandomNodes` shuffle draws from.
    pub rng: &'a mut ChaCha8Rng,
}

/// Counters of one dialer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DialStats {
    /// Dial tasks launched (bootnode fallback dials included).
    pub dials: u64,
    /// Of those, the dials that ended without a connection.
    pub dials_failed: u64,
    /// Discover tasks launched.
    pub discover_tasks: u64,
    /// Dials of a bootnode by the fallback, after `fallback_interval` with no peer.
    pub bootnode_dials: u64,
}

/// A task of geth's task list (dial.go `dialTask`, `discoverTask`, `waitExpireTask`).
#[derive(Clone, Debug, PartialEq)]
enum Task {
    Dial(Node),
    /// 2019 carries `want`; 2018 ignores it.
    Discover(usize),
    /// Sleeps until the instant given.
    Wait(SimTime),
}

/// The state both schedulers share: geth's `dialstate` (dial.go:71-85 / 69-82) and the parts of
/// `Server.run` that feed it (peers, inbound count, running and queued tasks).
#[derive(Clone, Debug)]
pub struct DialState {
    profile: Profile,
    max_peers: usize,
    max_dyn: usize,
    max_tasks: usize,
    hist_expiration: Duration,
    fallback_interval: Duration,
    lookup_interval: Duration,
    inbound_throttle: Duration,
    self_id: NodeId,
    start: Option<SimTime>,
    /// IDs with a dynamic dial task created and not done (queued ones included).
    dialing: BTreeMap<NodeId, ()>,
    lookup_buf: VecDeque<Node>,
    /// The dial history: (expiry, ID), a min-heap, duplicates allowed.
    hist: BinaryHeap<Reverse<(SimTime, NodeId)>>,
    bootnodes: VecDeque<Node>,
    lookup_running: bool,
    /// Connected peers (past both handshakes), and whether each is useless (about to drop).
    peers: BTreeMap<NodeId, (ConnFlag, bool)>,
    inbound_count: usize,
    running: usize,
    queued: VecDeque<Task>,
    /// The running wait task's wake-up.
    wait_until: Option<SimTime>,
    /// geth-2018: start of the last dialer lookup (`srv.lastLookup`), and a launched discover
    /// task sleeping until the throttle lets it start.
    last_lookup: Option<SimTime>,
    throttled_until: Option<SimTime>,
    /// geth-2019's inbound history of source IPs (server.go:921-935).
    inbound_history: Vec<(SimTime, IpAddr)>,
    out: Vec<Command>,
    stats: DialStats,
    /// Milestones of this session: first peer, half of `maxDyn` dyn peers, all of them.
    milestones: [Option<SimTime>; 3],
}

/// The dial scheduler of one peer, per profile.
#[derive(Clone, Debug)]
pub enum Scheduler {
    /// geth-2018's ([`geth2018`]): candidates from the table and from throttled lookups.
    Geth2018(DialState),
    /// geth-2019's ([`geth2019`]): every candidate from the discovery iterator.
    Geth2019(DialState),
}

impl Scheduler {
    /// The scheduler `profile` runs, with its knobs resolved.
    pub fn new(profile: Profile, cfg: &DialConfig, self_id: NodeId, bootnodes: Vec<Node>) -> Self {
        let st = DialState {
            profile,
            max_peers: cfg.max_peers(profile),
            max_dyn: cfg.max_dyn_dials(profile),
            max_tasks: cfg.max_active_tasks,
            hist_expiration: cfg.history_expiration(profile),
            fallback_interval: cfg.fallback_interval,
            lookup_interval: cfg.lookup_interval,
            inbound_throttle: cfg.inbound_throttle,
            self_id,
            start: None,
            dialing: BTreeMap::new(),
            lookup_buf: VecDeque::new(),
            hist: BinaryHeap::new(),
            bootnodes: bootnodes.into(),
            lookup_running: false,
            peers: BTreeMap::new(),
            inbound_count: 0,
            running: 0,
            queued: VecDeque::new(),
            wait_until: None,
            last_lookup: None,
            throttled_until: None,
            inbound_history: Vec::new(),
            out: Vec::new(),
            stats: DialStats::default(),
            milestones: [None; 3],
        };
        match profile {
            Profile::Geth2018 => Scheduler::Geth2018(st),
            Profile::Geth2019 => Scheduler::Geth2019(st),
        }
    }

    fn st(&self) -> &DialState {
        match self {
            Scheduler::Geth2018(s) | Scheduler::Geth2019(s) => s,
        }
    }

    fn st_mut(&mut self) -> &mut DialState {
        match self {
            Scheduler::Geth2018(s) | Scheduler::Geth2019(s) => s,
        }
    }

    /// One `scheduleTasks` iteration (server.go:575-583 / 682-690).
    fn schedule(&mut self, now: SimTime, ctx: &mut Ctx<'_>) {
        let st = self.st_mut();
        // Queued tasks first.
        let queued = std::mem::take(&mut st.queued);
        let rest = st.start_tasks(now, queued.into_iter().collect());
        st.queued = rest.into();
        if st.running < st.max_tasks {
            let n_running = st.running + st.queued.len();
            let nt = match self {
                Scheduler::Geth2018(s) => geth2018::new_tasks(s, n_running, now, ctx),
                Scheduler::Geth2019(s) => geth2019::new_tasks(s, n_running, now),
            };
            let st = self.st_mut();
            let rest = st.start_tasks(now, nt);
            st.queued.extend(rest);
        }
    }

    /// The server starts: the first iteration (it emits the first discover task at once).
    pub fn start(&mut self, now: SimTime, ctx: &mut Ctx<'_>) {
        self.schedule(now, ctx);
    }

    /// A dial task ended. `connected`: the connection passed both handshakes on both sides'
    /// checks so far (the caller ran [`Scheduler::admit_outbound`]); `useless`: its eth handshake
    /// will fail, so the peer counts for no milestone and will drop. In geth the peer is added
    /// before the task's `taskdone` (server.go:652-654): both happen here, in that order.
    pub fn dial_done(
        &mut self,
        now: SimTime,
        id: NodeId,
        connected: bool,
        useless: bool,
        ctx: &mut Ctx<'_>,
    ) {
        let st = self.st_mut();
        if connected {
            st.add_peer(now, id, ConnFlag::DynDialed, useless);
        } else {
            st.stats.dials_failed += 1;
        }
        // taskDone (dial.go:280-289 / 225-234): history for every outcome.
        st.running = st.running.saturating_sub(1);
        let exp = now + st.hist_expiration;
        st.hist.push(Reverse((exp, id)));
        st.dialing.remove(&id);
        self.schedule(now, ctx);
    }

    /// The checks of our own side on an outbound dynamic connection, at its two checkpoints
    /// (`encHandshakeChecks` / `protoHandshakeChecks`, server.go:694-717; 2019: 824-847).
    pub fn admit_outbound(&self, id: &NodeId) -> Result<(), Refusal> {
        self.st().checks(id, false)
    }

    /// An inbound connection reached a checkpoint: `accept` (the listener, 2019's IP throttle),
    /// `stage` 1 (after the encryption handshake) or 2 (after the protocol handshake: the peer is
    /// added if it passes). Runs an iteration, as geth's loop does after each checkpoint.
    pub fn admit_inbound(
        &mut self,
        now: SimTime,
        id: &NodeId,
        ip: IpAddr,
        stage: u8,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), Refusal> {
        let profile = self.st().profile;
        let st = self.st_mut();
        let verdict = match stage {
            0 => {
                if profile == Profile::Geth2019 {
                    geth2019::check_inbound_conn(st, now, ip)
                } else {
                    Ok(())
                }
            }
            1 => st.checks(id, true),
            _ => {
                let v = st.checks(id, true);
                if v.is_ok() {
                    st.add_peer(now, *id, ConnFlag::Inbound, false);
                }
                v
            }
        };
        if stage > 0 {
            self.schedule(now, ctx);
        }
        verdict
    }

    /// A connected peer is gone (either side closed it).
    pub fn peer_dropped(&mut self, now: SimTime, id: &NodeId, ctx: &mut Ctx<'_>) {
        let st = self.st_mut();
        if let Some((flag, _)) = st.peers.remove(id) {
            if flag == ConnFlag::Inbound {
                st.inbound_count -= 1;
            }
            self.schedule(now, ctx);
        }
    }

    /// A discover task ended with these nodes (2018: the lookup's result, closest first; 2019:
    /// the nodes read from the iterator, deduplicated and in random order).
    pub fn discover_done(&mut self, now: SimTime, nodes: Vec<Node>, ctx: &mut Ctx<'_>) {
        let st = self.st_mut();
        st.running = st.running.saturating_sub(1);
        st.lookup_running = false;
        st.lookup_buf.extend(nodes);
        self.schedule(now, ctx);
    }

    /// The earliest instant a timer is due.
    pub fn next_timer(&self) -> Option<SimTime> {
        let st = self.st();
        match (st.wait_until, st.throttled_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires the timers due at or before `now`.
    pub fn handle_timers(&mut self, now: SimTime, ctx: &mut Ctx<'_>) {
        let st = self.st_mut();
        if st.throttled_until.is_some_and(|t| t <= now) {
            st.throttled_until = None;
            st.launch_lookup(now);
        }
        if st.wait_until.is_some_and(|t| t <= now) {
            st.wait_until = None;
            st.running = st.running.saturating_sub(1);
            self.schedule(now, ctx);
        }
    }

    /// Commands produced since the last call.
    pub fn drain_commands(&mut self) -> std::vec::Drain<'_, Command> {
        self.st_mut().out.drain(..)
    }

    /// Connected peers: (dynamic dialed, inbound).
    pub fn peer_counts(&self) -> (usize, usize) {
        let st = self.st();
        (st.peers.len() - st.inbound_count, st.inbound_count)
    }

    /// `maxDynDials`.
    pub fn max_dyn(&self) -> usize {
        self.st().max_dyn
    }

    /// The dialer's counters.
    pub fn stats(&self) -> DialStats {
        self.st().stats
    }

    /// When this session first had a peer, half of `maxDyn` dyn peers, and all of them.
    pub fn milestones(&self) -> [Option<SimTime>; 3] {
        self.st().milestones
    }

    /// Whether `id` is a connected peer.
    pub fn is_peer(&self, id: &NodeId) -> bool {
        self.st().peers.contains_key(id)
    }
}

impl DialState {
    /// `startTasks` (server.go:565-574 / 672-681): launch while fewer than the maximum run;
    /// returns the tasks left.
    fn start_tasks(&mut self, now: SimTime, tasks: Vec<Task>) -> Vec<Task> {
        let mut it = tasks.into_iter();
        while self.running < self.max_tasks {
            let Some(t) = it.next() else { break };
            self.running += 1;
            match t {
                Task::Dial(n) => {
                    self.stats.dials += 1;
                    self.out.push(Command::Dial(n));
                }
                Task::Discover(want) => self.launch_discover(now, want),
                Task::Wait(at) => self.wait_until = Some(at),
            }
        }
        it.collect()
    }

    fn launch_discover(&mut self, now: SimTime, want: usize) {
        self.stats.discover_tasks += 1;
        match self.profile {
            Profile::Geth2018 => {
                // discoverTask.Do (dial.go:361-373): sleep until lastLookup + lookupInterval.
                let next = self.last_lookup.map(|t| t + self.lookup_interval);
                match next {
                    Some(next) if now < next => self.throttled_until = Some(next),
                    _ => self.launch_lookup(now),
                }
            }
            Profile::Geth2019 => self.out.push(Command::Pull { want }),
        }
    }

    /// geth-2018: the discover task's lookup starts now.
    fn launch_lookup(&mut self, now: SimTime) {
        self.last_lookup = Some(now);
        self.out.push(Command::Lookup);
    }

    /// The two handshake checkpoints' rules, first match wins (server.go:704-717 / 824-847).
    fn checks(&self, id: &NodeId, inbound: bool) -> Result<(), Refusal> {
        if self.peers.len() >= self.max_peers {
            return Err(Refusal::TooManyPeers);
        }
        if inbound && self.inbound_count >= self.max_peers - self.max_dyn {
            return Err(Refusal::TooManyPeers);
        }
        if self.peers.contains_key(id) {
            return Err(Refusal::AlreadyConnected);
        }
        if *id == self.self_id {
            return Err(Refusal::SelfConnection);
        }
        Ok(())
    }

    fn add_peer(&mut self, now: SimTime, id: NodeId, flag: ConnFlag, useless: bool) {
        if self.peers.insert(id, (flag, useless)).is_none() && flag == ConnFlag::Inbound {
            self.inbound_count += 1;
        }
        let useful = |f: &(ConnFlag, bool)| !f.1;
        let all = self.peers.values().filter(|f| useful(f)).count();
        let dyn_ = self
            .peers
            .values()
            .filter(|f| useful(f) && f.0 == ConnFlag::DynDialed)
            .count();
        let reached = [
            all >= 1,
            self.max_dyn > 0 && dyn_ >= self.max_dyn.div_ceil(2),
            self.max_dyn > 0 && dyn_ >= self.max_dyn,
        ];
        for (m, r) in self.milestones.iter_mut().zip(reached) {
            if r && m.is_none() {
                *m = Some(now);
            }
        }
    }

    /// `needDynDials`: maxDyn minus dynamic peers and dynamic dials in flight (dial.go:179-189 /
    /// 150-160). Negative values clamp to zero.
    fn need(&self) -> usize {
        let dyn_peers = self.peers.len() - self.inbound_count;
        self.max_dyn
            .saturating_sub(dyn_peers)
            .saturating_sub(self.dialing.len())
    }

    /// `hist.expire(now)`: pops while the minimum expiry is strictly before `now`
    /// (dial.go:415-419, `Before`).
    fn expire_history(&mut self, now: SimTime) {
        while let Some(Reverse((exp, _))) = self.hist.peek() {
            if *exp < now {
                self.hist.pop();
            } else {
                break;
            }
        }
    }

    /// `checkDial` (dial.go:263-278 / 208-223), first matching rule wins.
    fn check_dial(&self, n: &Node) -> Result<(), &'static str> {
        if self.dialing.contains_key(&n.id) {
            return Err("already dialing");
        }
        if self.peers.contains_key(&n.id) {
            return Err("already connected");
        }
        if n.id == self.self_id {
            return Err("self");
        }
        if self.hist.iter().any(|Reverse((_, id))| *id == n.id) {
            return Err("recently dialed");
        }
        Ok(())
    }

    /// `addDial` (dial.go:168-176 / 121-129).
    fn add_dial(&mut self, n: Node, tasks: &mut Vec<Task>) -> bool {
        if self.check_dial(&n).is_err() {
            return false;
        }
        self.dialing.insert(n.id, ());
        tasks.push(Task::Dial(n));
        true
    }

    /// The bootnode fallback (dial.go:209-217 / 165-172): with no peer at all for more than
    /// `fallbackInterval` since the first iteration, rotate the bootnodes and dial the head.
    fn bootnode_fallback(&mut self, now: SimTime, need: &mut usize, tasks: &mut Vec<Task>) {
        let start = self.start.unwrap_or(now);
        if self.peers.is_empty()
            && !self.bootnodes.is_empty()
            && *need > 0
            && now.saturating_since(start) > self.fallback_interval
        {
            let b = self.bootnodes.pop_front().expect("non-empty");
            self.bootnodes.push_back(b);
            if self.add_dial(b, tasks) {
                self.stats.bootnode_dials += 1;
                *need -= 1;
            }
        }
    }

    /// Dials from the lookup buffer; skipped entries are consumed too (dial.go:231-237 / 175-181).
    fn consume_lookup_buf(&mut self, need: &mut usize, tasks: &mut Vec<Task>) {
        while *need > 0 {
            let Some(n) = self.lookup_buf.pop_front() else {
                break;
            };
            if self.add_dial(n, tasks) {
                *need -= 1;
            }
        }
    }

    /// The wait task (dial.go:248-251 / 193-196), woken 1 µs after the history's first expiry:
    /// `expire` is strict, so waking at the expiry itself would expire nothing and wait again.
    fn maybe_wait(&mut self, n_running: usize, tasks: &mut Vec<Task>) {
        if n_running == 0 && tasks.is_empty() {
            if let Some(Reverse((exp, _))) = self.hist.peek() {
                tasks.push(Task::Wait(*exp + Duration::from_micros(1)));
            }
        }
    }
}

#[cfg(test)]
mod tests;
