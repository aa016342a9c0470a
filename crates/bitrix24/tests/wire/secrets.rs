//! The webhook code appears in no `Debug` output, error message or log line.

use crate::portal::{CODE, Portal, config, context, harness};
use liner_sync_bitrix24::{Bitrix24Config, Bitrix24Source};
use liner_sync_core::config::{HumanDuration, Location, Secret, SourceSettings};
use liner_sync_core::testing::Captured;
use liner_sync_core::{CrmSource, Cursor, Error, FetchRequest, NothingSeen};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(CODE),
        "{what} shows the webhook code: {text}"
    );
}

fn assert_error_clean(what: &str, err: &Error) {
    let mut text = format!("{err} | {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" | {s} {s:?}"));
        source = s.source();
    }
    assert_clean(what, &text);
}

async fn fetch(source: &Bitrix24Source) -> Result<liner_sync_core::Page, Error> {
    source
        .fetch(FetchRequest {
            cursor: &Cursor(json!({"last_id": 0})),
            continuation: None,
            seen: &NothingSeen,
            until: None,
        })
        .await
}

async fn failing(response: ResponseTemplate) -> (MockServer, Bitrix24Source) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(".*"))
        .respond_with(response)
        .mount(&server)
        .await;
    let mut config = config(&server.uri());
    config.max_attempts = 2;
    config.timeout = HumanDuration(Duration::from_millis(300));
    let source = Bitrix24Source::new("b24", config, &context()).unwrap();
    (server, source)
}

#[tokio::test]
async fn the_webhook_code_never_leaks() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    let h = harness(Portal::with_deals(1..=3)).await;
    assert_clean("config Debug", &format!("{:?}", config(&h.server.uri())));
    assert_clean("source Debug", &format!("{:?}", h.source));
    fetch(&h.source).await.unwrap();

    let echoing_page = format!(
        "<html><body>The requested URL /rest/1/{CODE}/crm.deal.list was not found</body></html>"
    );
    let cases = [
        ("401", ResponseTemplate::new(401).set_body_json(json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}))),
        ("403", ResponseTemplate::new(403).set_body_json(json!({"error": "insufficient_scope", "error_description": ""}))),
        ("404 page", ResponseTemplate::new(404).set_body_string(echoing_page.clone())),
        ("500 page", ResponseTemplate::new(500).set_body_string(echoing_page)),
        ("500 json", ResponseTemplate::new(500).set_body_json(json!({"error": "INTERNAL_SERVER_ERROR", "error_description": format!("failed at /rest/1/{CODE}/")}))),
        ("redirect loop", ResponseTemplate::new(302).insert_header("Location", format!("/rest/2/{CODE}/crm.deal.list"))),
        ("redirect nowhere", ResponseTemplate::new(301)),
        ("timeout", ResponseTemplate::new(200).set_delay(Duration::from_secs(2))),
        ("not json", ResponseTemplate::new(200).set_body_string(format!("ok {CODE}"))),
    ];
    for (what, response) in cases {
        let (_server, source) = failing(response).await;
        let err = fetch(&source).await.unwrap_err();
        assert_error_clean(what, &err);
        let err = source.check().await.unwrap_err();
        assert_error_clean(what, &err);
        let err = source.deal("5").await.unwrap_err();
        assert_error_clean(what, &err);
    }

    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut refused = config(&format!("http://127.0.0.1:{port}"));
    refused.max_attempts = 1;
    let source = Bitrix24Source::new("b24", refused, &context()).unwrap();
    assert_error_clean("connection refused", &fetch(&source).await.unwrap_err());

    for bad in [
        format!("https://p.bitrix24.ru/rest/x/{CODE}/"),
        format!("https://p.bitrix24.ru/rest/1/{CODE}/crm.deal.list"),
        format!("ftp://p.bitrix24.ru/rest/1/{CODE}/"),
        format!("https://p.bitrix24.ru/rest/1/{CODE}/?x=1"),
    ] {
        let config = Bitrix24Config::new(Secret::new(bad.clone()));
        assert_clean("bad config Debug", &format!("{config:?}"));
        let err = Bitrix24Source::new("b24", config, &context()).unwrap_err();
        assert_error_clean("Bitrix24Source::new", &err);
        let mut settings = SourceSettings::new(Location { line: 1, column: 1 });
        settings.insert(
            "webhook_url".into(),
            json!(bad),
            Location { line: 2, column: 3 },
        );
        let err = Bitrix24Config::from_settings(&settings).unwrap_err();
        assert_clean("from_settings", &format!("{err} {err:?}"));
    }

    let logged = logs.text();
    assert!(
        logged.contains("Bitrix24 request"),
        "the capture works: {logged}"
    );
    assert!(logged.contains("retrying"), "{logged}");
    assert_clean("logs", &logged);
}
