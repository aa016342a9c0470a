//! Helpers shared by the emulator tests.

use chrono::{DateTime, FixedOffset};
use liner_sync_emulator::{Bitrix24Fake, Bitrix24Options, DataSet};
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
