//! A fake Bitrix24 portal, a fake amoCRM account, a fake MACRO company and a
//! fake Domoplaner account full of generated deals, and a fake Liner, started
//! together, with a liner-sync configuration that points at them. Used by `liner-sync demo` and by the `liner-sync-emulator`
//! binary.

use crate::{
    AmoAuth, AmoFake, AmoOptions, Bitrix24Fake, Bitrix24Options, DataSet, DomoplanerFake,
    DomoplanerOptions, LinerFake, LinerOptions, MacroFake, MacroOptions, SyncIdFormat,
};
use chrono::{DateTime, Duration, FixedOffset};
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
    /// The fake MACRO company, as many заявки as the portal has deals (own
    /// seed, ids from 40 000 000 + `first_id`).
    pub macro_crm: MacroFake,
    /// The MACRO company's share of `deals`.
    pub macro_deals: usize,
    /// The fake Domoplaner account, as many deals in its feed as the portal
    /// has (own seed, ids from 60 000 000 + `first_id`).
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
            options.deals,
            options.first_id.saturating_add(MACRO_ID_OFFSET),
            options.first_created,
        );
        let domoplaner_data = DataSet::generate(
            options.seed.wrapping_add(DOMOPLANER_SEED_OFFSET),
            options.deals,
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
            ..Bitrix24Options::default()
        })
        .await?;
        let amo = AmoFake::start(AmoOptions {
            data: amo_data,
            auth: AmoAuth::LongLived {
                token: options.amo_token.clone(),
            },
            port: options.amo_port,
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

    /// A liner-sync configuration for these fakes: sources `b24` (the
    /// webhook), `amo` (the base URL and long-lived token), `macro` (the
    /// base URL, domain, app secret and company token) and `domoplaner` (the
    /// feed's address), state in
    /// `state_path`, leads at `liner_rate_limit` (`"10/s"`), every generated
    /// deal new.
    pub fn config_yaml(&self, state_path: &str, liner_rate_limit: &str) -> String {
        let start_from = (self.options.first_created - Duration::days(1)).to_rfc3339();
        let macro_options = MacroOptions::default();
        format!(
            "liner:\n  base_url: {liner}\n  api_key: {key}\n  rate_limit: {liner_rate_limit}\n\
             state:\n  path: {state_path}\n\
             defaults:\n  order_id: 101\n  order_code: main\n  utc_offset: 3\n\
             sources:\n  - name: b24\n    kind: bitrix24\n    webhook_url: {webhook}\n    start_from: {start_from}\n\
             \x20 - name: amo\n    kind: amocrm\n    base_url: {amo}\n    access_token: {amo_token}\n    start_from: {start_from}\n\
             \x20 - name: macro\n    kind: macrocrm\n    base_url: {macro_url}\n    domain: {domain}\n    app_secret: {app_secret}\n\
             \x20   params: {{ company_token: {company_token} }}\n    start_from: {start_from}\n\
             \x20 - name: domoplaner\n    kind: domoplaner\n    feed_url: {feed_url}\n    start_from: {start_from}\n",
            liner = self.liner.base_url(),
            key = self.options.api_key,
            webhook = self.bitrix.webhook_url(),
            amo = self.amo.base_url(),
            amo_token = self.options.amo_token,
            macro_url = self.macro_crm.base_url(),
            domain = macro_options.domain,
            app_secret = macro_options.app_secret,
            company_token = macro_options.company_token.unwrap_or_default(),
            feed_url = self.domoplaner.feed_url(),
        )
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
