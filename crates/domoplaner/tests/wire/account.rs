//! A small scripted Domoplaner account: the deals feed at
//! `/feeds/<token>.json` (the whole data set on every call, a 404 page for a
//! wrong token) and the leads API at `/api/leads/get-by-id` (Bearer token).

use chrono::{DateTime, Utc};
use liner_sync_core::config::{HumanDuration, Secret};
use liner_sync_core::state::StateStore;
use liner_sync_core::{
    Continuation, CrmSource, Cursor, FetchRequest, NothingSeen, Page, Result, SeenDeals,
    SourceContext,
};
use liner_sync_domoplaner::{DomoplanerConfig, DomoplanerSource, EnrichConfig};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The secret part of the feed's address; it must never show up anywhere.
pub const FEED_TOKEN: &str = "wireFeedT0ken9e3a71";
/// The leads API's Bearer token; it must never show up anywhere.
pub const API_TOKEN: &str = "wireApiT0ken5c2d84";

/// The start every test's cursor names (Moscow time).
pub const START: &str = "2026-11-01T00:00:00+03:00";

/// A deal as the feed is assumed to carry it, created at `created`
/// (account-local), with a client and maybe a phone.
pub fn deal(id: u64, created: &str, phone: Option<&str>) -> Value {
    let phones: Vec<Value> = phone
        .map(|p| json!({"id": 1, "type": 1, "value": p, "comment": ""}))
        .into_iter()
        .collect();
    json!({"id": id, "dt_create": created, "status_id": 101, "price": 4_500_000,
           "client": {"id": id * 10, "name": format!("Клиент {id}"), "phones": phones}})
}

/// A phone that normalises, different for every id.
pub fn phone(id: u64) -> String {
    format!("+7 900 {:07}", id % 10_000_000)
}

/// `count` deals from id `first`, one minute apart from 2026-11-02 09:00.
pub fn deals(first: u64, count: u64) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 2)
                .and_then(|d| d.and_hms_opt(9, 0, 0))
                .map(|t| t + chrono::Duration::minutes(i as i64))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            deal(first + i, &at, Some(&phone(first + i)))
        })
        .collect()
}

/// What the account serves; tests change it between passes.
#[derive(Default)]
pub struct Account {
    pub deals: Mutex<Vec<Value>>,
    /// Client id → the leads API's reply body (absent: 404 JSON).
    pub clients: Mutex<BTreeMap<String, Value>>,
}

impl Account {
    fn feed(&self) -> ResponseTemplate {
        let deals = self.deals.lock().map(|d| d.clone()).unwrap_or_default();
        ResponseTemplate::new(200)
            .set_body_raw(json!({"deals": deals}).to_string(), "application/json")
    }

    fn lead(&self, request: &Request) -> ResponseTemplate {
        let bearer = format!("Bearer {API_TOKEN}");
        if request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(&bearer)
        {
            return ResponseTemplate::new(401)
                .set_body_json(json!({"message": "Unauthenticated."}));
        }
        let id = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        match self.clients.lock().ok().and_then(|c| c.get(&id).cloned()) {
            Some(body) => ResponseTemplate::new(200).set_body_json(body),
            None => ResponseTemplate::new(404)
                .set_body_json(json!({"status": "error", "text": "Клиент не найден"})),
        }
    }
}

/// The feed's path on the server.
pub fn feed_path() -> String {
    format!("/feeds/{FEED_TOKEN}.json")
}

/// A running account and a source reading it.
pub struct Harness {
    pub server: MockServer,
    pub account: Arc<Account>,
    pub source: DomoplanerSource,
}

/// Serves `deals` and builds a source whose config `edit` adjusts (it is
/// given the server's address).
pub async fn harness_with(
    deals: Vec<Value>,
    edit: impl FnOnce(&mut DomoplanerConfig, &str),
) -> Harness {
    let server = MockServer::start().await;
    let account = Arc::new(Account::default());
    if let Ok(mut d) = account.deals.lock() {
        *d = deals;
    }
    let serving = account.clone();
    Mock::given(method("GET"))
        .and(path(feed_path()))
        .respond_with(move |_: &Request| serving.feed())
        .with_priority(10)
        .mount(&server)
        .await;
    let serving = account.clone();
    Mock::given(method("GET"))
        .and(path("/api/leads/get-by-id"))
        .respond_with(move |r: &Request| serving.lead(r))
        .with_priority(10)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            "<html><head><title>404 Not Found</title></head></html>",
            "text/html",
        ))
        .with_priority(20)
        .mount(&server)
        .await;
    let mut config = config(&server.uri());
    edit(&mut config, &server.uri());
    let source = DomoplanerSource::new("dp", config, &context()).expect("valid config");
    Harness {
        server,
        account,
        source,
    }
}

/// Serves `deals` with the default config.
pub async fn harness(deals: Vec<Value>) -> Harness {
    harness_with(deals, |_, _| {}).await
}

/// The config every test starts from: fast retries, no limits.
pub fn config(uri: &str) -> DomoplanerConfig {
    let mut config = DomoplanerConfig::new(Secret::new(format!("{uri}{}", feed_path())));
    config.max_attempts = 3;
    config.timeout = HumanDuration(Duration::from_secs(5));
    config
}

/// An `enrich:` block for the harness's leads API.
pub fn enrich(uri: &str) -> EnrichConfig {
    serde_json::from_value(json!({
        "api_base": format!("{uri}/api"),
        "token": API_TOKEN,
        "rate_limit": "off",
    }))
    .expect("an enrich block")
}

/// What every source gets; a feed needs no token vault.
pub fn context() -> SourceContext {
    SourceContext {
        vault: Arc::new(StateStore::in_memory().expect("in-memory state")),
    }
}

/// The cursor of a source that started at [`START`].
pub fn cursor() -> Cursor {
    Cursor(json!({"start": START}))
}

/// Deals a test marks as handled.
#[derive(Default)]
pub struct Handled(pub HashSet<String>);

impl SeenDeals for Handled {
    fn is_handled(&self, id: &str) -> bool {
        self.0.contains(id)
    }
}

/// One whole pass from `cursor` up to `until`: every page, in order.
pub async fn pass_within(
    source: &DomoplanerSource,
    cursor: &Cursor,
    seen: &dyn SeenDeals,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    let mut continuation: Option<Continuation> = None;
    loop {
        let page = source
            .fetch(FetchRequest {
                cursor,
                continuation: continuation.as_ref(),
                seen,
                until,
            })
            .await?;
        continuation = page.next.clone();
        pages.push(page);
        if continuation.is_none() {
            return Ok(pages);
        }
    }
}

/// One whole pass from `cursor`: every page, in order.
pub async fn pass_seen(
    source: &DomoplanerSource,
    cursor: &Cursor,
    seen: &dyn SeenDeals,
) -> Result<Vec<Page>> {
    pass_within(source, cursor, seen, None).await
}

/// One whole pass with nothing handled.
pub async fn pass(source: &DomoplanerSource, cursor: &Cursor) -> Result<Vec<Page>> {
    pass_seen(source, cursor, &NothingSeen).await
}

/// The deal ids of `pages`, in order.
pub fn ids(pages: &[Page]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.deals.iter().map(|d| d.id.clone()))
        .collect()
}

/// Requests the server answered on `path`.
pub async fn hits(server: &MockServer, on: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == on)
        .count()
}
