//! Helpers the command-line test files share: running the binary, writing a scenario, and
//! reading a folder back byte for byte. Each test file uses some of them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_discsim");

/// Runs discsim with `args`: exit code, stdout, stderr.
pub fn discsim(args: &[&str]) -> (i32, String, String) {
    discsim_in(None, args)
}

/// Runs discsim with `args`, which must succeed: its stdout (a failure shows stderr).
pub fn discsim_ok(args: &[&str]) -> String {
    discsim_ok_in(None, args)
}

/// Runs discsim with `args` in `cwd` (or here), which must succeed: its stdout.
pub fn discsim_ok_in(cwd: Option<&Path>, args: &[&str]) -> String {
    let (code, stdout, err) = discsim_in(cwd, args);
    assert_eq!(code, 0, "discsim {} failed: {stdout}{err}", args.join(" "));
    stdout
}

/// Runs discsim with `args` in `cwd` (or here): exit code, stdout, stderr.
pub fn discsim_in(cwd: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(BIN);
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    let out = c.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `text` as `dir/s.toml` and returns its path.
pub fn scenario_file(dir: &Path, text: &str) -> String {
    let p = dir.join("s.toml");
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Every file under `dir`, relative path to bytes, skipping the entries (files or folders)
/// whose name `skip` says; empty when `dir` cannot be read.
pub fn snapshot_skipping(dir: &Path, skip: &dyn Fn(&str) -> bool) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(
        root: &Path,
        dir: &Path,
        skip: &dyn Fn(&str) -> bool,
        out: &mut BTreeMap<PathBuf, Vec<u8>>,
    ) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if skip(&p.file_name().unwrap().to_string_lossy()) {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, skip, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip, &mut out);
    out
}
