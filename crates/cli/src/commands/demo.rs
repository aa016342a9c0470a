//! `liner-sync demo`: the real pipeline against emulated CRMs (Bitrix24,
//! amoCRM, MacroCRM, Domoplaner) and Liner on loopback, with generated deals;
//! no credentials, nothing leaves the machine.

use super::run::{self, RunOptions};
use crate::config;
use crate::error::CliError;
use crate::output;
use liner_sync_emulator::{Sandbox, SandboxOptions};
use serde_json::json;

/// Leads per second the demo submits; the emulated Liner has no limit.
const DEMO_LINER_RATE: &str = "500/s";

/// Runs the demo and prints its summary; returns the exit code.
pub async fn execute(deals: usize, as_json: bool) -> Result<u8, CliError> {
    let sandbox = Sandbox::start(SandboxOptions {
        deals,
        seed: 7,
        first_id: 1001,
        api_key: "demo-liner-key".to_owned(),
        ..SandboxOptions::default()
    })
    .await
    .map_err(|e| CliError::internal(format!("cannot start the emulators: {e}")))?;
    let dir = tempfile::tempdir()
        .map_err(|e| CliError::internal(format!("cannot create a temporary directory: {e}")))?;
    let config_path = dir.path().join("demo.yaml");
    std::fs::write(
        &config_path,
        sandbox.config_yaml("demo.db", DEMO_LINER_RATE),
    )
    .map_err(|e| CliError::internal(format!("cannot write the demo config: {e}")))?;
    let loaded = config::load(&config_path)?;
    if !as_json {
        outln!(
            "demo: {} generated deals in an emulated Bitrix24 portal ({}), {} in an emulated \
             amoCRM account ({}), {} in an emulated MACRO company ({}) and {} in an emulated \
             Domoplaner feed ({}); leads go to an emulated Liner ({})",
            sandbox.deals - sandbox.amo_deals - sandbox.macro_deals - sandbox.domoplaner_deals,
            sandbox.bitrix.base_url(),
            sandbox.amo_deals,
            sandbox.amo.base_url(),
            sandbox.macro_deals,
            sandbox.macro_crm.base_url(),
            sandbox.domoplaner_deals,
            sandbox.domoplaner.base_url(),
            sandbox.liner.base_url()
        );
    }
    let report = run::execute(&loaded, &RunOptions::default()).await?;
    let received = sandbox.liner.received().len();
    if as_json {
        let sources: Vec<_> = report
            .sources
            .iter()
            .map(|s| {
                json!({"name": s.name, "kind": s.kind.as_str(), "fetched": s.fetched,
                            "sent": s.sent, "rejected": s.rejected, "failed": s.failed})
            })
            .collect();
        outln!(
            "{}",
            json!({"sources": sources, "liner_received": received})
        );
    } else {
        out!("{}", output::text(&report, false));
        outln!(
            "liner received {received} lead(s); {} of the {} generated deals have a callable phone",
            sandbox.callable,
            sandbox.deals
        );
        outln!(
            "bitrix24 answered {} request(s)",
            sandbox.bitrix.requests().len()
        );
    }
    Ok(output::exit_code(&report))
}
