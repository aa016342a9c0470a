//! Which of the two ways to sign in a source's keys choose: an incoming
//! webhook or an OAuth application. Exactly one, complete.

use crate::config::Bitrix24Config;
use crate::endpoint::{DEFAULT_OAUTH_SERVER, parse_endpoint, parse_oauth_server};
use crate::webhook::Webhook;
use liner_sync_core::config::Secret;
use reqwest::Url;

/// The OAuth keys, named as in the configuration.
const OAUTH_KEYS: [&str; 5] = [
    "client_endpoint",
    "client_id",
    "client_secret",
    "refresh_token",
    "oauth_server",
];

/// The keys OAuth cannot do without.
const REQUIRED: &str = "client_endpoint, client_id, client_secret and refresh_token";

/// A source's checked credentials.
pub(crate) enum Credentials {
    /// An incoming webhook.
    Webhook(Webhook),
    /// A local or marketplace application.
    OAuth(OAuthApp),
}

/// A Bitrix24 application's keys, checked.
pub(crate) struct OAuthApp {
    /// The portal's REST base, `https://PORTAL/rest/`.
    pub endpoint: Url,
    /// The application's `client_id`.
    pub client_id: String,
    /// Sent only to the OAuth server.
    pub client_secret: Secret,
    /// The configured refresh token: the seed of the token chain.
    pub refresh_token: Secret,
    /// Where tokens are refreshed.
    pub server: Url,
}

impl Credentials {
    /// Picks the mode `config` sets and checks its keys. Errors say what to
    /// set and never contain a secret.
    pub fn select(config: &Bitrix24Config) -> Result<Self, String> {
        let oauth_set: Vec<&str> = OAUTH_KEYS
            .into_iter()
            .zip(oauth_presence(config))
            .filter_map(|(key, set)| set.then_some(key))
            .collect();
        match (&config.webhook_url, oauth_set.is_empty()) {
            (None, true) => Err(format!(
                "set either webhook_url (an incoming webhook) or {REQUIRED} (a local \
                 application signing in with OAuth)"
            )),
            (Some(_), false) => Err(format!(
                "webhook_url and {} are two ways to sign in; keep one: remove webhook_url to \
                 sign in as the application, or remove {} to use the webhook",
                oauth_set.join(", "),
                oauth_set.join(", ")
            )),
            (Some(url), true) => Webhook::parse(url.expose()).map(Credentials::Webhook),
            (None, false) => OAuthApp::from_config(config).map(Credentials::OAuth),
        }
    }
}

fn oauth_presence(config: &Bitrix24Config) -> [bool; 5] {
    [
        config.client_endpoint.is_some(),
        config.client_id.is_some(),
        config.client_secret.is_some(),
        config.refresh_token.is_some(),
        config.oauth_server.is_some(),
    ]
}

impl OAuthApp {
    fn from_config(config: &Bitrix24Config) -> Result<Self, String> {
        let missing: Vec<&str> = OAUTH_KEYS[..4]
            .iter()
            .zip(oauth_presence(config))
            .filter_map(|(key, set)| (!set).then_some(*key))
            .collect();
        let (Some(endpoint), Some(client_id), Some(client_secret), Some(refresh_token)) = (
            &config.client_endpoint,
            &config.client_id,
            &config.client_secret,
            &config.refresh_token,
        ) else {
            return Err(format!(
                "an OAuth application needs {REQUIRED}; missing: {}",
                missing.join(", ")
            ));
        };
        let client_id = client_id.as_str().trim();
        if client_id.is_empty() {
            return Err(
                "client_id must not be empty: copy the application's client_id \
                 (local.…) from Bitrix24"
                    .into(),
            );
        }
        for (key, secret) in [
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ] {
            if secret.expose().trim().is_empty() {
                return Err(format!("{key} must not be empty"));
            }
        }
        let server = config
            .oauth_server
            .as_ref()
            .map_or(DEFAULT_OAUTH_SERVER, |s| s.as_str());
        Ok(Self {
            endpoint: parse_endpoint(endpoint.as_str())?,
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret.expose().trim()),
            refresh_token: Secret::new(refresh_token.expose().trim()),
            server: parse_oauth_server(server)?,
        })
    }
}
