//! What the source makes of a refused, failing, cut-off or foreign feed.

use crate::account::{cursor, deals, feed_path, harness, harness_with, hits, ids, pass};
use liner_sync_core::CrmSource;
use liner_sync_core::ErrorKind;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The next `n` feed requests get `reply` instead of the feed.
async fn fail_feed(server: &MockServer, n: u64, reply: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(feed_path()))
        .respond_with(reply)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(server)
        .await;
}

fn html(status: u16, title: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!("<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"),
        "text/html",
    )
}

#[tokio::test]
async fn a_refused_or_deleted_feed_stops_at_once_and_says_how_to_fix_it() {
    for (status, title) in [(404, "404 Not Found"), (403, "403 Forbidden"), (401, "401")] {
        let h = harness(deals(1, 3)).await;
        fail_feed(&h.server, 1, html(status, title)).await;
        let e = pass(&h.source, &cursor()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{status}: {e}");
        assert!(e.stops_run());
        let text = e.to_string();
        assert!(
            text.starts_with("domoplaner: source dp: feed: HTTP"),
            "{text}"
        );
        assert!(
            text.contains("Settings → Integrations → Data export (Полный от сделок)"),
            "{text}"
        );
        assert_eq!(hits(&h.server, &feed_path()).await, 1, "never retried");
    }
}

#[tokio::test]
async fn a_wrong_token_gets_the_sites_404() {
    let h = harness_with(deals(1, 3), |c, _| {
        let url = c.feed_url.expose().replace("wireFeed", "wrongFeed");
        c.feed_url = liner_sync_core::config::Secret::new(url);
    })
    .await;
    let e = pass(&h.source, &cursor()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
}

#[tokio::test]
async fn server_failures_html_pages_and_cut_off_feeds_are_retried() {
    let cut = r#"{"deals": [{"id": 1, "dt_create": "2026-11-02 09:00:00"}, {"id": 2, "dt_cr"#;
    let cases = [
        html(502, "502 Bad Gateway"),
        html(200, "Технические работы"),
        ResponseTemplate::new(200).set_body_raw(cut, "application/json"),
        ResponseTemplate::new(200).set_body_raw("", "application/json"),
        ResponseTemplate::new(500).set_body_raw("oops", "text/plain"),
    ];
    for reply in cases {
        let h = harness(deals(1, 3)).await;
        fail_feed(&h.server, 2, reply).await;
        let pages = pass(&h.source, &cursor()).await.unwrap();
        assert_eq!(
            ids(&pages),
            ["1", "2", "3"],
            "nothing of a broken feed is kept"
        );
        assert_eq!(hits(&h.server, &feed_path()).await, 3);
    }
}

#[tokio::test]
async fn a_slow_down_reply_is_waited_out() {
    let h = harness(deals(1, 3)).await;
    fail_feed(
        &h.server,
        1,
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    let started = Instant::now();
    let pages = pass(&h.source, &cursor()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(950));
    assert_eq!(ids(&pages).len(), 3);
}

#[tokio::test]
async fn a_feed_that_keeps_failing_is_temporary_in_the_end() {
    let h = harness(deals(1, 3)).await;
    fail_feed(&h.server, 10, html(503, "503 Service Unavailable")).await;
    let e = pass(&h.source, &cursor()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Temporary, "{e}");
    assert!(e.to_string().contains("gave up after 3 attempts"), "{e}");
}

#[tokio::test]
async fn something_else_than_the_feed_is_invalid_data_naming_records() {
    let cases = [
        (
            "not json at all",
            "the feed could not be read at records 'deals'",
        ),
        (r#"{"items": [{"id": 1}]}"#, "no records at 'deals'"),
        (r#"[{"id": 1}]"#, "set records: to their path"),
    ];
    for (body, needle) in cases {
        let h = harness(Vec::new()).await;
        fail_feed(
            &h.server,
            5,
            ResponseTemplate::new(200).set_body_raw(body, "application/json"),
        )
        .await;
        let e = pass(&h.source, &cursor()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData, "{body}: {e}");
        assert!(e.to_string().contains(needle), "{body}: {e}");
        assert_eq!(hits(&h.server, &feed_path()).await, 1, "not retried");
    }
}

#[tokio::test]
async fn records_elsewhere_are_read_once_records_says_where() {
    let h = harness_with(Vec::new(), |c, _| {
        c.records = liner_sync_core::records::JsonPath::parse("data.items").ok();
    })
    .await;
    fail_feed(
        &h.server,
        1,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"data": {"items": [{"id": 5, "dt_create": "2026-11-02 09:00:00"}]}}"#,
            "application/json",
        ),
    )
    .await;
    assert_eq!(ids(&pass(&h.source, &cursor()).await.unwrap()), ["5"]);
}

#[tokio::test]
async fn check_counts_what_maps_and_fails_when_nothing_does() {
    let h = harness(deals(1, 4)).await;
    h.source.check().await.unwrap();
    let empty = harness(Vec::new()).await;
    empty.source.check().await.unwrap();
    let foreign = harness(vec![serde_json::json!({"ID": 1, "DATE": "2026-11-02"})]).await;
    let e = foreign.source.check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
    let text = e.to_string();
    assert!(
        text.contains("1 records at 'deals' and none of them is a deal"),
        "{text}"
    );
    assert!(text.contains("record without an id at 'id'"), "{text}");
    assert!(text.contains("set fields:"), "{text}");
    let gone = harness(deals(1, 4)).await;
    fail_feed(&gone.server, 1, html(404, "404 Not Found")).await;
    assert_eq!(
        gone.source.check().await.unwrap_err().kind(),
        ErrorKind::Auth
    );
}
