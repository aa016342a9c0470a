//! What the end-to-end tests need to know about each CRM's emulator.

use liner_sync_emulator::{
    AmoAuth, AmoFake, AmoOptions, Bitrix24Fake, Bitrix24Options, DataSet, DomoplanerFake,
    DomoplanerOptions, Faults, MacroFake, MacroOptions, RecordedRequest,
};
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
    /// Whether a pass reads the CRM in several requests, page by page.
    /// `false`: one request per pass reads everything (a feed), so a CRM
    /// failure can only meet that request, before any deal of the pass.
    const PAGED: bool = true;
    /// What the connector logs, after its kind, for a CRM reply cut short
    /// (JSON that ends mid-body behind a 200).
    const CUT_SHORT: &'static str = "malformed JSON";

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

pub const AMO_TOKEN: &str = "e2e-amo-long-lived-7f3c";
pub const AMO_CLIENT_SECRET: &str = "e2e-amo-client-secret-91ab";
pub const AMO_SEED_REFRESH: &str = "e2e-amo-seed-refresh-4d2e";

/// amoCRM with a long-lived token.
pub struct Amocrm {
    pub fake: AmoFake,
}

fn amo_future_cursor() -> Value {
    // Further ahead than any lookback, so nothing is read again.
    let far = chrono::Utc::now().timestamp() + 10 * 365 * 24 * 3600;
    serde_json::json!({"created_at": far, "ids": []})
}

impl Crm for Amocrm {
    const KIND: &'static str = "amocrm";
    const SOURCE: &'static str = "amo";
    const EXTERNAL_ID: &'static str = "externalIdAmo";
    const PAGE_SIZE: usize = 250;
    const RATE_LIMIT_STATUS: u16 = 429;

    async fn start(data: DataSet) -> Self {
        let fake = AmoFake::start(AmoOptions {
            data,
            auth: AmoAuth::LongLived {
                token: AMO_TOKEN.to_owned(),
            },
            ..AmoOptions::default()
        })
        .await
        .unwrap();
        Amocrm { fake }
    }

    fn source_keys(&self) -> Vec<String> {
        vec![
            format!("base_url: {}", self.fake.base_url()),
            "access_token: ${E2E_AMO_TOKEN}".to_owned(),
        ]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("E2E_AMO_TOKEN", AMO_TOKEN.to_owned())]
    }

    fn add(&self, data: DataSet) {
        self.fake.add_leads(data);
    }

    fn faults(&self) -> &Faults {
        self.fake.faults()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.fake.requests()
    }

    fn secrets(&self) -> Vec<String> {
        vec![AMO_TOKEN.to_owned()]
    }

    fn future_cursor(&self) -> Value {
        amo_future_cursor()
    }
}

/// amoCRM through OAuth with rotating refresh tokens.
pub struct AmocrmOAuth {
    pub fake: AmoFake,
}

impl Crm for AmocrmOAuth {
    const KIND: &'static str = "amocrm";
    const SOURCE: &'static str = "amo";
    const EXTERNAL_ID: &'static str = "externalIdAmo";
    const PAGE_SIZE: usize = 250;
    const RATE_LIMIT_STATUS: u16 = 429;

    async fn start(data: DataSet) -> Self {
        let fake = AmoFake::start(AmoOptions {
            data,
            auth: AmoAuth::OAuth {
                client_id: "e2e-client".to_owned(),
                client_secret: AMO_CLIENT_SECRET.to_owned(),
                redirect_uri: "https://example.com/oauth".to_owned(),
                initial_refresh_token: AMO_SEED_REFRESH.to_owned(),
                initial_access_token: None,
            },
            ..AmoOptions::default()
        })
        .await
        .unwrap();
        AmocrmOAuth { fake }
    }

    fn source_keys(&self) -> Vec<String> {
        vec![
            format!("base_url: {}", self.fake.base_url()),
            "client_id: e2e-client".to_owned(),
            "client_secret: ${E2E_AMO_CLIENT_SECRET}".to_owned(),
            "redirect_uri: https://example.com/oauth".to_owned(),
            "refresh_token: ${E2E_AMO_REFRESH}".to_owned(),
        ]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("E2E_AMO_CLIENT_SECRET", AMO_CLIENT_SECRET.to_owned()),
            ("E2E_AMO_REFRESH", AMO_SEED_REFRESH.to_owned()),
        ]
    }

    fn add(&self, data: DataSet) {
        self.fake.add_leads(data);
    }

    fn faults(&self) -> &Faults {
        self.fake.faults()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.fake.requests()
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = vec![AMO_CLIENT_SECRET.to_owned(), AMO_SEED_REFRESH.to_owned()];
        secrets.extend(self.fake.tokens_issued());
        secrets
    }

    fn future_cursor(&self) -> Value {
        amo_future_cursor()
    }
}

pub const B24_CLIENT_SECRET: &str = "e2e-b24-client-secret-5a7d";
pub const B24_SEED_REFRESH: &str = "e2e-b24-seed-refresh-c3f0";

/// Bitrix24 through an OAuth application with rotating refresh tokens.
pub struct Bitrix24OAuth {
    pub fake: Bitrix24Fake,
}

impl Crm for Bitrix24OAuth {
    const KIND: &'static str = "bitrix24";
    const SOURCE: &'static str = "b24";
    const EXTERNAL_ID: &'static str = "externalIdBitrix24";
    const PAGE_SIZE: usize = 50;
    const RATE_LIMIT_STATUS: u16 = 503;

    async fn start(data: DataSet) -> Self {
        let fake = Bitrix24Fake::start(Bitrix24Options {
            data,
            oauth: Some(liner_sync_emulator::Bitrix24OAuth {
                client_id: "local.e2e".to_owned(),
                client_secret: B24_CLIENT_SECRET.to_owned(),
                initial_refresh_token: B24_SEED_REFRESH.to_owned(),
                access_token_lifetime: std::time::Duration::from_secs(3600),
            }),
            ..Bitrix24Options::default()
        })
        .await
        .unwrap();
        Bitrix24OAuth { fake }
    }

    fn source_keys(&self) -> Vec<String> {
        vec![
            format!("client_endpoint: {}", self.fake.client_endpoint()),
            "client_id: local.e2e".to_owned(),
            "client_secret: ${E2E_B24_CLIENT_SECRET}".to_owned(),
            "refresh_token: ${E2E_B24_REFRESH}".to_owned(),
            format!("oauth_server: {}", self.fake.oauth_server_url()),
        ]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("E2E_B24_CLIENT_SECRET", B24_CLIENT_SECRET.to_owned()),
            ("E2E_B24_REFRESH", B24_SEED_REFRESH.to_owned()),
        ]
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
        let mut secrets = vec![B24_CLIENT_SECRET.to_owned(), B24_SEED_REFRESH.to_owned()];
        secrets.extend(self.fake.tokens_issued());
        secrets
    }

    fn future_cursor(&self) -> Value {
        serde_json::json!({"last_id": 9_000_000_000u64})
    }
}

pub const MACRO_DOMAIN: &str = "вашсайт.рф";
pub const MACRO_APP_SECRET: &str = "e2e-macro-app-secret-6b1d";
pub const MACRO_COMPANY_TOKEN: &str = "e2e-macro-company-token-0e9a";

/// MacroCRM with the connector's assumed defaults (page+limit, 100 a page).
pub struct Macrocrm {
    pub fake: MacroFake,
}

impl Macrocrm {
    /// The fake with `options` over the test keys.
    pub async fn start_with(options: MacroOptions) -> Self {
        let fake = MacroFake::start(MacroOptions {
            domain: MACRO_DOMAIN.to_owned(),
            app_secret: MACRO_APP_SECRET.to_owned(),
            company_token: Some(MACRO_COMPANY_TOKEN.to_owned()),
            ..options
        })
        .await
        .unwrap();
        Macrocrm { fake }
    }
}

impl Crm for Macrocrm {
    const KIND: &'static str = "macrocrm";
    const SOURCE: &'static str = "macro";
    const EXTERNAL_ID: &'static str = "externalIdMacro";
    const PAGE_SIZE: usize = 100;
    const RATE_LIMIT_STATUS: u16 = 429;

    async fn start(data: DataSet) -> Self {
        Self::start_with(MacroOptions {
            data,
            ..MacroOptions::default()
        })
        .await
    }

    fn source_keys(&self) -> Vec<String> {
        vec![
            format!("base_url: {}", self.fake.base_url()),
            format!("domain: {MACRO_DOMAIN}"),
            "app_secret: ${E2E_MACRO_SECRET}".to_owned(),
            "params: { company_token: \"${E2E_MACRO_COMPANY_TOKEN}\" }".to_owned(),
        ]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("E2E_MACRO_SECRET", MACRO_APP_SECRET.to_owned()),
            ("E2E_MACRO_COMPANY_TOKEN", MACRO_COMPANY_TOKEN.to_owned()),
        ]
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
        let mut secrets = vec![MACRO_APP_SECRET.to_owned(), MACRO_COMPANY_TOKEN.to_owned()];
        secrets.extend(self.fake.tokens_seen());
        secrets
    }

    fn future_cursor(&self) -> Value {
        let far = chrono::Utc::now() + chrono::Duration::days(3650);
        serde_json::json!({"start": far, "newest": far})
    }
}

pub const DOMOPLANER_FEED_TOKEN: &str = "e2e-domoplaner-feed-token-8d3b";

/// Domoplaner through its deals feed, with the connector's assumed field names.
pub struct Domoplaner {
    pub fake: DomoplanerFake,
}

impl Domoplaner {
    /// The fake with `options` over the test's feed token.
    pub async fn start_with(options: DomoplanerOptions) -> Self {
        let fake = DomoplanerFake::start(DomoplanerOptions {
            feed_token: DOMOPLANER_FEED_TOKEN.to_owned(),
            ..options
        })
        .await
        .unwrap();
        Domoplaner { fake }
    }
}

impl Crm for Domoplaner {
    const KIND: &'static str = "domoplaner";
    const SOURCE: &'static str = "dp-feed";
    const EXTERNAL_ID: &'static str = "externalIdDomoplaner";
    /// New deals per page the source hands out; the feed itself is one reply.
    const PAGE_SIZE: usize = 500;
    const RATE_LIMIT_STATUS: u16 = 429;
    const PAGED: bool = false;
    /// The feed is one download: a cut says how far it got, not where the
    /// JSON broke.
    const CUT_SHORT: &'static str = "the feed ended early";

    async fn start(data: DataSet) -> Self {
        Self::start_with(DomoplanerOptions {
            data,
            ..DomoplanerOptions::default()
        })
        .await
    }

    fn source_keys(&self) -> Vec<String> {
        vec!["feed_url: ${E2E_DOMOPLANER_FEED}".to_owned()]
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("E2E_DOMOPLANER_FEED", self.fake.feed_url())]
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
        vec![DOMOPLANER_FEED_TOKEN.to_owned()]
    }

    /// The cursor is the source's start: one later than every deal.
    fn future_cursor(&self) -> Value {
        let far = chrono::Utc::now() + chrono::Duration::days(3650);
        serde_json::json!({"start": far})
    }
}

pub const DOMOPLANER_API_TOKEN: &str = "e2e-domoplaner-api-token-2f7c";

/// Domoplaner whose feed carries no phones, so every deal with a client is
/// completed from the Bearer-token leads API.
pub struct DomoplanerLeadsApi {
    pub feed: Domoplaner,
}

impl Crm for DomoplanerLeadsApi {
    const KIND: &'static str = Domoplaner::KIND;
    const SOURCE: &'static str = Domoplaner::SOURCE;
    const EXTERNAL_ID: &'static str = Domoplaner::EXTERNAL_ID;
    const PAGE_SIZE: usize = Domoplaner::PAGE_SIZE;
    const RATE_LIMIT_STATUS: u16 = Domoplaner::RATE_LIMIT_STATUS;
    const PAGED: bool = Domoplaner::PAGED;
    const CUT_SHORT: &'static str = Domoplaner::CUT_SHORT;

    async fn start(data: DataSet) -> Self {
        let feed = Domoplaner::start_with(DomoplanerOptions {
            data,
            api_token: Some(DOMOPLANER_API_TOKEN.to_owned()),
            include_phones: false,
            ..DomoplanerOptions::default()
        })
        .await;
        DomoplanerLeadsApi { feed }
    }

    fn source_keys(&self) -> Vec<String> {
        let mut keys = self.feed.source_keys();
        keys.extend([
            "enrich:".to_owned(),
            format!("  api_base: {}", self.feed.fake.api_base()),
            "  token: ${E2E_DOMOPLANER_API_TOKEN}".to_owned(),
            "  rate_limit: 200/s".to_owned(),
        ]);
        keys
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.feed.env();
        env.push(("E2E_DOMOPLANER_API_TOKEN", DOMOPLANER_API_TOKEN.to_owned()));
        env
    }

    fn add(&self, data: DataSet) {
        self.feed.add(data);
    }

    fn faults(&self) -> &Faults {
        self.feed.faults()
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.feed.requests()
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = self.feed.secrets();
        secrets.push(DOMOPLANER_API_TOKEN.to_owned());
        secrets
    }

    fn future_cursor(&self) -> Value {
        self.feed.future_cursor()
    }
}

/// A CRM emulator whose OAuth tokens the tests can expire and revoke.
pub trait OAuthCrm: Crm {
    /// Every access token issued so far stops working.
    fn expire_access_tokens(&self);
    /// Every refresh token issued so far stops working.
    fn revoke_refresh_tokens(&self);
    /// Successful refreshes so far.
    fn refreshes(&self) -> usize;
    /// The newest refresh token issued.
    fn current_refresh_token(&self) -> Option<String>;
}

impl OAuthCrm for AmocrmOAuth {
    fn expire_access_tokens(&self) {
        self.fake.expire_access_tokens();
    }
    fn revoke_refresh_tokens(&self) {
        self.fake.revoke_refresh_tokens();
    }
    fn refreshes(&self) -> usize {
        self.fake.refreshes()
    }
    fn current_refresh_token(&self) -> Option<String> {
        self.fake.current_refresh_token()
    }
}

impl OAuthCrm for Bitrix24OAuth {
    fn expire_access_tokens(&self) {
        self.fake.expire_access_tokens();
    }
    fn revoke_refresh_tokens(&self) {
        self.fake.revoke_refresh_tokens();
    }
    fn refreshes(&self) -> usize {
        self.fake.refreshes()
    }
    fn current_refresh_token(&self) -> Option<String> {
        self.fake.current_refresh_token()
    }
}
