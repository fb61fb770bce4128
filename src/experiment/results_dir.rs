//! A results folder kept whole: one writer at a time, folders replaced atomically, and no
//! temporary file left behind by an error or by SIGINT/SIGTERM.
//!
//! - [`OutLock`] takes an advisory lock (`flock`) on the results folder itself, so that a second
//!   discsim writing into the same folder is refused at once (exit code 2) instead of racing the
//!   first. The lock goes with the process, however it ends; no lock file is left behind. A
//!   folder the lock had to create is removed again if it is still empty when the lock is
//!   dropped (an error, an interrupted run): `--out` exists only once something is in it.
//! - [`replace_dir`] puts a finished temporary folder in place of the old one: on Linux by
//!   exchanging the two (`renameat2(RENAME_EXCHANGE)`), elsewhere by moving the old one aside,
//!   renaming the new one in and restoring the old one on any error. The old folder is deleted
//!   only once the new one is in place, so at every moment the result is the old or the new one,
//!   whole.
//! - [`TempPath`] registers a temporary file or folder: it is deleted when dropped unless it was
//!   renamed into place, and by the signal handler of [`install_signal_cleanup`] on SIGINT,
//!   SIGTERM or SIGHUP. Writers hold [`write_guard`] while they write, so the handler waits for a
//!   write in progress to end before it cleans up.
//!
//! A process killed outright (SIGKILL, power loss) cannot clean up: the next writer that takes
//! the lock removes the temporary files it finds (`.tmp-*`) and puts back an old folder that
//! was moved aside (`.old-*`) but never replaced.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock, RwLockReadGuard};

use crate::experiment::report::ReportError;
use crate::Error;

/// Temporary paths to delete on a signal, and folders to delete if still empty.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Held (shared) by every write in progress; taken exclusively by the signal handler.
static WRITING: RwLock<()> = RwLock::new(());

/// Held while writing results; a SIGINT or SIGTERM waits for it to be released before it
/// cleans up and exits, so that no write races the cleanup.
pub fn write_guard() -> RwLockReadGuard<'static, ()> {
    WRITING.read().unwrap_or_else(|e| e.into_inner())
}

fn io_error(path: &Path, source: io::Error) -> ReportError {
    ReportError {
        path: path.display().to_string(),
        source,
    }
}

/// A temporary file or folder, deleted when dropped (or on a signal) unless [`TempPath::keep`]
/// says it was renamed into place.
#[derive(Debug)]
pub struct TempPath {
    path: PathBuf,
}

impl TempPath {
    /// Registers `path`; nothing is created.
    pub fn new(path: PathBuf) -> TempPath {
        lock(&TEMPS).push(path.clone());
        TempPath { path }
    }

    /// The path it stands for.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path was renamed into place: forget it without deleting anything.
    pub fn keep(self) {
        unregister(&self.path);
        std::mem::forget(self);
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        remove_any(&self.path);
        unregister(&self.path);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unregister(path: &Path) {
    let mut temps = lock(&TEMPS);
    if let Some(i) = temps.iter().rposition(|p| p == path) {
        temps.swap_remove(i);
    }
}

/// Deletes a file or a folder with everything in it; a path that is not there is fine.
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// A name for a temporary sibling of `path` that no other process uses: `.tmp-<name>-<pid>`.
pub fn temp_sibling(path: &Path, kind: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{kind}-{name}-{}", std::process::id()))
}

/// Puts the folder `new` in place of `dest` (which may not exist yet). At every moment `dest`
/// is the old folder or the new one, whole; on an error the old one stays (or is put back).
/// The old folder is deleted once the new one is in place.
pub fn replace_dir(new: &Path, dest: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dest).is_err() {
        return fs::rename(new, dest);
    }
    #[cfg(target_os = "linux")]
    {
        match exchange(new, dest) {
            // `new` now holds the old folder.
            Ok(()) => {
                remove_any(new);
                return Ok(());
            }
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
                ) => {}
            Err(e) => return Err(e),
        }
    }
    let aside = temp_sibling(dest, "old");
    let aside_guard = TempPath::new(aside.clone());
    fs::rename(dest, &aside)?;
    if let Err(e) = fs::rename(new, dest) {
        // Put the old folder back; only if that fails too is it left aside, to be restored by
        // the next writer.
        if fs::rename(&aside, dest).is_err() {
            aside_guard.keep();
        }
        return Err(e);
    }
    drop(aside_guard);
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths, relative to the working directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Writes `bytes` to `path` whole or not at all: into a temporary sibling, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let _writing = write_guard();
    let tmp = TempPath::new(temp_sibling(path, "tmp"));
    fs::write(tmp.path(), bytes)
        .and_then(|()| fs::rename(tmp.path(), path))
        .map_err(|e| io_error(path, e))?;
    tmp.keep();
    Ok(())
}

/// The exclusive right to write into a results folder, for as long as it is held.
#[derive(Debug)]
pub struct OutLock {
    dir: PathBuf,
    _file: File,
    /// Folders this lock created (outermost first), removed on drop if still empty.
    created: Vec<PathBuf>,
}

impl OutLock {
    /// Locks `dir`, creating it (and its missing parents) if needed. Another process holding it
    /// is bad input (exit code 2): two writers would overwrite each other's results. Leftovers
    /// of a writer that was killed are cleaned up: temporary files removed, a folder that was
    /// moved aside but never replaced put back.
    pub fn acquire(dir: &Path) -> Result<OutLock, Error> {
        let mut created = Vec::new();
        let mut p = Some(dir);
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
            created.push(d.to_path_buf());
            p = d.parent();
        }
        created.reverse();
        if !created.is_empty() {
            lock(&CREATED).extend(created.iter().cloned());
        }
        // From here on, dropping `guard` removes what was created if it is still empty.
        let mut guard = CreatedDirs(created);
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let file = File::open(dir).map_err(|e| io_error(dir, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                // Not ours to remove: the other writer is using it.
                let ours = std::mem::take(&mut guard.0);
                lock(&CREATED).retain(|c| !ours.contains(c));
                return Err(Error::BadInput(format!(
                    "{} is being written by another discsim (it holds the folder's lock): wait for it to finish, or choose another folder with --out",
                    dir.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_error(dir, e).into()),
        }
        recover(dir);
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) && !is_hidden(&e.file_name()) {
                    recover(&e.path());
                }
            }
        }
        Ok(OutLock {
            dir: dir.to_path_buf(),
            _file: file,
            created: std::mem::take(&mut guard.0),
        })
    }

    /// The results folder locked.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        drop(CreatedDirs(std::mem::take(&mut self.created)));
    }
}

/// Folders created for a results folder: removed (innermost first) if still empty.
struct CreatedDirs(Vec<PathBuf>);

impl Drop for CreatedDirs {
    fn drop(&mut self) {
        for d in self.0.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        let mut created = lock(&CREATED);
        created.retain(|c| !self.0.contains(c));
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

/// Cleans what a killed writer left in `dir`: `.old-<name>-<pid>` goes back to `<name>` if that
/// is missing (a replacement interrupted between its two renames), and is deleted otherwise;
/// `.tmp-*` and `.write-check` are deleted.
fn recover(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix(".old-") {
            let original = rest.rsplit_once('-').map_or(rest, |(n, _)| n);
            let target = dir.join(original);
            if !original.is_empty() && fs::symlink_metadata(&target).is_err() {
                if fs::rename(e.path(), &target).is_ok() {
                    tracing::warn!(
                        "{}: restored from {name}, left by an interrupted discsim",
                        target.display()
                    );
                }
            } else {
                remove_any(&e.path());
            }
        } else if name.starts_with(".tmp-") || name == ".write-check" {
            remove_any(&e.path());
        }
    }
}

/// Deletes every registered temporary path and every empty folder a lock created. Called by the
/// signal handler once no write is in progress.
fn clean_up_for_exit() {
    let temps = std::mem::take(&mut *lock(&TEMPS));
    for t in temps.iter().rev() {
        remove_any(t);
    }
    let created = std::mem::take(&mut *lock(&CREATED));
    for d in created.iter().rev() {
        let _ = fs::remove_dir(d);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: wait for a write in progress to end, delete temporary files
/// and empty results folders this process created, and exit with 128 + the signal's number.
/// Call once, early in `main`.
pub fn install_signal_cleanup() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Taken and never released: no write starts after this.
                let _all = WRITING.write().unwrap_or_else(|e| e.into_inner());
                clean_up_for_exit();
                eprintln!("interrupted: temporary files removed, earlier results kept");
                std::process::exit(128 + sig);
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_keeps_old_or_new_whole() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("seed-1");
        let new = d.path().join(".tmp-seed-1");
        fs::create_dir(&new).unwrap();
        fs::write(new.join("a"), "1").unwrap();
        replace_dir(&new, &dest).unwrap();
        assert_eq!(fs::read_to_string(dest.join("a")).unwrap(), "1");
        fs::create_dir(&new).unwrap();
        fs::write(new.join("a"), "2").unwrap();
        replace_dir(&new, &dest).unwrap();
        assert_eq!(fs::read_to_string(dest.join("a")).unwrap(), "2");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
        // A failed rename (the new folder is missing) leaves the old one in place.
        assert!(replace_dir(&new, &dest).is_err());
        assert_eq!(fs::read_to_string(dest.join("a")).unwrap(), "2");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_moved_aside_is_put_back_by_the_next_lock() {
        let d = tempfile::tempdir().unwrap();
        let aside = d.path().join(".old-seed-1-4242");
        fs::create_dir(&aside).unwrap();
        fs::write(aside.join("a"), "old").unwrap();
        fs::create_dir(d.path().join(".tmp-seed-2-4242")).unwrap();
        let l = OutLock::acquire(d.path()).unwrap();
        assert_eq!(
            fs::read_to_string(d.path().join("seed-1/a")).unwrap(),
            "old"
        );
        assert!(!d.path().join(".tmp-seed-2-4242").exists());
        drop(l);
    }

    #[test]
    fn a_created_folder_goes_again_if_nothing_was_written() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("a/b");
        let l = OutLock::acquire(&out).unwrap();
        assert!(out.is_dir());
        drop(l);
        assert!(!d.path().join("a").exists());
        let l = OutLock::acquire(&out).unwrap();
        fs::write(out.join("x"), "").unwrap();
        drop(l);
        assert!(out.join("x").exists());
    }
}
