//! OAuth: refresh before expiry and after a 401, one refresh for many 401s,
//! each new pair saved before it is used, and a refused refresh token.

use crate::account::{Account, context, serve};
use chrono::{Duration as Days, Utc};
use liner_sync_amocrm::{AmoConfig, AmoSource};
use liner_sync_core::auth::{TokenPair, TokenVault, fingerprint};
use liner_sync_core::config::{HumanDuration, Rate, Secret};
use liner_sync_core::state::StateStore;
use liner_sync_core::{CrmSource, ErrorKind};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CLIENT_ID: &str = "0b4f5a8e-1111-2222-3333-444455556666";
pub const CLIENT_SECRET: &str = "Cl1entSECRETxyzzy";
pub const REDIRECT_URI: &str = "https://example.com/amo/oauth";
/// The configured refresh token (the chain's seed).
pub const SEED: &str = "def50200SEEDrefreshSECRET0";

/// amoCRM's token endpoint: refresh token `…N` gives access token `accessN+1`
/// and refresh token `…N+1`; a used refresh token is refused the way amoCRM
/// refuses it.
pub struct Issuer {
    pub account: Arc<Account>,
    pub used: Mutex<Vec<String>>,
    pub calls: AtomicUsize,
    /// Whether the account accepts the access tokens issued.
    pub valid: bool,
}

pub fn access(n: u32) -> String {
    format!("eyJhbGciOiJSUzI1NiJ9.ACCESS{n}SECRET.sig")
}

pub fn refresh(n: u32) -> String {
    if n == 0 {
        SEED.to_owned()
    } else {
        format!("def50200REFRESH{n}SECRET")
    }
}

fn generation(token: &str) -> Option<u32> {
    if token == SEED {
        return Some(0);
    }
    token
        .strip_prefix("def50200REFRESH")?
        .strip_suffix("SECRET")?
        .parse()
        .ok()
}

pub const REVOKED: &str = r#"{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#;

impl Issuer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        assert_eq!(body["client_id"], CLIENT_ID);
        assert_eq!(body["client_secret"], CLIENT_SECRET);
        assert_eq!(body["grant_type"], "refresh_token");
        assert_eq!(body["redirect_uri"], REDIRECT_URI);
        let token = body["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut used = self.used.lock().unwrap();
        let Some(n) = generation(&token).filter(|_| !used.contains(&token)) else {
            return ResponseTemplate::new(401).set_body_raw(REVOKED, "application/problem+json");
        };
        used.push(token);
        if self.valid {
            self.account.accept(&access(n + 1));
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"token_type": "Bearer", "expires_in": 86_400,
                                  "access_token": access(n + 1), "refresh_token": refresh(n + 1),
                                  "server_time": 1_751_892_369}))
            .set_delay(Duration::from_millis(100))
    }
}

pub struct OAuth {
    pub server: MockServer,
    pub source: Arc<AmoSource>,
    pub issuer: Arc<Issuer>,
    pub vault: Arc<StateStore>,
}

pub fn oauth_config(uri: &str) -> AmoConfig {
    let mut config = AmoConfig::oauth(
        uri,
        CLIENT_ID,
        Secret::new(CLIENT_SECRET),
        REDIRECT_URI,
        Secret::new(SEED),
    );
    config.rate_limit = Rate::Unlimited;
    config.max_attempts = 3;
    config.timeout = HumanDuration(Duration::from_secs(5));
    config
}

/// A source on OAuth. `stored`: the pair the state file holds (generation,
/// expires in seconds), as after earlier runs.
pub async fn oauth(account: Account, stored: Option<(u32, i64)>, valid: bool) -> OAuth {
    oauth_with(account, stored, valid, |_| {}).await
}

/// [`oauth`] with a config `edit` adjusts.
pub async fn oauth_with(
    account: Account,
    stored: Option<(u32, i64)>,
    valid: bool,
    edit: impl FnOnce(&mut AmoConfig),
) -> OAuth {
    let (server, account) = serve(account).await;
    let vault = Arc::new(StateStore::in_memory().unwrap());
    let issuer = Arc::new(Issuer {
        account: account.clone(),
        used: Mutex::default(),
        calls: AtomicUsize::new(0),
        valid,
    });
    if let Some((n, expires_in)) = stored {
        let pair = TokenPair {
            access_token: Secret::new(access(n)),
            refresh_token: Secret::new(refresh(n)),
            expires_at: Utc::now() + Days::seconds(expires_in),
        };
        vault
            .save_tokens("amo", &pair, &fingerprint(&Secret::new(SEED)))
            .unwrap();
        issuer.used.lock().unwrap().extend((0..n).map(refresh));
    }
    let serving = issuer.clone();
    Mock::given(method("POST"))
        .and(path("/oauth2/access_token"))
        .respond_with(move |r: &Request| serving.respond(r))
        .with_priority(5)
        .mount(&server)
        .await;
    let mut config = oauth_config(&server.uri());
    edit(&mut config);
    let source = AmoSource::new("amo", config, &context(&vault)).unwrap();
    OAuth {
        server,
        source: Arc::new(source),
        issuer,
        vault,
    }
}

impl OAuth {
    async fn calls(&self) -> Vec<String> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let p = r.url.path().trim_start_matches('/');
                p.strip_prefix("api/v4/").unwrap_or(p).to_owned()
            })
            .collect()
    }

    fn stored(&self) -> (String, String) {
        let (pair, seed) = self.vault.load_tokens("amo").unwrap().unwrap();
        assert_eq!(seed, fingerprint(&Secret::new(SEED)));
        (
            pair.access_token.expose().to_owned(),
            pair.refresh_token.expose().to_owned(),
        )
    }
}

#[tokio::test]
async fn a_401_refreshes_once_saves_the_pair_and_repeats_the_request() {
    // The stored access token looks valid by its expiry, but amoCRM no
    // longer takes it.
    let h = oauth(Account::new(), Some((1, 86_400)), true).await;
    // The repeated request must come after the new pair is in the vault.
    let vault = h.vault.clone();
    Mock::given(path("/api/v4/account"))
        .and(header(
            "authorization",
            format!("Bearer {}", access(2)).as_str(),
        ))
        .respond_with(move |_: &Request| {
            let saved = vault
                .load_tokens("amo")
                .unwrap()
                .map(|(p, _)| p.access_token.expose().to_owned());
            if saved.as_deref() == Some(access(2).as_str()) {
                ResponseTemplate::new(200).set_body_json(json!({"id": 1}))
            } else {
                ResponseTemplate::new(418)
            }
        })
        .with_priority(1)
        .mount(&h.server)
        .await;
    h.source.check().await.unwrap();
    assert_eq!(
        h.calls().await,
        ["account", "oauth2/access_token", "account"]
    );
    assert_eq!(h.stored(), (access(2), refresh(2)));
    assert_eq!(h.issuer.calls.load(Ordering::SeqCst), 1);

    // The next request uses the saved token without another refresh.
    h.source.check().await.unwrap();
    assert_eq!(h.issuer.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_first_request_trades_the_configured_refresh_token() {
    let h = oauth(Account::new(), None, true).await;
    h.source.check().await.unwrap();
    assert_eq!(h.calls().await, ["oauth2/access_token", "account"]);
    assert_eq!(h.stored(), (access(1), refresh(1)));
    let requests = h.server.received_requests().await.unwrap();
    let body: Value = requests[0].body_json().unwrap();
    assert_eq!(
        body,
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
               "refresh_token": SEED, "redirect_uri": REDIRECT_URI})
    );
    assert_eq!(
        requests[1]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {}", access(1))
    );
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_the_request() {
    let h = oauth(Account::new(), Some((3, 60)), true).await;
    h.source.check().await.unwrap();
    assert_eq!(h.calls().await, ["oauth2/access_token", "account"]);
    assert_eq!(h.stored(), (access(4), refresh(4)));
}

#[tokio::test]
async fn a_revoked_refresh_token_says_how_to_reauthorise() {
    let h = oauth(Account::new(), None, true).await;
    h.issuer.used.lock().unwrap().push(SEED.to_owned());
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.stops_run());
    let text = err.to_string();
    assert!(text.contains("Token has been revoked"), "{text}");
    assert!(
        text.contains(
            "re-install or re-authorise the integration in amoCRM, put the new refresh_token \
             (from the authorization code exchange) in the config"
        ),
        "{text}"
    );
    assert_eq!(
        h.calls().await,
        ["oauth2/access_token"],
        "refused: not retried"
    );
    assert!(h.vault.load_tokens("amo").unwrap().is_none());
}

#[tokio::test]
async fn concurrent_401s_refresh_once() {
    let mut account = Account::new();
    account.add(1, 1_762_000_000, &[(101, Some("+7 900 000-01-01"))]);
    let h = oauth(account, Some((1, 86_400)), true).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let source = h.source.clone();
        tasks.spawn(async move { source.deal("1").await });
    }
    while let Some(done) = tasks.join_next().await {
        let deal = done.unwrap().unwrap().unwrap();
        assert_eq!(deal.contacts.len(), 1);
    }
    assert_eq!(
        h.issuer.calls.load(Ordering::SeqCst),
        1,
        "one refresh for eight 401s"
    );
    assert_eq!(h.stored(), (access(2), refresh(2)));
    let calls = h.calls().await;
    assert_eq!(
        calls.iter().filter(|c| *c == "oauth2/access_token").count(),
        1
    );
}

#[tokio::test]
async fn a_fresh_token_refused_again_is_an_auth_error() {
    let h = oauth(Account::new(), Some((1, 86_400)), false).await;
    let err = h.source.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.message().contains("freshly refreshed"), "{err}");
    assert!(
        err.message().contains("re-authorise the integration"),
        "{err}"
    );
    assert_eq!(
        h.calls().await,
        ["account", "oauth2/access_token", "account"]
    );
    assert_eq!(h.stored(), (access(2), refresh(2)), "the new pair is kept");
}

#[tokio::test]
async fn a_failing_token_endpoint_is_retried_with_the_same_refresh_token() {
    let h = oauth(Account::new(), None, true).await;
    Mock::given(method("POST"))
        .and(path("/oauth2/access_token"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html><title>503</title></html>"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&h.server)
        .await;
    h.source.check().await.unwrap();
    assert_eq!(
        h.calls().await,
        ["oauth2/access_token", "oauth2/access_token", "account"]
    );
    assert_eq!(h.stored(), (access(1), refresh(1)));
}
