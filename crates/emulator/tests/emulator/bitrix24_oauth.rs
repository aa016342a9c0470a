//! The fake portal's OAuth application: the `oauth.bitrix.info` token
//! endpoint, rotation, expiry and REST calls with `auth=<access_token>`.

use std::time::Duration;

use liner_sync_emulator::{Bitrix24Fake, Bitrix24OAuth, Bitrix24Options};
use serde_json::{Value, json};

use crate::common::{Reply, amo_data, client, get_url, portal};

const CLIENT_ID: &str = "local.6650a1b2c3d4e5.12345678";
const SECRET: &str = "b24-app-secret";

async fn oauth_portal() -> Bitrix24Fake {
    Bitrix24Fake::start(Bitrix24Options {
        data: amo_data(60),
        enforce_rate_limit: false,
        oauth: Some(Bitrix24OAuth {
            client_id: CLIENT_ID.to_owned(),
            client_secret: SECRET.to_owned(),
            initial_refresh_token: "b24-refresh-0".to_owned(),
            access_token_lifetime: Duration::from_secs(3600),
        }),
        ..Bitrix24Options::default()
    })
    .await
    .unwrap()
}

fn token_url(fake: &Bitrix24Fake, refresh_token: &str) -> String {
    format!(
        "{}?grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={SECRET}\
         &refresh_token={refresh_token}&request_id=abc",
        fake.oauth_server_url()
    )
}

/// Refreshes; the whole reply body.
async fn refresh(fake: &Bitrix24Fake, refresh_token: &str) -> Value {
    let reply = get_url(&token_url(fake, refresh_token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

async fn rest_get(fake: &Bitrix24Fake, method: &str, query: &str) -> Reply {
    get_url(&format!("{}{method}?{query}", fake.client_endpoint())).await
}

fn error_of(reply: &Reply) -> (u16, String) {
    (
        reply.status,
        reply.json()["error"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_refresh_returns_the_documented_fields_and_rotates_at_once() {
    let fake = oauth_portal().await;
    assert_eq!(
        fake.oauth_server_url(),
        format!("{}/oauth/token/", fake.base_url())
    );
    let body = refresh(&fake, "b24-refresh-0").await;
    for key in [
        "access_token",
        "expires",
        "expires_in",
        "scope",
        "domain",
        "server_endpoint",
        "status",
        "client_endpoint",
        "member_id",
        "user_id",
        "refresh_token",
    ] {
        assert!(body.get(key).is_some(), "missing {key}");
    }
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["domain"], "oauth.bitrix.info");
    assert_eq!(body["client_endpoint"], fake.client_endpoint());
    assert_eq!(
        body["server_endpoint"],
        format!("{}/oauth/", fake.base_url())
    );
    assert_eq!(body["scope"], "crm");
    assert_eq!(body["user_id"], 1);
    let now = chrono::Utc::now().timestamp();
    assert!((now + 3590..=now + 3610).contains(&body["expires"].as_i64().unwrap()));
    let new_refresh = body["refresh_token"].as_str().unwrap();
    assert_eq!(fake.current_refresh_token().as_deref(), Some(new_refresh));
    assert_eq!(fake.refreshes(), 1);

    let again = get_url(&token_url(&fake, "b24-refresh-0")).await;
    assert_eq!(error_of(&again), (400, "invalid_grant".to_owned()));
    assert!(again.json()["error_description"].is_string());
    let next = refresh(&fake, new_refresh).await;
    assert_ne!(next["access_token"], body["access_token"]);
    assert_eq!(fake.refreshes(), 2);
}

#[tokio::test]
async fn token_endpoint_errors() {
    let fake = oauth_portal().await;
    let base = fake.oauth_server_url();
    let wrong_client = get_url(&format!(
        "{base}?grant_type=refresh_token&client_id={CLIENT_ID}&client_secret=nope\
         &refresh_token=b24-refresh-0"
    ))
    .await;
    assert_eq!(error_of(&wrong_client), (401, "invalid_client".to_owned()));
    let no_grant = get_url(&format!(
        "{base}?client_id={CLIENT_ID}&client_secret={SECRET}"
    ))
    .await;
    assert_eq!(error_of(&no_grant), (400, "invalid_request".to_owned()));
    let unknown = get_url(&token_url(&fake, "never-issued")).await;
    assert_eq!(error_of(&unknown), (400, "invalid_grant".to_owned()));
    let code = get_url(&format!(
        "{base}?grant_type=authorization_code&client_id={CLIENT_ID}&client_secret={SECRET}&code=x"
    ))
    .await;
    assert_eq!(error_of(&code), (400, "invalid_grant".to_owned()));
    fake.revoke_refresh_tokens();
    let revoked = get_url(&token_url(&fake, "b24-refresh-0")).await;
    assert_eq!(error_of(&revoked), (400, "invalid_grant".to_owned()));
    assert_eq!(fake.refreshes(), 0);
    let post = client().post(&base).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 400);
}

#[tokio::test]
async fn rest_calls_take_auth_in_the_query_or_the_body() {
    let fake = oauth_portal().await;
    let body = refresh(&fake, "b24-refresh-0").await;
    let access = body["access_token"].as_str().unwrap();
    let by_query = rest_get(&fake, "crm.deal.list", &format!("auth={access}&start=-1")).await;
    assert_eq!(by_query.status, 200, "{}", by_query.text);
    assert_eq!(by_query.json()["result"].as_array().unwrap().len(), 50);
    let by_json = client()
        .post(format!("{}crm.deal.list.json", fake.client_endpoint()))
        .json(&json!({"auth": access, "filter": {">ID": 20_000_010}, "start": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_json.status().as_u16(), 200);
    let by_form = client()
        .post(format!("{}scope", fake.client_endpoint()))
        .form(&[("auth", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(by_form.status().as_u16(), 200);
    let batch = client()
        .post(format!("{}batch", fake.client_endpoint()))
        .json(&json!({"auth": access, "halt": 0, "cmd": {
            "a_deals": "crm.deal.list?start=-1",
            "b_deal": "crm.deal.get?id=$result[a_deals][0][ID]",
        }}))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status().as_u16(), 200);
    let batch: Value = batch.json().await.unwrap();
    assert_eq!(batch["result"]["result_error"], json!([]));
    let webhook = client()
        .post(format!("{}scope", fake.webhook_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status().as_u16(), 200, "the webhook still works");
}

#[tokio::test]
async fn expired_unknown_and_missing_tokens() {
    let fake = oauth_portal().await;
    let access = refresh(&fake, "b24-refresh-0").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = rest_get(&fake, "scope", "").await;
    assert_eq!(error_of(&missing), (401, "NO_AUTH_FOUND".to_owned()));
    let unknown = rest_get(&fake, "scope", "auth=0123456789abcdef").await;
    assert_eq!(unknown.status, 401);
    assert_eq!(
        unknown.json(),
        json!({"error": "invalid_token", "error_description": "The access token provided is invalid"})
    );
    fake.expire_access_tokens();
    let expired = rest_get(&fake, "scope", &format!("auth={access}")).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.json(),
        json!({"error": "expired_token", "error_description": "The access token provided has expired"})
    );
    let refresh_token = fake.current_refresh_token().unwrap();
    let fresh = refresh(&fake, &refresh_token).await;
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(
        rest_get(&fake, "scope", &format!("auth={fresh}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn tokens_never_reach_the_request_log() {
    let fake = oauth_portal().await;
    let body = refresh(&fake, "b24-refresh-0").await;
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();
    rest_get(&fake, "crm.deal.list", &format!("auth={access}")).await;
    rest_get(&fake, "batch", &format!("auth={access}&cmd[a]=scope")).await;
    get_url(&format!("{}{access}", fake.client_endpoint())).await;
    let log = fake.requests();
    let methods: Vec<&str> = log.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods[..3], ["oauth/token", "crm.deal.list", "batch"]);
    assert_eq!(log[2].sub_calls, ["scope"]);
    assert_eq!(log[1].path, "/rest/crm.deal.list");
    for request in &log {
        for secret in [access, refresh_token, "b24-refresh-0", SECRET] {
            assert!(!request.path.contains(secret), "{request:?}");
        }
    }
}

#[tokio::test]
async fn without_oauth_the_portal_is_webhook_only() {
    let fake = portal(3).await;
    let token = get_url(&format!(
        "{}?grant_type=refresh_token&client_id=a&client_secret=b&refresh_token=c",
        fake.oauth_server_url()
    ))
    .await;
    assert_eq!(token.status, 404);
    let call = rest_get(&fake, "scope", "auth=whatever").await;
    assert_eq!(error_of(&call), (401, "NO_AUTH_FOUND".to_owned()));
    assert_eq!(fake.current_refresh_token(), None);
    assert_eq!(fake.refreshes(), 0);
    fake.expire_access_tokens();
    fake.revoke_refresh_tokens();
}
