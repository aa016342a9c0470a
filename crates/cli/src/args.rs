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
