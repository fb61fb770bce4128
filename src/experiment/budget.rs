//! What a run will cost, estimated before it starts, so that a run too large for the machine is
//! refused at once instead of allocating until the system kills it.
//!
//! The figures are the README's measurements (Performance): about 131 KB per peer after one
//! virtual hour at 1,000 peers, 144 KB at 10,000 and 152 KB at 100,000, 311 KB after four hours
//! at 1,000 and 352 KB after three at 10,000 (a peer's database keeps every node it contacted,
//! so a peer grows until it has met the whole network: 496 KB at 1,000 peers after 48 h), and
//! about 3,700 events (packets delivered, actions, timer wake-ups) per peer and virtual hour.

use std::time::Duration;

use crate::Error;

/// Bytes of one peer after its first virtual hour (the highest measurement, at 100,000 peers,
/// with a little to spare).
pub const PEER_BYTES: u64 = 170 * 1024;
/// Bytes a peer grows by per further virtual hour, counted up to the 24th hour. geth-2018's
/// expirer deletes only nodes with a record, so a peer grows until it has met the whole network;
/// the estimate stops after a day, which is generous for small networks.
pub const PEER_BYTES_PER_HOUR: u64 = 100 * 1024;
/// Events per peer and virtual hour.
pub const EVENTS_PER_PEER_HOUR: f64 = 3_700.0;
/// Events one run may take without `--force`: about four days of wall time at 300,000 per
/// second.
pub const MAX_EVENTS: f64 = 1e11;

/// The memory one run of `peers` peers for `duration` needs, in bytes.
pub fn run_bytes(peers: u32, duration: Duration) -> u64 {
    let hours = duration.as_secs_f64() / 3600.0;
    let growth = (hours - 1.0).clamp(0.0, 23.0);
    let per_peer = PEER_BYTES as f64 + PEER_BYTES_PER_HOUR as f64 * growth;
    // 64 MiB for the program itself.
    (peers as f64 * per_peer) as u64 + (64 << 20)
}

/// The machine's available memory (`MemAvailable` of /proc/meminfo), in bytes; `None` where it
/// cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

/// Refuses (bad input, exit code 2) `runs_at_once` runs of `peers` peers for `duration` when
/// they need more memory than the machine has available, or one run would take more than
/// [`MAX_EVENTS`] events; `force` skips the check.
pub fn check(
    what: &str,
    peers: u32,
    duration: Duration,
    runs_at_once: usize,
    force: bool,
) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let events = peers as f64 * duration.as_secs_f64() / 3600.0 * EVENTS_PER_PEER_HOUR;
    if events > MAX_EVENTS {
        return Err(Error::BadInput(format!(
            "{what}: {peers} peers for {} make about {events:.1e} events, days of wall time at best (the limit is {MAX_EVENTS:.0e}); shorten it, or pass --force",
            humantime::format_duration(duration)
        )));
    }
    let need = run_bytes(peers, duration).saturating_mul(runs_at_once.max(1) as u64);
    if let Some(have) = available_bytes() {
        if need > have {
            let at_once = if runs_at_once > 1 {
                format!(" ({runs_at_once} runs at once; --jobs runs fewer)")
            } else {
                String::new()
            };
            return Err(Error::BadInput(format!(
                "{what}: {peers} peers for {} needs about {}{at_once}, this machine has {} available; use fewer peers or a shorter duration, or pass --force",
                humantime::format_duration(duration),
                gib(need),
                gib(have)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_measurements() {
        let h = Duration::from_secs(3600);
        let mb = |b: u64| b as f64 / 1e6;
        // 10,000 peers for an hour: measured 1,403 MiB (1,471 MB).
        assert!((1_471.0..2_000.0).contains(&mb(run_bytes(10_000, h))));
        // 100,000 peers for an hour: measured 14,864 MiB (15,586 MB); it fits in 24 GiB.
        assert!((15_586.0..19_000.0).contains(&mb(run_bytes(100_000, h))));
        // 1,000 peers for four hours: measured 304 MiB (319 MB); 10,000 for three: 3.36 GiB.
        assert!((319.0..900.0).contains(&mb(run_bytes(1_000, 4 * h))));
        assert!((3_610.0..6_000.0).contains(&mb(run_bytes(10_000, 3 * h))));
        assert!(check("x", 10_000_000, h, 1, false).is_err_and(|e| e.is_bad_input()));
        assert!(check("x", 10_000_000, h, 1, true).is_ok());
        assert!(check("x", 100, h, 1, false).is_ok());
    }
}
