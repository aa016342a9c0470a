//! The machine the figures come from, as BENCHMARKS.md records it.

use std::process::Command;

use serde_json::{Value, json};

/// CPU, cores, memory, OS, compiler and load, read from `/proc` and `rustc -V`.
#[derive(Debug, Clone)]
pub struct Machine {
    cpu: String,
    cores: usize,
    memory_gib: Option<f64>,
    os: String,
    rustc: String,
    load: String,
}

impl Machine {
    /// Reads what it can; unknown items say so.
    pub fn read() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = value_of(&cpuinfo, "model name")
            .unwrap_or("unknown CPU")
            .to_owned();
        let memory_gib = value_of(&read("/proc/meminfo"), "MemTotal")
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0 / 1024.0);
        let os_release = read("/etc/os-release");
        let distribution = os_release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let kernel = read("/proc/sys/kernel/osrelease");
        let rustc = Command::new("rustc")
            .arg("-V")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|_| "rustc not found".to_owned());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib,
            os: format!("{distribution}, kernel {}", kernel.trim()),
            rustc,
            load: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let memory = self
            .memory_gib
            .map_or_else(|| "unknown".to_owned(), |g| format!("{g:.1} GiB"));
        format!(
            "{}, {} cores, {memory} RAM; {}; {}; load average {} at the start",
            self.cpu, self.cores, self.os, self.rustc, self.load
        )
    }

    /// The same as JSON.
    pub fn json(&self) -> Value {
        json!({
            "cpu": self.cpu,
            "cores": self.cores,
            "memory_gib": self.memory_gib,
            "os": self.os,
            "rustc": self.rustc,
            "load_average": self.load,
        })
    }
}

/// The value of the first `key : value` line.
fn value_of<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}
