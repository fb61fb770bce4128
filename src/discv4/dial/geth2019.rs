//! geth-2019's dial scheduler: go-ethereum 3a4a3d080b, `p2p/dial.go` `dialstate.newTasks`
//! (dial.go:119-198), after the "dial using node iterator" rewrite (2c37142d2f).
//!
//! Every dynamic candidate comes from the discovery iterator: a discover task reads
//! `want = need - len(lookupBuf)` nodes with `enode.ReadNodes(discmix, want)` (dial.go:324-326),
//! and the iterator runs lookups back to back for as long as it is read (lookup.go:181-204), with
//! no `lookupInterval`. The iterator itself lives with the peer (it runs the peer's lookups); this
//! file is the scheduler's side, plus the listener's per-IP inbound throttle (server.go:921-935).

use std::net::IpAddr;

use super::{DialState, Refusal, Task};
use crate::discv4::netutil::is_lan;
use crate::sim::clock::SimTime;

/// `dialstate.newTasks` (dial.go:119-198), returning the tasks in geth's order.
pub(super) fn new_tasks(st: &mut DialState, n_running: usize, now: SimTime) -> Vec<Task> {
    // 1-2. dial.go:131-134
    if st.start.is_none() {
        st.start = Some(now);
    }
    st.expire_history(now);
    let mut tasks = Vec::new();
    // 3. static nodes: not modelled. 4. dial.go:150-160
    let mut need = st.need();
    // 5. dial.go:165-172
    st.bootnode_fallback(now, &mut need, &mut tasks);
    // 6. dial.go:175-181
    st.consume_lookup_buf(&mut need, &mut tasks);
    // 7. dial.go:184-187
    if st.lookup_buf.len() < need && !st.lookup_running {
        st.lookup_running = true;
        tasks.push(Task::Discover(need - st.lookup_buf.len()));
    }
    // 8. dial.go:193-196
    st.maybe_wait(n_running, &mut tasks);
    tasks
}

/// `checkInboundConn` (server.go:921-935): a non-LAN source IP that connected within
/// `inboundThrottleTime` is refused; one that passes is remembered.
pub(super) fn check_inbound_conn(
    st: &mut DialState,
    now: SimTime,
    ip: IpAddr,
) -> Result<(), Refusal> {
    st.inbound_history.retain(|(exp, _)| *exp >= now);
    if !is_lan(&ip) && st.inbound_history.iter().any(|(_, i)| *i == ip) {
        return Err(Refusal::Throttled);
    }
    st.inbound_history.push((now + st.inbound_throttle, ip));
    Ok(())
}
