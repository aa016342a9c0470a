//! The portal's limits, authorisation and the fault knobs.

use std::time::{Duration, Instant};

use liner_sync_emulator::{Bitrix24Fake, Bitrix24Options, DataSet};
use serde_json::{Value, json};

use crate::common::{call, client, first_created, portal};

async fn raw(fake: &Bitrix24Fake, method: &str) -> (u16, String, String) {
    let response = client()
        .post(format!("{}{method}", fake.webhook_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn the_leaky_bucket_trips_503_after_the_burst() {
    // A bucket that barely drains, so a slow machine cannot drain it between
    // the requests and hide the trip.
    let fake = Bitrix24Fake::start(Bitrix24Options {
        data: DataSet::generate(1, 5, 1, first_created()),
        drain_per_second: 0.001,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..60 {
        statuses.push(call(&fake, "scope", json!({})).await.0);
    }
    assert!(statuses[..50].iter().all(|s| *s == 200), "{statuses:?}");
    assert!(statuses[50..].iter().all(|s| *s == 503), "{statuses:?}");
    let (_, body) = call(&fake, "scope", json!({})).await;
    assert_eq!(body["error"], "QUERY_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn wrong_credentials_get_no_auth_found() {
    let fake = portal(3).await;
    let expected =
        json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"});
    let base = fake.base_url();
    for path in [
        "/rest/1/wrong-code/scope",
        "/rest/2/k3y5ecr3tc0de9x1/scope",
        "/rest/k3y5ecr3tc0de9x1/scope",
    ] {
        let response = client().get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401, "{path}");
        assert_eq!(response.json::<Value>().await.unwrap(), expected);
    }
    let (status, body) = call(&fake, "crm.deal.nothing", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "ERROR_METHOD_NOT_FOUND");
}

#[tokio::test]
async fn forced_statuses_carry_the_portals_bodies() {
    let fake = portal(3).await;
    fake.faults().fail_next(1, 429);
    fake.faults().fail_next(1, 503);
    fake.faults().fail_next(1, 500);
    let (status, body) = call(&fake, "scope", json!({})).await;
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit."})
    );
    let (status, body) = call(&fake, "scope", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("QUERY_LIMIT_EXCEEDED"))
    );
    let (status, body) = call(&fake, "scope", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (500, Some("INTERNAL_SERVER_ERROR"))
    );
    assert_eq!(call(&fake, "scope", json!({})).await.0, 200);
}

#[tokio::test]
async fn html_and_malformed_replies() {
    let fake = portal(3).await;
    fake.faults().set_html_rate(1.0);
    let (status, content_type, body) = raw(&fake, "scope").await;
    assert_eq!(status, 502);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("<title>502 Bad Gateway</title>"));
    fake.faults().set_html_rate(0.0);
    fake.faults().set_malformed_rate(1.0);
    let (status, content_type, body) = raw(&fake, "crm.deal.list").await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("application/json"));
    assert!(serde_json::from_str::<Value>(&body).is_err());
    fake.faults().set_malformed_rate(0.0);
    assert_eq!(raw(&fake, "scope").await.0, 200);
}

#[tokio::test]
async fn broken_auth_and_error_rate() {
    let fake = portal(3).await;
    fake.faults().set_auth_broken(true);
    let (status, body) = call(&fake, "scope", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("NO_AUTH_FOUND"))
    );
    fake.faults().set_auth_broken(false);

    let run = |seed| {
        let fake = &fake;
        async move {
            fake.faults().set_seed(seed);
            fake.faults().set_error_rate(0.5);
            let mut statuses = Vec::new();
            for _ in 0..30 {
                let (status, body) = call(fake, "scope", json!({})).await;
                match status {
                    200 => {}
                    503 => assert_eq!(body["error"], "QUERY_LIMIT_EXCEEDED"),
                    500 => assert_eq!(body["error"], "INTERNAL_SERVER_ERROR"),
                    other => panic!("unexpected {other}"),
                }
                statuses.push(status);
            }
            statuses
        }
    };
    let first = run(9).await;
    assert!(first.contains(&200) && first.iter().any(|s| *s != 200));
    assert_eq!(first, run(9).await, "same seed, same faults");
}

#[tokio::test]
async fn latency_delays_replies() {
    let fake = portal(3).await;
    fake.faults().set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(call(&fake, "scope", json!({})).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn recorded_requests_never_hold_the_webhook_code() {
    let fake = portal(3).await;
    let code = "k3y5ecr3tc0de9x1";
    call(&fake, "crm.deal.list.json", json!({})).await;
    call(&fake, "batch", json!({"cmd": {"a": "scope"}})).await;
    for path in [
        format!("/rest/{code}/scope"),
        format!("/rest/1/{code}"),
        format!("/x/{code}"),
    ] {
        client()
            .get(format!("{}{path}", fake.base_url()))
            .send()
            .await
            .unwrap();
    }
    let recorded = fake.requests();
    assert_eq!(recorded.len(), 5);
    assert_eq!(recorded[0].path, "/rest/1/***/crm.deal.list.json");
    assert_eq!(recorded[0].method, "crm.deal.list");
    assert_eq!(recorded[1].path, "/rest/1/***/batch");
    assert_eq!(recorded[1].sub_calls, ["scope"]);
    for r in &recorded {
        assert!(!r.path.contains(code), "{r:?}");
    }
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn nonsense_input_gets_errors_not_panics() {
    let fake = portal(3).await;
    let url = format!("{}crm.deal.list", fake.webhook_url());
    let bad_json = client()
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"filter\": {")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status().as_u16(), 400);
    let body: Value = bad_json.json().await.unwrap();
    assert!(body["error_description"].is_string());
    for body in [
        json!({"start": 99999999999999u64}),
        json!({"start": "много"}),
        json!({"filter": {">ID": 1e300}}),
        json!({"filter": {"@ID": []}, "order": ["ID"]}),
        json!({"select": {"a": {"b": 1}}}),
        json!({"order": "ID"}),
    ] {
        let (status, reply) = call(&fake, "crm.deal.list", body.clone()).await;
        assert!(status == 200 || status == 400, "{body} → {status} {reply}");
    }
    for id in [json!(-5), json!(0), json!(null), json!([1]), json!("1e3")] {
        let (status, _) = call(&fake, "crm.deal.get", json!({"id": id})).await;
        assert_eq!(status, 400, "{id}");
    }
    let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
    let response = client()
        .post(format!("{}batch", fake.webhook_url()))
        .header("content-type", "application/json")
        .body(format!("{{\"cmd\": {deep}}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let query = format!("{url}?filter{}=1", "[x]".repeat(200));
    assert_eq!(
        client().get(query).send().await.unwrap().status().as_u16(),
        200
    );
}

#[tokio::test]
async fn dropping_the_fake_stops_its_server() {
    let fake = portal(3).await;
    let url = format!("{}scope", fake.webhook_url());
    let http = client();
    assert!(http.get(&url).send().await.is_ok());
    drop(fake);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(http.get(&url).send().await.is_err());
}
