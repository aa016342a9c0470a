//! Retries, failures and odd replies.

use crate::portal::{CODE, Portal, config, context, harness, time};
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
        "batch",
        ResponseTemplate::new(503).set_body_json(body),
    )
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert_eq!(h.calls().await, ["batch", "batch", "batch"]);
}

#[tokio::test]
async fn html_pages_and_truncated_json_are_retried() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let html =
        "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    h.batch_once(&["list"], move |_| {
        ResponseTemplate::new(502).set_body_string(html)
    })
    .await;
    h.batch_once(&["contacts_0"], |_| {
        ResponseTemplate::new(200).set_body_string(r#"{"result": {"result": {"contacts_0": [{"ID""#)
    })
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(h.calls().await, ["batch", "batch", "batch", "batch"]);
    let batches = h.batch_commands().await;
    assert_eq!(batches[0], batches[1], "the page's list again");
    assert_eq!(batches[2], batches[3], "the contacts again");
}

#[tokio::test]
async fn a_rate_limited_sub_call_retries_the_whole_batch() {
    let limited =
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"});
    for (keys, failing) in [(["list"], "links"), (["contacts_0"], "contacts_0")] {
        let h = harness(Portal::with_deals(1..=3)).await;
        h.fail_sub_call_once(&keys, failing, limited.clone()).await;
        let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
        assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
        assert_eq!(h.calls().await, ["batch", "batch", "batch"], "{failing}");
    }
}

#[tokio::test]
async fn other_sub_call_errors_leave_the_deal_with_what_loaded() {
    let h = harness(Portal::with_deals(1..=2)).await;
    h.edit_batch_once(&["contacts_0"], |result| {
        if let Some(rows) = result["result"]["contacts_0"].as_array_mut() {
            rows.retain(|row| row["ID"] == "100001");
        }
        result["result_error"] =
            json!({"contacts_9": {"error": "", "error_description": "Access denied."}});
    })
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    assert_eq!(page.deals[0].contacts.len(), 1);
    assert!(
        page.deals[1].contacts.is_empty(),
        "contact 100002 did not come back"
    );
    assert_eq!(h.calls().await, ["batch", "batch"]);
}

#[tokio::test]
async fn a_permission_error_in_a_sub_call_is_an_auth_error() {
    let denied = json!({"error": "insufficient_scope", "error_description": ""});
    for failing in ["list", "links", "contacts_0"] {
        let h = harness(Portal::with_deals(1..=2)).await;
        let keys = [if failing == "contacts_0" {
            failing
        } else {
            "list"
        }];
        h.fail_sub_call_once(&keys, failing, denied.clone()).await;
        let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
        assert!(err.message().contains("crm scope"), "{err}");
        assert!(err.to_string().contains(failing), "{err}");
    }
}

#[tokio::test]
async fn a_failed_list_fails_the_page() {
    let h = harness(Portal::with_deals(1..=2)).await;
    let general = json!({"error": "", "error_description": "Failed to get list. General error."});
    h.fail_sub_call_once(&["list"], "list", general).await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
    assert!(err.to_string().contains("General error"), "{err}");
    assert_eq!(h.calls().await, ["batch"], "not retried");
}

#[tokio::test]
async fn no_auth_found_fails_fast_without_the_code() {
    let h = harness(Portal::with_deals(1..=3)).await;
    let body = json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"});
    fail_once(
        &h.server,
        "batch",
        ResponseTemplate::new(401).set_body_json(body),
    )
    .await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.stops_run());
    assert_eq!(h.calls().await, ["batch"], "no retry");
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
    let source = Bitrix24Source::new("b24", config(&old.uri()), &context()).unwrap();
    let page = source
        .fetch(liner_sync_core::FetchRequest {
            cursor: &start(),
            continuation: None,
            seen: &NothingSeen,
            until: None,
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
    assert_eq!(h.calls().await, ["batch", "batch"]);
    let first = &h.batch_commands().await[0];
    assert!(
        first["list"].as_str().unwrap().contains("order[ID]=ASC"),
        "the body survived"
    );
}

#[tokio::test]
async fn a_full_page_that_ignores_the_id_filter_is_an_error_not_a_loop() {
    let h = harness(Portal::default()).await;
    let rows: Vec<_> = (1..=50).map(|i| crate::portal::deal_row(i, None)).collect();
    h.edit_batch_once(&["list"], move |result| {
        result["result"] = json!({"list": rows.clone(), "links": {"items": []}});
    })
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
    let links = json!({"items": [{"id": 12, "contactIds": []}, {"id": "x", "contactIds": [5]}, 7]});
    h.edit_batch_once(&["list"], move |result| {
        result["result"] = json!({"list": rows.clone(), "links": links.clone()});
    })
    .await;
    let page = h.fetch(&start(), None, &NothingSeen).await.unwrap();
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["12", "13"]);
    assert_eq!(page.cursor, Cursor(json!({"last_id": 13})));
    assert_eq!(h.calls().await, ["batch"]);
}

#[tokio::test]
async fn an_object_where_a_list_was_expected_is_read_as_a_list() {
    let h = harness(Portal::default()).await;
    for list in [json!({}), json!({"0": {"ID": "4"}})] {
        h.edit_batch_once(&["list"], move |result| {
            result["result"] = json!({"list": list.clone(), "links": {"items": {}}});
        })
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
    h.fail_sub_call_once(&["contacts_0", "list"], "list", general)
        .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();

    assert_eq!(
        h.calls().await,
        ["batch", "batch", "batch", "batch"],
        "the next page is listed on its own"
    );
    let shapes: Vec<(bool, bool)> = h
        .batch_commands()
        .await
        .iter()
        .map(|cmd| (cmd.contains_key("list"), cmd.contains_key("contacts_0")))
        .collect();
    assert_eq!(
        shapes,
        [(true, false), (true, true), (true, false), (false, true)]
    );
    assert_eq!(pages[0].deals.len(), 50);
    assert!(pages[0].deals.iter().all(|d| d.contacts.len() == 1));
    assert_eq!(pages[0].next, Some(Continuation(json!({"after": 50}))));
    let third = &h.batch_commands().await[2];
    assert!(
        third["list"]
            .as_str()
            .unwrap()
            .contains("filter[%3EID]=50&"),
        "{third:?}"
    );
    assert_eq!(pages[1].deals.len(), 7);
    assert_eq!(pages[1].cursor, Cursor(json!({"last_id": 57})));
}

#[tokio::test]
async fn failed_prefetched_links_keep_the_page_with_primary_contacts() {
    let mut portal = Portal::with_deals(1..=52);
    portal.add_deal(53, &[(530, None), (531, Some("89001234567"))]);
    let h = harness(portal).await;
    let general = json!({"error": "", "error_description": "Failed to get list. General error."});
    h.fail_sub_call_once(&["contacts_0", "links"], "links", general)
        .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["batch", "batch", "batch"],
        "no request more"
    );
    let next = &pages[0].next.as_ref().unwrap().0;
    assert_eq!(next["rows"].as_array().map(Vec::len), Some(3));
    assert!(next.get("links").is_none());
    let deal = pages[1].deals.iter().find(|d| d.id == "53").unwrap();
    assert_eq!(deal.contacts.len(), 1, "CONTACT_ID only");
}

#[tokio::test]
async fn a_prefetch_that_does_not_come_back_is_listed_again() {
    let h = harness(Portal::with_deals(1..=57)).await;
    h.edit_batch_once(&["contacts_0", "list"], |result| {
        result["result"]["list"] = json!("nonsense");
    })
    .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(h.calls().await, ["batch", "batch", "batch", "batch"]);
    assert_eq!(pages[1].deals.len(), 7);

    let h = harness(Portal::with_deals(1..=57)).await;
    h.edit_batch_once(&["contacts_0", "list"], |result| {
        if let Some(results) = result["result"].as_object_mut() {
            results.remove("list");
        }
    })
    .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(h.calls().await, ["batch", "batch", "batch", "batch"]);
    assert_eq!(pages[1].deals.len(), 7);
}

#[tokio::test]
async fn a_rate_limited_prefetch_retries_the_whole_batch() {
    let h = harness(Portal::with_deals(1..=57)).await;
    let limited =
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"});
    h.fail_sub_call_once(&["contacts_0", "list"], "list", limited)
        .await;
    let pages = h.pass(&start(), &NothingSeen).await.unwrap();
    assert_eq!(h.calls().await, ["batch", "batch", "batch", "batch"]);
    let batches = h.bodies("batch").await;
    assert_eq!(batches[1], batches[2], "the same batch again");
    assert_eq!(pages[1].deals.len(), 7);
}

#[tokio::test]
async fn a_permission_error_in_the_prefetch_is_an_auth_error() {
    let h = harness(Portal::with_deals(1..=57)).await;
    let denied = json!({"error": "insufficient_scope", "error_description": ""});
    h.fail_sub_call_once(&["contacts_0", "links"], "links", denied)
        .await;
    let err = h.fetch(&start(), None, &NothingSeen).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("links"), "{err}");
    assert_eq!(h.calls().await, ["batch", "batch"], "no retry");
}
