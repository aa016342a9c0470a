//! The amoCRM OAuth 2.0 refresh: `POST {base_url}/oauth2/access_token` with
//! the refresh token, answered by a new access token and a new refresh token
//! (the old refresh token dies once the new one is used).

use crate::error::{self, Problem, TARGET};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use liner_sync_core::auth::{TokenPair, TokenRefresher};
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, Reply};
use liner_sync_core::{Error, ErrorKind, Result};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use tracing::warn;

/// amoCRM's documented access-token lifetime, used when a reply names none.
const DEFAULT_LIFETIME_SECS: i64 = 86_400;

/// The longest lifetime believed (a long-lived token's maximum, 5 years).
const MAX_LIFETIME_SECS: i64 = 5 * 366 * 86_400;

/// Trades a refresh token for a new pair at the account's token endpoint.
pub(crate) struct Refresher {
    source: String,
    http: reqwest::Client,
    url: String,
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    limiter: Limiter,
}

impl Refresher {
    /// A refresher posting to `url`; it takes a token of the source's
    /// `limiter` per request.
    pub fn new(
        source: &str,
        http: reqwest::Client,
        url: String,
        client_id: String,
        client_secret: Secret,
        redirect_uri: String,
        limiter: Limiter,
    ) -> Self {
        Self {
            source: source.to_owned(),
            http,
            url,
            client_id,
            client_secret,
            redirect_uri,
            limiter,
        }
    }

    async fn exchange(&self, refresh_token: &Secret) -> Result<TokenPair> {
        let body = json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret.expose(),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
            "redirect_uri": self.redirect_uri,
        });
        let body = serde_json::to_vec(&body).map_err(|e| {
            Error::internal(format!("cannot encode the token request: {e}")).with_target(TARGET)
        })?;
        self.limiter.acquire().await;
        let request = self
            .http
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body);
        let reply = http::send(request, TARGET).await?;
        if reply.status.is_success() {
            pair_from(&self.source, &reply)
        } else {
            Err(refused(&reply))
        }
    }
}

#[async_trait]
impl TokenRefresher for Refresher {
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenPair> {
        self.exchange(refresh_token)
            .await
            .map_err(|e| error::scrub(e, &[self.client_secret.expose(), refresh_token.expose()]))
    }
}

/// The pair of a token reply
/// (`{token_type, expires_in, access_token, refresh_token, server_time}`).
fn pair_from(source: &str, reply: &Reply) -> Result<TokenPair> {
    let value: Value = reply.json(TARGET)?;
    let token = |key: &str| match value.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Secret::new(s.trim())),
        _ => Err(Error::invalid_data(format!(
            "the token reply (HTTP {}) has no {key}",
            reply.status.as_u16()
        ))
        .with_target(TARGET)),
    };
    let access_token = token("access_token")?;
    let refresh_token = token("refresh_token")?;
    let lifetime = value
        .get("expires_in")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
        .filter(|secs| (1..=MAX_LIFETIME_SECS).contains(secs));
    let lifetime = lifetime.unwrap_or_else(|| {
        warn!(
            source,
            "the token reply names no usable expires_in; assuming 24 h"
        );
        DEFAULT_LIFETIME_SECS
    });
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_at: Utc::now() + Duration::seconds(lifetime),
    })
}

/// A refused refresh. 400 and 401 mean the refresh token is no good: an
/// auth error, which the keeper turns into "re-authorise"; or, when the
/// reply blames the client (`Client authentication failed`, a wrong
/// `redirect_uri`), a configuration error. Anything else is classified like
/// any other reply.
fn refused(reply: &Reply) -> Error {
    let err = error::from_reply(reply);
    if !matches!(reply.status.as_u16(), 400 | 401) {
        return err;
    }
    let problem = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .as_ref()
        .and_then(Problem::from_json)
        .map(|p| format!("{} {} {}", p.title, p.detail, p.hint).to_lowercase())
        .unwrap_or_default();
    let blames_client = [
        "client authentication",
        "invalid client",
        "invalid_client",
        "клиент",
        "redirect_uri",
        "redirect uri",
    ]
    .iter()
    .any(|needle| problem.contains(needle));
    if blames_client {
        Error::config(format!(
            "{}; amoCRM refused the integration's credentials: check client_id, client_secret \
             and redirect_uri against the integration in amoCRM (Keys and scopes)",
            err.message()
        ))
        .with_target(TARGET)
    } else {
        Error::new(ErrorKind::Auth, err.message()).with_target(TARGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_the_kommo_token_reply() {
        let body = include_str!("../testdata/token_response_kommo.json");
        let before = Utc::now();
        let pair = pair_from("amo", &reply(200, body)).unwrap();
        assert_eq!(pair.access_token.expose(), "xxxxxx");
        assert_eq!(pair.refresh_token.expose(), "xxxxx");
        let lifetime = pair.expires_at - before;
        assert!(lifetime >= Duration::seconds(86_399) && lifetime <= Duration::seconds(86_401));
    }

    #[test]
    fn odd_token_replies() {
        for (body, kind) in [
            (
                r#"{"access_token": "a", "expires_in": 60}"#,
                Some(ErrorKind::InvalidData),
            ),
            (
                r#"{"access_token": "", "refresh_token": "r"}"#,
                Some(ErrorKind::InvalidData),
            ),
            (
                r#"{"access_token": "a", "refresh_token": 5}"#,
                Some(ErrorKind::InvalidData),
            ),
            (
                "<html><title>502</title></html>",
                Some(ErrorKind::Temporary),
            ),
            (
                r#"{"access_token": "a", "refresh_tok"#,
                Some(ErrorKind::Temporary),
            ),
            (
                r#"{"access_token": "a", "refresh_token": "r", "expires_in": -5}"#,
                None,
            ),
            (
                r#"{"access_token": "a", "refresh_token": "r", "expires_in": 1e300}"#,
                None,
            ),
            (
                r#"{"access_token": "a", "refresh_token": "r", "expires_in": "3600"}"#,
                None,
            ),
        ] {
            match (pair_from("amo", &reply(200, body)), kind) {
                (Ok(pair), None) => assert!(
                    pair.expires_at > Utc::now() + Duration::minutes(30),
                    "{body}"
                ),
                (Err(e), Some(kind)) => assert_eq!(e.kind(), kind, "{body}: {e}"),
                (got, _) => panic!("{body}: {got:?}"),
            }
        }
    }

    #[test]
    fn refusals_are_auth_errors_and_outages_are_temporary() {
        let revoked = r#"{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#;
        for (status, body, kind) in [
            (401, revoked, ErrorKind::Auth),
            (
                400,
                r#"{"hint":"Cannot decrypt the refresh token","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":400,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#,
                ErrorKind::Auth,
            ),
            (
                401,
                r#"{"title":"Client authentication failed","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401}"#,
                ErrorKind::Config,
            ),
            (
                400,
                r#"{"title":"Некорректный запрос","hint":"Check the `redirect_uri` parameter","status":400}"#,
                ErrorKind::Config,
            ),
            (
                400,
                r#"{"title":"Bad Request","status":400,"detail":"Invalid client"}"#,
                ErrorKind::Config,
            ),
            (
                403,
                "<html><title>403 Forbidden</title></html>",
                ErrorKind::Auth,
            ),
            (500, "", ErrorKind::Temporary),
            (503, "<html><title>503</title></html>", ErrorKind::Temporary),
            (429, r#"{"retry_after": 3}"#, ErrorKind::RateLimited),
        ] {
            let e = refused(&reply(status, body));
            assert_eq!(e.kind(), kind, "{status}: {e}");
        }
        assert!(
            refused(&reply(401, revoked))
                .message()
                .contains("Token has been revoked")
        );
    }

    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            crate::testing::body(),
            crate::testing::mutated("token_response_kommo.json")
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_token_reply_is_a_pair_or_an_error(
            status in liner_sync_core::testing::status(),
            body in any_body(),
        ) {
            let reply = liner_sync_core::testing::reply(status, body);
            let before = Utc::now();
            let outcome = if reply.status.is_success() {
                pair_from("amo", &reply)
            } else {
                Err(refused(&reply))
            };
            match outcome {
                Ok(pair) => {
                    proptest::prop_assert!(!pair.access_token.expose().is_empty());
                    proptest::prop_assert!(!pair.refresh_token.expose().is_empty());
                    proptest::prop_assert!(pair.expires_at > before);
                    proptest::prop_assert!(pair.expires_at <= Utc::now() + Duration::seconds(MAX_LIFETIME_SECS));
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.target(), Some(TARGET));
                    proptest::prop_assert!(!e.message().is_empty() && !e.message().contains('\n'), "{}", e);
                }
            }
        }
    }
}
