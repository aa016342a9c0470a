//! Helpers shared by the emulator tests.

use chrono::{DateTime, FixedOffset};
use liner_sync_emulator::{AmoFake, AmoOptions, Bitrix24Fake, Bitrix24Options, DataSet};
use serde_json::Value;

/// A client that never goes through a proxy, even for 127.0.0.1.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A fixture file from the workspace's `fixtures/`, parsed.
pub fn fixture(path: &str) -> Value {
    serde_json::from_str(&fixture_text(path)).unwrap()
}

/// A fixture file from the workspace's `fixtures/`, as text.
pub fn fixture_text(path: &str) -> String {
    let full = format!("{}/../../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// When generated test data starts.
pub fn first_created() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap()
}

/// A portal with `count` generated deals and no rate limit.
pub async fn portal(count: usize) -> Bitrix24Fake {
    Bitrix24Fake::start(Bitrix24Options {
        data: DataSet::generate(11, count, 1, first_created()),
        enforce_rate_limit: false,
        ..Bitrix24Options::default()
    })
    .await
    .unwrap()
}

/// POSTs a JSON body to a portal method; the status and the parsed body.
pub async fn call(fake: &Bitrix24Fake, method: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}{method}", fake.webhook_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The `ID`s of a list result, as numbers.
pub fn ids(result: &Value) -> Vec<u64> {
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["ID"].as_str().unwrap().parse().unwrap())
        .collect()
}

/// The long-lived token of [`amo`] accounts.
pub const AMO_TOKEN: &str = "amo-long-lived-test-token";

/// An amoCRM account with `count` generated deals as leads, no rate limit.
pub async fn amo(count: usize) -> AmoFake {
    AmoFake::start(AmoOptions {
        data: amo_data(count),
        enforce_rate_limit: false,
        ..AmoOptions::default()
    })
    .await
    .unwrap()
}

/// The data of [`amo`] accounts.
pub fn amo_data(count: usize) -> DataSet {
    DataSet::generate(21, count, 20_000_001, first_created())
}

/// A reply as a test looks at it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {:?}", self.text))
    }

    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Reply {
            status,
            content_type,
            headers,
            text: response.text().await.unwrap(),
        }
    }
}

/// GETs `path_and_query` from an amoCRM account with `token` (if any).
pub async fn amo_get_as(fake: &AmoFake, path_and_query: &str, token: Option<&str>) -> Reply {
    let mut request = client().get(format!("{}{path_and_query}", fake.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Reply::read(request.send().await.unwrap()).await
}

/// GETs `path_and_query` with the long-lived test token.
pub async fn amo_get(fake: &AmoFake, path_and_query: &str) -> Reply {
    amo_get_as(fake, path_and_query, Some(AMO_TOKEN)).await
}

/// POSTs a JSON body to the account's token endpoint.
pub async fn amo_token_json(fake: &AmoFake, body: &Value) -> Reply {
    let request = client()
        .post(format!("{}/oauth2/access_token", fake.base_url()))
        .json(body);
    Reply::read(request.send().await.unwrap()).await
}

/// GETs a URL as it is.
pub async fn get_url(url: &str) -> Reply {
    Reply::read(client().get(url).send().await.unwrap()).await
}
