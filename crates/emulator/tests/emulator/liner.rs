//! The fake Liner: lead create, validation, orders, limits and faults.

use std::time::Duration;

use liner_sync_emulator::{LinerFake, LinerOptions, SyncIdFormat};
use serde_json::{Value, json};

use crate::common::{client, fixture, fixture_text};

const KEY: &str = "liner-test-api-key";

async fn liner(options: LinerOptions) -> LinerFake {
    LinerFake::start(options).await.unwrap()
}

/// POSTs `body` as JSON with the right key; the raw response.
async fn send(fake: &LinerFake, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}{path}", fake.base_url()))
        .header("X-Api-Key", KEY)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// POSTs `body`; the status and the parsed reply.
async fn post(fake: &LinerFake, path: &str, body: &Value) -> (u16, Value) {
    let response = send(fake, path, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn good_lead() -> Value {
    json!({
        "leadType": "straight",
        "phone": "79001234567",
        "orderId": 101,
        "orderCode": "main",
        "name": "Анна Петрова",
        "externalIdBitrix24": "37",
        "priority": 0,
        "utcOffset": 3,
        "telegramUserName": "anna",
        "customValues": {"10": "сайт"}
    })
}

#[tokio::test]
async fn the_sample_request_is_accepted_as_the_sample_reply_says() {
    let fake = liner(LinerOptions {
        orders: vec![(202, "order-001".into())],
        ..Default::default()
    })
    .await;
    let request = fixture("liner/liner_v2_lead_create_request.json");
    let (status, body) = post(&fake, "/v2/lead/create-async/", &request).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        fixture("liner/liner_v2_lead_create_async_response.json")
    );
    let received = fake.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body, request);
    assert!(!received[0].sync);
}

#[tokio::test]
async fn sync_create_returns_the_id_in_either_format() {
    for (format, shape) in [
        (SyncIdFormat::Number, "number"),
        (SyncIdFormat::Object, "object"),
    ] {
        let fake = liner(LinerOptions {
            sync_id_format: format,
            ..Default::default()
        })
        .await;
        let (status, body) = post(&fake, "/v2/lead/create", &good_lead()).await;
        assert_eq!(status, 200);
        assert_eq!(body["success"], true);
        let lead = &fake.received()[0];
        assert!(lead.sync);
        match shape {
            "number" => assert_eq!(body["data"], lead.lead_id),
            _ => assert_eq!(body["data"], json!({"id": lead.lead_id})),
        }
    }
}

#[tokio::test]
async fn each_bad_field_is_rejected_by_name() {
    let fake = liner(LinerOptions::default()).await;
    let cases: Vec<(&str, Value)> = vec![
        ("leadType", json!({"leadType": "hot"})),
        ("leadType", json!({"leadType": null})),
        ("phone", json!({"phone": "8 900 123 45 67"})),
        ("phone", json!({"phone": 79001234567u64})),
        ("phone", json!({"phone": "+7900"})),
        ("phone", json!({"phone": null})),
        ("orderId", json!({"orderId": "101"})),
        ("orderId", json!({"orderId": 0})),
        ("orderId", json!({"orderId": 999, "orderCode": null})),
        ("orderId", json!({"orderId": null, "orderCode": null})),
        ("orderCode", json!({"orderCode": "nowhere"})),
        ("orderCode", json!({"orderId": 101, "orderCode": "spb"})),
        ("orderCode", json!({"orderCode": 5})),
        ("priority", json!({"priority": "1"})),
        ("utcOffset", json!({"utcOffset": 3.5})),
        ("utcOffset", json!({"utcOffset": 99})),
        ("statusId", json!({"statusId": "10"})),
        ("telegramUserName", json!({"telegramUserName": 12345})),
        ("telegramPhone", json!({"telegramPhone": 79001234567u64})),
        ("vkId", json!({"vkId": 1})),
        ("instagramLogin", json!({"instagramLogin": ["a"]})),
        ("name", json!({"name": {"first": "Анна"}})),
        ("sourceComment", json!({"sourceComment": 1})),
        ("externalIdBitrix24", json!({"externalIdBitrix24": 37})),
        ("customValues", json!({"customValues": ["x"]})),
    ];
    for (field, change) in cases {
        let mut lead = good_lead();
        for (k, v) in change.as_object().unwrap() {
            lead[k] = v.clone();
        }
        let (status, body) = post(&fake, "/v2/lead/create-async/", &lead).await;
        assert_eq!(status, 400, "{field}: {lead}");
        assert_eq!(body["success"], false);
        assert_eq!(body["data"], Value::Null);
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(field) || message.contains(&format!("; {field}")),
            "{field}: {message}"
        );
    }
    assert!(fake.received().is_empty());
    for not_an_object in [json!([1]), json!("lead"), json!(null)] {
        let (status, _) = post(&fake, "/v2/lead/create/", &not_an_object).await;
        assert_eq!(status, 400);
    }
    let (status, body) = post(
        &fake,
        "/v2/lead/create/",
        &json!({"leadType": "selection", "phone": "+79001234567", "orderCode": "spb", "name": ""}),
    )
    .await;
    assert_eq!(
        (status, body["success"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
}

#[tokio::test]
async fn validation_failures_can_come_with_200() {
    let fake = liner(LinerOptions::default()).await;
    fake.faults().set_reject_with_200(true);
    let mut lead = good_lead();
    lead["phone"] = json!("нет");
    let (status, body) = post(&fake, "/v2/lead/create-async/", &lead).await;
    assert_eq!(status, 200);
    assert_eq!(body, fixture("liner/liner_v2_error_400_validation.json"));
    assert!(fake.received().is_empty());
}

#[tokio::test]
async fn the_api_key_is_required() {
    let fake = liner(LinerOptions::default()).await;
    let url = format!("{}/v2/lead/create-async/", fake.base_url());
    for key in [None, Some("wrong"), Some("")] {
        let mut request = client().post(&url).json(&good_lead());
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            fixture("liner/liner_v2_error_401_invalid_api_key.json")
        );
    }
    let accepted = client()
        .post(&url)
        .header("X-API-KEY", KEY)
        .json(&good_lead())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status().as_u16(), 200);
    let not_json = client()
        .post(&url)
        .header("x-api-key", KEY)
        .body(good_lead().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    fake.faults().set_auth_broken(true);
    let (status, _) = post(&fake, "/v2/lead/create-async/", &good_lead()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn order_list_pages_with_the_documented_fields() {
    let orders: Vec<(u64, String)> = (1..=120).map(|i| (i, format!("o-{i}"))).collect();
    let fake = liner(LinerOptions {
        orders,
        ..Default::default()
    })
    .await;
    let get = |query: &'static str| {
        let url = format!("{}/v2/order/{query}", fake.base_url());
        async move {
            let response = client()
                .get(url)
                .header("x-api-key", KEY)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = get("").await;
    assert_eq!(status, 200);
    let list = body["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 50);
    let sample = fixture("liner/liner_v2_order_list_response_partial.json");
    for key in sample["data"]["list"][0].as_object().unwrap().keys() {
        assert!(list[0].get(key).is_some(), "{key}");
    }
    let (_, defaults) = get("?offset=&limit=").await;
    assert_eq!(defaults["data"]["list"].as_array().unwrap().len(), 50);
    let (_, page) = get("?offset=100&limit=100").await;
    let list = page["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 20);
    assert_eq!(list[0]["id"], 101);
    for bad in ["?limit=101", "?limit=0", "?offset=-1", "?limit=x"] {
        let (status, body) = get(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["success"], false);
    }
}

#[tokio::test]
async fn the_server_rate_limit_answers_429_with_retry_after() {
    let fake = liner(LinerOptions {
        rate_limit_per_second: Some(2.0),
        ..Default::default()
    })
    .await;
    let mut limited = None;
    for _ in 0..6 {
        let response = send(&fake, "/v2/lead/create-async/", &good_lead()).await;
        if response.status().as_u16() == 429 {
            limited = Some(response);
            break;
        }
    }
    let response = limited.expect("the limit never tripped");
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        fixture("liner/liner_v2_error_429_too_many_requests.json")
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _) = post(&fake, "/v2/lead/create-async/", &good_lead()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn faults_answer_with_liners_envelopes() {
    let fake = liner(LinerOptions::default()).await;
    fake.faults().fail_next(1, 429);
    let response = send(&fake, "/v2/lead/create/", &good_lead()).await;
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    for status in [500, 503, 403] {
        fake.faults().fail_next(1, status);
        let (got, body) = post(&fake, "/v2/lead/create/", &good_lead()).await;
        assert_eq!(got, status);
        assert_eq!(body["success"], false);
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    fake.faults().set_error_rate(1.0);
    let (status, body) = post(&fake, "/v2/lead/create-async/", &good_lead()).await;
    assert!([500, 502, 503].contains(&status));
    assert_eq!(body["success"], false);
    fake.faults().set_error_rate(0.0);
    fake.faults().set_html_rate(1.0);
    let response = send(&fake, "/v2/lead/create-async/", &good_lead()).await;
    assert!([502, 503, 504].contains(&response.status().as_u16()));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(response.text().await.unwrap().contains("<title>"));
    assert!(fixture_text("liner/html_503_service_unavailable.html").contains("<title>503"));
    fake.faults().set_html_rate(0.0);
    fake.faults().set_malformed_rate(1.0);
    let response = send(&fake, "/v2/lead/create-async/", &good_lead()).await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());
    assert!(
        fake.received().is_empty(),
        "faulted requests never reach the handler"
    );
}

#[tokio::test]
async fn requests_are_recorded_with_their_api_method() {
    let fake = liner(LinerOptions::default()).await;
    post(&fake, "/v2/lead/create-async/", &good_lead()).await;
    post(&fake, "/v2/lead/create", &good_lead()).await;
    client()
        .get(format!("{}/v2/order/?limit=1", fake.base_url()))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    let unknown = client()
        .get(format!("{}/v2/nothing/", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let wrong_method = client()
        .get(format!("{}/v2/lead/create/", fake.base_url()))
        .header("x-api-key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status().as_u16(), 405);
    let methods: Vec<(String, u16)> = fake
        .requests()
        .into_iter()
        .map(|r| (r.method, r.status))
        .collect();
    assert_eq!(
        methods,
        [
            ("lead/create-async".to_owned(), 200),
            ("lead/create".to_owned(), 200),
            ("order".to_owned(), 200),
            ("nothing".to_owned(), 404),
            ("lead/create".to_owned(), 405),
        ]
    );
    assert_eq!(fake.received().len(), 2);
}
