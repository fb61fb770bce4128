//! Reads whatever is readable from a leveldb directory, checksum by checksum.
//!
//! geth answers a corrupted node database with goleveldb's `RecoverFile`. rusty-leveldb has no
//! repair API, and it stops, errs or even panics on some corruptions, so discsim reads the two
//! kinds of data file itself: write-ahead logs (`*.log`: 32 KiB blocks of checksummed records,
//! each a write batch) and sorted tables (`*.ldb`, `*.sst`: checksummed blocks behind an index).
//! Every entry carries leveldb's sequence number, so the newest version of each key wins across
//! files, deletions included. A record or block whose checksum fails is skipped and counted; the
//! rest of the file is still read where its framing allows. The MANIFEST is not needed: it only
//! names the files, and every data file present is read.

use std::collections::BTreeMap;

use integer_encoding::{FixedInt, VarInt};

use super::storage::Storage;

const LOG_BLOCK: usize = 32 * 1024;
const LOG_HEADER: usize = 7;
const TABLE_MAGIC: [u8; 8] = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
const FOOTER_LEN: usize = 48;
const BLOCK_TRAILER: usize = 5;

/// What a scan of a database directory found.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The newest state of every key: `Some(value)` if live, `None` if its newest entry deletes it.
    entries: BTreeMap<Vec<u8>, (u64, Option<Vec<u8>>)>,
    /// Records, blocks or files that could not be read.
    pub(crate) damaged: usize,
    /// Data files read.
    pub(crate) files: usize,
}

impl Scan {
    /// The live key-value pairs, in key order.
    pub(crate) fn live(self) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> {
        self.entries
            .into_iter()
            .filter_map(|(k, (_, v))| v.map(|v| (k, v)))
    }

    fn apply(&mut self, key: &[u8], seq: u64, value: Option<&[u8]>) {
        match self.entries.get(key) {
            Some((s, _)) if *s > seq => {}
            _ => {
                self.entries
                    .insert(key.to_vec(), (seq, value.map(|v| v.to_vec())));
            }
        }
    }
}

/// Reads every data file of `storage`. Never fails: unreadable parts are counted in `damaged`.
pub(crate) fn scan(storage: &Storage) -> Scan {
    let mut scan = Scan::default();
    let names = match storage.file_names() {
        Ok(n) => n,
        Err(_) => {
            scan.damaged += 1;
            return scan;
        }
    };
    for name in names {
        let kind = if name.ends_with(".log") && name != "LOG" {
            Kind::Log
        } else if name.ends_with(".ldb") || name.ends_with(".sst") {
            Kind::Table
        } else {
            continue;
        };
        let Ok(bytes) = storage.read_file(&name) else {
            scan.damaged += 1;
            continue;
        };
        scan.files += 1;
        match kind {
            Kind::Log => read_log(&bytes, &mut scan),
            Kind::Table => read_table(&bytes, &mut scan),
        }
    }
    scan
}

enum Kind {
    Log,
    Table,
}

fn masked_crc(parts: &[&[u8]]) -> u32 {
    let mut crc = 0u32;
    for p in parts {
        crc = crc32c::crc32c_append(crc, p);
    }
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// Reassembles log records from their fragments; a fragment with a bad checksum drops the record
/// it belongs to. A corrupt length ends the current 32 KiB block, since framing is lost there.
fn read_log(bytes: &[u8], scan: &mut Scan) {
    let mut record: Vec<u8> = Vec::new();
    let mut in_record = false;
    for block in bytes.chunks(LOG_BLOCK) {
        let mut off = 0;
        while off + LOG_HEADER <= block.len() {
            let crc = u32::decode_fixed(&block[off..off + 4]).unwrap_or(0);
            let len = u16::decode_fixed(&block[off + 4..off + 6]).unwrap_or(0) as usize;
            let typ = block[off + 6];
            if crc == 0 && len == 0 && typ == 0 {
                break; // block padding (or a zero-filled tail)
            }
            let start = off + LOG_HEADER;
            if start + len > block.len() {
                scan.damaged += 1;
                in_record = false;
                break;
            }
            let data = &block[start..start + len];
            off = start + len;
            if masked_crc(&[&[typ], data]) != crc {
                scan.damaged += 1;
                in_record = false;
                continue;
            }
            match typ {
                1 => {
                    read_batch(data, scan);
                    in_record = false;
                }
                2 => {
                    record.clear();
                    record.extend_from_slice(data);
                    in_record = true;
                }
                3 if in_record => record.extend_from_slice(data),
                4 if in_record => {
                    record.extend_from_slice(data);
                    let r = std::mem::take(&mut record);
                    read_batch(&r, scan);
                    in_record = false;
                }
                _ => {
                    scan.damaged += 1;
                    in_record = false;
                }
            }
        }
    }
}

/// A write batch: sequence (8 bytes), count (4 bytes), then `count` puts and deletes.
fn read_batch(data: &[u8], scan: &mut Scan) {
    if data.len() < 12 {
        scan.damaged += 1;
        return;
    }
    let seq = u64::decode_fixed(&data[..8]).unwrap_or(0);
    let count = u32::decode_fixed(&data[8..12]).unwrap_or(0) as u64;
    let mut off = 12;
    for i in 0..count {
        let Some(&tag) = data.get(off) else {
            scan.damaged += 1;
            return;
        };
        off += 1;
        let Some((key, n)) = var_slice(&data[off..]) else {
            scan.damaged += 1;
            return;
        };
        off += n;
        match tag {
            1 => {
                let Some((value, n)) = var_slice(&data[off..]) else {
                    scan.damaged += 1;
                    return;
                };
                off += n;
                scan.apply(key, seq + i, Some(value));
            }
            0 => scan.apply(key, seq + i, None),
            _ => {
                scan.damaged += 1;
                return;
            }
        }
    }
}

/// A length-prefixed slice and the bytes it took.
fn var_slice(data: &[u8]) -> Option<(&[u8], usize)> {
    let (len, n) = usize::decode_var(data)?;
    let end = n.checked_add(len)?;
    Some((data.get(n..end)?, end))
}

fn read_table(bytes: &[u8], scan: &mut Scan) {
    if bytes.len() < FOOTER_LEN || bytes[bytes.len() - 8..] != TABLE_MAGIC {
        scan.damaged += 1;
        return;
    }
    let footer = &bytes[bytes.len() - FOOTER_LEN..];
    let Some(((_, _), n)) = handle(footer) else {
        scan.damaged += 1;
        return;
    };
    let Some(((ix_off, ix_len), _)) = handle(&footer[n..]) else {
        scan.damaged += 1;
        return;
    };
    let Some(index) = block(bytes, ix_off, ix_len) else {
        scan.damaged += 1;
        return;
    };
    let Some(index_entries) = block_entries(&index) else {
        scan.damaged += 1;
        return;
    };
    for (_, h) in index_entries {
        let data = handle(&h).and_then(|((off, len), _)| block(bytes, off, len));
        let entries = data.as_deref().and_then(block_entries);
        let Some(entries) = entries else {
            scan.damaged += 1;
            continue;
        };
        for (ikey, value) in entries {
            if ikey.len() < 8 {
                scan.damaged += 1;
                continue;
            }
            let (user_key, tag) = ikey.split_at(ikey.len() - 8);
            let tag = u64::decode_fixed(tag).unwrap_or(0);
            let (seq, typ) = (tag >> 8, tag & 0xff);
            scan.apply(user_key, seq, (typ == 1).then_some(value.as_slice()));
        }
    }
}

fn handle(data: &[u8]) -> Option<((usize, usize), usize)> {
    let (off, a) = usize::decode_var(data)?;
    let (len, b) = usize::decode_var(data.get(a..)?)?;
    Some(((off, len), a + b))
}

/// A block's contents after its checksum and compression type are checked.
fn block(file: &[u8], off: usize, len: usize) -> Option<Vec<u8>> {
    let end = off.checked_add(len)?.checked_add(BLOCK_TRAILER)?;
    let raw = file.get(off..end)?;
    let (data, trailer) = raw.split_at(len);
    let crc = u32::decode_fixed(&trailer[1..5])?;
    if masked_crc(&[data, &trailer[..1]]) != crc {
        return None;
    }
    match trailer[0] {
        0 => Some(data.to_vec()),
        1 => snap::raw::Decoder::new().decompress_vec(data).ok(),
        _ => None,
    }
}

/// The entries of a block: prefix-compressed keys, then a restart array that is not needed for a
/// full scan.
fn block_entries(block: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let n = block.len();
    let restarts = u32::decode_fixed(block.get(n.checked_sub(4)?..)?)? as usize;
    let end = n.checked_sub(4)?.checked_sub(restarts.checked_mul(4)?)?;
    let mut out = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let mut off = 0;
    while off < end {
        let (shared, a) = usize::decode_var(&block[off..end])?;
        off += a;
        let (non_shared, b) = usize::decode_var(&block[off..end])?;
        off += b;
        let (vlen, c) = usize::decode_var(&block[off..end])?;
        off += c;
        if shared > key.len() {
            return None;
        }
        key.truncate(shared);
        key.extend_from_slice(block.get(off..off.checked_add(non_shared)?)?);
        off += non_shared;
        let value = block.get(off..off.checked_add(vlen)?)?.to_vec();
        off += vlen;
        out.push((key.clone(), value));
    }
    Some(out)
}
