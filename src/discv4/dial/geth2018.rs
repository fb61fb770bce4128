//! geth-2018's dial scheduler: go-ethereum c73b654fd1, `p2p/dial.go` `dialstate.newTasks`
//! (dial.go:162-253) with `Table.ReadRandomNodes` (p2p/discover/table.go:154-190).
//!
//! Per iteration: the bootnode fallback, then `need / 2` candidates from the heads of randomly
//! ordered buckets, then the buffer of lookup results, then a discover task (a lookup of a random
//! target, at most one running, started at most every `lookupInterval`, 4 s, dial.go:39,
//! 365-369) when the buffer holds fewer than `need` nodes.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::{Ctx, DialState, Task};
use crate::discv4::node::Node;
use crate::discv4::table::Table;
use crate::sim::clock::SimTime;

/// `dialstate.newTasks` (dial.go:162-253), returning the tasks in geth's order.
pub(super) fn new_tasks(
    st: &mut DialState,
    n_running: usize,
    now: SimTime,
    ctx: &mut Ctx<'_>,
) -> Vec<Task> {
    // 1. dial.go:163-165
    if st.start.is_none() {
        st.start = Some(now);
    }
    let mut tasks = Vec::new();
    // 2. dial.go:179-189
    let mut need = st.need();
    // 3. dial.go:192 (strict `Before`, 415-419)
    st.expire_history(now);
    // 4. static nodes: not modelled.
    // 5. dial.go:209-217
    st.bootnode_fallback(now, &mut need, &mut tasks);
    // 6. dial.go:220-228: half the need from ReadRandomNodes; a skipped candidate is not
    // replaced.
    let random_candidates = need / 2;
    if random_candidates > 0 {
        let buf_len = st.max_dyn / 2;
        let nodes = read_random_nodes(ctx.table, ctx.init_done, buf_len, ctx.rng);
        for n in nodes.into_iter().take(random_candidates) {
            if st.add_dial(n, &mut tasks) {
                need -= 1;
            }
        }
    }
    // 7. dial.go:231-237
    st.consume_lookup_buf(&mut need, &mut tasks);
    // 8. dial.go:239-242
    if st.lookup_buf.len() < need && !st.lookup_running {
        st.lookup_running = true;
        tasks.push(Task::Discover(0));
    }
    // 9. dial.go:248-251
    st.maybe_wait(n_running, &mut tasks);
    tasks
}

/// `Table.ReadRandomNodes(buf)` with `buf` of `len` slots (table.go:154-190), exactly: nothing
/// before the first refresh ended; the non-empty buckets in index order, shuffled by geth's
/// biased loop (`j` over the whole range, 172-175); then a round robin over the buckets taking
/// each one's head (its most recently added or bumped entry), removing a bucket once empty, which
/// skips the bucket that shifts into its place (177-188). Returns the nodes written (geth returns
/// one more than it wrote when the buffer fills, table.go:189; the dialer reads at most `len`).
pub fn read_random_nodes(
    table: &Table,
    init_done: bool,
    len: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Node> {
    if !init_done || len == 0 {
        return Vec::new();
    }
    let mut buckets: Vec<&[crate::discv4::table::Entry]> = (0..table.config().n_buckets)
        .map(|bi| table.bucket(bi).0)
        .filter(|b| !b.is_empty())
        .collect();
    if buckets.is_empty() {
        return Vec::new();
    }
    for i in (1..buckets.len()).rev() {
        let j = rng.random_range(0..buckets.len());
        buckets.swap(i, j);
    }
    let mut out = Vec::with_capacity(len);
    let mut j = 0;
    loop {
        if out.len() >= len {
            break;
        }
        out.push(buckets[j][0].node);
        buckets[j] = &buckets[j][1..];
        if buckets[j].is_empty() {
            buckets.remove(j);
        }
        if buckets.is_empty() {
            break;
        }
        j = (j + 1) % buckets.len();
    }
    out
}
