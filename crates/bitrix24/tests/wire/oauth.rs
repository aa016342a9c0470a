//! The source as an OAuth application: tokens in the body, one refresh per
//! refused token, rotated pairs saved before use and reused after a restart.

use crate::app::{App, CLIENT_SECRET, TOKEN_PATH, access, refresh};
use crate::portal::Portal;
use liner_sync_core::auth::fingerprint;
use liner_sync_core::config::Secret;
use liner_sync_core::testing::Captured;
use liner_sync_core::{CrmSource, Cursor, Error, ErrorKind, FetchRequest, NothingSeen, Page};
use serde_json::{Value, json};
use std::sync::Arc;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REAUTHORISE: &str =
    "authorise the application again in Bitrix24 and put the new refresh_token in the config";

async fn fetch(source: &liner_sync_bitrix24::Bitrix24Source) -> Result<Page, Error> {
    source
        .fetch(FetchRequest {
            cursor: &Cursor(json!({"last_id": 0})),
            continuation: None,
            seen: &NothingSeen,
            until: None,
        })
        .await
}

fn body(request: &wiremock::Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

#[tokio::test]
async fn the_seed_is_traded_once_and_every_call_carries_the_token_in_its_body() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    let source = app.source();
    let page = fetch(&source).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert!(page.deals.iter().all(|d| d.contacts.len() == 1));
    source.check().await.unwrap();

    assert_eq!(app.refreshes(), [refresh(0)], "one refresh, no timer");
    let (saved, seed) = app.saved().expect("a saved pair");
    assert_eq!(saved.access_token.expose(), access(1));
    assert_eq!(saved.refresh_token.expose(), refresh(1));
    assert_eq!(seed, fingerprint(&Secret::new(refresh(0))));
    assert!(app.unsaved_uses().is_empty(), "{:?}", app.unsaved_uses());

    let requests = app.portal_requests().await;
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        [
            "/rest/batch",
            "/rest/batch",
            "/rest/scope",
            "/rest/crm.deal.list"
        ]
    );
    for request in &requests {
        assert_eq!(request.url.query(), None, "nothing in the URL");
        let sent = body(request);
        assert_eq!(sent["auth"], access(1));
        let text = String::from_utf8_lossy(&request.body);
        assert!(
            !text.contains(CLIENT_SECRET),
            "the portal never gets the secret"
        );
        assert!(!text.contains("r3freshTOKEN"), "nor a refresh token");
    }
    let batch = body(&requests[0]);
    assert!(
        batch["cmd"]["list"]
            .as_str()
            .unwrap()
            .starts_with("crm.deal.list?")
    );
    assert!(
        !batch["cmd"]["list"].as_str().unwrap().contains("auth"),
        "the token is in the outer body only"
    );

    let oauth = app.oauth_requests().await;
    assert_eq!(oauth.len(), 1);
    let query: std::collections::HashMap<String, String> =
        oauth[0].url.query_pairs().into_owned().collect();
    assert_eq!(query["grant_type"], "refresh_token");
    assert_eq!(query["client_id"], crate::app::CLIENT_ID);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_once_and_the_call_repeated() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    let source = app.source();
    fetch(&source).await.unwrap();
    app.expire_access_token();
    let before = app.portal_requests().await.len();

    let page = fetch(&source).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert_eq!(app.refreshes(), [refresh(0), refresh(1)]);
    let (saved, _) = app.saved().unwrap();
    assert_eq!(
        (saved.access_token.expose(), saved.refresh_token.expose()),
        (access(2).as_str(), refresh(2).as_str())
    );
    assert!(
        app.unsaved_uses().is_empty(),
        "a token reached the portal before it was saved: {:?}",
        app.unsaved_uses()
    );
    let requests = app.portal_requests().await;
    let again = &requests[before..];
    assert_eq!(again.len(), 3, "refused, repeated, contacts");
    let (mut refused, mut repeated) = (body(&again[0]), body(&again[1]));
    assert_eq!(refused["auth"], access(1));
    assert_eq!(repeated["auth"], access(2));
    refused["auth"] = Value::Null;
    repeated["auth"] = Value::Null;
    assert_eq!(refused, repeated, "the same call again");
    assert_eq!(body(&again[2])["auth"], access(2));
}

#[tokio::test]
async fn racing_refusals_refresh_once() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    let source = Arc::new(app.source());
    source.check().await.unwrap();
    app.expire_access_token();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.check().await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let refused = app
        .portal_requests()
        .await
        .iter()
        .skip(2)
        .filter(|r| body(r)["auth"] == access(1))
        .count();
    assert!(refused >= 2, "the calls raced: {refused} refused");
    assert_eq!(
        app.refreshes(),
        [refresh(0), refresh(1)],
        "{refused} refused, one refresh"
    );
    assert!(app.unsaved_uses().is_empty());
}

#[tokio::test]
async fn a_second_refusal_is_an_auth_error_not_a_loop() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    Mock::given(method("POST"))
        .and(path_regex("^/rest/"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_token",
            "error_description": "The access token provided is invalid."
        })))
        .with_priority(1)
        .mount(&app.portal)
        .await;
    let err = fetch(&app.source()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.message().contains("authorise the application again"),
        "{err}"
    );
    assert!(!err.message().contains("webhook"), "{err}");
    assert_eq!(
        app.refreshes(),
        [refresh(0), refresh(1)],
        "seed, then one for the 401"
    );
    assert_eq!(app.portal_requests().await.len(), 2);
}

#[tokio::test]
async fn refused_refreshes_stop_with_what_to_do() {
    // A refused refresh token is Auth and says how to re-authorise; wrong
    // client credentials are a configuration error and say what to check.
    let cases = [
        (
            400,
            json!({"error": "invalid_grant", "error_description": "Invalid grant"}),
            "expired, revoked or already used",
            ErrorKind::Auth,
        ),
        (
            401,
            json!({"error": "invalid_client", "error_description": "Invalid client"}),
            "check client_id and client_secret",
            ErrorKind::Config,
        ),
        (
            402,
            json!({"error": "PAYMENT_REQUIRED", "error_description": "Payment required"}),
            "the Bitrix24 subscription or the application's payment has lapsed",
            ErrorKind::Auth,
        ),
    ];
    for (status, reply, advice, kind) in cases {
        let app = App::start(Portal::with_deals(1..=3)).await;
        Mock::given(method("GET"))
            .and(path(TOKEN_PATH))
            .respond_with(ResponseTemplate::new(status).set_body_json(reply.clone()))
            .with_priority(1)
            .mount(&app.oauth)
            .await;
        let source = app.source();
        for err in [
            fetch(&source).await.unwrap_err(),
            source.check().await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), kind, "{reply}: {err}");
            assert_eq!(err.target(), Some("bitrix24"));
            assert!(err.stops_run());
            assert!(err.message().contains(advice), "{reply}: {err}");
            assert_eq!(
                err.message().contains(REAUTHORISE),
                kind == ErrorKind::Auth,
                "{reply}: {err}"
            );
        }
        assert_eq!(
            app.oauth_requests().await.len(),
            2,
            "not retried: one per call"
        );
        assert!(app.portal_requests().await.is_empty());
        assert!(app.saved().is_none());
    }
}

#[tokio::test]
async fn a_failing_oauth_server_is_retried() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(502).set_body_string(
            "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.oauth)
        .await;
    let page = fetch(&app.source()).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert_eq!(app.oauth_requests().await.len(), 2);
    assert_eq!(app.refreshes(), [refresh(0)], "the 502 used nothing up");
}

#[tokio::test]
async fn a_restart_uses_the_saved_pair_not_the_used_seed() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    fetch(&app.source()).await.unwrap();

    let restarted = app.source();
    fetch(&restarted).await.unwrap();
    assert_eq!(
        app.refreshes(),
        [refresh(0)],
        "the saved token is still good"
    );
    app.expire_access_token();
    fetch(&restarted).await.unwrap();
    assert_eq!(
        app.refreshes(),
        [refresh(0), refresh(1)],
        "the saved refresh token, not the used seed"
    );
    let (saved, seed) = app.saved().unwrap();
    assert_eq!(saved.refresh_token.expose(), refresh(2));
    assert_eq!(seed, fingerprint(&Secret::new(refresh(0))));
    assert!(app.unsaved_uses().is_empty());
}

#[tokio::test]
async fn a_new_refresh_token_in_the_config_starts_a_new_chain() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    fetch(&app.source()).await.unwrap();

    let reauthorised = app.source_with(app.config_with_seed(&refresh(10)));
    fetch(&reauthorised).await.unwrap();
    assert_eq!(app.refreshes(), [refresh(0), refresh(10)]);
    let (saved, seed) = app.saved().unwrap();
    assert_eq!(saved.access_token.expose(), access(11));
    assert_eq!(seed, fingerprint(&Secret::new(refresh(10))));

    let restarted = app.source_with(app.config_with_seed(&refresh(10)));
    fetch(&restarted).await.unwrap();
    assert_eq!(app.refreshes().len(), 2, "the new chain's pair is reused");
}

#[tokio::test]
async fn check_needs_the_crm_scope() {
    let app = App::start(Portal::with_deals(1..=3)).await;
    app.source().check().await.unwrap();
    Mock::given(method("POST"))
        .and(path("/rest/scope"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": ["user_brief", "task"]})),
        )
        .with_priority(1)
        .mount(&app.portal)
        .await;
    let err = app.source().check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.message()
            .contains("the application lacks the crm scope"),
        "{err}"
    );
}

#[tokio::test]
async fn a_renamed_portal_named_by_the_token_reply_is_used() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let app = App::start(Portal::with_deals(1..=3)).await;
    let renamed = MockServer::start().await;
    app.serve(&renamed, Arc::new(Portal::with_deals(1..=3)))
        .await;
    app.ledger.lock().unwrap().client_endpoint = format!("{}/rest/", renamed.uri());

    let page = fetch(&app.source()).await.unwrap();
    assert_eq!(page.deals.len(), 3);
    assert!(
        app.portal_requests().await.is_empty(),
        "the old address is left"
    );
    assert_eq!(renamed.received_requests().await.unwrap().len(), 2);
    let logged = logs.text();
    assert!(
        logged.contains("update client_endpoint to use host 127.0.0.1"),
        "{logged}"
    );
    assert!(!logged.contains(&renamed.uri()), "only the host: {logged}");
}
