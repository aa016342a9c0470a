//! As an OAuth application, the client secret, the refresh tokens and the
//! access tokens appear in no error, `Debug` output or log event, even when
//! a server echoes the request back.

use crate::app::{App, TOKEN_PATH};
use crate::portal::Portal;
use liner_sync_bitrix24::Bitrix24Source;
use liner_sync_core::config::{EnvString, HumanDuration};
use liner_sync_core::testing::Captured;
use liner_sync_core::{CrmSource, Cursor, Error, FetchRequest, NothingSeen};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, Request, ResponseTemplate};

/// Parts every secret of [`App`] has: a message cut in the middle of a
/// secret still shows one of them.
const FRAGMENTS: [&str; 3] = ["acc3ss", "r3fresh", "s3cret"];

fn assert_clean(app: &App, what: &str, text: &str) {
    for secret in app.secrets() {
        assert!(!text.contains(&secret), "{what} shows {secret}: {text}");
    }
    for fragment in FRAGMENTS {
        assert!(
            !text.contains(fragment),
            "{what} shows part of a secret: {text}"
        );
    }
}

fn error_text(err: &Error) -> String {
    let mut text = format!("{err} | {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" | {s} {s:?}"));
        source = s.source();
    }
    text
}

/// A source that gives up quickly.
fn quick(app: &App) -> Bitrix24Source {
    let mut config = app.config_with_seed(&crate::app::refresh(0));
    config.max_attempts = 2;
    config.timeout = HumanDuration(Duration::from_millis(300));
    app.source_with(config)
}

/// Every call of `source` fails, and no failure shows a secret.
async fn assert_failures_clean(app: &App, what: &str, source: &Bitrix24Source) {
    let fetched = source
        .fetch(FetchRequest {
            cursor: &Cursor(json!({"last_id": 0})),
            continuation: None,
            seen: &NothingSeen,
            until: None,
        })
        .await;
    let errors = [
        fetched.err(),
        source.check().await.err(),
        source.deal("5").await.err(),
    ];
    for err in errors {
        let err = err.unwrap_or_else(|| panic!("{what}: a call succeeded"));
        assert_clean(app, what, &error_text(&err));
    }
}

fn echo_url(status: u16) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static {
    move |request: &Request| match status {
        300..=399 => ResponseTemplate::new(status).insert_header("Location", request.url.as_str()),
        400 | 401 => ResponseTemplate::new(status).set_body_json(json!({
            "error": if status == 400 { "invalid_grant" } else { "invalid_client" },
            "error_description": format!("refused {}", request.url)
        })),
        _ => ResponseTemplate::new(status).set_body_string(format!(
            "<html><head><title>GET {}</title></head></html>",
            request.url
        )),
    }
}

/// An HTML page whose title ends with the refresh token just past the
/// 160 characters a snippet keeps.
fn echo_cut_refresh_token(request: &Request) -> ResponseTemplate {
    let token = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "refresh_token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let padding = "x".repeat(150);
    ResponseTemplate::new(500)
        .set_body_string(format!("<html><title>{padding}{token}</title></html>"))
}

/// Echoes the request body, after `pad` characters (a cut at 200 characters
/// then falls inside the access token).
fn echo_body(
    status: u16,
    code: &'static str,
    pad: usize,
) -> impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static {
    move |request: &Request| {
        let echoed = format!(
            "{}{}",
            "x".repeat(pad),
            String::from_utf8_lossy(&request.body)
        );
        if code.is_empty() {
            ResponseTemplate::new(status).set_body_string(format!("<title>{echoed}</title>"))
        } else {
            ResponseTemplate::new(status)
                .set_body_json(json!({"error": code, "error_description": echoed}))
        }
    }
}

#[tokio::test]
async fn no_oauth_secret_leaks() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(logs.clone());

    // Trouble at the OAuth server, whose URL holds the secrets.
    for status in [400, 401, 404, 302, 500, 200] {
        let app = App::start(Portal::with_deals(1..=3)).await;
        Mock::given(method("GET"))
            .and(path(TOKEN_PATH))
            .respond_with(echo_url(status))
            .with_priority(1)
            .mount(&app.oauth)
            .await;
        assert_failures_clean(&app, &format!("OAuth server {status}"), &quick(&app)).await;
    }
    let app = App::start(Portal::with_deals(1..=3)).await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .with_priority(1)
        .mount(&app.oauth)
        .await;
    assert_failures_clean(&app, "OAuth server timeout", &quick(&app)).await;

    // A later refresh, with a refresh token the configuration never held.
    for status in [400, 401, 500] {
        let app = App::start(Portal::with_deals(1..=3)).await;
        let source = quick(&app);
        source.check().await.unwrap();
        app.expire_access_token();
        Mock::given(method("GET"))
            .and(path(TOKEN_PATH))
            .respond_with(echo_url(status))
            .with_priority(1)
            .mount(&app.oauth)
            .await;
        assert_failures_clean(&app, &format!("second refresh {status}"), &source).await;
    }
    let app = App::start(Portal::with_deals(1..=3)).await;
    let source = quick(&app);
    source.check().await.unwrap();
    app.expire_access_token();
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(echo_cut_refresh_token)
        .with_priority(1)
        .mount(&app.oauth)
        .await;
    assert_failures_clean(&app, "a refresh token cut in a snippet", &source).await;

    let app = App::start(Portal::with_deals(1..=3)).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut refused = app.config_with_seed(&crate::app::refresh(0));
    refused.oauth_server = Some(EnvString(format!("http://127.0.0.1:{port}{TOKEN_PATH}")));
    refused.max_attempts = 1;
    assert_failures_clean(&app, "OAuth server down", &app.source_with(refused)).await;

    // Trouble at the portal, which gets the access token in the body.
    let portal_cases = [
        (401, "NO_AUTH_FOUND", 0),
        (401, "NO_AUTH_FOUND", 180),
        (401, "expired_token", 0),
        (403, "insufficient_scope", 0),
        (500, "INTERNAL_SERVER_ERROR", 0),
        (500, "", 0),
        (500, "", 140),
        (404, "", 0),
        (200, "", 0),
    ];
    for (status, code, pad) in portal_cases {
        let app = App::start(Portal::with_deals(1..=3)).await;
        Mock::given(method("POST"))
            .and(path_regex("^/rest/"))
            .respond_with(echo_body(status, code, pad))
            .with_priority(1)
            .mount(&app.portal)
            .await;
        let source = quick(&app);
        assert_failures_clean(&app, &format!("portal {status} {code} {pad}"), &source).await;
        assert_clean(
            &app,
            "config Debug",
            &format!("{:?}", app.config_with_seed(&crate::app::refresh(0))),
        );
        assert_clean(&app, "source Debug", &format!("{source:?}"));
        assert!(!app.secrets().is_empty());
    }

    let logged = logs.text();
    assert!(
        logged.contains("Bitrix24 OAuth token refresh"),
        "the capture works: {logged}"
    );
    assert!(
        logged.contains("access token refreshed and saved"),
        "{logged}"
    );
    assert!(logged.contains("retrying"), "{logged}");
    for fragment in FRAGMENTS {
        assert!(
            !logged.contains(fragment),
            "logs show part of a secret: {logged}"
        );
    }
}
