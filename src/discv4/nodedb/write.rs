//! The write path: geth writes every field at once; discsim may hold writes back for
//! `write_behind` and hand them to rusty-leveldb in one batch, keeping a mirror that every read
//! sees at once, so what a read returns is what geth's database would hold.

use rusty_leveldb::WriteBatch;
use tracing::warn;

use super::keys::{
    decode_int, encode_int, make_key, split_key, DISCOVER_FIND_FAILS, DISCOVER_PING, DISCOVER_PONG,
    DISCOVER_ROOT,
};
use super::{Field, NodeDb, RecordEndpoint};
use crate::discv4::intern::IdHandle;
use crate::discv4::node::NodeId;
use crate::sim::clock::SimTime;

impl NodeDb {
    /// Writes raw bytes under a key: for tests and tools that plant foreign or garbled records.
    pub fn put_raw(&mut self, key: &[u8], value: &[u8]) {
        self.flush();
        if self.write(key, value) {
            self.mirror(key, value);
        }
    }

    /// Sets an integer field: in the mirror at once, in rusty-leveldb at the next flush (or at
    /// once without write-behind).
    pub(super) fn put_int(&mut self, id: &NodeId, field: Field, v: i64) {
        if self.cfg.write_behind.is_zero() {
            let key = make_key(Some(id), field.key_suffix());
            if self.write(&key, &encode_int(v)) {
                field.set(self.known.entry(IdHandle::intern(id)).or_default(), v);
            }
            return;
        }
        let h = IdHandle::intern(id);
        let k = self.known.entry(h).or_default();
        field.set(k, v);
        if k.dirty == 0 {
            self.dirty.push(h);
        }
        k.dirty |= field as u8;
    }

    /// Reflects a stored key-value pair in the mirror, decoding integers as reads would.
    pub(super) fn mirror(&mut self, key: &[u8], value: &[u8]) {
        let (Some(id), field) = split_key(key) else {
            return;
        };
        let h = IdHandle::intern(&id);
        if field == DISCOVER_ROOT {
            return self.set_record(h, RecordEndpoint::of_record(&id, value));
        }
        let int = || decode_int(value).unwrap_or(0);
        let k = self.known.entry(h).or_default();
        match field {
            f if f == DISCOVER_PING => k.last_ping = int(),
            f if f == DISCOVER_PONG => k.last_pong = int(),
            f if f == DISCOVER_FIND_FAILS => k.find_fails = int(),
            _ => {}
        }
    }

    /// Notes in the mirror that the record of `h` now encodes `record`, with the record count
    /// and, if a record was there before, a new [records epoch](NodeDb::records_epoch).
    pub(super) fn set_record(&mut self, h: IdHandle, record: Option<RecordEndpoint>) {
        let k = self.known.entry(h).or_default();
        let replaced = k.record.is_some();
        k.record = Some(record);
        self.records += !replaced as usize;
        if replaced {
            self.records_changed();
        }
    }

    /// Writes a node record (or other non-field key): pending under write-behind.
    pub(super) fn put(&mut self, key: &[u8], value: &[u8]) -> bool {
        if !self.cfg.write_behind.is_zero() {
            self.pending.insert(key.to_vec(), value.to_vec());
            return true;
        }
        self.write(key, value)
    }

    /// Writes to rusty-leveldb at once.
    pub(super) fn write(&mut self, key: &[u8], value: &[u8]) -> bool {
        self.stats.db_writes += 1;
        self.stats.db_batches += 1;
        match self.db.put(key, value) {
            Ok(()) => true,
            Err(e) => {
                self.stats.write_errors += 1;
                warn!(err = %e, "node database write failed");
                false
            }
        }
    }

    /// Hands pending writes to rusty-leveldb once they have waited `write_behind`; the owner
    /// calls this as its clock advances.
    pub fn maybe_flush(&mut self, now: SimTime) {
        if self.pending.is_empty() && self.dirty.is_empty() {
            return;
        }
        match self.pending_since {
            None => self.pending_since = Some(now),
            Some(t) if now.saturating_since(t) >= self.cfg.write_behind => self.flush(),
            Some(_) => {}
        }
    }

    /// Hands every pending write to rusty-leveldb, in one batch.
    pub fn flush(&mut self) {
        self.pending_since = None;
        if self.pending.is_empty() && self.dirty.is_empty() {
            return;
        }
        let mut batch = WriteBatch::default();
        for (k, v) in std::mem::take(&mut self.pending) {
            batch.put(&k, &v);
            self.stats.db_writes += 1;
        }
        // In key order, as a batch built from geth's writes would be (handles have no order).
        let mut dirty: Vec<(NodeId, IdHandle)> =
            self.dirty.drain(..).map(|h| (h.id(), h)).collect();
        dirty.sort_unstable_by_key(|&(id, _)| id);
        for (id, h) in dirty {
            let Some(k) = self.known.get_mut(&h) else {
                continue; // deleted since
            };
            for f in Field::ALL {
                if k.dirty & f as u8 != 0 {
                    batch.put(&make_key(Some(&id), f.key_suffix()), &encode_int(f.get(k)));
                    self.stats.db_writes += 1;
                }
            }
            k.dirty = 0;
        }
        self.stats.db_batches += 1;
        if let Err(e) = self.db.write(batch, false) {
            self.stats.write_errors += 1;
            warn!(err = %e, "node database write failed");
        }
        // rusty-leveldb checks the memtable's size before a write, not after: without this, a
        // write-behind batch would stay in the memtable (about 2.5x its bytes) and
        // its log until the next flush. Reads see the same either way.
        if self.db.compact_memtable_if_full().is_err() {
            self.stats.write_errors += 1;
        }
    }
}
