//! A fake Bitrix24 portal, a fake amoCRM account, a fake MACRO company and a
//! fake Domoplaner account full of generated deals, and a fake Liner, started
//! together, with a liner-sync configuration that points at them. Used by
//! `liner-sync demo`, the `liner-sync-emulator` binary and the benchmarks.

mod config;

pub use config::ConfigTuning;

use crate::{
    AmoAuth, AmoFake, AmoOptions, Bitrix24Fake, Bitrix24Options, DataSet, DomoplanerFake,
    DomoplanerOptions, LinerFake, LinerOptions, MacroFake, MacroOptions, SyncIdFormat,
};
use chrono::{DateTime, FixedOffset};
use std::io;

/// How far the amoCRM account's data seed is from the portal's.
const AMO_SEED_OFFSET: u64 = 1_000;
/// How far the amoCRM lead ids are from the portal's deal ids.
const AMO_ID_OFFSET: u64 = 20_000_000;
/// How far the MACRO company's data seed is from the portal's.
const MACRO_SEED_OFFSET: u64 = 2_000;
/// How far the MACRO заявка ids are from the portal's deal ids.
const MACRO_ID_OFFSET: u64 = 40_000_000;
/// How far the Domoplaner account's data seed is from the portal's.
const DOMOPLANER_SEED_OFFSET: u64 = 3_000;
/// How far the Domoplaner deal ids are from the portal's deal ids.
const DOMOPLANER_ID_OFFSET: u64 = 60_000_000;

/// What to start.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Deals in the portal.
    pub deals: usize,
    /// Leads in the amoCRM account (`None`: as many as `deals`). Their data
    /// has its own seed and ids from 20 000 000 + `first_id`.
    pub amo_deals: Option<usize>,
    /// Заявки in the MACRO company (`None`: as many as `deals`). Their data
    /// has its own seed and ids from 40 000 000 + `first_id`.
    pub macro_deals: Option<usize>,
    /// Deals in the Domoplaner feed (`None`: as many as `deals`). Their data
    /// has its own seed and ids from 60 000 000 + `first_id`.
    pub domoplaner_deals: Option<usize>,
    /// Whether the fake Bitrix24 and amoCRM enforce their documented rate
    /// limits (503 `QUERY_LIMIT_EXCEEDED`, 429). Off only to measure
    /// liner-sync without them.
    pub enforce_rate_limits: bool,
    /// Seed of the generated data (same seed, same deals).
    pub seed: u64,
    /// Id of the first deal.
    pub first_id: u64,
    /// When the first deal was created.
    pub first_created: DateTime<FixedOffset>,
    /// Port of the fake Bitrix24 (0: any free port).
    pub bitrix_port: u16,
    /// Port of the fake amoCRM (0: any free port).
    pub amo_port: u16,
    /// The long-lived token the fake amoCRM accepts.
    pub amo_token: String,
    /// Port of the fake Liner (0: any free port).
    pub liner_port: u16,
    /// The API key the fake Liner accepts.
    pub api_key: String,
    /// Liner's own rate limit in requests per second (429 above it).
    pub liner_rate: Option<f64>,
    /// How Liner's sync create returns the lead id.
    pub sync_id_format: SyncIdFormat,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            deals: 200,
            amo_deals: None,
            macro_deals: None,
            domoplaner_deals: None,
            enforce_rate_limits: true,
            seed: 1,
            first_id: 1,
            first_created: DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00")
                .unwrap_or_default(),
            bitrix_port: 0,
            amo_port: 0,
            amo_token: "amo-long-lived-test-token".to_owned(),
            liner_port: 0,
            api_key: "liner-test-api-key".to_owned(),
            liner_rate: None,
            sync_id_format: SyncIdFormat::Number,
        }
    }
}

/// The fakes, running until dropped.
pub struct Sandbox {
    /// The fake portal.
    pub bitrix: Bitrix24Fake,
    /// The fake amoCRM account.
    pub amo: AmoFake,
    /// The fake Liner.
    pub liner: LinerFake,
    /// Deals generated, in both CRMs together.
    pub deals: usize,
    /// Generated deals, in both CRMs together, that have a callable phone
    /// (the rest must be rejected).
    pub callable: usize,
    /// The amoCRM account's share of `deals`.
    pub amo_deals: usize,
    /// The amoCRM account's share of `callable`.
    pub amo_callable: usize,
    /// The fake MACRO company (own seed, ids from 40 000 000 + `first_id`).
    pub macro_crm: MacroFake,
    /// The MACRO company's share of `deals`.
    pub macro_deals: usize,
    /// The fake Domoplaner account (own seed, ids from 60 000 000 +
    /// `first_id`).
    pub domoplaner: DomoplanerFake,
    /// The Domoplaner account's share of `deals`.
    pub domoplaner_deals: usize,
    options: SandboxOptions,
}

impl Sandbox {
    /// Generates the data and starts the fakes on 127.0.0.1.
    pub async fn start(options: SandboxOptions) -> io::Result<Sandbox> {
        let data = DataSet::generate(
            options.seed,
            options.deals,
            options.first_id,
            options.first_created,
        );
        let amo_data = DataSet::generate(
            options.seed.wrapping_add(AMO_SEED_OFFSET),
            options.amo_deals.unwrap_or(options.deals),
            options.first_id.saturating_add(AMO_ID_OFFSET),
            options.first_created,
        );
        let macro_data = DataSet::generate(
            options.seed.wrapping_add(MACRO_SEED_OFFSET),
            options.macro_deals.unwrap_or(options.deals),
            options.first_id.saturating_add(MACRO_ID_OFFSET),
            options.first_created,
        );
        let domoplaner_data = DataSet::generate(
            options.seed.wrapping_add(DOMOPLANER_SEED_OFFSET),
            options.domoplaner_deals.unwrap_or(options.deals),
            options.first_id.saturating_add(DOMOPLANER_ID_OFFSET),
            options.first_created,
        );
        let (amo_deals, amo_callable) = counts(&amo_data);
        let (domoplaner_deals, domoplaner_callable) = counts(&domoplaner_data);
        let (macro_deals, macro_callable) = counts(&macro_data);
        let (bitrix_deals, bitrix_callable) = counts(&data);
        let bitrix = Bitrix24Fake::start(Bitrix24Options {
            data,
            port: options.bitrix_port,
            enforce_rate_limit: options.enforce_rate_limits,
            ..Bitrix24Options::default()
        })
        .await?;
        let amo = AmoFake::start(AmoOptions {
            data: amo_data,
            auth: AmoAuth::LongLived {
                token: options.amo_token.clone(),
            },
            port: options.amo_port,
            enforce_rate_limit: options.enforce_rate_limits,
            ..AmoOptions::default()
        })
        .await?;
        let macro_crm = MacroFake::start(MacroOptions {
            data: macro_data,
            ..MacroOptions::default()
        })
        .await?;
        let domoplaner = DomoplanerFake::start(DomoplanerOptions {
            data: domoplaner_data,
            ..DomoplanerOptions::default()
        })
        .await?;
        let liner = LinerFake::start(LinerOptions {
            api_key: options.api_key.clone(),
            rate_limit_per_second: options.liner_rate,
            sync_id_format: options.sync_id_format,
            port: options.liner_port,
            ..LinerOptions::default()
        })
        .await?;
        Ok(Sandbox {
            bitrix,
            amo,
            liner,
            deals: bitrix_deals + amo_deals + macro_deals + domoplaner_deals,
            callable: bitrix_callable + amo_callable + macro_callable + domoplaner_callable,
            amo_deals,
            amo_callable,
            macro_crm,
            macro_deals,
            domoplaner,
            domoplaner_deals,
            options,
        })
    }
}

/// Deals in `data`, and how many of them have a callable phone.
fn counts(data: &DataSet) -> (usize, usize) {
    let callable = data
        .deals
        .iter()
        .filter(|d| d.expected.phone.is_some())
        .count();
    (data.deals.len(), callable)
}
