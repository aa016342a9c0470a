//! The Bitrix24 OAuth server's answer to a refresh: the new token pair and
//! the portal's address, or an error whose kind tells the keeper and the
//! retry policy what to do.

use crate::error::{ApiError, TARGET};
use chrono::{DateTime, Duration, Utc};
use liner_sync_core::auth::TokenPair;
use liner_sync_core::config::Secret;
use liner_sync_core::http::Reply;
use liner_sync_core::{Error, ErrorKind, Result};
use reqwest::StatusCode;
use serde_json::Value;

/// Names the other end in every message.
const ORIGIN: &str = "Bitrix24 OAuth server";

/// Bitrix24 access tokens live an hour (`expires_in: 3600`).
const USUAL_LIFETIME: i64 = 3600;

/// Lifetimes shorter than this are not believed: the keeper refreshes a few
/// minutes before expiry, so a shorter one would refresh before every call,
/// which Bitrix24 may block as automation. A 401 covers a token that really
/// expires sooner.
const SHORTEST_LIFETIME: i64 = 600;

/// Nor are lifetimes longer than a day.
const LONGEST_LIFETIME: i64 = 86_400;

/// The wait after a 429 without `Retry-After`.
const SLOW_DOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// A successful refresh.
#[derive(Debug)]
pub(crate) struct Granted {
    /// The new tokens; the refresh token replaces the one just used.
    pub pair: TokenPair,
    /// The portal's REST address as the OAuth server knows it.
    pub client_endpoint: Option<String>,
}

/// Reads the reply to a refresh made at `now`.
pub(crate) fn read(reply: &Reply, now: DateTime<Utc>) -> Result<Granted> {
    let parsed: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let api = parsed
        .as_ref()
        .and_then(ApiError::from_json)
        .filter(|api| !api.code.is_empty());
    if let Some(api) = api {
        return Err(refused(reply.status, &api));
    }
    if reply.status.is_success() {
        let body: Value = reply.json(TARGET).map_err(|e| e.context(ORIGIN))?;
        return granted(&body, now);
    }
    let origin = format!(
        "{ORIGIN}: HTTP {} {}",
        reply.status.as_u16(),
        reply.snippet()
    );
    Err(by_status(reply.status, &origin, reply.retry_after))
}

/// An error the OAuth server named.
fn refused(status: StatusCode, api: &ApiError) -> Error {
    let origin = format!("{ORIGIN}: HTTP {} {}", status.as_u16(), api.summary());
    // Auth means "the refresh token is no good" (the token keeper adds how to
    // re-authorise); a wrong setting is Config, passed on as it is.
    let (kind, advice) = match api.code.to_ascii_lowercase().as_str() {
        "invalid_grant" | "expired_token" | "invalid_token" => (
            ErrorKind::Auth,
            "the refresh token is expired, revoked or already used",
        ),
        "payment_required" => (
            ErrorKind::Auth,
            "the Bitrix24 subscription or the application's payment has lapsed",
        ),
        "invalid_client" => (ErrorKind::Config, "check client_id and client_secret"),
        "invalid_scope" | "insufficient_scope" => (
            ErrorKind::Config,
            "the application lacks a scope it needs: tick CRM (crm) in the local \
             application's settings",
        ),
        "invalid_request" => (
            ErrorKind::Config,
            "the request was refused: check client_id and oauth_server",
        ),
        _ => return by_status(status, &origin, None),
    };
    Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET)
}

fn by_status(status: StatusCode, origin: &str, retry_after: Option<std::time::Duration>) -> Error {
    let (kind, advice) = match status.as_u16() {
        300..=399 => (ErrorKind::Config, "a redirect: check oauth_server"),
        404 => (
            ErrorKind::Config,
            "no token endpoint here: check oauth_server",
        ),
        408 | 500..=599 => (ErrorKind::Temporary, "the OAuth server failed on its side"),
        429 => (
            ErrorKind::RateLimited,
            "the OAuth server asked to slow down",
        ),
        _ => (ErrorKind::Auth, "the OAuth server refused the refresh"),
    };
    let error = Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET);
    match kind {
        ErrorKind::RateLimited => error.with_retry_after(retry_after.unwrap_or(SLOW_DOWN_WAIT)),
        _ => error,
    }
}

fn granted(body: &Value, now: DateTime<Utc>) -> Result<Granted> {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let token = |key: &str| {
        text(key).map(Secret::new).ok_or_else(|| {
            Error::invalid_data(format!("{ORIGIN}: the reply has no {key}")).with_target(TARGET)
        })
    };
    Ok(Granted {
        pair: TokenPair {
            access_token: token("access_token")?,
            refresh_token: token("refresh_token")?,
            expires_at: expiry(body, now),
        },
        client_endpoint: text("client_endpoint").map(str::to_owned),
    })
}

/// `expires` (Unix time) when present and plausible, else `now + expires_in`.
fn expiry(body: &Value, now: DateTime<Utc>) -> DateTime<Utc> {
    let plausible = |seconds: i64| (SHORTEST_LIFETIME..=LONGEST_LIFETIME).contains(&seconds);
    let lifetime = seconds(body.get("expires_in"))
        .filter(|s| plausible(*s))
        .unwrap_or(USUAL_LIFETIME);
    // `expires` is the server's clock; a host clock running ahead of it
    // would otherwise make a fresh token look about to expire.
    let absolute = seconds(body.get("expires"))
        .filter(|at| plausible(at.saturating_sub(now.timestamp())))
        .and_then(|at| DateTime::from_timestamp(at, 0));
    absolute.unwrap_or(now + Duration::seconds(lifetime))
}

fn seconds(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    /// The documented refresh reply (DOCS settings/oauth/index.md, with the
    /// `expires` and `user_id` the refresh adds).
    fn documented(expires: i64) -> Value {
        json!({
            "access_token": "s6p6eclrvim6da22ft9ch94ekreb52lv",
            "expires": expires,
            "expires_in": 3600,
            "scope": "app",
            "domain": "oauth.bitrix.info",
            "server_endpoint": "https://oauth.bitrix.info/rest/",
            "status": "L",
            "client_endpoint": "https://portal.bitrix24.com/rest/",
            "member_id": "a223c6b3710f85df22e9377d6c4f7553",
            "user_id": 1,
            "refresh_token": "4s386p3q0tr8dy89xvmt96234v3dljg8"
        })
    }

    #[test]
    fn the_documented_reply_gives_a_pair_and_the_endpoint() {
        let expires = now().timestamp() + 3600;
        let got = read(&reply(200, &documented(expires).to_string()), now()).unwrap();
        assert_eq!(
            got.pair.access_token.expose(),
            "s6p6eclrvim6da22ft9ch94ekreb52lv"
        );
        assert_eq!(
            got.pair.refresh_token.expose(),
            "4s386p3q0tr8dy89xvmt96234v3dljg8"
        );
        assert_eq!(got.pair.expires_at.timestamp(), expires);
        assert_eq!(
            got.client_endpoint.as_deref(),
            Some("https://portal.bitrix24.com/rest/")
        );
    }

    #[test]
    fn the_expiry_resists_odd_values_and_skewed_clocks() {
        let at = now().timestamp();
        let cases = [
            (json!({"expires": at + 3000, "expires_in": 3600}), at + 3000),
            (json!({"expires_in": 3600}), at + 3600),
            (json!({"expires_in": "1800"}), at + 1800),
            (json!({}), at + 3600),
            (json!({"expires_in": 5}), at + 3600),
            (json!({"expires_in": -1}), at + 3600),
            (json!({"expires_in": 1e30}), at + 3600),
            (json!({"expires_in": 3600, "expires": at - 100}), at + 3600),
            (json!({"expires_in": 3600, "expires": at + 60}), at + 3600),
            (json!({"expires_in": 3600, "expires": i64::MAX}), at + 3600),
            (json!({"expires_in": 3600, "expires": "soon"}), at + 3600),
        ];
        for (body, want) in cases {
            assert_eq!(expiry(&body, now()).timestamp(), want, "{body}");
        }
    }

    #[test]
    fn errors_are_classified_for_the_keeper_and_the_retries() {
        use ErrorKind::*;
        let cases: &[(u16, &str, ErrorKind, &str)] = &[
            (
                400,
                r#"{"error":"invalid_grant","error_description":"Invalid grant"}"#,
                Auth,
                "expired, revoked or already used",
            ),
            (
                401,
                r#"{"error":"expired_token","error_description":"The refresh token provided has expired"}"#,
                Auth,
                "expired, revoked or already used",
            ),
            (
                401,
                r#"{"error":"invalid_client","error_description":"Invalid client"}"#,
                Config,
                "check client_id and client_secret",
            ),
            (
                402,
                r#"{"error":"PAYMENT_REQUIRED","error_description":"Payment required"}"#,
                Auth,
                "payment has lapsed",
            ),
            (
                200,
                r#"{"error":"PAYMENT_REQUIRED","error_description":"Payment required"}"#,
                Auth,
                "payment has lapsed",
            ),
            (
                400,
                r#"{"error":"invalid_scope"}"#,
                Config,
                "tick CRM (crm)",
            ),
            (
                400,
                r#"{"error":"invalid_request","error_description":"Missing client_id"}"#,
                Config,
                "check client_id and oauth_server",
            ),
            (
                400,
                r#"{"error":"something_new"}"#,
                Auth,
                "refused the refresh",
            ),
            (401, "", Auth, "refused the refresh"),
            (
                403,
                "<html><title>Forbidden</title></html>",
                Auth,
                "Forbidden",
            ),
            (
                404,
                "<html><title>Not Found</title></html>",
                Config,
                "check oauth_server",
            ),
            (302, "", Config, "check oauth_server"),
            (429, "slow down", RateLimited, "slow down"),
            (
                500,
                r#"{"error":"server_error"}"#,
                Temporary,
                "failed on its side",
            ),
            (
                502,
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
                Temporary,
                "502 Bad Gateway",
            ),
            (503, "", Temporary, "failed on its side"),
            (
                200,
                "<html><title>Maintenance</title></html>",
                Temporary,
                "HTML page",
            ),
            (
                200,
                r#"{"access_token": "x", "#,
                Temporary,
                "malformed JSON",
            ),
            (
                200,
                r#"{"access_token": "x"}"#,
                InvalidData,
                "no refresh_token",
            ),
            (
                200,
                r#"{"refresh_token": "x", "access_token": ""}"#,
                InvalidData,
                "no access_token",
            ),
            (200, "[]", InvalidData, "no access_token"),
        ];
        for (status, body, kind, needle) in cases {
            let Err(e) = read(&reply(*status, body), now()) else {
                panic!("{status} {body}: accepted");
            };
            assert_eq!(e.kind(), *kind, "{status} {body}: {e}");
            assert_eq!(e.target(), Some(TARGET));
            assert!(e.message().starts_with(ORIGIN), "{e}");
            assert!(e.message().contains(needle), "{status} {body}: {e}");
        }
        let limited = read(&reply(429, ""), now()).unwrap_err();
        assert_eq!(limited.retry_after(), Some(SLOW_DOWN_WAIT));
    }

    /// Any bytes, or the documented reply with wrong types in it (its
    /// `client_endpoint` any text).
    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let endpoint = prop_oneof![
            Just(json!("https://portal.bitrix24.com/rest/")),
            "(https?|ftp)://[a-z.@:]{0,12}(/[a-z]{0,4})*(/rest)?/?(\\?.{0,3})?(#.{0,3})?"
                .prop_map(Value::from),
            crate::testing::json(),
        ];
        let mutated = liner_sync_core::testing::mutated(
            documented(now().timestamp() + 3600),
            crate::testing::json(),
        );
        let documented = (mutated, endpoint).prop_map(|(mut reply, endpoint)| {
            if let Some(fields) = reply.as_object_mut() {
                fields.insert("client_endpoint".into(), endpoint);
            }
            reply
        });
        prop_oneof![
            crate::testing::body(),
            documented.prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_is_read_without_panicking(status in 200u16..600, body in any_body()) {
            let r = Reply { status: StatusCode::from_u16(status).unwrap(), retry_after: None, location: None, body };
            match read(&r, now()) {
                Ok(granted) => {
                    let endpoint = granted.client_endpoint.as_deref().map(crate::endpoint::parse_endpoint);
                    if let Some(Ok(url)) = endpoint {
                        proptest::prop_assert!(url.path().ends_with("/rest/"), "{}", url);
                        proptest::prop_assert!(matches!(url.scheme(), "http" | "https"));
                        proptest::prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()));
                        proptest::prop_assert!(url.query().is_none() && url.fragment().is_none());
                    }
                }
                Err(e) => proptest::prop_assert!(!e.message().contains('\n')),
            }
        }
    }
}
