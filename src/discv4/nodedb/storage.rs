//! Where a node database lives, and how rusty-leveldb is tuned for thousands of them.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rusty_leveldb::env::Env;
use rusty_leveldb::infolog::Logger;
use rusty_leveldb::{MemEnv, Options, PosixDiskEnv};

/// A rusty-leveldb environment plus the database directory inside it.
///
/// An in-memory storage outlives the database opened on it: a simulated peer that restarts keeps
/// its `Storage` and opens it again, exactly as a real node reopens its directory. Cloning shares
/// the same environment. Not `Send` (rusty-leveldb is built on `Rc`): create it on the thread that
/// uses it.
///
/// ```
/// use discsim::discv4::nodedb::Storage;
/// let mem = Storage::memory();
/// assert!(!mem.is_disk());
/// assert!(mem.file_names().unwrap().is_empty());
/// ```
#[derive(Clone)]
pub struct Storage {
    env: Rc<Box<dyn Env>>,
    path: PathBuf,
    disk: bool,
}

/// rusty-leveldb knobs that decide the memory one database costs.
///
/// The defaults are sized for a peer's database (hundreds of ~100-byte records), not for
/// rusty-leveldb's general defaults (4 MiB write buffer, 4 MiB block cache), which would cost
/// several hundred KB per peer and make 10,000 peers expensive. See the README for measurements.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DbTuning {
    /// Memtable size before it is written out as a table (bytes). 8 KiB: a write-behind batch
    /// (half an hour of a peer's writes) then goes to a table at once instead of waiting in the
    /// memtable, about 2.5x its bytes, until the next batch; 12 KB less per peer at 1,000 peers
    /// and no measurable time (a 32 KiB buffer was the default until then; 4 KiB saves no more).
    pub write_buffer_size: usize,
    /// Block cache capacity (bytes). 8 KiB, two blocks: a run reads its tables only in scans (the
    /// seed query, the hourly expirer, compactions), which touch each block once, so a larger
    /// cache only keeps copies of table blocks until the next scan: 32 KiB (the default until
    /// then) cost 28 KB more per peer after two virtual hours at 1,000 peers, and no less CPU.
    pub block_cache_bytes: usize,
    /// Table block size (bytes).
    pub block_size: usize,
    /// Open table files kept in the table cache.
    pub max_open_files: usize,
}

impl Default for DbTuning {
    fn default() -> Self {
        DbTuning {
            write_buffer_size: 8 * 1024,
            block_cache_bytes: 8 * 1024,
            block_size: 4 * 1024,
            max_open_files: 16,
        }
    }
}

impl Storage {
    /// A fresh in-memory environment (rusty-leveldb's `MemEnv`).
    pub fn memory() -> Storage {
        Storage {
            env: Rc::new(Box::new(MemEnv::new())),
            path: PathBuf::from("nodedb"),
            disk: false,
        }
    }

    /// A directory on disk.
    pub fn disk(dir: impl Into<PathBuf>) -> Storage {
        Storage {
            env: Rc::new(Box::new(PosixDiskEnv::new())),
            path: dir.into(),
            disk: true,
        }
    }

    /// Whether this storage is a directory on disk.
    pub fn is_disk(&self) -> bool {
        self.disk
    }

    /// The database directory (inside the environment).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn env(&self) -> &dyn Env {
        self.env.as_ref().as_ref()
    }

    /// rusty-leveldb options for this storage. A new `Options` per open, sharing this storage's
    /// environment only (never share one environment's options across threads).
    pub(crate) fn options(&self, tuning: &DbTuning) -> Options {
        // rusty-leveldb writes an info log (flushes, compactions) into the database directory.
        // In memory nobody reads it and it grows for ever, so it goes nowhere; on disk it stays,
        // as leveldb users expect.
        let log = (!self.disk).then(|| Rc::new(RefCell::new(Logger(Box::new(std::io::sink())))));
        Options {
            env: self.env.clone(),
            log,
            create_if_missing: true,
            write_buffer_size: tuning.write_buffer_size,
            block_cache_capacity_bytes: tuning.block_cache_bytes,
            block_size: tuning.block_size,
            max_open_files: tuning.max_open_files,
            // Node records are short and random; compression would cost time and save little.
            compressor: 0,
            ..Options::default()
        }
    }

    /// The names of the files in the database directory, sorted; empty if it does not exist.
    pub fn file_names(&self) -> std::io::Result<Vec<String>> {
        let env = self.env();
        // MemEnv has no directories (a directory "exists" only through its files).
        if self.disk && !env.exists(&self.path).unwrap_or(false) {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = env
            .children(&self.path)
            .map_err(to_io)?
            .into_iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Reads a whole file of the database directory.
    pub fn read_file(&self, name: &str) -> std::io::Result<Vec<u8>> {
        let mut f = self
            .env()
            .open_sequential_file(&self.path.join(name))
            .map_err(to_io)?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// Replaces a file of the database directory: how tests corrupt a database, on disk or in
    /// memory alike.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> std::io::Result<()> {
        let mut f = self
            .env()
            .open_writable_file(&self.path.join(name))
            .map_err(to_io)?;
        f.write_all(contents)?;
        f.flush()
    }

    /// Removes the whole database directory (geth's `os.RemoveAll(path)` on a version mismatch).
    pub fn remove_all(&self) -> std::io::Result<()> {
        if self.disk {
            return match std::fs::remove_dir_all(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        for name in self.file_names()? {
            self.env().delete(&self.path.join(name)).map_err(to_io)?;
        }
        let _ = self.env().rmdir(&self.path);
        Ok(())
    }
}

fn to_io(s: rusty_leveldb::Status) -> std::io::Error {
    std::io::Error::other(s.to_string())
}
