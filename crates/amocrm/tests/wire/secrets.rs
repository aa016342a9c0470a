//! No token or client secret appears in any `Debug` output, error message or
//! log line.

use crate::account::{Account, TOKEN, config, context, harness};
use crate::oauth::{self, CLIENT_SECRET, SEED, access, refresh};
use liner_sync_amocrm::{AmoConfig, AmoSource};
use liner_sync_core::config::{HumanDuration, Location, Secret, SourceSettings};
use liner_sync_core::state::StateStore;
use liner_sync_core::testing::Captured;
use liner_sync_core::{CrmSource, Cursor, Error, FetchRequest, NothingSeen, StartFrom};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every secret of the tests: tokens, the client secret, rotated tokens.
fn secrets() -> Vec<String> {
    let mut all = vec![TOKEN.to_owned(), CLIENT_SECRET.to_owned(), SEED.to_owned()];
    for n in 0..4 {
        all.push(access(n));
        all.push(refresh(n));
    }
    all
}

fn assert_clean(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{what} shows a secret: {text}");
    }
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

async fn every_operation(what: &str, source: &AmoSource) {
    let cursor = Cursor(json!({"created_at": 1_762_000_000, "ids": []}));
    let fetched = source
        .fetch(FetchRequest {
            cursor: &cursor,
            continuation: None,
            seen: &NothingSeen,
            until: None,
        })
        .await;
    let results = [
        fetched.map(|_| ()),
        source.check().await,
        source.deal("5").await.map(|_| ()),
        source.initial_cursor(StartFrom::Now).await.map(|_| ()),
    ];
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Err(err) => assert_error_clean(what, &err),
            Ok(()) => assert_ne!(i, 0, "{what}: the fetch succeeded"),
        }
    }
}

/// A fault: the reply to a request, given what that request carried.
type Fault = Arc<dyn Fn(&str) -> ResponseTemplate + Send + Sync>;

/// Replies that echo what the request carried (its `Authorization` header
/// and body) back, as a broken proxy might.
fn faults() -> Vec<(&'static str, Fault)> {
    fn page(status: u16) -> Fault {
        Arc::new(move |echo: &str| {
            ResponseTemplate::new(status).set_body_string(format!(
                "<html><head><title>Error {echo}</title></head><body>{echo}</body></html>"
            ))
        })
    }
    fn json_reply(status: u16, body: fn(&str) -> serde_json::Value) -> Fault {
        Arc::new(move |echo: &str| ResponseTemplate::new(status).set_body_json(body(echo)))
    }
    vec![
        ("401 page", page(401)),
        ("403 page", page(403)),
        (
            "402 json",
            json_reply(402, |e| json!({"title": "Payment Required", "detail": e})),
        ),
        (
            "404 json",
            json_reply(
                404,
                |e| json!({"title": "Not Found", "detail": format!("Cannot GET {e}")}),
            ),
        ),
        (
            "422 json",
            json_reply(
                422,
                |e| json!({"title": "Unprocessable Entity", "detail": e}),
            ),
        ),
        (
            "429 json",
            json_reply(429, |e| json!({"title": e, "retry_after": 1})),
        ),
        (
            "401 oauth",
            json_reply(
                401,
                |e| json!({"hint": e, "title": "Некорректный запрос", "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", "status": 401}),
            ),
        ),
        ("500 page", page(500)),
        (
            "400 validation",
            json_reply(
                400,
                |e| json!({"validation-errors": [{"errors": [{"path": e, "detail": e}]}], "title": "Bad Request"}),
            ),
        ),
        (
            "redirect",
            Arc::new(|e: &str| {
                ResponseTemplate::new(302).insert_header(
                    "location",
                    format!("https://evil.example/?t={}", e.replace(' ', "+")).as_str(),
                )
            }),
        ),
        (
            "timeout",
            Arc::new(|_: &str| ResponseTemplate::new(200).set_delay(Duration::from_secs(2))),
        ),
        (
            "not json",
            Arc::new(|e: &str| ResponseTemplate::new(200).set_body_string(format!("ok {e}"))),
        ),
        (
            "wrong json",
            json_reply(
                200,
                |e| json!({"_embedded": {"leads": e, "contacts": e}, "detail": e, "access_token": e}),
            ),
        ),
    ]
}

/// What `request` carried that a server could echo.
fn carried(request: &wiremock::Request) -> String {
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    format!("{auth} {}", String::from_utf8_lossy(&request.body))
}

async fn mount(server: &MockServer, at: &str, fault: Fault) {
    Mock::given(wiremock::matchers::path_regex(at))
        .respond_with(move |r: &wiremock::Request| fault(&carried(r)))
        .with_priority(1)
        .mount(server)
        .await;
}

async fn failing(fault: Fault) -> MockServer {
    let server = MockServer::start().await;
    mount(&server, ".*", fault).await;
    server
}

fn quick(mut config: AmoConfig) -> AmoConfig {
    config.max_attempts = 1;
    config.timeout = HumanDuration(Duration::from_millis(300));
    config.rate_limit = liner_sync_core::config::Rate::Unlimited;
    config
}

#[tokio::test]
async fn no_secret_ever_leaks() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    let mut account = Account::with_leads(1..=3, |id| 1_762_000_000 + id as i64);
    account.add(
        4,
        1_762_000_004,
        &[(104, None), (204, Some("+7 900 000-04-04"))],
    );
    let h = harness(account).await;
    let echo = format!("<html><title>{TOKEN}</title></html>");
    Mock::given(wiremock::matchers::path("/api/v4/contacts"))
        .respond_with(ResponseTemplate::new(500).set_body_string(echo))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    assert_clean("config Debug", &format!("{:?}", config(&h.server.uri())));
    assert_clean("source Debug", &format!("{:?}", h.source));
    let pages = h
        .pass(
            &Cursor(json!({"created_at": 1_762_000_000, "ids": []})),
            &NothingSeen,
        )
        .await
        .unwrap();
    assert_clean("pages", &format!("{pages:?}"));

    let vault = Arc::new(StateStore::in_memory().unwrap());
    for (what, fault) in faults() {
        let server = failing(fault).await;
        let source = AmoSource::new("amo", quick(config(&server.uri())), &context(&vault)).unwrap();
        every_operation(what, &source).await;
    }
    // OAuth, where the token endpoint fails the same way.
    for (what, fault) in faults() {
        let server = failing(fault).await;
        let source = AmoSource::new(
            "amo",
            quick(oauth::oauth_config(&server.uri())),
            &context(&vault),
        )
        .unwrap();
        every_operation(what, &source).await;
    }

    // OAuth whose refresh works but whose API calls fail; then a revoked token.
    for (what, fault) in faults() {
        let h = oauth::oauth_with(Account::new(), None, false, |c| *c = quick(c.clone())).await;
        mount(&h.server, "^/api/v4/", fault).await;
        every_operation(what, &h.source).await;
    }
    let h = oauth::oauth(Account::new(), None, true).await;
    h.issuer.used.lock().unwrap().push(SEED.to_owned());
    assert_error_clean("revoked", &h.source.check().await.unwrap_err());
    assert_clean("oauth source Debug", &format!("{:?}", h.source));

    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = quick(config(&format!("http://127.0.0.1:{port}")));
    let source = AmoSource::new("amo", refused, &context(&vault)).unwrap();
    every_operation("connection refused", &source).await;

    for (base, token) in [
        (format!("https://u:{TOKEN}@acme.amocrm.ru"), Some(TOKEN)),
        ("https://acme.amocrm.ru/api/v4".to_owned(), Some(TOKEN)),
        ("https://acme.amocrm.ru".to_owned(), None),
    ] {
        let mut bad = AmoConfig::long_lived(&base, Secret::new(TOKEN));
        if token.is_none() {
            bad.access_token = None;
            bad.client_secret = Some(Secret::new(CLIENT_SECRET));
            bad.refresh_token = Some(Secret::new(SEED));
        }
        assert_clean("bad config Debug", &format!("{bad:?}"));
        let err = AmoSource::new("amo", bad, &context(&vault)).unwrap_err();
        assert_error_clean("AmoSource::new", &err);
        let mut settings = SourceSettings::new(Location { line: 1, column: 1 });
        settings.insert(
            "base_url".into(),
            json!(base),
            Location { line: 2, column: 3 },
        );
        if token.is_some() {
            settings.insert(
                "access_token".into(),
                json!(TOKEN),
                Location { line: 3, column: 3 },
            );
        } else {
            settings.insert(
                "client_secret".into(),
                json!(CLIENT_SECRET),
                Location { line: 3, column: 3 },
            );
            settings.insert(
                "refresh_token".into(),
                json!(SEED),
                Location { line: 4, column: 3 },
            );
        }
        let err = AmoConfig::from_settings(&settings).unwrap_err();
        assert_clean("from_settings", &format!("{err} {err:?}"));
    }

    let logged = logs.text();
    assert!(
        logged.contains("failed, retrying"),
        "the capture works: {logged}"
    );
    assert!(logged.contains("retrying"), "{logged}");
    assert!(logged.contains("refreshing it once"), "{logged}");
    assert_clean("logs", &logged);
}
