//! Node IDs named by four bytes, each ID stored once per thread.
//!
//! A peer keeps something about every node it has ever contacted (geth's database keeps the ping
//! and pong times of each), so a network of `n` peers holds up to `n` copies of every 64-byte ID.
//! Interning keeps one copy per thread of the run and a 4-byte [`IdHandle`] wherever the ID is
//! only a key. Handles are per thread: whatever holds one must live on the thread that made it,
//! which every per-peer structure does (a node database is built on rusty-leveldb's `Rc`, so it
//! cannot leave its thread). A handle's number depends on the order a thread first met its ID,
//! which depends on the thread count; handles are therefore only ever looked up, never ordered
//! or printed: whoever needs an order resolves them to IDs and sorts those.
//!
//! Only IDs that something stores are interned ([`IdHandle::intern`]); asking about an ID
//! ([`IdHandle::find`]) registers nothing, so random lookup targets do not accumulate.

use std::cell::RefCell;
#[allow(clippy::disallowed_types)] // only looked up, never iterated: order cannot leak
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;

use super::node::{IdMap, NodeId};

/// A thread's 4-byte name for a node ID (see the module documentation for its rules). Neither
/// `Send` nor `Sync`, so that the compiler keeps it on the thread whose interner gave it meaning.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct IdHandle(u32, PhantomData<*const ()>);

/// This thread's interned IDs: a handle is an index into `ids`.
#[derive(Default)]
struct Interner {
    ids: Vec<NodeId>,
    index: IdMap<u32>,
}

thread_local! {
    static INTERNER: RefCell<Interner> = RefCell::new(Interner::default());
}

impl IdHandle {
    fn new(h: u32) -> IdHandle {
        IdHandle(h, PhantomData)
    }

    /// The handle of `id`, registering the ID on first sight. Call it when about to store
    /// something under the ID.
    pub(crate) fn intern(id: &NodeId) -> IdHandle {
        INTERNER.with(|i| {
            let mut i = i.borrow_mut();
            if let Some(&h) = i.index.get(id) {
                return IdHandle::new(h);
            }
            let h = u32::try_from(i.ids.len()).expect("fewer than 2^32 distinct node IDs");
            i.ids.push(*id);
            i.index.insert(*id, h);
            IdHandle::new(h)
        })
    }

    /// The handle of `id` if this thread has interned it. Call it to read: an ID without a
    /// handle has nothing stored under it anywhere on this thread.
    pub(crate) fn find(id: &NodeId) -> Option<IdHandle> {
        INTERNER.with(|i| i.borrow().index.get(id).copied().map(IdHandle::new))
    }

    /// The ID this handle names.
    pub(crate) fn id(self) -> NodeId {
        INTERNER.with(|i| i.borrow().ids[self.0 as usize])
    }
}

/// Handles are dense small integers: one multiplication spreads them over a table's buckets.
#[derive(Default)]
pub(crate) struct HandleHasher(u64);

impl Hasher for HandleHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A `HashMap` keyed by [`IdHandle`]: for maps that are only looked up (whoever iterates one
/// resolves the handles and sorts the IDs).
#[allow(clippy::disallowed_types)]
pub(crate) type HandleMap<V> = HashMap<IdHandle, V, BuildHasherDefault<HandleHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_interned_once_and_resolves_back() {
        let a = NodeId([7; 64]);
        let b = NodeId([8; 64]);
        assert_eq!(IdHandle::find(&a), None);
        let ha = IdHandle::intern(&a);
        let hb = IdHandle::intern(&b);
        assert_ne!(ha, hb);
        assert_eq!(IdHandle::intern(&a), ha);
        assert_eq!(IdHandle::find(&a), Some(ha));
        assert_eq!(ha.id(), a);
        assert_eq!(hb.id(), b);
    }

    #[test]
    fn finding_registers_nothing() {
        let c = NodeId([9; 64]);
        assert_eq!(IdHandle::find(&c), None);
        assert_eq!(IdHandle::find(&c), None);
    }
}
