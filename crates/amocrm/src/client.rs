//! GET requests to the amoCRM API: Bearer auth, the source's rate limit,
//! retries and timeout, and one token refresh after a 401.
//!
//! Layer order, outermost first: rate limit → retry ([`RetryPolicy::run`]
//! takes a token per attempt) → timeout (the HTTP client's) → HTTP. The
//! request repeated after a 401 takes a token of its own.

use crate::api::Api;
use crate::config::{AmoConfig, Credentials};
use crate::error::{self, TARGET};
use crate::oauth::Refresher;
use chrono::{DateTime, Utc};
use liner_sync_core::auth::TokenKeeper;
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, Reply, RetryPolicy};
use liner_sync_core::{Error, Result, SourceContext};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, DATE};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// Requests of the burst the limiter leaves unused. Requests reach amoCRM
/// with varying delays, so two sent 1/7 s apart may arrive closer; with the
/// server's allowance used to the brim, that would be a 429 (and repeated
/// 429s end in a 403 block).
const BURST_HEADROOM: u32 = 1;

/// What to do when a long-lived token is refused.
const LONG_LIVED_REFUSED: &str = "the long-lived access_token expired or was revoked: create a \
     new one in amoCRM (the private integration → Keys and scopes → Generate long-lived token) \
     and put it in access_token";

/// What to do when amoCRM refuses the refresh token.
pub(crate) const HOW_TO_REAUTHORISE: &str = "re-install or re-authorise the integration in \
     amoCRM, put the new refresh_token (from the authorization code exchange) in the config \
     (and check client_id, client_secret and redirect_uri)";

/// A successful reply.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The JSON body; `None` for 204 No Content (amoCRM's "nothing found").
    pub body: Option<Value>,
    /// The server's clock, from the `Date` header.
    pub date: Option<DateTime<Utc>>,
}

/// How requests are signed.
enum Auth {
    LongLived(Secret),
    OAuth(Box<TokenKeeper>),
}

/// The HTTP side of one amoCRM source.
pub(crate) struct Client {
    source: String,
    http: reqwest::Client,
    auth: Auth,
    limiter: Limiter,
    retry: RetryPolicy,
    /// Secrets of the configuration, scrubbed from every error message.
    secrets: Vec<Secret>,
}

impl Client {
    /// A client for `config`, which must already be valid.
    pub fn new(
        source: &str,
        config: &AmoConfig,
        api: &Api,
        context: &SourceContext,
    ) -> Result<Self> {
        let credentials = config
            .credentials()
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        let http = http::client(config.timeout.0)?;
        let limiter = Limiter::new(
            config.rate_limit,
            Some(config.burst.saturating_sub(BURST_HEADROOM).max(1)),
        )
        .named(TARGET);
        let (auth, secrets) = match credentials {
            Credentials::LongLived(token) => (Auth::LongLived(token.clone()), vec![token]),
            Credentials::OAuth {
                client_id,
                client_secret,
                redirect_uri,
                refresh_token,
            } => {
                let refresher = Refresher::new(
                    source,
                    http.clone(),
                    api.token(),
                    client_id,
                    client_secret.clone(),
                    redirect_uri,
                    limiter.clone(),
                );
                let keeper = TokenKeeper::new(
                    source,
                    context.vault.clone(),
                    Arc::new(refresher),
                    refresh_token.clone(),
                    HOW_TO_REAUTHORISE,
                );
                (
                    Auth::OAuth(Box::new(keeper)),
                    vec![client_secret, refresh_token],
                )
            }
        };
        Ok(Self {
            source: source.to_owned(),
            http,
            auth,
            limiter,
            retry: RetryPolicy {
                max_attempts: config.max_attempts,
                // Long enough to honour one 429's full `retry_after`.
                max_elapsed: error::RATE_LIMIT_WAIT_CAP + Duration::from_secs(60),
                ..RetryPolicy::default()
            },
            secrets,
        })
    }

    /// GETs `url`; `what` names the call in logs and errors (`leads`).
    pub async fn get(&self, url: &str, what: &str) -> Result<Response> {
        self.run(url, what, false).await
    }

    /// GETs one entity: a 404, like a 204, means it does not exist.
    pub async fn get_entity(&self, url: &str, what: &str) -> Result<Response> {
        self.run(url, what, true).await
    }

    async fn run(&self, url: &str, what: &str, entity: bool) -> Result<Response> {
        let attempt = |_| async move { self.attempt(url, entity).await };
        let on_retry = liner_sync_core::http::log_retry(&self.source, what);
        self.retry
            .run(&self.limiter, attempt, on_retry)
            .await
            .map_err(|e| e.context(what))
    }

    /// One request, and after a 401 with OAuth one refresh and one more.
    async fn attempt(&self, url: &str, entity: bool) -> Result<Response> {
        let token = self.token().await?;
        let (reply, date) = self.send(url, &token).await?;
        if reply.status != StatusCode::UNAUTHORIZED {
            return self.read(reply, date, &token, entity);
        }
        let keeper = match &self.auth {
            Auth::LongLived(_) => {
                let refused = self.clean(error::from_reply(&reply), &token);
                return Err(error::advise(refused, LONG_LIVED_REFUSED));
            }
            Auth::OAuth(keeper) => keeper,
        };
        warn!(source = %self.source, "amoCRM refused the access token (401); refreshing it once");
        let fresh = keeper
            .after_unauthorized(&token)
            .await
            .map_err(|e| self.clean(e, &token))?;
        self.limiter.acquire().await;
        let (reply, date) = self.send(url, &fresh).await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            let refused = self.clean(self.clean(error::from_reply(&reply), &fresh), &token);
            return Err(error::advise(
                refused,
                &format!("even a freshly refreshed access token was refused; {HOW_TO_REAUTHORISE}"),
            ));
        }
        self.read(reply, date, &fresh, entity)
            .map_err(|e| self.clean(e, &token))
    }

    /// The access token for the next request.
    async fn token(&self) -> Result<Secret> {
        match &self.auth {
            Auth::LongLived(token) => Ok(token.clone()),
            Auth::OAuth(keeper) => keeper.access_token().await,
        }
    }

    async fn send(&self, url: &str, token: &Secret) -> Result<(Reply, Option<DateTime<Utc>>)> {
        let started = Instant::now();
        let request = self
            .http
            .get(url)
            .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
            .header(ACCEPT, "application/hal+json, application/json");
        let (reply, headers) = http::send_with_headers(request, TARGET)
            .await
            .map_err(|e| self.clean(e, token))?;
        debug!(
            source = %self.source,
            path = reqwest::Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default(),
            status = reply.status.as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "amoCRM request"
        );
        let date = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|d| d.with_timezone(&Utc));
        Ok((reply, date))
    }

    /// A reply that is not a 401: its JSON, nothing (204), or the error.
    fn read(
        &self,
        reply: Reply,
        date: Option<DateTime<Utc>>,
        token: &Secret,
        entity: bool,
    ) -> Result<Response> {
        let missing = entity && reply.status == StatusCode::NOT_FOUND;
        if reply.status == StatusCode::NO_CONTENT || missing {
            return Ok(Response { body: None, date });
        }
        if reply.status.is_redirection() {
            let to = reply
                .location
                .as_deref()
                .and_then(|l| reqwest::Url::parse(l).ok())
                .and_then(|u| u.host_str().map(str::to_owned));
            let err = match to {
                Some(host) => Error::config(format!(
                    "amoCRM answered HTTP {} pointing at {host}: the account may have moved; \
                     set base_url to https://{host} if that is its new address",
                    reply.status.as_u16()
                ))
                .with_target(TARGET),
                None => error::from_reply(&reply),
            };
            return Err(self.clean(err, token));
        }
        if !reply.status.is_success() {
            return Err(self.clean(error::from_reply(&reply), token));
        }
        let body: Value = reply.json(TARGET).map_err(|e| self.clean(e, token))?;
        Ok(Response {
            body: Some(body),
            date,
        })
    }

    /// `err` without any secret in its message.
    fn clean(&self, err: Error, token: &Secret) -> Error {
        let mut secrets: Vec<&str> = self.secrets.iter().map(Secret::expose).collect();
        secrets.push(token.expose());
        error::scrub(err, &secrets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_base_url;
    use proptest::prelude::*;

    /// A long-lived-token client, built once for every case.
    fn client() -> &'static Client {
        static CLIENT: std::sync::OnceLock<Client> = std::sync::OnceLock::new();
        CLIENT.get_or_init(|| {
            let config = AmoConfig::long_lived("https://acme.amocrm.ru", Secret::new("l0ng-t0ken"));
            let api = Api::new(parse_base_url("https://acme.amocrm.ru").unwrap());
            let context = SourceContext {
                vault: Arc::new(liner_sync_core::state::StateStore::in_memory().unwrap()),
            };
            Client::new("amo", &config, &api, &context).unwrap()
        })
    }

    fn any_body() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            crate::testing::body(),
            crate::testing::mutated("leads_list_page_official.json")
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest! {
        #[test]
        fn any_reply_is_json_nothing_or_an_error_without_the_token(
            status in liner_sync_core::testing::status(),
            body in any_body(),
            location in proptest::option::of("(https?://)?[a-z.]{0,12}(/.{0,8})?"),
            entity in any::<bool>(),
        ) {
            let mut reply = liner_sync_core::testing::reply(status, body);
            reply.location = location;
            let token = Secret::new("acc-t0ken");
            match client().read(reply.clone(), None, &token, entity) {
                Ok(Response { body: Some(body), .. }) => {
                    prop_assert!(reply.status.is_success());
                    prop_assert_eq!(Some(body), serde_json::from_slice(&reply.body).ok());
                }
                Ok(Response { body: None, .. }) => prop_assert!(
                    reply.status == StatusCode::NO_CONTENT
                        || (entity && reply.status == StatusCode::NOT_FOUND)
                ),
                Err(e) => {
                    prop_assert_eq!(e.target(), Some(TARGET));
                    prop_assert!(!e.message().is_empty() && !e.message().contains('\n'), "{}", e);
                }
            }
        }
    }
}
