//! The fake amoCRM's authorisation: Bearer tokens, the OAuth token endpoint
//! with rotating refresh tokens, revocation and expiry.

use std::time::Duration;

use liner_sync_emulator::{AmoAuth, AmoFake, AmoOptions};
use serde_json::{Value, json};

use crate::common::{
    AMO_TOKEN, Reply, amo, amo_data, amo_get, amo_get_as, amo_token_json, client, fixture,
};

const CLIENT_ID: &str = "0a1b2c3d-integration";
const SECRET: &str = "integration-secret-key";
const REDIRECT: &str = "https://example.test/amo/callback";

async fn oauth_account() -> AmoFake {
    AmoFake::start(AmoOptions {
        data: amo_data(5),
        auth: AmoAuth::OAuth {
            client_id: CLIENT_ID.to_owned(),
            client_secret: SECRET.to_owned(),
            redirect_uri: REDIRECT.to_owned(),
            initial_refresh_token: "refresh-0".to_owned(),
            initial_access_token: Some("access-0".to_owned()),
        },
        enforce_rate_limit: false,
        access_token_lifetime: Duration::from_secs(3600),
        ..AmoOptions::default()
    })
    .await
    .unwrap()
}

fn refresh_body(token: &str) -> Value {
    json!({
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "grant_type": "refresh_token",
        "refresh_token": token,
        "redirect_uri": REDIRECT,
    })
}

/// Refreshes with `token`; the new (access, refresh) pair.
async fn refresh(fake: &AmoFake, token: &str) -> (String, String) {
    let reply = amo_token_json(fake, &refresh_body(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn leads_as(fake: &AmoFake, token: &str) -> u16 {
    amo_get_as(fake, "/api/v4/leads", Some(token)).await.status
}

fn assert_revoked(reply: &Reply) {
    assert_eq!(reply.status, 401);
    assert_eq!(reply.content_type, "application/problem+json");
    assert_eq!(
        reply.json(),
        fixture("amocrm/error_401_oauth_token_revoked.json")
    );
}

#[tokio::test]
async fn bearer_tokens_and_the_401() {
    let fake = amo(3).await;
    assert_eq!(amo_get(&fake, "/api/v4/account").await.status, 200);
    let account = amo_get(&fake, "/api/v4/account").await.json();
    assert!(account["id"].is_u64() && account["subdomain"].is_string());
    for token in [None, Some("wrong"), Some("")] {
        let reply = amo_get_as(&fake, "/api/v4/leads", token).await;
        assert_eq!(reply.status, 401, "{token:?}");
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(reply.json(), fixture("amocrm/error_401_unauthorized.json"));
    }
    let basic = client()
        .get(format!("{}/api/v4/leads", fake.base_url()))
        .header("Authorization", format!("Basic {AMO_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    fake.expire_access_tokens();
    assert_eq!(
        leads_as(&fake, AMO_TOKEN).await,
        401,
        "long-lived token ran out"
    );
    let refused = amo_token_json(&fake, &refresh_body("anything")).await;
    assert_eq!(refused.status, 401, "no OAuth integration");
    assert_eq!(fake.current_refresh_token(), None);
    assert_eq!(fake.refreshes(), 0);
}

#[tokio::test]
async fn a_refresh_gives_a_new_pair_in_the_documented_shape() {
    let fake = oauth_account().await;
    assert_eq!(leads_as(&fake, "access-0").await, 200);
    let reply = amo_token_json(&fake, &refresh_body("refresh-0")).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    let sample = fixture("amocrm/token_response_kommo.json");
    for key in sample.as_object().unwrap().keys() {
        assert!(body.get(key).is_some(), "missing {key}");
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["server_time"].is_i64());
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();
    assert_ne!(access, refresh_token);
    assert_eq!(fake.current_refresh_token().as_deref(), Some(refresh_token));
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(leads_as(&fake, access).await, 200);
    assert_eq!(leads_as(&fake, "access-0").await, 200, "until it expires");

    let other = oauth_account().await;
    let (other_access, _) = refresh(&other, "refresh-0").await;
    assert_ne!(other_access, access, "tokens differ across fakes");
}

#[tokio::test]
async fn the_old_refresh_token_works_until_the_new_pair_is_used() {
    let fake = oauth_account().await;
    let (lost_access, lost_refresh) = refresh(&fake, "refresh-0").await;
    let (access, refresh_1) = refresh(&fake, "refresh-0").await;
    assert_ne!(lost_access, access);
    assert_eq!(leads_as(&fake, &access).await, 200);
    assert_revoked(&amo_token_json(&fake, &refresh_body("refresh-0")).await);
    assert_revoked(&amo_token_json(&fake, &refresh_body(&lost_refresh)).await);

    let (_, refresh_2) = refresh(&fake, &refresh_1).await;
    let (_, refresh_3) = refresh(&fake, &refresh_2).await;
    assert_revoked(&amo_token_json(&fake, &refresh_body(&refresh_1)).await);
    assert_eq!(fake.current_refresh_token(), Some(refresh_3));
    assert_eq!(fake.refreshes(), 4);
}

#[tokio::test]
async fn revocation_expiry_and_bad_requests() {
    let fake = oauth_account().await;
    let (access, refresh_1) = refresh(&fake, "refresh-0").await;
    fake.expire_access_tokens();
    assert_eq!(leads_as(&fake, &access).await, 401);
    assert_eq!(leads_as(&fake, "access-0").await, 401);
    let (fresh, refresh_2) = refresh(&fake, &refresh_1).await;
    assert_eq!(leads_as(&fake, &fresh).await, 200);
    fake.revoke_refresh_tokens();
    assert_revoked(&amo_token_json(&fake, &refresh_body(&refresh_2)).await);
    assert_revoked(&amo_token_json(&fake, &refresh_body("never-issued")).await);
    assert_eq!(leads_as(&fake, &fresh).await, 200, "access tokens live on");

    let mut wrong_secret = refresh_body(&refresh_2);
    wrong_secret["client_secret"] = json!("nope");
    let reply = amo_token_json(&fake, &wrong_secret).await;
    assert_eq!(reply.status, 401);
    let body = reply.json();
    assert_eq!(
        body["type"],
        "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
    );
    assert_ne!(body["hint"], "Token has been revoked");
    let mut wrong_redirect = refresh_body(&refresh_2);
    wrong_redirect["redirect_uri"] = json!("https://elsewhere.test/");
    assert_eq!(amo_token_json(&fake, &wrong_redirect).await.status, 401);
    let mut missing = refresh_body(&refresh_2);
    missing.as_object_mut().unwrap().remove("refresh_token");
    assert_eq!(amo_token_json(&fake, &missing).await.status, 400);
    let code = json!({"client_id": CLIENT_ID, "client_secret": SECRET,
        "grant_type": "authorization_code", "code": "def502", "redirect_uri": REDIRECT});
    assert_eq!(amo_token_json(&fake, &code).await.status, 400);
    let get = client()
        .get(format!("{}/oauth2/access_token", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 405);
}

#[tokio::test]
async fn a_form_body_works_too() {
    let fake = oauth_account().await;
    let form = [
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", "refresh-0"),
        ("redirect_uri", REDIRECT),
    ];
    let reply = client()
        .post(format!("{}/oauth2/access_token", fake.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert_eq!(fake.refreshes(), 1);
}

#[tokio::test]
async fn tokens_never_reach_the_request_log() {
    let fake = oauth_account().await;
    let (access, refresh_1) = refresh(&fake, "refresh-0").await;
    amo_get_as(&fake, "/api/v4/leads?with=contacts", Some(&access)).await;
    amo_get_as(&fake, "/api/v4/contacts/4", Some(&access)).await;
    amo_get_as(&fake, "/api/v4/leads", Some("wrong")).await;
    let log = fake.requests();
    let methods: Vec<&str> = log.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(
        methods,
        ["oauth2/access_token", "leads", "contacts/{id}", "leads"]
    );
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 204, 401]);
    for request in &log {
        for secret in [&access, &refresh_1, "refresh-0", SECRET, "wrong"] {
            assert!(!request.path.contains(secret), "{request:?}");
        }
    }
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}
