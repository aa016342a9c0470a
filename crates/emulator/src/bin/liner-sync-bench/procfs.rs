//! What Linux's `/proc` says about a process: resident memory and the CPU
//! time of children already waited for. Elsewhere every reading is `None`.

use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` times (`USER_HZ`, 100 on every
/// Linux architecture liner-sync ships for).
const TICKS_PER_SECOND: u64 = 100;

/// The resident memory of process `pid`: `(VmRSS, VmHWM)` in KiB, now and
/// at its peak so far. `None` once it has exited.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((field_kib(&status, "VmRSS:")?, field_kib(&status, "VmHWM:")?))
}

/// User plus system CPU time of this process's children that have been
/// waited for (`cutime + cstime`): the difference across one child's wait
/// is that child's CPU time.
pub fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let ticks = cutime_plus_cstime(&stat)?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// User plus system CPU time of this process (the fakes), threads included.
pub fn own_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields = after_command(&stat)?;
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// A `kB` line of `/proc/<pid>/status`.
fn field_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Fields 16 and 17 of `/proc/self/stat`, summed.
fn cutime_plus_cstime(stat: &str) -> Option<u64> {
    let fields = after_command(stat)?;
    Some(fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?)
}

/// The fields after `(comm)`, which may itself hold spaces and parentheses:
/// index 0 is field 3 (`state`).
fn after_command(stat: &str) -> Option<Vec<&str>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_and_stat() {
        let status = "Name:\tliner-sync\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(field_kib(status, "VmHWM:"), Some(20480));
        assert_eq!(field_kib(status, "VmRSS:"), Some(10240));
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 250 50 20 0 1 0";
        assert_eq!(cutime_plus_cstime(stat), Some(300));
        assert_eq!(after_command(stat).map(|f| f[11]), Some("7"));
    }

    #[test]
    fn this_process_is_readable() {
        if cfg!(target_os = "linux") {
            assert!(memory_kib(std::process::id()).is_some());
            assert!(children_cpu().is_some());
            assert!(own_cpu().is_some());
        }
    }
}
