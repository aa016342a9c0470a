//! What the end-to-end tests need to know about each CRM's emulator.

use liner_sync_emulator::{Bitrix24Fake, Bitrix24Options, DataSet, Faults, RecordedRequest};
use serde_json::Value;

/// One CRM emulator as the tests drive it. A new connector implements this
/// once and gets the whole conformance suite (see `tests/conformance/`).
#[allow(async_fn_in_trait)]
pub trait Crm: Sized + Send + Sync + 'static {
    /// The source's `kind:`.
    const KIND: &'static str;
    /// The source's `name:` in the test config.
    const SOURCE: &'static str;
    /// The Liner field that carries the deal id.
    const EXTERNAL_ID: &'static str;
    /// Deals the CRM returns per page.
    const PAGE_SIZE: usize;
    /// The HTTP status of the CRM's "slow down" reply.
    const RATE_LIMIT_STATUS: u16;

    /// Starts the emulator holding `data`.
    async fn start(data: DataSet) -> Self;
    /// The connector's own keys of the source entry (secrets as `${VAR}`).
    fn source_keys(&self) -> Vec<String>;
    /// The environment those `${VAR}`s come from.
    fn env(&self) -> Vec<(&'static str, String)>;
    /// Adds deals while the emulator runs.
    fn add(&self, data: DataSet);
    /// The emulator's fault knobs.
    fn faults(&self) -> &Faults;
    /// Every request the emulator answered.
    fn requests(&self) -> Vec<RecordedRequest>;
    /// Secrets that must never appear in any output.
    fn secrets(&self) -> Vec<String>;
    /// A cursor past every deal the emulator will ever hold.
    fn future_cursor(&self) -> Value;
}

pub const WEBHOOK_CODE: &str = "e2ewebhookcode77x";

/// Bitrix24 through an incoming webhook.
pub struct Bitrix24 {
    pub fake: Bitrix24Fake,
}

impl Crm for Bitrix24 {
    const KIND: &'static str = "bitrix24";
    const SOURCE: &'static str = "b24";
    const EXTERNAL_ID: &'static str = "externalIdBitrix24";
    const PAGE_SIZE: usize = 50;
    const RATE_LIMIT_STATUS: u16 = 503;

    async fn start(data: DataSet) -> Self {
        let fake = Bitrix24Fake::start(Bitrix24Options {
            webhook_code: WEBHOOK_CODE.to_owned(),
            data,
            ..Bitrix24Options::default()
        })
        .await
        .unwrap();
        Bitrix24 { fake }
    }

    fn source_keys(&self) -> Vec<String> {
        vec!["webhook_url: ${E2E_WEBHOOK}".to_owned()]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("E2E_WEBHOOK", self.fake.webhook_url())]
    }

    fn add(&self, data: DataSet) {
        self.fake.add_deals(data);
    }

    fn faults(&self) -> &Faults {
        self.fake.faults()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.fake.requests()
    }

    fn secrets(&self) -> Vec<String> {
        vec![WEBHOOK_CODE.to_owned()]
    }

    fn future_cursor(&self) -> Value {
        serde_json::json!({"last_id": 9_000_000_000u64})
    }
}
