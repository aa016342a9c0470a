//! Runs the liner-sync binary as a child process and measures it: wall
//! time, CPU time, and resident memory sampled while it runs.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::procfs;

/// How often resident memory is sampled. `VmHWM` is the kernel's own
/// high-water mark, so sampling only has to catch it before the exit.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// Samples needed before the last one is taken as the peak: a process that
/// lives a few milliseconds may be sampled only while it is starting.
const SAMPLES_FOR_A_PEAK: usize = 3;

/// One resident-memory sample.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Resident memory then, in KiB.
    pub rss_kib: u64,
    /// The progress counter then (leads Liner had accepted).
    pub progress: u64,
}

/// A finished run.
#[derive(Debug)]
pub struct Measured {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error (the log).
    pub stderr: String,
    /// From spawn to exit.
    pub wall: Duration,
    /// User plus system CPU time (`None` off Linux).
    pub cpu: Option<Duration>,
    /// Peak resident memory in KiB (`None` off Linux, or when the process
    /// ended too soon to be sampled).
    pub peak_rss_kib: Option<u64>,
    /// Resident memory as it went, with `progress` at each sample.
    pub samples: Vec<Sample>,
}

impl Measured {
    /// CPU seconds per `items` (leads), in milliseconds.
    pub fn cpu_ms_per(&self, items: u64) -> Option<f64> {
        let cpu = self.cpu?;
        (items > 0).then(|| cpu.as_secs_f64() * 1000.0 / items as f64)
    }

    /// Peak resident memory in MiB.
    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.peak_rss_kib.map(|kib| kib as f64 / 1024.0)
    }

    /// The resident memory (MiB) of the first sample at or past each of
    /// `fractions` of `total` progress.
    pub fn rss_at_progress(&self, total: u64, fractions: &[f64]) -> Vec<Option<f64>> {
        fractions
            .iter()
            .map(|fraction| {
                let mark = (total as f64 * fraction).ceil() as u64;
                self.samples
                    .iter()
                    .find(|s| s.progress >= mark)
                    .map(|s| s.rss_kib as f64 / 1024.0)
            })
            .collect()
    }
}

/// Runs `binary` with `args` to the end, sampling its memory and calling
/// `progress` (cheap: it runs every 20 ms) to tag each sample.
pub async fn run(
    binary: &Path,
    args: &[&str],
    progress: &dyn Fn() -> u64,
) -> std::io::Result<Measured> {
    let cpu_before = procfs::children_cpu();
    let started = Instant::now();
    let child = Command::new(binary)
        .args(args)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id();
    let output = child.wait_with_output();
    tokio::pin!(output);
    let mut ticker = tokio::time::interval(SAMPLE_EVERY);
    let mut samples = Vec::new();
    let mut peak = None;
    let output = loop {
        tokio::select! {
            output = &mut output => break output?,
            _ = ticker.tick() => {
                if let Some((rss, hwm)) = pid.and_then(procfs::memory_kib) {
                    peak = peak.max(Some(hwm));
                    samples.push(Sample { rss_kib: rss, progress: progress() });
                }
            }
        }
    };
    let wall = started.elapsed();
    let cpu = procfs::children_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(Measured {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        wall,
        cpu,
        peak_rss_kib: peak.filter(|_| samples.len() >= SAMPLES_FOR_A_PEAK),
        samples,
    })
}
