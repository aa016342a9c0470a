//! Logs on stderr through `tracing`: `RUST_LOG` decides what, `--log-format` how.
//! While a progress bar is shown, each log line is written with the bar
//! lifted, so lines and bar never garble each other.

use clap::ValueEnum;
use indicatif::ProgressBar;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// How log lines look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The progress bar on stderr, if one is shown.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Installs the global subscriber. `default` is the filter when `RUST_LOG` is unset.
pub fn init(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Log lines from now on lift `bar` (or nothing, with `None`) while written.
pub fn show_progress_bar(bar: Option<ProgressBar>) {
    if let Ok(mut slot) = BAR.lock() {
        *slot = bar;
    }
}

/// stderr, around the progress bar. The formatter writes each line at once.
struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = BAR.lock().ok().and_then(|b| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
