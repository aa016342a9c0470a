//! A Bitrix24 application's world: an OAuth server that rotates tokens the
//! way oauth.bitrix.info does (a used refresh token is refused with
//! `invalid_grant`), and a portal that accepts only the newest access token
//! and checks it was saved in the vault before it arrived.

use crate::portal::Portal;
use liner_sync_bitrix24::{Bitrix24Config, Bitrix24Source};
use liner_sync_core::SourceContext;
use liner_sync_core::auth::{TokenPair, TokenVault};
use liner_sync_core::config::{EnvString, HumanDuration, Rate, Secret};
use liner_sync_core::state::StateStore;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const CLIENT_ID: &str = "local.6650c1a2b3c4d5.12345678";
pub const CLIENT_SECRET: &str = "Zx9CLIENTs3cretQv7";
pub const SOURCE: &str = "b24";
pub const TOKEN_PATH: &str = "/oauth/token/";

/// The access token issued by the `n`th refresh of a chain.
pub fn access(n: u32) -> String {
    format!("AT{n}-acc3ssTOKENqz")
}

/// Refresh token number `n`; number 0 is the seed of the first chain.
pub fn refresh(n: u32) -> String {
    format!("RT{n}-r3freshTOKENqz")
}

/// What the OAuth server and the portal saw.
#[derive(Default)]
pub struct Ledger {
    /// The refresh tokens presented, in order.
    pub refreshes: Vec<String>,
    /// Every token issued (and every seed), to look for leaks.
    pub issued: Vec<String>,
    used: HashSet<String>,
    /// The one access token the portal accepts.
    valid: Option<String>,
    /// Accepted tokens the vault did not hold when they arrived.
    pub unsaved_uses: Vec<String>,
    /// The `client_endpoint` token replies carry.
    pub client_endpoint: String,
}

/// The servers, the shared vault and the ledger.
pub struct App {
    pub portal: MockServer,
    pub oauth: MockServer,
    pub vault: Arc<StateStore>,
    pub ledger: Arc<Mutex<Ledger>>,
}

impl App {
    pub async fn start(data: Portal) -> App {
        let portal = MockServer::start().await;
        let oauth = MockServer::start().await;
        let vault = Arc::new(StateStore::in_memory().expect("an in-memory state"));
        let ledger = Arc::new(Mutex::new(Ledger {
            client_endpoint: format!("{}/rest/", portal.uri()),
            issued: vec![refresh(0)],
            ..Ledger::default()
        }));
        let app = App {
            portal,
            oauth,
            vault,
            ledger,
        };
        app.serve(&app.portal, Arc::new(data)).await;
        let ledger = app.ledger.clone();
        Mock::given(method("GET"))
            .and(path(TOKEN_PATH))
            .respond_with(move |request: &Request| token_reply(&ledger, request))
            .with_priority(10)
            .mount(&app.oauth)
            .await;
        app
    }

    /// Serves `data` at `server`'s `/rest/`, to the newest access token only.
    pub async fn serve(&self, server: &MockServer, data: Arc<Portal>) {
        let (ledger, vault) = (self.ledger.clone(), self.vault.clone());
        Mock::given(method("POST"))
            .and(path_regex("^/rest/"))
            .respond_with(move |request: &Request| {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let token = body["auth"].as_str().unwrap_or_default().to_owned();
                let mut ledger = ledger.lock().unwrap();
                if ledger.valid.as_deref() != Some(token.as_str()) {
                    return ResponseTemplate::new(401).set_body_json(json!({
                        "error": "expired_token",
                        "error_description": "The access token provided has expired."
                    }));
                }
                let saved = vault.load_tokens(SOURCE).unwrap().map(|(pair, _)| pair);
                if saved.is_none_or(|pair| pair.access_token.expose() != token) {
                    ledger.unsaved_uses.push(token);
                }
                data.respond(request)
            })
            .with_priority(10)
            .mount(server)
            .await;
    }

    /// The source's context: this app's vault.
    pub fn context(&self) -> SourceContext {
        SourceContext {
            vault: self.vault.clone(),
        }
    }

    /// An OAuth config seeded with refresh token `seed`.
    pub fn config_with_seed(&self, seed: &str) -> Bitrix24Config {
        let mut config = Bitrix24Config::oauth(
            EnvString(format!("{}/rest/", self.portal.uri())),
            EnvString(CLIENT_ID.into()),
            Secret::new(CLIENT_SECRET),
            Secret::new(seed),
        );
        config.oauth_server = Some(EnvString(format!("{}{TOKEN_PATH}", self.oauth.uri())));
        config.rate_limit = Rate::Unlimited;
        config.max_attempts = 3;
        config.timeout = HumanDuration(Duration::from_secs(5));
        config
    }

    /// A source seeded with the first chain's seed.
    pub fn source(&self) -> Bitrix24Source {
        self.source_with(self.config_with_seed(&refresh(0)))
    }

    pub fn source_with(&self, config: Bitrix24Config) -> Bitrix24Source {
        Bitrix24Source::new(SOURCE, config, &self.context()).expect("a valid config")
    }

    /// The portal stops accepting the access token it has seen last, as
    /// after its hour is up.
    pub fn expire_access_token(&self) {
        self.ledger.lock().unwrap().valid = None;
    }

    pub fn refreshes(&self) -> Vec<String> {
        self.ledger.lock().unwrap().refreshes.clone()
    }

    pub fn unsaved_uses(&self) -> Vec<String> {
        self.ledger.lock().unwrap().unsaved_uses.clone()
    }

    /// Every secret of this world: the client secret and all tokens.
    pub fn secrets(&self) -> Vec<String> {
        let mut all = self.ledger.lock().unwrap().issued.clone();
        all.push(CLIENT_SECRET.to_owned());
        all
    }

    /// The pair the vault holds and the seed fingerprint it descends from.
    pub fn saved(&self) -> Option<(TokenPair, String)> {
        self.vault.load_tokens(SOURCE).unwrap()
    }

    /// Requests the portal received.
    pub async fn portal_requests(&self) -> Vec<Request> {
        self.portal.received_requests().await.unwrap_or_default()
    }

    /// Requests the OAuth server received.
    pub async fn oauth_requests(&self) -> Vec<Request> {
        self.oauth.received_requests().await.unwrap_or_default()
    }
}

/// The OAuth server: `RT<n>` gives `AT<n+1>` and `RT<n+1>`, once.
fn token_reply(ledger: &Mutex<Ledger>, request: &Request) -> ResponseTemplate {
    let query: std::collections::HashMap<String, String> =
        request.url.query_pairs().into_owned().collect();
    let field = |key: &str| query.get(key).map(String::as_str).unwrap_or_default();
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        return ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
        );
    }
    let presented = field("refresh_token").to_owned();
    let mut ledger = ledger.lock().unwrap();
    ledger.refreshes.push(presented.clone());
    let number = presented
        .strip_prefix("RT")
        .and_then(|rest| rest.split('-').next())
        .and_then(|n| n.parse::<u32>().ok());
    let (Some(n), "refresh_token") = (number, field("grant_type")) else {
        return invalid_grant();
    };
    if !ledger.used.insert(presented) {
        return invalid_grant();
    }
    let (access, refresh) = (access(n + 1), refresh(n + 1));
    ledger.issued.extend([access.clone(), refresh.clone()]);
    ledger.valid = Some(access.clone());
    let now = chrono::Utc::now().timestamp();
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "expires": now + 3600,
        "expires_in": 3600,
        "scope": "app",
        "domain": "oauth.bitrix.info",
        "server_endpoint": "https://oauth.bitrix.info/rest/",
        "status": "L",
        "client_endpoint": ledger.client_endpoint,
        "member_id": "a223c6b3710f85df22e9377d6c4f7553",
        "user_id": 1,
        "refresh_token": refresh
    }))
}

fn invalid_grant() -> ResponseTemplate {
    ResponseTemplate::new(400)
        .set_body_json(json!({"error": "invalid_grant", "error_description": "Invalid grant"}))
}
