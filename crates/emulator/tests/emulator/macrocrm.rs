//! The MACRO fake: signed requests get заявки with naive local datetimes in
//! the configured paging style; wrong or stale signatures get HTTP 200 with
//! an error body.

use crate::common::{client, first_created};
use liner_sync_emulator::{DataSet, MACRO_PATH, MacroFake, MacroOptions, MacroPaging};
use md5::{Digest, Md5};
use serde_json::Value;

fn token(domain: &str, time: i64, secret: &str) -> String {
    Md5::new()
        .chain_update(format!("{domain}{time}{secret}"))
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn fake(paging: MacroPaging, count: usize) -> MacroFake {
    MacroFake::start(MacroOptions {
        data: DataSet::generate(31, count, 100, first_created()),
        paging,
        ..MacroOptions::default()
    })
    .await
    .unwrap()
}

/// A request signed at `time` with `secret`, plus `extra` parameters.
async fn get(fake: &MacroFake, time: i64, secret: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let o = MacroOptions::default();
    let sign = token(&o.domain, time, secret);
    let time = time.to_string();
    let mut query = vec![
        ("domain", o.domain.as_str()),
        ("time", time.as_str()),
        ("token", sign.as_str()),
        ("company_token", "macro-company-token"),
    ];
    query.extend_from_slice(extra);
    let response = client()
        .get(format!("{}{MACRO_PATH}", fake.base_url()))
        .query(&query)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_signed_request_gets_a_page_of_zayavki() {
    let fake = fake(MacroPaging::PageLimit, 7).await;
    let (status, body) = get(
        &fake,
        now(),
        "macro-app-secret",
        &[("page", "2"), ("limit", "5")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let first = &data[0];
    let created = first["created_at"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2026-11-02 09:00:00".len(),
        "naive local time: {created}"
    );
    assert!(
        first["id"].is_u64() && first["contacts"].is_array(),
        "{first}"
    );
    assert_eq!(fake.requests()[0].method, "estate/request/get");
    assert_eq!(fake.signed_times().len(), 1);
}

#[tokio::test]
async fn wrong_or_stale_signatures_get_200_with_an_error() {
    let fake = fake(MacroPaging::PageLimit, 3).await;
    for (time, secret) in [
        (now(), "wrong-secret"),
        (now() - 301, "macro-app-secret"),
        (now() + 400, "macro-app-secret"),
    ] {
        let (status, body) = get(&fake, time, secret, &[]).await;
        assert_eq!(status, 200);
        assert_eq!(body["error"], true, "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("token"),
            "{body}"
        );
        assert!(body.get("data").is_none());
    }
    assert!(fake.signed_times().is_empty());
    assert_eq!(fake.tokens_seen().len(), 3);
    fake.faults().set_auth_broken(true);
    let (status, body) = get(&fake, now(), "macro-app-secret", &[]).await;
    assert_eq!((status, &body["error"]), (200, &Value::Bool(true)));
}

#[tokio::test]
async fn offset_since_and_none_styles() {
    let offset = fake(MacroPaging::OffsetLimit, 7).await;
    let (_, body) = get(
        &offset,
        now(),
        "macro-app-secret",
        &[("offset", "5"), ("limit", "5")],
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    let since = fake(MacroPaging::Since, 7).await;
    let (_, all) = get(&since, now(), "macro-app-secret", &[]).await;
    let third = all["data"][2]["created_at"].as_str().unwrap().to_owned();
    let (_, body) = get(
        &since,
        now(),
        "macro-app-secret",
        &[("created_from", &third), ("limit", "3")],
    )
    .await;
    let ids: Vec<&Value> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(
        ids,
        vec![
            &all["data"][2]["id"],
            &all["data"][3]["id"],
            &all["data"][4]["id"]
        ]
    );
    let none = fake(MacroPaging::None, 7).await;
    let (_, body) = get(
        &none,
        now(),
        "macro-app-secret",
        &[("page", "3"), ("limit", "1")],
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn forced_statuses_carry_json_and_waits() {
    let fake = fake(MacroPaging::PageLimit, 1).await;
    fake.faults().fail_next(1, 503);
    let response = client()
        .get(format!("{}{MACRO_PATH}", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], true);
}
