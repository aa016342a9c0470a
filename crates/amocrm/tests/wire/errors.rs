//! Retries, blocks, refusals and odd replies.

use crate::account::{Account, cursor, hal, harness, problem};
use liner_sync_core::{CrmSource, ErrorKind, NothingSeen};
use serde_json::json;
use std::time::{Duration, Instant};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

const T0: i64 = 1_762_000_000;

async fn once(h: &crate::account::Harness, at: &str, response: ResponseTemplate) {
    Mock::given(path(at))
        .respond_with(response)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
}

fn body(name: &str) -> String {
    std::fs::read_to_string(format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let h = harness(Account::with_leads(1..=2, |id| T0 + id as i64)).await;
    let slow_down = body("error_429_too_many_requests.json").replace("300", "1");
    once(
        &h,
        "/api/v4/leads",
        ResponseTemplate::new(429).set_body_string(slow_down),
    )
    .await;
    let started = Instant::now();
    let page = h.fetch(&cursor(T0, &[]), None, &NothingSeen).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(page.deals.len(), 2);
    assert_eq!(h.calls().await, ["leads", "leads", "contacts"]);
}

#[tokio::test]
async fn a_retry_after_header_is_honoured() {
    let h = harness(Account::with_leads(1..=1, |id| T0 + id as i64)).await;
    once(
        &h,
        "/api/v4/contacts",
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    let started = Instant::now();
    let page = h.fetch(&cursor(T0, &[]), None, &NothingSeen).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(page.deals[0].contacts.len(), 1);
    assert_eq!(h.calls().await, ["leads", "contacts", "contacts"]);
}

#[tokio::test]
async fn a_403_stops_at_once_without_a_retry() {
    let blocked =
        "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body>nginx</body></html>";
    for before in [None, Some(429)] {
        let h = harness(Account::with_leads(1..=2, |id| T0 + id as i64)).await;
        if before.is_some() {
            // The 429 comes first, then the block.
            Mock::given(path("/api/v4/leads"))
                .respond_with(
                    ResponseTemplate::new(429)
                        .set_body_json(json!({"title": "Too Many Requests", "retry_after": 1})),
                )
                .up_to_n_times(1)
                .with_priority(1)
                .mount(&h.server)
                .await;
        }
        Mock::given(path("/api/v4/leads"))
            .respond_with(ResponseTemplate::new(403).set_body_string(blocked))
            .with_priority(2)
            .mount(&h.server)
            .await;
        let err = h
            .fetch(&cursor(T0, &[]), None, &NothingSeen)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
        assert!(err.stops_run());
        assert!(!err.is_temporary());
        assert!(err.message().contains("blocked"), "{err}");
        assert!(
            err.message().contains("makes the block last longer"),
            "{err}"
        );
        let want = if before.is_some() { 2 } else { 1 };
        assert_eq!(h.calls().await.len(), want, "never a retry after the 403");
    }
}

#[tokio::test]
async fn payment_required_and_a_refused_long_lived_token_stop_the_run() {
    let h = harness(Account::new()).await;
    once(
        &h,
        "/api/v4/account",
        problem(402, "Payment Required", "Payment required"),
    )
    .await;
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.message()
            .contains("the amoCRM account is unpaid (trial or subscription ended)"),
        "{err}"
    );

    h.account.revoke(crate::account::TOKEN);
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().contains("expired or was revoked"), "{err}");
    assert!(
        err.message()
            .contains("Keys and scopes → Generate long-lived token"),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("amocrm: source amo: account: HTTP 401"),
        "{err}"
    );
    assert_eq!(
        h.calls().await,
        ["account", "account"],
        "no retry, no refresh"
    );
}

#[tokio::test]
async fn server_failures_html_and_truncated_json_are_retried() {
    let h = harness(Account::with_leads(1..=2, |id| T0 + id as i64)).await;
    once(
        &h,
        "/api/v4/leads",
        ResponseTemplate::new(502)
            .set_body_string("<html><head><title>502 Bad Gateway</title></head></html>"),
    )
    .await;
    once(
        &h,
        "/api/v4/contacts",
        ResponseTemplate::new(200).set_body_string(r#"{"_embedded": {"contacts": [{"id""#),
    )
    .await;
    let page = h.fetch(&cursor(T0, &[]), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals.len(), 2);
    assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(h.calls().await, ["leads", "leads", "contacts", "contacts"]);

    let h = harness(Account::new()).await;
    Mock::given(path("/api/v4/leads"))
        .respond_with(ResponseTemplate::new(504))
        .with_priority(1)
        .mount(&h.server)
        .await;
    let err = h
        .fetch(&cursor(T0, &[]), None, &NothingSeen)
        .await
        .unwrap_err();
    assert!(err.is_temporary(), "{err}");
    assert!(err.message().contains("gave up after 3 attempts"), "{err}");
    assert_eq!(h.calls().await.len(), 3);
}

#[tokio::test]
async fn a_422_is_invalid_data_and_not_retried() {
    let h = harness(Account::new()).await;
    once(
        &h,
        "/api/v4/leads",
        problem(422, "Unprocessable Entity", "Limit 250 per page"),
    )
    .await;
    let err = h
        .fetch(&cursor(T0, &[]), None, &NothingSeen)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.message().contains("Limit 250 per page"), "{err}");
    assert_eq!(h.calls().await, ["leads"]);
}

#[tokio::test]
async fn empty_and_null_lists_end_the_pass() {
    for reply in [
        json!({"_embedded": {"leads": null}}),
        json!({"_embedded": {"leads": []}, "_links": {"next": {"href": "/api/v4/leads?page=2"}}}),
        json!({}),
    ] {
        let h = harness(Account::new()).await;
        once(&h, "/api/v4/leads", hal(reply.clone())).await;
        let page = h.fetch(&cursor(T0, &[]), None, &NothingSeen).await.unwrap();
        assert!(page.deals.is_empty() && page.next.is_none(), "{reply}");
        assert_eq!(h.calls().await, ["leads"], "{reply}");
    }
    let h = harness(Account::new()).await;
    once(
        &h,
        "/api/v4/leads",
        hal(json!({"_embedded": {"leads": "nope"}})),
    )
    .await;
    let err = h
        .fetch(&cursor(T0, &[]), None, &NothingSeen)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
}

#[tokio::test]
async fn a_redirect_names_the_new_host() {
    let h = harness(Account::new()).await;
    once(
        &h,
        "/api/v4/account",
        ResponseTemplate::new(301)
            .insert_header("location", "https://acme.kommo.com/api/v4/account"),
    )
    .await;
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("https://acme.kommo.com"), "{err}");
}

#[tokio::test]
async fn a_broken_cursor_or_continuation_is_an_error_not_a_reset() {
    let h = harness(Account::new()).await;
    let err = h
        .fetch(
            &liner_sync_core::Cursor(json!({"last_id": 5})),
            None,
            &NothingSeen,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    let bad = liner_sync_core::Continuation(json!({"after": 5}));
    let err = h
        .fetch(&cursor(T0, &[]), Some(&bad), &NothingSeen)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(h.calls().await.is_empty());
}
