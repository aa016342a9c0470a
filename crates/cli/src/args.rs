//! The command line.

use crate::logging::LogFormat;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Moves new CRM deals into Liner as leads to be called: exactly once, within
/// every API's rate limits, losing nothing when a network, an API or the
/// machine fails.
#[derive(Debug, Parser)]
#[command(name = "liner-sync", version, about, long_about = None)]
pub struct Args {
    /// How log lines on stderr look (what is logged: RUST_LOG, e.g. RUST_LOG=debug).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one pass: send every new deal of every source to Liner.
    Run {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Print the leads as JSON lines instead of sending them; write no state.
        #[arg(long)]
        dry_run: bool,
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send the deals of one source created in a window of time, without
    /// moving its live cursor; run it again with the same window to resume.
    Backfill {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// The source.
        #[arg(long)]
        source: String,
        /// Deals created at or after this (RFC 3339, or a date meaning its midnight UTC).
        #[arg(long)]
        from: String,
        /// Deals created before this (default: everything since --from).
        #[arg(long)]
        to: Option<String>,
        /// Print the leads as JSON lines instead of sending them; write no state.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Keep running: poll every source on its own interval or schedule until
    /// SIGTERM or Ctrl-C.
    Watch {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Serve Prometheus metrics on http://ADDR/metrics (and /healthz).
        #[arg(long, value_name = "ADDR")]
        metrics_addr: Option<std::net::SocketAddr>,
    },
    /// List the deals recorded rejected or failed, with why.
    Failed {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read the rejected and failed deals again from their CRM and send them.
    RetryFailed {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Only these deal ids.
        #[arg(long, num_args = 1..)]
        id: Vec<String>,
    },
    /// Show what the state file holds: cursors, counts, last pass, recent problems.
    Status {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the configuration, every CRM and Liner (reachable, credentials, orders).
    Check {
        /// The configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// See it work: the real pipeline against emulated Bitrix24 and Liner on 127.0.0.1.
    Demo {
        /// How many deals to generate.
        #[arg(long, default_value_t = 200)]
        deals: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}
