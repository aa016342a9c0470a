use super::*;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use liner_sync_core::LeadType;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const KEY: &str = "test-key-4f9d2c7e1b";

/// A scripted Liner: replies in order (the last one repeats), counting calls.
async fn scripted(replies: Vec<(u16, &'static str)>) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let handler = move |headers: HeaderMap| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        let (status, body) = replies[n.min(replies.len() - 1)];
        let authorised = headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(KEY);
        async move {
            let status = if authorised { status } else { 401 };
            (StatusCode::from_u16(status).unwrap(), body)
        }
    };
    let app = Router::new()
        .route("/v2/lead/create-async/", post(handler.clone()))
        .route("/v2/lead/create/", post(handler.clone()))
        .route("/v2/order/", get(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

fn config(url: &str, mode: &str, key: &str) -> LinerConfig {
    let yaml = format!(
        "{{\"base_url\": \"{url}\", \"api_key\": \"{key}\", \"mode\": \"{mode}\", \"rate_limit\": \"off\"}}"
    );
    serde_json::from_str(&yaml).unwrap()
}

fn client(url: &str, mode: &str) -> LinerClient {
    LinerClient::new(&config(url, mode, KEY))
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(5),
        })
}

fn lead() -> Lead {
    Lead {
        lead_type: LeadType::Straight,
        phone: "79001234567".into(),
        order_id: Some(101),
        order_code: None,
        name: Some("Иван".into()),
        source_comment: None,
        external_id_bitrix24: Some("37".into()),
        external_id_amo: None,
        external_id_macro: None,
        external_id_domoplaner: None,
        priority: None,
        utc_offset: Some(3),
        status_id: None,
        telegram_user_name: None,
        telegram_phone: None,
        vk_id: None,
        instagram_login: None,
        custom_values: Default::default(),
    }
}

#[tokio::test]
async fn async_mode_accepts_the_documented_reply() {
    let (url, calls) = scripted(vec![(200, r#"{"success":true,"message":"","data":[]}"#)]).await;
    let receipt = client(&url, "async").create(&lead()).await.unwrap();
    assert_eq!(receipt.lead_id, None);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn sync_mode_reads_the_id_as_a_number_or_an_object() {
    for body in [
        r#"{"success":true,"message":"","data":17}"#,
        r#"{"success":true,"message":"","data":{"id":17}}"#,
    ] {
        let (url, _) = scripted(vec![(200, body)]).await;
        let receipt = client(&url, "sync").create(&lead()).await.unwrap();
        assert_eq!(receipt.lead_id.as_deref(), Some("17"), "{body}");
    }
}

#[tokio::test]
async fn retries_5xx_html_and_429_then_succeeds() {
    let (url, calls) = scripted(vec![
        (503, r#"{"success":false,"message":"down","data":null}"#),
        (
            502,
            "<html><head><title>502 Bad Gateway</title></head></html>",
        ),
        (
            429,
            r#"{"success":false,"message":"slow down","data":null}"#,
        ),
        (200, r#"{"success":true,"message":"","data":[]}"#),
    ])
    .await;
    client(&url, "async").create(&lead()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_refused_key_fails_at_once_without_showing_the_key() {
    let (url, calls) = scripted(vec![(200, r#"{"success":true,"message":"","data":[]}"#)]).await;
    let wrong = LinerClient::new(&config(&url, "async", "wrong-key-0000")).unwrap();
    let e = wrong.create(&lead()).await.unwrap_err();
    assert_eq!(e.kind(), liner_sync_core::ErrorKind::Auth);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(!e.to_string().contains("wrong-key-0000"));
    let c = client(&url, "async");
    assert!(!format!("{c:?}").contains(KEY));
    assert!(!format!("{:?}", config(&url, "async", KEY)).contains(KEY));
}

#[tokio::test]
async fn rejections_are_not_retried() {
    let (url, calls) = scripted(vec![(
        400,
        r#"{"success":false,"message":"phone: invalid format","data":null}"#,
    )])
    .await;
    let e = client(&url, "async").create(&lead()).await.unwrap_err();
    assert_eq!(e.to_string(), "liner: phone: invalid format");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn orders_are_read_from_the_v2_list() {
    let (url, _) = scripted(vec![(200, r#"{"success":true,"message":"","data":{"list":[{"id":123,"code":"order-001","title":"Order title","callSchedule":[["09:00","18:00"]]}]}}"#)]).await;
    let orders = client(&url, "async").orders().await.unwrap();
    assert_eq!(
        orders,
        vec![Order {
            id: 123,
            code: Some("order-001".into()),
            title: Some("Order title".into())
        }]
    );
}

#[tokio::test]
async fn unreachable_liner_is_a_temporary_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = client(&url, "async").create(&lead()).await.unwrap_err();
    assert!(e.is_temporary(), "{e}");
    assert!(e.to_string().contains("could not connect"), "{e}");
}
