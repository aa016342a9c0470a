//! `liner-sync-bench`: the benchmarks of BENCHMARKS.md. Starts the fakes in
//! this process on 127.0.0.1 and runs the real `liner-sync` binary (a
//! release build) against them as a child process, measuring its wall time,
//! CPU time and resident memory, and reading the fakes' request logs.
//!
//! ```sh
//! cargo build --release
//! cargo run --release -p liner-sync-emulator --bin liner-sync-bench -- all --quick
//! ```

mod child;
mod machine;
mod procfs;
mod report;
mod scenarios;
mod summary;
mod traffic;
mod world;

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};

use crate::report::Report;

/// What a benchmark returns; a failure is a broken run, not a slow one.
pub type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Liner submission rate achieved / configured, at 5, 50, 200 and 1000/s.
    Rate,
    /// CRM requests per page, each connector alone, rate limits off.
    Connectors,
    /// Leads/s and CPU per lead, four sources at once, rate limits off.
    Throughput,
    /// 429/503 replies provoked under the default limits.
    Limits,
    /// A 1,000,000-deal backfill's memory, then incremental passes.
    Backfill,
    /// Every benchmark above, in that order.
    All,
}

/// What `all` runs, in order: the 1,000,000-deal backfill last.
const EVERY: [Scenario; 5] = [
    Scenario::Rate,
    Scenario::Connectors,
    Scenario::Throughput,
    Scenario::Limits,
    Scenario::Backfill,
];

/// Command-line options.
#[derive(Debug, Parser)]
#[command(name = "liner-sync-bench", about)]
struct Args {
    /// Which benchmark.
    #[arg(value_enum)]
    scenario: Scenario,
    /// Small sizes (10,000 deals, 5-second rate runs): `all` in about a minute.
    #[arg(long)]
    quick: bool,
    /// The liner-sync binary to measure (default: `liner-sync` beside this
    /// program, i.e. the release build in the same target directory).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Where state files are written while a benchmark runs (default: the
    /// system's temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Deals in the backfill benchmark's portal (default 1,000,000; 10,000
    /// with --quick).
    #[arg(long)]
    deals: Option<usize>,
    /// The CRM of the backfill benchmark.
    #[arg(long, value_enum, default_value = "bitrix24")]
    crm: scenarios::Crm,
}

/// What every benchmark needs to know.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The liner-sync binary.
    pub binary: PathBuf,
    /// Where scratch directories go.
    pub work_dir: PathBuf,
    /// Small sizes.
    pub quick: bool,
    /// Deals in the backfill benchmark.
    pub backfill_deals: usize,
    /// The CRM of the backfill benchmark.
    pub backfill_crm: scenarios::Crm,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match bench(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("liner-sync-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn bench(args: &Args) -> BenchResult<()> {
    let setup = Setup {
        binary: match &args.binary {
            Some(binary) => binary.clone(),
            None => beside_this_program()?,
        },
        work_dir: args.work_dir.clone().unwrap_or_else(std::env::temp_dir),
        quick: args.quick,
        backfill_deals: args
            .deals
            .unwrap_or(if args.quick { 10_000 } else { 1_000_000 }),
        backfill_crm: args.crm,
    };
    if !setup.binary.is_file() {
        return Err(format!(
            "no liner-sync binary at {}; build it first (cargo build --release) or pass --binary",
            setup.binary.display()
        )
        .into());
    }
    let machine = machine::Machine::read();
    println!(
        "# liner-sync-bench ({})",
        if args.quick { "quick" } else { "full" }
    );
    println!("machine: {}", machine.describe());
    println!("binary:  {}", setup.binary.display());
    println!("JSON {}", serde_json::json!({ "machine": machine.json() }));
    let started = Instant::now();
    let chosen: &[Scenario] = match args.scenario {
        Scenario::All => &EVERY,
        _ => std::slice::from_ref(&args.scenario),
    };
    for scenario in chosen {
        let report = run(*scenario, &setup).await?;
        report.print(setup.quick);
    }
    println!("\ndone in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn run(scenario: Scenario, setup: &Setup) -> BenchResult<Report> {
    match scenario {
        Scenario::Rate => scenarios::rate::run(setup).await,
        Scenario::Connectors => scenarios::connectors::run(setup).await,
        Scenario::Throughput => scenarios::throughput::run(setup).await,
        Scenario::Limits => scenarios::limits::run(setup).await,
        Scenario::Backfill => scenarios::backfill::run(setup).await,
        Scenario::All => Err("`all` is every benchmark, not one".into()),
    }
}

/// `liner-sync` in the directory this program was started from.
fn beside_this_program() -> BenchResult<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me
        .parent()
        .ok_or("cannot tell which directory this program is in")?;
    Ok(dir.join(format!("liner-sync{}", std::env::consts::EXE_SUFFIX)))
}
