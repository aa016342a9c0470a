//! Retries, failures and odd replies.

use crate::portal::{CODE, Portal, config, harness, time};
use liner_sync_bitrix24::Bitrix24Source;
use liner_sync_core::{Continuation, CrmSource, Cursor, ErrorKind, NothingSeen};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn start() -> Cursor {
    Cursor(json!({"last_id": 0}))
}

async fn fail_once(server: &MockServer, method_name: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/rest/1/{CODE}/{method_name}")))
        .respond_with(response)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn query_limit_exceeded_is_retried() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let body = json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"});
    fail_once(
        &h.server,
        "crm.deal.list",
        ResponseTemplate::new(503).set_body_json(body),
    )
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert_eq!(h.calls().await, ["crm.deal.list", "crm.deal.list", "batch"]);
}

#[tokio::test]
async fn html_pages_and_truncated_json_are_retried() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    fail_once(
        &h.server,
        "crm.deal.list",
        ResponseTemplate::new(502).set_body_string(html),
    )
    .await;
    fail_once(
        &h.server,
        "batch",
        ResponseTemplate::new(200)
            .set_body_string(r#"{"result": {"result": {"contacts_0": [{"ID""#),
    )
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "crm.deal.list", "batch", "batch"]
    );
}

#[tokio::test]
async fn a_rate_limited_sub_call_retries_the_whole_batch() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let limited = json!({"result": {"result": [], "result_error": {"contacts_0": {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}},
                                    "result_total": [], "result_next": [], "result_time": []}, "time": time()});
    fail_once(
        &h.server,
        "batch",
        ResponseTemplate::new(200).set_body_json(limited),
    )
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(h.calls().await, ["crm.deal.list", "batch", "batch"]);
}

#[tokio::test]
async fn other_sub_call_errors_leave_the_deal_with_what_loaded() {
    let h = harness(Portal::with_deals(1..=2)).await;
    let partial = json!({"result": {
        "result": {"contacts_0": [{"ID": "100001", "NAME": "A", "PHONE": [{"VALUE": "89001234567"}]}], "links_1": [], "links_2": []},
        "result_error": {"links_9": {"error": "", "error_description": "Access denied."}},
        "result_total": [], "result_next": [], "result_time": []}, "time": time()});
    fail_once(
        &h.server,
        "batch",
        ResponseTemplate::new(200).set_body_json(partial),
    )
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals[0].contacts.len(), 1);
    assert!(
        page.deals[1].contacts.is_empty(),
        "contact 100002 did not come back"
    );
    assert_eq!(h.calls().await, ["crm.deal.list", "batch"]);
}

#[tokio::test]
async fn a_permission_error_in_a_sub_call_is_an_auth_error() {
    let h = harness(Portal::with_deals(1..=2)).await;
    let denied = json!({"result": {"result": [], "result_error": {"contacts_0": {"error": "insufficient_scope", "error_description": ""}},
                                   "result_total": [], "result_next": [], "result_time": []}, "time": time()});
    fail_once(
        &h.server,
        "batch",
        ResponseTemplate::new(200).set_body_json(denied),
    )
    .await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("crm scope"), "{err}");
}

#[tokio::test]
async fn no_auth_found_fails_fast_without_the_code() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let body = json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"});
    fail_once(
        &h.server,
        "crm.deal.list",
        ResponseTemplate::new(401).set_body_json(body),
    )
    .await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.stops_run());
    assert_eq!(h.calls().await, ["crm.deal.list"], "no retry");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(CODE), "{shown}");
    assert!(shown.contains("create a new incoming webhook"), "{shown}");
    assert!(shown.contains("source b24"), "{shown}");
}

#[tokio::test]
async fn check_requires_the_crm_scope() {
    let h = harness(Portal::default()).await;
    let scopes = json!({"result": ["user", "task"], "time": time()});
    fail_once(
        &h.server,
        "scope",
        ResponseTemplate::new(200).set_body_json(scopes),
    )
    .await;
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.message().contains("tick CRM (crm)"), "{err}");
    assert_eq!(h.calls().await, ["scope"]);
}

#[tokio::test]
async fn a_renamed_portal_is_followed_and_remembered() {
    let h = harness(Portal::with_deals(1..=2)).await;
    let old = MockServer::start().await;
    let new = h.server.uri();
    Mock::given(method("POST"))
        .and(path_regex("^/rest/1/.*"))
        .respond_with(move |request: &wiremock::Request| {
            let method = request
                .url
                .path()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{new}/rest/1/{CODE}/{method}"))
        })
        .mount(&old)
        .await;
    let source = Bitrix24Source::new("b24", config(&old.uri())).unwrap();
    let page = source
        .fetch(liner_sync_core::FetchRequest {
            cursor: &start(),
            continuation: None,
            seen: &NothingSeen,
        })
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 2);
    let old_calls = old.received_requests().await.unwrap();
    assert_eq!(
        old_calls.len(),
        1,
        "the second call goes straight to the new portal"
    );
    assert_eq!(h.calls().await, ["crm.deal.list", "batch"]);
    assert_eq!(
        h.bodies("crm.deal.list").await[0]["order"],
        json!({"ID": "ASC"}),
        "the body survived"
    );
}

#[tokio::test]
async fn a_full_page_that_ignores_the_id_filter_is_an_error_not_a_loop() {
    let h = harness(Portal::default()).await;
    let rows: Vec<_> = (1..=50).map(|i| crate::portal::deal_row(i, None)).collect();
    Mock::given(method("POST"))
        .and(path(format!("/rest/1/{CODE}/crm.deal.list")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": rows, "time": time()})),
        )
        .with_priority(1)
        .mount(&h.server)
        .await;
    let err = h
        .fetch(&Cursor(json!({"last_id": 500})), None, &NothingSeen)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
}

#[tokio::test]
async fn rows_with_absurd_ids_are_skipped() {
    let h = harness(Portal::default()).await;
    let rows = json!([
        {"ID": "12", "DATE_CREATE": "2026-11-01T10:00:00+03:00"},
        {"ID": "abc"}, {"ID": -3}, {"ID": "99999999999999999999999"}, {"ID": null}, {"TITLE": "no id"},
        "not an object", 17,
        {"ID": 13, "DATE_CREATE": null, "CONTACT_ID": {"weird": true}}
    ]);
    Mock::given(method("POST"))
        .and(path(format!("/rest/1/{CODE}/crm.deal.list")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": rows})))
        .with_priority(1)
        .mount(&h.server)
        .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["12", "13"]);
    assert_eq!(page.cursor, Cursor(json!({"last_id": 13})));
    assert_eq!(h.calls().await, ["crm.deal.list"]);
}

#[tokio::test]
async fn an_object_where_a_list_was_expected_is_read_as_a_list() {
    let h = harness(Portal::default()).await;
    for result in [json!({}), json!({"0": {"ID": "4"}})] {
        Mock::given(method("POST"))
            .and(path(format!("/rest/1/{CODE}/crm.deal.list")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": result})))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&h.server)
            .await;
    }
    let first = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    let second = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(first.deals.len() + second.deals.len(), 1);
}

#[tokio::test]
async fn a_failed_prefetch_does_not_lose_the_next_page() {
    let h = harness(Portal::with_deals(1..=57)).await;
    let general = json!({"error": "", "error_description": "Failed to get list. General error."});
    h.fail_sub_call_once("next_page", general).await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();

    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "crm.deal.list", "batch"],
        "the next page is listed on its own"
    );
    assert_eq!(pages[0].deals.len(), 50);
    assert!(pages[0].deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(pages[0].next, Some(Continuation(json!({"after": 50}))));
    assert_eq!(
        h.bodies("crm.deal.list").await[1]["filter"],
        json!({">ID": 50})
    );
    assert_eq!(pages[1].deals.len(), 7);
    assert_eq!(pages[1].cursor, Cursor(json!({"last_id": 57})));
}

#[tokio::test]
async fn a_prefetch_that_does_not_come_back_is_listed_again() {
    let h = harness(Portal::with_deals(1..=57)).await;
    h.edit_batch_once(|result| {
        result["result"]["next_page"] = json!("nonsense");
    })
    .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "crm.deal.list", "batch"]
    );
    assert_eq!(pages[1].deals.len(), 7);

    let h = harness(Portal::with_deals(1..=57)).await;
    h.edit_batch_once(|result| {
        if let Some(results) = result["result"].as_object_mut() {
            results.remove("next_page");
        }
    })
    .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "crm.deal.list", "batch"]
    );
    assert_eq!(pages[1].deals.len(), 7);
}

#[tokio::test]
async fn a_rate_limited_prefetch_retries_the_whole_batch() {
    let h = harness(Portal::with_deals(1..=57)).await;
    let limited =
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"});
    h.fail_sub_call_once("next_page", limited).await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "batch", "batch"]
    );
    let batches = h.bodies("batch").await;
    assert_eq!(batches[0], batches[1], "the same batch again");
    assert_eq!(pages[1].deals.len(), 7);
}

#[tokio::test]
async fn a_permission_error_in_the_prefetch_is_an_auth_error() {
    let h = harness(Portal::with_deals(1..=57)).await;
    let denied = json!({"error": "insufficient_scope", "error_description": ""});
    h.fail_sub_call_once("next_page", denied).await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("next_page"), "{err}");
    assert_eq!(h.calls().await, ["crm.deal.list", "batch"], "no retry");
}
