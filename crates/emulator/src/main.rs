//! `liner-sync-emulator`: a fake Bitrix24 portal, amoCRM account, MACRO
//! company and Domoplaner account full of generated deals, and a fake Liner,
//! on 127.0.0.1, until Ctrl-C.
//! Prints a liner-sync config that points at them.

use chrono::{DateTime, FixedOffset};
use clap::Parser;
use liner_sync_emulator::{Sandbox, SandboxOptions, SyncIdFormat};
use std::io;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(name = "liner-sync-emulator", version, about)]
struct Args {
    /// How many deals the fake Bitrix24 portal holds.
    #[arg(long, default_value_t = 200)]
    deals: usize,
    /// How many leads the fake amoCRM account holds (default: as many as
    /// `--deals`).
    #[arg(long)]
    amo_deals: Option<usize>,
    /// Seed of the generated data (same seed, same deals).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// When the first deal was created (RFC 3339).
    #[arg(long, default_value = "2026-11-02T09:00:00+03:00")]
    first_created: DateTime<FixedOffset>,
    /// Port of the fake Bitrix24 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    bitrix_port: u16,
    /// Port of the fake amoCRM (0 = any free port).
    #[arg(long, default_value_t = 0)]
    amo_port: u16,
    /// The long-lived token the fake amoCRM accepts.
    #[arg(long, default_value = "amo-long-lived-test-token")]
    amo_token: String,
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
    let sandbox = Sandbox::start(SandboxOptions {
        deals: args.deals,
        amo_deals: args.amo_deals,
        seed: args.seed,
        first_created: args.first_created,
        bitrix_port: args.bitrix_port,
        amo_port: args.amo_port,
        amo_token: args.amo_token.clone(),
        liner_port: args.liner_port,
        api_key: args.api_key.clone(),
        liner_rate: args.liner_rate,
        sync_id_format: if args.sync_id_object {
            SyncIdFormat::Object
        } else {
            SyncIdFormat::Number
        },
        ..SandboxOptions::default()
    })
    .await?;
    let rate = args.liner_rate.map_or_else(
        || "10/s".to_owned(),
        |r| format!("{}/s", r.floor().max(1.0)),
    );
    println!("Bitrix24 webhook: {}", sandbox.bitrix.webhook_url());
    println!("amoCRM base URL:  {}", sandbox.amo.base_url());
    println!("amoCRM token:     {}", args.amo_token);
    println!("MACRO base URL:   {}", sandbox.macro_crm.base_url());
    println!("Domoplaner feed:  {}", sandbox.domoplaner.feed_url());
    println!("Liner:            {}", sandbox.liner.base_url());
    println!(
        "{} deals (seed {}; {} of them amoCRM leads), {} without a callable phone\n",
        sandbox.deals,
        args.seed,
        sandbox.amo_deals,
        sandbox.deals - sandbox.callable
    );
    println!("# liner-sync config: save as sync.yaml and run `liner-sync run --config sync.yaml`");
    print!("{}", sandbox.config_yaml("liner-sync-demo.db", &rate));
    println!("\nCtrl-C stops the fakes.");
    tokio::signal::ctrl_c().await?;
    println!(
        "Liner accepted {} leads; Bitrix24 answered {} requests, amoCRM {}, MACRO {}, \
         Domoplaner {}.",
        sandbox.liner.received().len(),
        sandbox.bitrix.requests().len(),
        sandbox.amo.requests().len(),
        sandbox.macro_crm.requests().len(),
        sandbox.domoplaner.requests().len()
    );
    Ok(())
}
