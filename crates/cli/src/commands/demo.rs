//! `liner-sync demo`: the real pipeline against emulated Bitrix24 and Liner
//! on loopback, with generated deals; no credentials, nothing leaves the machine.

use super::run::{self, RunOptions};
use crate::config;
use crate::error::CliError;
use crate::output;
use chrono::{DateTime, Duration, FixedOffset};
use liner_sync_emulator::{
    Bitrix24Fake, Bitrix24Options, DataSet, LinerFake, LinerOptions, SyncIdFormat,
};
use serde_json::json;

const DEMO_API_KEY: &str = "demo-liner-key";
const FIRST_DEAL_ID: u64 = 1001;
const SEED: u64 = 7;

/// Runs the demo and prints its summary; returns the exit code.
pub async fn execute(deals: usize, as_json: bool) -> Result<u8, CliError> {
    let first_created = first_created()?;
    let data = DataSet::generate(SEED, deals, FIRST_DEAL_ID, first_created);
    let generated = data.deals.len();
    let expected_valid = data
        .deals
        .iter()
        .filter(|d| d.expected.phone.is_some())
        .count();
    let bitrix = Bitrix24Fake::start(Bitrix24Options {
        data,
        ..Bitrix24Options::default()
    })
    .await
    .map_err(|e| CliError::internal(format!("cannot start the Bitrix24 emulator: {e}")))?;
    let liner = LinerFake::start(LinerOptions {
        api_key: DEMO_API_KEY.to_owned(),
        orders: vec![(101, "main".to_owned()), (102, "spb".to_owned())],
        rate_limit_per_second: None,
        sync_id_format: SyncIdFormat::Number,
        port: 0,
    })
    .await
    .map_err(|e| CliError::internal(format!("cannot start the Liner emulator: {e}")))?;

    let dir = tempfile::tempdir()
        .map_err(|e| CliError::internal(format!("cannot create a temporary directory: {e}")))?;
    let config_path = dir.path().join("demo.yaml");
    let start_from = first_created - Duration::days(1);
    let yaml = format!(
        "# Written by `liner-sync demo`: the emulators listen on 127.0.0.1 only.\n\
         liner:\n  base_url: {liner_url}\n  api_key: {DEMO_API_KEY}\n  rate_limit: 500/s\n  max_in_flight: 32\n\
         state:\n  path: demo.db\n\
         defaults:\n  order_id: 101\n  order_code: main\n  utc_offset: 3\n  source_comment: \"Сделка {{id}}: {{title}}\"\n\
         sources:\n  - name: b24\n    kind: bitrix24\n    webhook_url: {webhook}\n    start_from: {start}\n",
        liner_url = liner.base_url(),
        webhook = bitrix.webhook_url(),
        start = start_from.to_rfc3339(),
    );
    std::fs::write(&config_path, yaml)
        .map_err(|e| CliError::internal(format!("cannot write the demo config: {e}")))?;
    let loaded = config::load(&config_path)?;
    if !as_json {
        eprintln!(
            "demo: {generated} generated deals in an emulated Bitrix24 at {}, leads to an emulated Liner at {}",
            bitrix.base_url(),
            liner.base_url()
        );
    }
    let report = run::execute(&loaded, &RunOptions::default()).await?;
    let received = liner.received().len();
    if as_json {
        let sources: Vec<_> = report
            .sources
            .iter()
            .map(|s| {
                json!({"name": s.name, "kind": s.kind.as_str(), "fetched": s.fetched,
                            "sent": s.sent, "rejected": s.rejected, "failed": s.failed})
            })
            .collect();
        println!(
            "{}",
            json!({"sources": sources, "liner_received": received})
        );
    } else {
        print!("{}", output::text(&report, false));
        println!(
            "liner received {received} lead(s); {expected_valid} of the {generated} generated deals have a callable phone"
        );
        println!(
            "bitrix24 requests: {} for {generated} deals",
            bitrix.requests().len()
        );
    }
    Ok(output::exit_code(&report))
}

fn first_created() -> Result<DateTime<FixedOffset>, CliError> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00")
        .map_err(|e| CliError::internal(format!("bad demo start time: {e}")))
}
