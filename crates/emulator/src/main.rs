//! `liner-sync-emulator`: a fake Bitrix24 portal full of generated deals and
//! a fake Liner, on 127.0.0.1, until Ctrl-C. Prints a liner-sync config that
//! points at them.

use std::io;

use chrono::{DateTime, Duration, FixedOffset};
use clap::Parser;
use liner_sync_emulator::{
    Bitrix24Fake, Bitrix24Options, DataSet, LinerFake, LinerOptions, SyncIdFormat,
};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(name = "liner-sync-emulator", version, about)]
struct Args {
    /// How many deals the fake Bitrix24 portal holds.
    #[arg(long, default_value_t = 200)]
    deals: usize,
    /// Seed of the generated data (same seed, same deals).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// When the first deal was created (RFC 3339).
    #[arg(long, default_value = "2026-11-02T09:00:00+03:00")]
    first_created: DateTime<FixedOffset>,
    /// Port of the fake Bitrix24 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    bitrix_port: u16,
    /// Port of the fake Liner (0 = any free port).
    #[arg(long, default_value_t = 0)]
    liner_port: u16,
    /// The API key the fake Liner accepts.
    #[arg(long, default_value = "liner-test-api-key")]
    api_key: String,
    /// Liner's server-side rate limit in requests per second (none if unset).
    #[arg(long)]
    liner_rate: Option<f64>,
    /// Make Liner's sync create answer `{"id": N}` instead of `N`.
    #[arg(long)]
    sync_id_object: bool,
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let args = Args::parse();
    let data = DataSet::generate(args.seed, args.deals, 1, args.first_created);
    let rejected = data
        .deals
        .iter()
        .filter(|d| d.expected.phone.is_none())
        .count();
    let bitrix = Bitrix24Fake::start(Bitrix24Options {
        data,
        port: args.bitrix_port,
        ..Bitrix24Options::default()
    })
    .await?;
    let liner = LinerFake::start(LinerOptions {
        api_key: args.api_key.clone(),
        rate_limit_per_second: args.liner_rate,
        sync_id_format: if args.sync_id_object {
            SyncIdFormat::Object
        } else {
            SyncIdFormat::Number
        },
        port: args.liner_port,
        ..LinerOptions::default()
    })
    .await?;
    println!("Bitrix24 webhook: {}", bitrix.webhook_url());
    println!("Liner:            {}", liner.base_url());
    println!(
        "{} deals (seed {}), {} without a callable phone\n",
        bitrix.deal_count(),
        args.seed,
        rejected
    );
    println!("# liner-sync config: save as sync.yaml and run `liner-sync run --config sync.yaml`");
    print!("{}", config_yaml(&bitrix, &liner, &args));
    println!("\nCtrl-C stops both fakes.");
    tokio::signal::ctrl_c().await?;
    println!(
        "Liner accepted {} leads; Bitrix24 answered {} requests.",
        liner.received().len(),
        bitrix.requests().len()
    );
    Ok(())
}

fn config_yaml(bitrix: &Bitrix24Fake, liner: &LinerFake, args: &Args) -> String {
    let start_from = (args.first_created - Duration::days(1)).to_rfc3339();
    let rate = args.liner_rate.map_or_else(
        || "10/s".to_owned(),
        |r| format!("{}/s", r.floor().max(1.0)),
    );
    format!(
        "liner:
  base_url: {liner_url}
  api_key: {api_key}
  rate_limit: {rate}
state:
  path: liner-sync-demo.db
defaults:
  order_id: 101
  order_code: main
  utc_offset: 3
sources:
  - name: b24
    kind: bitrix24
    webhook_url: {webhook}
    start_from: {start_from}
",
        liner_url = liner.base_url(),
        api_key = args.api_key,
        webhook = bitrix.webhook_url(),
    )
}
